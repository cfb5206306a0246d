import type { Em } from '../db/orm';
import { sql } from 'kysely';
import type { ImportRow } from '../csv/code-import';
import { iso } from '../db/values';

/** Rows per insert statement of a CSV import. */
export const IMPORT_CHUNK = 10_000;

/** Which of these codes (normalized) are live in the account, in one query. */
export async function liveCodesAmong(tx: Em, accountId: string, codes: string[]): Promise<Set<string>> {
  if (codes.length === 0) return new Set();
  const existing = await tx
    .getKysely()
    .selectFrom('codes')
    .select('code')
    .where('account_id', '=', accountId)
    .where(sql<boolean>`code = any(${codes}::text[])`)
    .where('deleted_at', 'is', null)
    .where('state', '<>', 'archived')
    .execute();
  return new Set(existing.map((e) => e.code));
}

/**
 * Inserts imported codes, set-based, IMPORT_CHUNK rows a statement, in the caller's
 * transaction, then their `code.created` events (in file order) in one statement after the last
 * chunk: inserting an event locks the feed's horizon (src/repositories/events.ts) until the
 * transaction ends, so events written with the first chunk would hold back every account's feed
 * while the later chunks run. Call it last in the transaction. Answers the codes with their own
 * expiry (id, instant).
 */
export async function insertImportedCodes(
  tx: Em,
  accountId: string,
  couponId: string,
  importRows: ImportRow[],
  now: string,
): Promise<{ id: string; expiresAt: string }[]> {
  const expiring: { id: string; expiresAt: string }[] = [];
  for (let i = 0; i < importRows.length; i += IMPORT_CHUNK) {
    const chunk = importRows.slice(i, i + IMPORT_CHUNK);
    // tuned bulk insert: bound arrays unnested in file order
    const { rows } = await sql<{ id: string; expires_at: string | Date }>`
      with ins as (
        insert into codes (account_id, coupon_id, code, state, max_redemptions, expires_at, created_at, updated_at, channel, partner, referrer_customer_id)
        select ${accountId}::uuid, ${couponId}::uuid, t.code, 'active', t.max, t.exp, ${now}::timestamptz, ${now}::timestamptz, t.ch, t.pa, t.rf
          from unnest(${chunk.map((r) => r.code)}::text[], ${chunk.map((r) => r.maxRedemptions)}::int[], ${chunk.map((r) => r.expiresAt)}::timestamptz[],
                      ${chunk.map((r) => r.channel)}::text[], ${chunk.map((r) => r.partner)}::text[], ${chunk.map((r) => r.referrerCustomerId)}::text[])
               with ordinality as t(code, max, exp, ch, pa, rf, n)
         order by t.n
        returning id, code, expires_at
      )
      select id, expires_at from ins where expires_at is not null order by id`.execute(tx.getKysely());
    for (const r of rows) expiring.push({ id: String(r.id), expiresAt: iso(r.expires_at) });
  }
  await sql`
    insert into events (account_id, type, data)
    select ${accountId}::uuid, 'code.created', jsonb_build_object('couponId', ${couponId}::text, 'code', t.code)
      from unnest(${importRows.map((r) => r.code)}::text[]) with ordinality as t(code, n)
     order by t.n`.execute(tx.getKysely());
  return expiring;
}
