import { Migration } from '@mikro-orm/migrations';

/** The coupon list sorted by name (`GET /v1/coupons?sort=name`, case-insensitive, ties by id) read in index order. */
export class Migration20261212000000_coupon_name_sort_index extends Migration {
  override name = 'Migration20261212000000_coupon_name_sort_index';

  override up(): void {
    this.addSql(`create index coupons_account_name_idx on coupons (account_id, lower(name), id);`);
  }

  override down(): void {
    this.addSql(`drop index if exists coupons_account_name_idx;`);
  }
}
