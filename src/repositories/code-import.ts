import type { Em } from '../db/orm';
import { sql } from 'kysely';
import { conflict, badRequest, isUniqueViolation, notFound } from '../errors';
import { rowsInvalid, type ParsedImport, type RowError } from '../csv/code-import';
import { DateTime } from 'luxon';
import { checkCodeNotLooser } from '../domain';
import { getCouponRow } from './coupons';
import { iso } from '../db/values';

export const IMPORT_CHUNK = 10_000;

/**
 * Imports parsed CSV rows into a coupon: all or nothing, in one transaction. Every row is
 * checked against the coupon (never looser) and, in one query, against the account's live
 * codes; any bad row (including those the parser found) → 400 listing them all, nothing
 * written. Inserts are set-based, IMPORT_CHUNK rows a statement; their code.created events (in
 * file order) follow in one statement after the last chunk, so the transaction holds the events
 * feed back only for that statement and the COMMIT, never while the chunks are written.
 * Answers the number imported and the codes with their own expiry (id, instant), for the
 * caller to schedule their expire-at jobs once the import committed.
 */
export async function importCodes(
  em: Em,
  accountId: string,
  couponId: string,
  parsed: ParsedImport,
  now: string,
): Promise<{ imported: number; expiring: { id: string; expiresAt: string }[] }> {
  try {
    return await em.transactional(async (tx) => {
      const coupon = await getCouponRow(tx, accountId, couponId, { lock: 'share' });
      if (!coupon) throw notFound('coupon');
      if (coupon.state === 'archived') throw conflict('the coupon is archived and read-only');
      const errors: RowError[] = [...parsed.errors];
      // one domain check per distinct (limit, expiry) pair: files repeat the same few values
      const limit = { maxRedemptions: coupon.maxRedemptions, expiresAt: coupon.expiresAt ? DateTime.fromISO(coupon.expiresAt) : null };
      const verdicts = new Map<string, string[]>();
      for (const r of parsed.rows) {
        if (r.maxRedemptions === null && r.expiresAt === null) continue;
        const key = `${r.maxRedemptions}|${r.expiresAt}`;
        let problems = verdicts.get(key);
        if (!problems) {
          const found = checkCodeNotLooser({ maxRedemptions: r.maxRedemptions, expiresAt: r.expiresAt === null ? null : new Date(r.expiresAt) }, limit);
          problems = found.map((p) => `${p.field === 'maxRedemptions' ? 'max_redemptions' : 'expires_at'}: ${p.message}`);
          verdicts.set(key, problems);
        }
        for (const message of problems) errors.push({ line: r.line, message });
      }
      const codes = parsed.rows.map((r) => r.code);
      if (codes.length) {
        const existing = await tx
          .getKysely()
          .selectFrom('codes')
          .select('code')
          .where('account_id', '=', accountId)
          .where(sql<boolean>`code = any(${codes}::text[])`)
          .where('deleted_at', 'is', null)
          .where('state', '<>', 'archived')
          .execute();
        const taken = new Set(existing.map((e) => e.code));
        for (const r of parsed.rows) if (taken.has(r.code)) errors.push({ line: r.line, message: `code ${r.code} already exists in this account` });
      }
      if (errors.length) throw rowsInvalid(errors);
      if (codes.length === 0) throw badRequest('body: the file holds no codes', 'body');
      const expiring: { id: string; expiresAt: string }[] = [];
      for (let i = 0; i < parsed.rows.length; i += IMPORT_CHUNK) {
        const chunk = parsed.rows.slice(i, i + IMPORT_CHUNK);
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
      // The events last, in one statement just before COMMIT: inserting an event locks the feed's
      // horizon (src/repositories/events.ts) until the transaction ends, so events written with
      // the first chunk would hold back every account's feed while the later chunks run.
      await sql`
        insert into events (account_id, type, data)
        select ${accountId}::uuid, 'code.created', jsonb_build_object('couponId', ${couponId}::text, 'code', t.code)
          from unnest(${codes}::text[]) with ordinality as t(code, n)
         order by t.n`.execute(tx.getKysely());
      return { imported: parsed.rows.length, expiring };
    });
  } catch (err) {
    if (isUniqueViolation(err, 'codes_live_code_unique')) throw conflict('a code in the file was created meanwhile; nothing was imported', 'code');
    throw err;
  }
}
