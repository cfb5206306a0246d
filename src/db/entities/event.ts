import { defineEntity, p } from '@mikro-orm/core';
import { Account } from './account';

/** Append-only: one row per state change, written in the change's own transaction. */
export const Event = defineEntity({
  name: 'Event',
  tableName: 'events',
  indexes: [{ name: 'events_account_idx', properties: ['accountId', 'id'] }],
  properties: {
    id: p.bigint('number').primary().autoincrement().columnType('bigint').generated('by default as identity'),
    accountId: p.manyToOne(Account).mapToPk().fieldName('account_id').foreignKeyName('events_account_id_fkey').deleteRule('cascade'),
    type: p.text(),
    data: p.json<Record<string, unknown>>(),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
  },
  // The feed's horizon (Migration20261125000400_webhooks): every inserting transaction first
  // locks a lower bound of the ids it draws, so eventsHorizon() (src/repositories/events.ts)
  // knows what is still in flight.
  triggers: [{
    name: 'events_id_bound',
    timing: 'before',
    events: ['insert'],
    forEach: 'statement',
    expression: `create or replace function events_id_bound_fn() returns trigger language plpgsql as $$
declare
  last bigint;
begin
  if current_setting('couponflow.events_id_bound', true) is distinct from 'on' then
    select last_value into last from events_id_seq;
    perform pg_advisory_xact_lock_shared((1::bigint << 62) + last);
    perform set_config('couponflow.events_id_bound', 'on', true);
  end if;
  return null;
end $$;
create trigger events_id_bound before insert on events for each statement execute function events_id_bound_fn()`,
  }],
});
