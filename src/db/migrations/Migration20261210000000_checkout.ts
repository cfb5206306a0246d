import { Migration } from '@mikro-orm/migrations';

/**
 * Checkout: holds (and the stored outcomes of their idempotency keys), the held counters of
 * coupons and codes, coupon budgets and what invoices spent of them per period and currency, the
 * account's rounding mode. Every column added to an existing table is nullable or has a constant
 * default, so no table is rewritten.
 */
export class Migration20261210000000_checkout extends Migration {
  override name = 'Migration20261210000000_checkout';

  override up(): void {
    this.addSql(`
alter table accounts add column rounding text not null default 'half_up';
alter table coupons add column held int not null default 0, add column budget jsonb null;
alter table codes add column held int not null default 0;
create table holds (
  id uuid not null default gen_random_uuid() primary key,
  account_id uuid not null constraint holds_account_id_fkey references accounts (id) on delete cascade,
  coupon_id uuid not null constraint holds_coupon_id_fkey references coupons (id) on delete cascade,
  code_id bigint null constraint holds_code_id_fkey references codes (id) on delete cascade,
  code text null,
  customer_id text not null,
  plan_id text null,
  currency text null,
  action text not null,
  status text not null default 'active',
  expires_at timestamptz not null,
  redemption_id uuid null,
  idempotency_key text null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  ended_at timestamptz null
);
create index holds_customer_active_idx on holds (coupon_id, customer_id) where status = 'active';
create index holds_expiry_due_idx on holds (expires_at) where status = 'active';
create table hold_requests (
  account_id uuid not null constraint hold_requests_account_id_fkey references accounts (id) on delete cascade,
  idempotency_key text not null,
  request_hash text not null,
  body jsonb not null,
  created_at timestamptz not null default now(),
  primary key (account_id, idempotency_key)
);
create table coupon_budget_spend (
  coupon_id uuid not null constraint coupon_budget_spend_coupon_id_fkey references coupons (id) on delete cascade,
  period_start timestamptz not null,
  currency text not null,
  period text not null,
  account_id uuid not null constraint coupon_budget_spend_account_id_fkey references accounts (id) on delete cascade,
  spent bigint not null default '0',
  exhausted_event_at timestamptz null,
  updated_at timestamptz not null default now(),
  primary key (coupon_id, period_start, currency, period)
);
`);
  }

  override down(): void {
    this.addSql(`
drop table if exists coupon_budget_spend;
drop table if exists hold_requests;
drop table if exists holds;
alter table codes drop column if exists held;
alter table coupons drop column if exists held, drop column if exists budget;
alter table accounts drop column if exists rounding;
`);
  }
}
