import { DateTime } from 'luxon';
import type { AppContext } from '../context';
import { checkCodeNotLooser } from '../domain';
import { badRequest, conflict, isUniqueViolation, notFound } from '../errors';
import { parseCodeCsv, rowsInvalid, type ParsedImport, type RowError } from '../csv/code-import';
import { scheduleExpiries } from '../queues/expiry-producer';
import { getCouponRow, type CouponRow } from '../repositories/coupons';
import { insertImportedCodes, liveCodesAmong } from '../repositories/code-import';
import { recordChange, type Caller } from './audit-log';

/** CSV imports of codes into a coupon. */

const ARCHIVED = 'the coupon is archived and read-only';

/** Every problem of the parsed rows against the coupon (never looser) and the account's live codes. */
function rowProblems(coupon: CouponRow, parsed: ParsedImport, taken: Set<string>): RowError[] {
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
  for (const r of parsed.rows) if (taken.has(r.code)) errors.push({ line: r.line, message: `code ${r.code} already exists in this account` });
  return errors;
}

/**
 * POST /v1/coupons/{id}/codes/import: the coupon is checked before the file is read (404, 409);
 * then all or nothing, in one transaction. Every row is checked against the coupon (never
 * looser) and, in one query, against the account's live codes; any bad row (including those the
 * parser found) → 400 listing them all, nothing written. The expire-at jobs of the codes with
 * their own expiry are added once the import committed. Answers the number imported.
 */
export async function importCodes(ctx: AppContext, accountId: string, couponId: string, csv: AsyncIterable<Buffer | string>, caller: Caller): Promise<number> {
  const em = ctx.orm.em.fork();
  const before = await getCouponRow(em, accountId, couponId);
  if (!before) throw notFound('coupon');
  if (before.state === 'archived') throw conflict(ARCHIVED);
  const parsed = await parseCodeCsv(csv);
  const now = ctx.clock.now();
  let expiring: { id: string; expiresAt: string }[];
  try {
    expiring = await em.transactional(async (tx) => {
      const coupon = await getCouponRow(tx, accountId, couponId, { lock: 'share' });
      if (!coupon) throw notFound('coupon');
      if (coupon.state === 'archived') throw conflict(ARCHIVED);
      const codes = parsed.rows.map((r) => r.code);
      const errors = rowProblems(coupon, parsed, await liveCodesAmong(tx, accountId, codes));
      if (errors.length) throw rowsInvalid(errors);
      if (codes.length === 0) throw badRequest('body: the file holds no codes', 'body');
      const inserted = await insertImportedCodes(tx, accountId, coupon.id, parsed.rows, now);
      await recordChange(tx, accountId, caller, now, { action: 'coupon.codes_imported', target: { type: 'coupon', id: coupon.id } });
      return inserted;
    });
  } catch (err) {
    if (isUniqueViolation(err, 'codes_live_code_unique')) throw conflict('a code in the file was created meanwhile; nothing was imported', 'code');
    throw err;
  }
  await scheduleExpiries(ctx, expiring.map((c) => ({ kind: 'code' as const, accountId, id: c.id, expiresAt: c.expiresAt })));
  return parsed.rows.length;
}
