import type { AppContext } from '../context';
import type { Em } from '../db/orm';
import { checkCodeNotLooser, checkLimitNotBelowUsage, compactAttribution, type Attribution } from '../domain';
import { badRequest, conflict, isUniqueViolation, notFound } from '../errors';
import { scheduleCodeExpiry } from '../queues/expiry-producer';
import { appendEvent } from '../repositories/events';
import { getCouponRow, type CouponRow } from '../repositories/coupons';
import {
  codeView, findCodeRow, findCodeWithCoupon, insertCode, listCodes, setCodeState as writeCodeState, softDeleteCode, updateCode,
  type CodeRow, type CodeView, type NewCode,
} from '../repositories/codes';

import { recordChange, type Caller } from './audit-log';

/** Codes: add, edit, disable/enable and delete one code, and the reads of the code routes. */

/** A code as its audit records show it (the target id is the code's text, as the API names it). */
export function codeAudit(k: CodeRow): Record<string, unknown> {
  return {
    code: k.code, couponId: k.couponId, maxRedemptions: k.maxRedemptions, expiresAt: k.expiresAt, customerId: k.customerId, metadata: k.metadata,
    attribution: k.attribution,
  };
}

const codeTarget = (code: string) => ({ type: 'code' as const, id: code });

const utc = (v: string | null | undefined): string | null | undefined => (v ? new Date(v).toISOString() : v);

/** 400 naming the field when the code's limit or expiry is looser than the coupon's. */
function assertNotLooser(code: { maxRedemptions?: number | null; expiresAt?: string | null }, coupon: CouponRow): void {
  const [first] = checkCodeNotLooser(code, { maxRedemptions: coupon.maxRedemptions, expiresAt: coupon.expiresAt });
  if (first) throw badRequest(`${first.field}: ${first.message}`, first.field);
}

const ARCHIVED = 'the coupon is archived and read-only';

/** Maps a duplicate live code to 409; rethrows anything else. */
export function duplicateCode(err: unknown, code: string): never {
  if (isUniqueViolation(err, 'codes_live_code_unique')) throw conflict(`code ${code.trim().toUpperCase()} already exists in this account`, 'code');
  throw err;
}

/** After the change committed: the delayed expire-at job of the code's own expiry (never throws). */
async function withExpiry(ctx: AppContext, accountId: string, view: CodeView): Promise<CodeView> {
  await scheduleCodeExpiry(ctx, accountId, view.code, view.expiresAt);
  return view;
}

/** Inserts a code with its `code.created` event in the caller's transaction. */
async function insertWithEvent(tx: Em, coupon: CouponRow, input: NewCode, now: string): Promise<CodeRow> {
  const row = await insertCode(tx, coupon, input, now);
  await appendEvent(tx, coupon.accountId, 'code.created', { couponId: coupon.id, code: row.code });
  return row;
}

/** The first code of a coupon being created (POST /v1/coupons with `code`), in its transaction. */
export function addFirstCode(tx: Em, coupon: CouponRow, code: string, now: string): Promise<CodeRow> {
  return insertWithEvent(tx, coupon, { code }, now);
}

/** A coupon's codes, deleted ones left out (404 for another account's coupon). */
export async function listCouponCodes(ctx: AppContext, accountId: string, couponId: string, q: Parameters<typeof listCodes>[2]) {
  const em = ctx.orm.em.fork();
  const coupon = await getCouponRow(em, accountId, couponId);
  if (!coupon) throw notFound('coupon');
  return listCodes(em, coupon, q, ctx.clock.now());
}

/** One code (case-insensitive); its status is the effective one. */
export async function getCode(ctx: AppContext, accountId: string, code: string): Promise<CodeView> {
  const found = await findCodeWithCoupon(ctx.orm.em.fork(), accountId, code);
  if (!found) throw notFound('code');
  return codeView(found.code, found.coupon, ctx.clock.now());
}

