import { sql } from 'kysely';
import type { Em } from '../db/orm';
import { jsonb, tstz } from '../db/values';
import { attributionColumns, checkCodeNotLooser, checkLimitNotBelowUsage, compactAttribution, type Attribution } from '../domain';
import { badRequest, conflict, isUniqueViolation, notFound } from '../errors';
import { appendEvent } from './events';
import { getCouponRow, type CouponRow } from './coupons';
import { codeRowFrom, codeView, findCodeRow, insertCode, type CodeRow, type CodeView, type NewCode } from './codes';

const utc = (v: string | null | undefined): string | null | undefined => (v ? new Date(v).toISOString() : v);

/** 400 naming the field when the code's limit or expiry is looser than the coupon's. */
export function assertNotLooser(code: { maxRedemptions?: number | null; expiresAt?: string | null }, coupon: CouponRow): void {
  const [first] = checkCodeNotLooser(code, { maxRedemptions: coupon.maxRedemptions, expiresAt: coupon.expiresAt });
  if (first) throw badRequest(`${first.field}: ${first.message}`, first.field);
}

function refuseArchived(coupon: CouponRow): void {
  if (coupon.state === 'archived') throw conflict('the coupon is archived and read-only');
}

/** Maps a duplicate live code to 409; rethrows anything else. */
export function duplicateCode(err: unknown, code: string): never {
  if (isUniqueViolation(err, 'codes_live_code_unique')) throw conflict(`code ${code.trim().toUpperCase()} already exists in this account`, 'code');
  throw err;
}

/** POST /v1/coupons/{id}/codes: one code, never looser than its coupon; duplicates → 409 by the unique index. */
export async function addCode(em: Em, accountId: string, couponId: string, input: NewCode, now: string): Promise<CodeView> {
  try {
    return await em.transactional(async (tx) => {
      // share lock: an archive (for update) waits, so no active code lands on an archived coupon
      const coupon = await getCouponRow(tx, accountId, couponId, { lock: 'share' });
      if (!coupon) throw notFound('coupon');
      refuseArchived(coupon);
      const expiresAt = utc(input.expiresAt);
      assertNotLooser({ maxRedemptions: input.maxRedemptions, expiresAt }, coupon);
      const row = await insertCode(tx, coupon, { ...input, expiresAt }, now);
      return codeView(row, coupon, now);
    });
  } catch (err) {
    duplicateCode(err, input.code);
  }
}

async function loadForChange(tx: Em, accountId: string, code: string): Promise<{ k: CodeRow; coupon: CouponRow }> {
  const k = await findCodeRow(tx, accountId, code, { lock: 'update' });
  if (!k) throw notFound('code');
  const coupon = await getCouponRow(tx, accountId, k.couponId);
  if (!coupon) throw notFound('code');
  if (k.state === 'archived' || coupon.state === 'archived') throw conflict('the coupon is archived and read-only');
  return { k, coupon };
}

export interface CodePatchFields {
  maxRedemptions?: number | null;
  expiresAt?: string | null;
  customerId?: string | null;
  metadata?: Record<string, unknown> | null;
  attribution?: Partial<Attribution> | null;
}

/** PATCH /v1/codes/{code}: same not-looser rule as creation; a limit below timesRedeemed → 409. */
export async function patchCode(em: Em, accountId: string, code: string, patch: CodePatchFields, now: string): Promise<CodeView> {
  return em.transactional(async (tx) => {
    const { k, coupon } = await loadForChange(tx, accountId, code);
    const next = {
      maxRedemptions: patch.maxRedemptions !== undefined ? patch.maxRedemptions : k.maxRedemptions,
      expiresAt: patch.expiresAt !== undefined ? utc(patch.expiresAt)! : k.expiresAt,
      customerId: patch.customerId !== undefined ? patch.customerId : k.customerId,
      metadata: patch.metadata !== undefined ? patch.metadata : k.metadata,
      // PATCH replaces the code's whole attribution object; null clears it
      attribution: patch.attribution !== undefined ? compactAttribution(patch.attribution) : k.attribution,
    };
    assertNotLooser(next, coupon);
    const below = checkLimitNotBelowUsage(next.maxRedemptions, k.timesRedeemed, 'maxRedemptions');
    if (below) throw conflict(`${below.field}: ${below.message}`, below.field);
    // loosening the expiry or the limit clears the expired/exhausted marker, so it can fire again later
    const row = await tx
      .getKysely()
      .updateTable('codes')
      .set({
        max_redemptions: next.maxRedemptions,
        expires_at: tstz(next.expiresAt),
        customer_id: next.customerId,
        metadata: jsonb(next.metadata),
        updated_at: tstz(now),
        ...(({ channel, partner, referrerCustomerId }) => ({ channel, partner, referrer_customer_id: referrerCustomerId }))(attributionColumns(next.attribution)),
        expired_event_at: sql<Date | null>`case when ${next.expiresAt}::timestamptz is null or ${next.expiresAt}::timestamptz > ${now}::timestamptz then null else expired_event_at end`,
        exhausted_event_at: sql<Date | null>`case when ${next.maxRedemptions}::int is null or ${next.maxRedemptions}::int > times_redeemed then null else exhausted_event_at end`,
      })
      .where('id', '=', k.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await appendEvent(tx, accountId, 'code.updated', { couponId: k.couponId, code: k.code });
    return codeView(codeRowFrom(row), coupon, now);
  });
}

const CODE_MOVES = {
  disable: { from: 'active', to: 'disabled', event: 'code.disabled' },
  enable: { from: 'disabled', to: 'active', event: 'code.enabled' },
} as const;

/** POST /v1/codes/{code}/{disable|enable}: active ⇄ disabled; anything else → 409. */
export async function setCodeState(em: Em, accountId: string, code: string, action: 'disable' | 'enable', now: string): Promise<CodeView> {
  return em.transactional(async (tx) => {
    const { k, coupon } = await loadForChange(tx, accountId, code);
    const move = CODE_MOVES[action];
    if (k.state !== move.from) throw conflict(`cannot ${action} a ${k.state} code`);
    const row = await tx
      .getKysely()
      .updateTable('codes')
      .set({ state: move.to, updated_at: tstz(now) })
      .where('id', '=', k.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await appendEvent(tx, accountId, move.event, { couponId: k.couponId, code: k.code });
    return codeView(codeRowFrom(row), coupon, now);
  });
}

/** DELETE /v1/codes/{code}: soft delete (gone from listings and redemption, kept for history). */
export async function deleteCode(em: Em, accountId: string, code: string, now: string): Promise<void> {
  await em.transactional(async (tx) => {
    const { k } = await loadForChange(tx, accountId, code);
    await tx.getKysely().updateTable('codes').set({ deleted_at: tstz(now), updated_at: tstz(now) }).where('id', '=', k.id).execute();
    await appendEvent(tx, accountId, 'code.deleted', { couponId: k.couponId, code: k.code });
  });
}
