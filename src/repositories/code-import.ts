import type { Em } from '../db/orm';
import { pgArray } from '../db/pg-array';
import { conflict, badRequest, isUniqueViolation, notFound } from '../errors';
import { rowsInvalid, type ParsedImport, type RowError } from '../csv/code-import';
import { DateTime } from 'luxon';
import { checkCodeNotLooser } from '../domain';
import { getCouponRow } from './coupons';

export const IMPORT_CHUNK = 10_000;

/**
 * Imports parsed CSV rows into a coupon: all or nothing, in one transaction. Every row is
 * checked against the coupon (never looser) and, in one query, against the account's live
 * codes; any bad row (including those the parser found) → 400 listing them all, nothing
 * written. Inserts and their code.created events are set-based, IMPORT_CHUNK rows a statement.
 */
export async function importCodes(em: Em, accountId: string, couponId: string, parsed: ParsedImport, now: string): Promise<number> {
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
        const existing = await tx.execute(
          `select code from codes where account_id = ? and code = any(?::text[]) and deleted_at is null and state <> 'archived'`,
          [accountId, pgArray(codes)],
        );
        const taken = new Set(existing.map((e) => e.code as string));
        for (const r of parsed.rows) if (taken.has(r.code)) errors.push({ line: r.line, message: `code ${r.code} already exists in this account` });
      }
      if (errors.length) throw rowsInvalid(errors);
      if (codes.length === 0) throw badRequest('body: the file holds no codes', 'body');
      for (let i = 0; i < parsed.rows.length; i += IMPORT_CHUNK) {
        const chunk = parsed.rows.slice(i, i + IMPORT_CHUNK);
        await tx.execute(
          `with ins as (
             insert into codes (account_id, coupon_id, code, state, max_redemptions, expires_at, created_at, updated_at, channel, partner, referrer_customer_id)
             select ?::uuid, ?::uuid, t.code, 'active', t.max, t.exp, ?::timestamptz, ?::timestamptz, t.ch, t.pa, t.rf
               from unnest(?::text[], ?::int[], ?::timestamptz[], ?::text[], ?::text[], ?::text[]) with ordinality as t(code, max, exp, ch, pa, rf, n)
              order by t.n
             returning id, code
           )
           insert into events (account_id, type, data)
           select ?::uuid, 'code.created', jsonb_build_object('couponId', ?::text, 'code', ins.code) from ins order by ins.id`,
          [
            accountId, couponId, now, now,
            pgArray(chunk.map((r) => r.code)), pgArray(chunk.map((r) => r.maxRedemptions)), pgArray(chunk.map((r) => r.expiresAt)),
            pgArray(chunk.map((r) => r.channel)), pgArray(chunk.map((r) => r.partner)), pgArray(chunk.map((r) => r.referrerCustomerId)),
            accountId, couponId,
          ],
        );
      }
      return parsed.rows.length;
    });
  } catch (err) {
    if (isUniqueViolation(err, 'codes_live_code_unique')) throw conflict('a code in the file was created meanwhile; nothing was imported', 'code');
    throw err;
  }
}
