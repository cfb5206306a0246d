import { Migration } from '@mikro-orm/migrations';

/**
 * Drops indexes the report indexes made redundant (each is a prefix of a newer one, or a
 * superset of a partial one that serves every query), so redemption and invoice writes update
 * fewer indexes.
 */
export class Migration20261122011000_drop_overlapping_indexes extends Migration {
  override name = 'Migration20261122011000_drop_overlapping_indexes';

  override up(): void {
    this.addSql(`drop index if exists redemptions_coupon_idx, redemptions_code_idx, invoice_discounts_coupon_idx, invoice_discounts_code_idx;`);
  }

  override down(): void {
    this.addSql(`
create index redemptions_coupon_idx on redemptions (coupon_id, status);
create index redemptions_code_idx on redemptions (code_id);
create index invoice_discounts_coupon_idx on invoice_discounts (coupon_id);
create index invoice_discounts_code_idx on invoice_discounts (code_id);
`);
  }
}
