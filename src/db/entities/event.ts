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
  // locks a lower bound of the ids it draws, so events_horizon() knows what is still in flight.
  triggers: [{ name: 'events_id_bound', timing: 'before', events: ['insert'], forEach: 'statement', expression: 'create trigger events_id_bound before insert on events for each statement execute function events_id_bound_fn()' }],
});