/** POST /v1/coupons/{id}/codes: one code, never looser than its coupon; duplicates → 409 by the unique index. */
export async function addCode(ctx: AppContext, accountId: string, couponId: string, input: NewCode, caller: Caller): Promise<CodeView> {
  const now = ctx.clock.now();
  let view: CodeView;
  try {
    view = await ctx.orm.em.fork().transactional(async (tx) => {
      // share lock: an archive (for update) waits, so no active code lands on an archived coupon
      const coupon = await getCouponRow(tx, accountId, couponId, { lock: 'share' });
      if (!coupon) throw notFound('coupon');
      if (coupon.state === 'archived') throw conflict(ARCHIVED);
      const expiresAt = utc(input.expiresAt);
      assertNotLooser({ maxRedemptions: input.maxRedemptions, expiresAt }, coupon);
      const row = await insertWithEvent(tx, coupon, { ...input, expiresAt }, now);
      await recordChange(tx, accountId, caller, now, { action: 'code.created', target: codeTarget(row.code), before: null, after: codeAudit(row) });
      return codeView(row, coupon, now);
    });
  } catch (err) {
    duplicateCode(err, input.code);
  }
  return withExpiry(ctx, accountId, view);
}

/** The code to change, locked, with its coupon; 404 when unknown, 409 when archived. */
async function loadForChange(tx: Em, accountId: string, code: string): Promise<{ k: CodeRow; coupon: CouponRow }> {
  const k = await findCodeRow(tx, accountId, code, { lock: 'update' });
  if (!k) throw notFound('code');
  const coupon = await getCouponRow(tx, accountId, k.couponId);
  if (!coupon) throw notFound('code');
  if (k.state === 'archived' || coupon.state === 'archived') throw conflict(ARCHIVED);
  return { k, coupon };
}

export interface CodePatchFields {
  maxRedemptions?: number | null;
  expiresAt?: string | null;
  customerId?: string | null;
  metadata?: Record<string, unknown> | null;
  attribution?: Partial<Attribution> | null;
}

/** PATCH /v1/codes/{code}: same not-looser rule as creation; a limit below timesRedeemed and the active holds → 409. */
export async function patchCode(ctx: AppContext, accountId: string, code: string, patch: CodePatchFields, caller: Caller): Promise<CodeView> {
  const now = ctx.clock.now();
  const view = await ctx.orm.em.fork().transactional(async (tx) => {
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
    // active holds take slots like redemptions (the code row is locked: its held count stands)
    const below = checkLimitNotBelowUsage(next.maxRedemptions, k.timesRedeemed + k.held, 'maxRedemptions', 'redemptions already made and active holds');
    if (below) throw conflict(`${below.field}: ${below.message}`, below.field);
    const row = await updateCode(tx, k.id, next, now);
    await appendEvent(tx, accountId, 'code.updated', { couponId: k.couponId, code: k.code });
    await recordChange(tx, accountId, caller, now, { action: 'code.updated', target: codeTarget(k.code), before: codeAudit(k), after: codeAudit(row) });
    return codeView(row, coupon, now);
  });
  return withExpiry(ctx, accountId, view);
}

const CODE_MOVES = {
  disable: { from: 'active', to: 'disabled', event: 'code.disabled' },
  enable: { from: 'disabled', to: 'active', event: 'code.enabled' },
} as const;

/** POST /v1/codes/{code}/{disable|enable}: active ⇄ disabled; anything else → 409. */
export async function setCodeState(ctx: AppContext, accountId: string, code: string, action: 'disable' | 'enable', caller: Caller): Promise<CodeView> {
  const now = ctx.clock.now();
  return ctx.orm.em.fork().transactional(async (tx) => {
    const { k, coupon } = await loadForChange(tx, accountId, code);
    const move = CODE_MOVES[action];
    if (k.state !== move.from) throw conflict(`cannot ${action} a ${k.state} code`);
    const row = await writeCodeState(tx, k.id, move.to, now);
    await appendEvent(tx, accountId, move.event, { couponId: k.couponId, code: k.code });
    await recordChange(tx, accountId, caller, now, { action: move.event, target: codeTarget(k.code) });
    return codeView(row, coupon, now);
  });
}

/** DELETE /v1/codes/{code}: soft delete (gone from listings and redemption, kept for history). */
export async function deleteCode(ctx: AppContext, accountId: string, code: string, caller: Caller): Promise<void> {
  const now = ctx.clock.now();
  await ctx.orm.em.fork().transactional(async (tx) => {
    const { k } = await loadForChange(tx, accountId, code);
    await softDeleteCode(tx, k.id, now);
    await appendEvent(tx, accountId, 'code.deleted', { couponId: k.couponId, code: k.code });
    await recordChange(tx, accountId, caller, now, { action: 'code.deleted', target: codeTarget(k.code), before: codeAudit(k), after: null });
  });
}
