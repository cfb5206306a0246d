import { Migration } from '@mikro-orm/migrations';

/**
 * Invoice lookups by subscription lead with the selective column, as the redemptions' do
 * (Migration20261122011100_subscription_lookup_index). With account_id first, the invoice
 * context's lookup of a re-sent invoice by (account_id, id) could take this index instead of the
 * primary key: a generic plan built while `invoices` was nearly empty priced both the same, kept
 * it until the table's statistics changed, and filtered every invoice of the account on each
 * call (the billing run slowed from about 1,000 to about 150 invoices a second as they grew).
 */
export class Migration20261218000000_invoice_subscription_index extends Migration {
  override name = 'Migration20261218000000_invoice_subscription_index';

  override up(): void {
    this.addSql(`
drop index if exists invoices_subscription_idx;
create index invoices_subscription_idx on invoices (subscription_id, account_id);
`);
  }

  override down(): void {
    this.addSql(`
drop index if exists invoices_subscription_idx;
create index invoices_subscription_idx on invoices (account_id, subscription_id);
`);
  }
}
