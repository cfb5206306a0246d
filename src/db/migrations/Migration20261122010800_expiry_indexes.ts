import { Migration } from '@mikro-orm/migrations';

/**
 * Partial indexes for the expiry sweep: only the rows a sweep can still move are indexed, and
 * no index mentions times_redeemed, so counting a redemption stays a HOT update.
 */
export class Migration20261122010800_expiry_indexes extends Migration {
  override name = 'Migration20261122010800_expiry_indexes';

  override up(): void {
    this.addSql(`
create index codes_expiry_due_idx on codes (expires_at)
  where expires_at is not null and expired_event_at is null and batch_id is null and deleted_at is null and state <> 'archived';
create index codes_limit_due_idx on codes (id)
  where max_redemptions is not null and exhausted_event_at is null and batch_id is null and deleted_at is null and state <> 'archived';
create index coupons_limit_due_idx on coupons (id)
  where max_redemptions is not null and state <> 'archived' and (exhausted_event_at is null or nearly_exhausted_event_at is null);
create index redemptions_window_active_idx on redemptions (id)
  where status = 'active' and (terms->'duration'->>'type') in ('months', 'until');
`);
  }

  override down(): void {
    this.addSql(`drop index if exists codes_expiry_due_idx, codes_limit_due_idx, coupons_limit_due_idx, redemptions_window_active_idx;`);
  }
}
