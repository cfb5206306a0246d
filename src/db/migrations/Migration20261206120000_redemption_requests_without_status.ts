import { Migration } from '@mikro-orm/migrations';

/**
 * An idempotency key's stored outcome is its answer body (`{error: {code, ...}}` for a refusal,
 * the redemption otherwise); the HTTP status is the edge's to choose from the code, so it is no
 * longer stored. Going down, the status is derived again from the body as the edge does.
 */
export class Migration20261206120000_redemption_requests_without_status extends Migration {
  override name = 'Migration20261206120000_redemption_requests_without_status';

  override up(): void {
    this.addSql(`alter table redemption_requests drop column status_code;`);
  }

  override down(): void {
    this.addSql(`
alter table redemption_requests add column status_code int null;
update redemption_requests set status_code = case
  when body ? 'error' and body->'error'->>'code' = 'rate_limited' then 429
  when body ? 'error' and body->'error'->>'code' = 'validation_failed' then 400
  when body ? 'error' then 422 else 201 end;
alter table redemption_requests alter column status_code set not null;
`);
  }
}
