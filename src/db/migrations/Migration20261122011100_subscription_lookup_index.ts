import { Migration } from '@mikro-orm/migrations';

/**
 * Redemption lookups by subscription (every invoice and redemption) and by customer lead with
 * the selective column. With account_id first in both, a planner whose statistics did not know a
 * new account yet took either index for the other and filtered all of the account's redemptions
 * on every call. No redemptions index leads with account_id any more.
 */
export class Migration20261122011100_subscription_lookup_index extends Migration {
  override name = 'Migration20261122011100_subscription_lookup_index';

  override up(): void {
    this.addSql(`
drop index if exists redemptions_subscription_idx, redemptions_customer_idx;
create index redemptions_subscription_idx on redemptions (subscription_id, account_id, created_at);
create index redemptions_customer_idx on redemptions (customer_id, account_id, coupon_id);
`);
  }

  override down(): void {
    this.addSql(`
drop index if exists redemptions_subscription_idx, redemptions_customer_idx;
create index redemptions_subscription_idx on redemptions (account_id, subscription_id, created_at);
create index redemptions_customer_idx on redemptions (account_id, customer_id, coupon_id);
`);
  }
}
