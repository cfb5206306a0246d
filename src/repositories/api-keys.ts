import { sql } from 'kysely';
import type { Em } from '../db/orm';
import type { StoredRow } from '../db/rows';
import { iso, isoOrNull, tstz } from '../db/values';
import type { AccountRow } from '../api-keys';

/** API keys: only SHA-256 hashes of secrets are stored; revoked keys are never found. */

export interface ApiKeyRow {
  id: string;
  accountId: string;
  name: string;
  scopes: string[];
  /** The first characters of the current secret, to recognise it. */
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  /** created_at with microseconds, for list cursors. */
  cursorAt: string;
}

/** A key found by a secret's hash, with its account. */
export interface KeyMatch {
  key: ApiKeyRow;
  account: AccountRow;
  /** Set when the secret is the one a roll replaced: it works until then. */
  replacedSecretUntil: string | null;
}

const COLUMNS = ['k.id', 'k.account_id', 'k.name', 'k.scopes', 'k.key_prefix', 'k.created_at', 'k.expires_at', 'k.last_used_at'] as const;
const cursorAt = sql<string>`to_char(k.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('cursor_at');

type Unaliased<C> = C extends `k.${infer Column}` ? Column : never;

/** An api_keys row as selectKeys reads it. */
type ApiKeyStoredRow = Pick<StoredRow<'api_keys'>, Unaliased<(typeof COLUMNS)[number]>> & { cursor_at: string };

/** The one mapping of an api_keys row. */
function apiKeyRowFrom(r: ApiKeyStoredRow): ApiKeyRow {
  return {
    id: r.id,
    accountId: r.account_id,
    name: r.name,
    scopes: r.scopes,
    prefix: r.key_prefix,
    createdAt: iso(r.created_at),
    expiresAt: isoOrNull(r.expires_at),
    lastUsedAt: isoOrNull(r.last_used_at),
    cursorAt: r.cursor_at,
  };
}

const selectKeys = (em: Em) => em.getKysely().selectFrom('api_keys as k').select([...COLUMNS, cursorAt]).where('k.revoked_at', 'is', null);

export async function insertApiKey(
  tx: Em,
  k: { accountId: string; name: string; scopes: string[]; keyHash: string; prefix: string; expiresAt: string | null; createdAt: string },
): Promise<ApiKeyRow> {
  const { id } = await tx
    .getKysely()
    .insertInto('api_keys')
    .values({
      account_id: k.accountId, name: k.name, scopes: k.scopes, key_hash: k.keyHash, key_prefix: k.prefix, expires_at: tstz(k.expiresAt),
      created_at: tstz(k.createdAt),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return (await findApiKey(tx, k.accountId, id))!;
}

/** The live key whose current or replaced secret has this hash, with its account; null when none. */
export async function findKeyBySecretHash(em: Em, hash: string): Promise<KeyMatch | null> {
  const r = await selectKeys(em)
    .innerJoin('accounts as a', 'a.id', 'k.account_id')
    .select(['a.name as account_name', 'a.time_zone', 'a.currency', 'a.overflow', 'a.rounding', 'k.key_hash', 'k.previous_key_expires_at'])
    .where((eb) => eb.or([eb('k.key_hash', '=', hash), eb('k.previous_key_hash', '=', hash)]))
    .executeTakeFirst();
  if (!r) return null;
  return {
    key: apiKeyRowFrom(r),
    account: { id: r.account_id, name: r.account_name, timeZone: r.time_zone, currency: r.currency, overflow: r.overflow, rounding: r.rounding },
    replacedSecretUntil: r.key_hash === hash ? null : (isoOrNull(r.previous_key_expires_at) ?? new Date(0).toISOString()),
  };
}

/** One live key of the account; `lock` locks its row for the caller's transaction. */
export async function findApiKey(em: Em, accountId: string, id: string, opts: { lock?: boolean } = {}): Promise<ApiKeyRow | null> {
  let q = selectKeys(em).where('k.account_id', '=', accountId).where('k.id', '=', id);
  if (opts.lock) q = q.forUpdate();
  const r = await q.executeTakeFirst();
  return r ? apiKeyRowFrom(r) : null;
}

/** The account's live keys, oldest first; `after` is the last row's [created_at with microseconds, id]. */
export async function listApiKeys(em: Em, accountId: string, after: [string, string] | null, limit: number): Promise<{ rows: ApiKeyRow[]; next: [string, string] | null }> {
  let q = selectKeys(em).where('k.account_id', '=', accountId);
  if (after) q = q.where(sql<boolean>`(k.created_at, k.id) > (${after[0]}::timestamptz, ${after[1]}::uuid)`);
  const rows = (await q.orderBy('k.created_at').orderBy('k.id').limit(limit + 1).execute()).map(apiKeyRowFrom);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { rows: page, next: rows.length > limit && last ? [last.cursorAt, last.id] : null };
}

export async function revokeApiKey(tx: Em, id: string, now: string): Promise<void> {
  await tx.getKysely().updateTable('api_keys').set({ revoked_at: tstz(now), previous_key_hash: null, previous_key_expires_at: null }).where('id', '=', id).execute();
}

/**
 * A new secret for the key. The one it replaces keeps working until `replacedUntil` (null: not
 * at all); a secret replaced earlier stops at once (never more than two).
 */
export async function replaceKeySecret(tx: Em, id: string, s: { keyHash: string; prefix: string; replacedUntil: string | null }): Promise<void> {
  await tx
    .getKysely()
    .updateTable('api_keys')
    .set({
      previous_key_hash: s.replacedUntil === null ? null : sql<string>`key_hash`,
      previous_key_expires_at: tstz(s.replacedUntil),
      key_hash: s.keyHash,
      key_prefix: s.prefix,
    })
    .where('id', '=', id)
    .execute();
}

/** Marks the key used at `now`, unless it was marked less than `minGapSeconds` before. */
export async function touchApiKey(em: Em, id: string, now: string, minGapSeconds: number): Promise<void> {
  await em
    .getKysely()
    .updateTable('api_keys')
    .set({ last_used_at: tstz(now) })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', sql<Date>`${now}::timestamptz - make_interval(secs => ${minGapSeconds})`)]))
    .execute();
}
