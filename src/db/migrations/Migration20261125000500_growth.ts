import { Migration } from '@mikro-orm/migrations';

/**
 * Growth programs: attribution (channel, partner, referrer) on coupons, codes and batches and
 * its snapshot on redemptions; plan access and coupons that grant it; direct coupon
 * redemptions (no code, so code columns become nullable); subscription cancellation. Every
 * column added is nullable or has a constant default, so no table is rewritten.
 */
export class Migration20261125000500_growth extends Migration {
  override name = 'Migration20261125000500_growth';

  override up(): void {
    this.addSql(`
alter table plans add column access text not null default 'open';
alter table coupons add column grants_access boolean not null default false,
  add column channel text null, add column partner text null, add column referrer_customer_id text null;
alter table codes add column channel text null, add column partner text null, add column referrer_customer_id text null;
alter table batches add column channel text null, add column partner text null, add column referrer_customer_id text null;
alter table subscriptions add column status text not null default 'active', add column cancelled_at timestamptz null;
alter table redemptions alter column code_id drop not null, alter column code drop not null,
  add column channel text null, add column partner text null, add column referrer_customer_id text null;
alter table invoice_discounts alter column code_id drop not null;
`);
  }

  override down(): void {
    this.addSql(`
alter table invoice_discounts alter column code_id set not null;
alter table redemptions drop column channel, drop column partner, drop column referrer_customer_id,
  alter column code set not null, alter column code_id set not null;
alter table subscriptions drop column status, drop column cancelled_at;
alter table batches drop column channel, drop column partner, drop column referrer_customer_id;
alter table codes drop column channel, drop column partner, drop column referrer_customer_id;
alter table coupons drop column grants_access, drop column channel, drop column partner, drop column referrer_customer_id;
alter table plans drop column access;
`);
  }
}
