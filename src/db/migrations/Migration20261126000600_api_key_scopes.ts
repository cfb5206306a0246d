import { Migration } from '@mikro-orm/migrations';

/**
 * API keys get a name, scopes, an optional expiry, the last time they were used, and the secret
 * a roll replaced (its hash and until when it still works). Keys that exist keep working as
 * before: name `default`, scope `*`. The defaults are dropped afterwards, so a key is never
 * written without scopes by accident.
 */
export class Migration20261126000600_api_key_scopes extends Migration {
  override name = 'Migration20261126000600_api_key_scopes';

  override up(): void {
    this.addSql(`
alter table api_keys add column name text not null default 'default', add column scopes text[] not null default '{*}',
  add column expires_at timestamptz null, add column last_used_at timestamptz null,
  add column previous_key_hash text null, add column previous_key_expires_at timestamptz null;
alter table api_keys alter column name drop default, alter column scopes drop default;
create index api_keys_previous_key_hash_idx on api_keys (previous_key_hash) where previous_key_hash is not null;
`);
  }

  override down(): void {
    this.addSql(`
drop index if exists api_keys_previous_key_hash_idx;
alter table api_keys drop column if exists name, drop column if exists scopes, drop column if exists expires_at, drop column if exists last_used_at,
  drop column if exists previous_key_hash, drop column if exists previous_key_expires_at;
`);
  }
}
