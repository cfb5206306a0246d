import { Migration } from '@mikro-orm/migrations';

/**
 * Webhooks: endpoints, one delivery per (event, endpoint), the attempt log, the relay's cursor;
 * and the events feed's horizon (the same trigger is declared on the Event entity,
 * src/db/entities/event.ts; test/integration/schema.test.ts compares the two definitions).
 *
 * A transaction that inserts events first takes a shared transaction-level advisory lock whose
 * key holds a lower bound of the ids it is about to draw (the sequence's last value, read before
 * drawing). The feed's horizon (src/repositories/events.ts) is the sequence's last drawn value,
 * read first, capped below the smallest bound still locked: every id at or below it is committed
 * or rolled back by the time a later statement reads.
 */
export class Migration20261125000400_webhooks extends Migration {
  override name = 'Migration20261125000400_webhooks';

  override up(): void {
    this.addSql(`
create function events_id_bound_fn() returns trigger language plpgsql as $$
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
create trigger events_id_bound before insert on events for each statement execute function events_id_bound_fn();

create table webhook_endpoints (
  id uuid primary key default gen_random_uuid(),
  account_id uuid not null constraint webhook_endpoints_account_id_foreign references accounts(id) on delete cascade,
  url text not null,
  event_types text[] not null default '{}',
  description text,
  status text not null default 'enabled',
  secret text not null,
  previous_secret text,
  previous_secret_expires_at timestamptz,
  since_event_id bigint not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index webhook_endpoints_account_idx on webhook_endpoints (account_id, created_at, id);

create table webhook_deliveries (
  id uuid primary key default gen_random_uuid(),
  account_id uuid not null constraint webhook_deliveries_account_id_foreign references accounts(id) on delete cascade,
  endpoint_id uuid not null constraint webhook_deliveries_endpoint_id_foreign references webhook_endpoints(id) on delete cascade,
  event_id bigint constraint webhook_deliveries_event_id_foreign references events(id) on delete cascade,
  message_id text not null,
  event_type text not null,
  payload jsonb,
  status text not null default 'pending',
  attempts int not null default 0,
  attempts_allowed int not null,
  round int not null default 0,
  last_status_code int,
  last_error text,
  next_attempt_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  delivered_at timestamptz,
  constraint webhook_deliveries_event_endpoint_key unique (event_id, endpoint_id)
);
create index webhook_deliveries_endpoint_idx on webhook_deliveries (endpoint_id, created_at, id);
create index webhook_deliveries_pending_idx on webhook_deliveries (next_attempt_at) where status = 'pending';

create table webhook_attempts (
  id bigserial primary key,
  delivery_id uuid not null constraint webhook_attempts_delivery_id_foreign references webhook_deliveries(id) on delete cascade,
  at timestamptz not null,
  status_code int,
  error text,
  duration_ms int not null,
  response_body text
);
create index webhook_attempts_delivery_idx on webhook_attempts (delivery_id, id);

create table webhook_relay (
  id int primary key,
  last_event_id bigint not null
);
insert into webhook_relay (id, last_event_id) select 1, coalesce(max(id), 0) from events;
`);
  }

  override down(): void {
    this.addSql(`
drop table if exists webhook_relay, webhook_attempts, webhook_deliveries, webhook_endpoints;
drop trigger if exists events_id_bound on events;
drop function if exists events_id_bound_fn();
`);
  }
}
