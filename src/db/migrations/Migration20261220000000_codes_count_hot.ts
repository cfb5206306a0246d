import { Migration } from '@mikro-orm/migrations';

/**
 * A code's count update becomes a HOT update again: `codes_coupon_redeemed_idx` was the one index
 * of `codes` that held `times_redeemed`, so every redemption (and every hold ended by one) wrote
 * a new entry in every index that holds the row (five for a plain code) and left a dead version
 * that only a vacuum removes. With no index on the count, the new version stays on its page and
 * the old one is pruned as the page is next read. The code list sorted by `timesRedeemed` now
 * reads a coupon's codes along `codes_coupon_idx` and sorts them (see the README, "Bulk codes").
 */
export class Migration20261220000000_codes_count_hot extends Migration {
  override name = 'Migration20261220000000_codes_count_hot';

  override up(): void {
    this.addSql(`drop index if exists codes_coupon_redeemed_idx;`);
  }

  override down(): void {
    this.addSql(`create index if not exists codes_coupon_redeemed_idx on codes (coupon_id, times_redeemed, id) where deleted_at is null;`);
  }
}
