import { Migration } from '@mikro-orm/migrations';

/**
 * Covering indexes for the coupon and code reports (src/repositories/reports.ts): index-only
 * scans count redemptions by status and distinct customers (customer order lets the count
 * stream without a hash), and read the ledger rows that discounted something in invoice order
 * (so an invoice counts once without a hash either). No column a redemption or code counter
 * update touches is added, and ledger rows are never updated.
 */
export class Migration20261122010900_report_indexes extends Migration {
  override name = 'Migration20261122010900_report_indexes';

  override up(): void {
    this.addSql(`
create index redemptions_coupon_customer_idx on redemptions (coupon_id, customer_id, status);
create index redemptions_code_customer_idx on redemptions (code_id, customer_id, status);
create index invoice_discounts_coupon_report_idx on invoice_discounts (coupon_id, invoice_id)
  include (redemption_id, currency, amount, invoice_total) where amount > 0;
create index invoice_discounts_code_report_idx on invoice_discounts (code_id, invoice_id)
  include (redemption_id, currency, amount, invoice_total) where amount > 0;
`);
  }

  override down(): void {
    this.addSql(`drop index if exists redemptions_coupon_customer_idx, redemptions_code_customer_idx,
      invoice_discounts_coupon_report_idx, invoice_discounts_code_report_idx;`);
  }
}
