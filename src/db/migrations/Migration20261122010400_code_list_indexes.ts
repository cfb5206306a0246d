import { Migration } from '@mikro-orm/migrations';

/** Indexes for listing a coupon's codes sorted by code or by times redeemed (cursor pagination). */
export class Migration20261122010400_code_list_indexes extends Migration {
  override name = 'Migration20261122010400_code_list_indexes';

  override up(): void {
    this.addSql(`
create index codes_coupon_code_idx on codes (coupon_id, code, id) where deleted_at is null;
create index codes_coupon_redeemed_idx on codes (coupon_id, times_redeemed, id) where deleted_at is null;
`);
  }

  override down(): void {
    this.addSql(`drop index if exists codes_coupon_code_idx, codes_coupon_redeemed_idx;`);
  }
}
