import type { AppContext } from '../context';
import type { Em } from '../db/orm';
import {
  checkLimitNotBelowUsage, compactAttribution, EXPIRY_KEYS, resolveCouponWindow, sameJson, transition, type CouponWindow, type DomainError,
  type EffectiveStatus, type LifecycleAction,
} from '../domain';
import { badRequest, conflict, isUniqueViolation, notFound, sqlState } from '../errors';
import type { CouponCreateInput, CouponPatchInput } from '../contracts/coupons';
import { scheduleExpiry } from '../queues/expiry-producer';
import { findAccount } from '../repositories/accounts';
import { appendEvent } from '../repositories/events';
import {
  couponHasRedemptions, couponView, deleteCouponRow, getCouponRow, insertCoupon, largestCustomerCount, listCoupons as listCouponRows,
  listVersions, couponSnapshot, setCouponState, updateCoupon, writeVersion, type CouponListParams, type CouponRow, type CouponView,
} from '../repositories/coupons';
import { addFirstCode, codeAudit, duplicateCode } from './codes';
import { recordChange, recordChanges, type Caller, type Change } from './audit-log';

/** Coupons: create, edit, the lifecycle actions, clone and delete, and the reads of the coupon routes. */

/** Resolves the validity window with the domain (expiry in the coupon's zone); 400 naming the field. */
export function resolveWindow(w: CouponWindow, given: Partial<CouponWindow>, timeZone: string, createdAt: string): CouponWindow {
  const r = resolveCouponWindow(w, given, timeZone, createdAt);
  if (!r.ok) throw badRequest(`${r.error.field}: ${r.error.message}`, r.error.field);
  return r.value;
}

/** A limit set below its usage: 409 naming the field. */
function refuseLimit(err: DomainError | null): void {
  if (err) throw conflict(`${err.field}: ${err.message}`, err.field);
}

/** Maps duplicate names to 409; rethrows anything else. */
function duplicateName(err: unknown): void {
  if (isUniqueViolation(err, 'coupons_live_name_unique')) throw conflict('a live coupon with this name already exists', 'name');
}

/** A coupon as its audit records show it: the versioned fields and its stored status. */
function couponAudit(c: CouponRow): Record<string, unknown> {
  return { ...couponSnapshot(c), status: c.state };
}

const couponTarget = (id: string) => ({ type: 'coupon' as const, id });

/** After the change committed: the delayed expire-at job of the coupon's expiry (never throws). */
async function withExpiry(ctx: AppContext, accountId: string, view: CouponView): Promise<CouponView> {
  await scheduleExpiry(ctx, { kind: 'coupon', accountId, id: view.id, expiresAt: view.expiresAt });
  return view;
}

export async function getCoupon(ctx: AppContext, accountId: string, id: string): Promise<CouponView> {
  const row = await getCouponRow(ctx.orm.em.fork(), accountId, id);
  if (!row) throw notFound('coupon');
  return couponView(row, ctx.clock.now());
}

export function listCoupons(ctx: AppContext, accountId: string, q: CouponListParams) {
  return listCouponRows(ctx.orm.em.fork(), accountId, q, ctx.clock.now());
}

/** A coupon's versions, oldest first (404 for another account's coupon). */
export async function listCouponVersions(ctx: AppContext, accountId: string, id: string, q: { limit: number; cursor?: string }) {
  const em = ctx.orm.em.fork();
  const row = await getCouponRow(em, accountId, id);
  if (!row) throw notFound('coupon');
  return listVersions(em, row.id, q);
}

/** POST /v1/coupons: the coupon (zone and default overflow from the account) and optionally its first code, in one transaction. */
export async function createCoupon(ctx: AppContext, accountId: string, input: CouponCreateInput, caller: Caller): Promise<CouponView> {
  const now = ctx.clock.now();
  let created: CouponView;
  try {
    created = await ctx.orm.em.fork().transactional(async (tx) => {
      const acct = await findAccount(tx, accountId);
      if (!acct) throw notFound('account');
      const window = resolveWindow(
        { validFrom: input.validFrom ?? null, expiresAt: input.expiresAt ?? null, expiresOn: input.expiresOn ?? null, expiresAfterDays: input.expiresAfterDays ?? null },
        input,
        acct.timeZone,
        now,
      );
      let row = await insertCoupon(
        tx,
        {
          accountId,
          name: input.name,
          description: input.description ?? null,
          state: input.status,
          discount: input.discount,
          duration: input.duration,
          appliesTo: input.appliesTo,
          eligibility: input.eligibility,
          overflow: input.overflow ?? (acct.overflow as CouponRow['overflow']),
          stackable: input.stackable,
          maxRedemptions: input.limits.maxRedemptions ?? null,
          perCustomer: input.limits.perCustomer ?? null,
          budget: input.limits.budget ?? null,
          ...window,
          timeZone: acct.timeZone,
          metadata: input.metadata ?? null,
          grantsAccess: input.grantsAccess,
          attribution: compactAttribution(input.attribution),
        },
        now,
      );
      await appendEvent(tx, accountId, 'coupon.created', { couponId: row.id });
      const changes: Change[] = [{ action: 'coupon.created', target: couponTarget(row.id), before: null, after: couponAudit(row) }];
      if (input.code !== undefined) {
        const code = await addFirstCode(tx, row, input.code, now);
        row = { ...row, firstCode: code.code };
        changes.push({ action: 'code.created', target: { type: 'code', id: code.code }, before: null, after: codeAudit(code) });
      }
      await recordChanges(tx, accountId, caller, now, changes);
      return couponView(row, now);
    });
  } catch (err) {
    duplicateName(err);
    duplicateCode(err, input.code ?? '');
  }
  return withExpiry(ctx, accountId, created);
}

const TERMS_FIELDS = ['discount', 'duration', 'appliesTo', 'eligibility', 'overflow', 'stackable', 'maxRedemptions', 'perCustomer', 'budget', 'validFrom', 'expiresAt', 'expiresOn', 'expiresAfterDays', 'grantsAccess'] as const;
const OTHER_FIELDS = ['name', 'description', 'metadata', 'attribution'] as const;

/** PATCH /v1/coupons/{id}: editable fields; terms changes bump the version and write a version row. */
export async function patchCoupon(ctx: AppContext, accountId: string, id: string, patch: CouponPatchInput, caller: Caller): Promise<CouponView> {
  const now = ctx.clock.now();
  let edited: CouponView;
  try {
    edited = await ctx.orm.em.fork().transactional(async (tx) => {
      const cur = await getCouponRow(tx, accountId, id, { lock: 'update' });
      if (!cur) throw notFound('coupon');
      if (cur.state === 'archived') throw conflict('the coupon is archived and read-only');
      const limits = { maxRedemptions: cur.maxRedemptions, perCustomer: cur.perCustomer, budget: cur.budget, ...patch.limits };
      const expiryGiven = EXPIRY_KEYS.some((k) => patch[k] !== undefined);
      const window = resolveWindow(
        {
          validFrom: patch.validFrom !== undefined ? patch.validFrom : cur.validFrom,
          expiresAt: expiryGiven ? (patch.expiresAt ?? null) : cur.expiresAt,
          expiresOn: expiryGiven ? (patch.expiresOn ?? null) : cur.expiresOn,
          expiresAfterDays: expiryGiven ? (patch.expiresAfterDays ?? null) : cur.expiresAfterDays,
        },
        patch,
        cur.timeZone,
        cur.createdAt,
      );
      const next: CouponRow = {
        ...cur,
        name: patch.name ?? cur.name,
        description: patch.description !== undefined ? patch.description : cur.description,
        discount: patch.discount ?? cur.discount,
        duration: patch.duration ?? cur.duration,
        appliesTo: patch.appliesTo ?? cur.appliesTo,
        eligibility: patch.eligibility ?? cur.eligibility,
        overflow: patch.overflow ?? cur.overflow,
        stackable: patch.stackable ?? cur.stackable,
        maxRedemptions: limits.maxRedemptions ?? null,
        perCustomer: limits.perCustomer ?? null,
        budget: limits.budget ?? null,
        metadata: patch.metadata !== undefined ? patch.metadata : cur.metadata,
        grantsAccess: patch.grantsAccess ?? cur.grantsAccess,
        // PATCH replaces the whole attribution object; null clears it
        attribution: patch.attribution !== undefined ? compactAttribution(patch.attribution) : cur.attribution,
        ...window,
      };
      const changed = [...TERMS_FIELDS, ...OTHER_FIELDS].filter((f) => !sameJson(next[f], cur[f]));
      if (changed.length === 0) return couponView(cur, now);
      // active holds take slots like redemptions (the coupon row is locked: its held count stands)
      refuseLimit(checkLimitNotBelowUsage(next.maxRedemptions, cur.timesRedeemed + cur.held, 'limits.maxRedemptions', 'redemptions already made and active holds'));
      if (next.perCustomer !== null && next.perCustomer !== cur.perCustomer) {
        const used = await largestCustomerCount(tx, cur.id);
        refuseLimit(checkLimitNotBelowUsage(next.perCustomer, used, 'limits.perCustomer', 'redemptions and active holds one customer already has'));
      }
      const termsChanged = changed.some((f) => (TERMS_FIELDS as readonly string[]).includes(f));
      next.version = termsChanged ? cur.version + 1 : cur.version;
      next.updatedAt = now;
      await updateCoupon(tx, next, now);
      if (termsChanged) await writeVersion(tx, next);
      await appendEvent(tx, accountId, 'coupon.updated', { couponId: cur.id, version: next.version, fields: changed });
      await recordChange(tx, accountId, caller, now, { action: 'coupon.updated', target: couponTarget(cur.id), before: couponAudit(cur), after: couponAudit(next) });
      return couponView(next, now);
    });
  } catch (err) {
    duplicateName(err);
    throw err;
  }
  return withExpiry(ctx, accountId, edited);
}

const EVENT_OF: Record<LifecycleAction, `coupon.${string}`> = {
  activate: 'coupon.activated',
  disable: 'coupon.disabled',
  enable: 'coupon.enabled',
  archive: 'coupon.archived',
};

/**
 * POST /v1/coupons/{id}/{activate|disable|enable|archive}; archive cascades to the codes and is a
 * no-op when already archived. `em` may be a caller's transaction (the change joins it).
 */
export async function transitionCoupon(
  ctx: AppContext,
  accountId: string,
  id: string,
  action: LifecycleAction,
  caller: Caller,
  em: Em = ctx.orm.em.fork(),
): Promise<CouponView> {
  const now = ctx.clock.now();
  return em.transactional(async (tx) => {
    const cur = await getCouponRow(tx, accountId, id, { lock: 'update' });
    if (!cur) throw notFound('coupon');
    const t = transition(cur.state, action);
    if (!t.ok) throw conflict(t.message);
    if (!t.changed) return couponView(cur, now);
    // the coupon is locked above (for update), then its codes: the lock order written at getCouponRow
    await setCouponState(tx, cur.id, t.status, now);
    await appendEvent(tx, accountId, EVENT_OF[action], { couponId: cur.id });
    await recordChange(tx, accountId, caller, now, { action: EVENT_OF[action], target: couponTarget(cur.id) });
    return couponView({ ...cur, state: t.status, updatedAt: now }, now);
  });
}

/** POST /v1/coupons/{id}/clone: same terms and zone, draft, no codes; expiresAfterDays counts from the clone's creation. */
export async function cloneCoupon(ctx: AppContext, accountId: string, id: string, name: string | undefined, caller: Caller): Promise<CouponView> {
  const now = ctx.clock.now();
  let cloned: CouponView;
  try {
    cloned = await ctx.orm.em.fork().transactional(async (tx) => {
      const src = await getCouponRow(tx, accountId, id, { lock: 'share' });
      if (!src) throw notFound('coupon');
      const window = resolveWindow(src, {}, src.timeZone, now);
      const { id: _id, timesRedeemed: _t, version: _v, createdAt: _c, updatedAt: _u, firstCode: _f, ...terms } = src;
      const row = await insertCoupon(tx, { ...terms, ...window, name: name ?? `${src.name} (copy)`, state: 'draft' }, now);
      await appendEvent(tx, accountId, 'coupon.created', { couponId: row.id, clonedFrom: src.id });
      await recordChanges(tx, accountId, caller, now, [
        { action: 'coupon.cloned', target: couponTarget(src.id) },
        { action: 'coupon.created', target: couponTarget(row.id), before: null, after: couponAudit(row) },
      ]);
      return couponView(row, now);
    });
  } catch (err) {
    duplicateName(err);
    throw err;
  }
  return withExpiry(ctx, accountId, cloned);
}

const REDEEMED = 'the coupon has redemptions; archive it instead';

/** DELETE /v1/coupons/{id}: gone with its codes and versions when never redeemed; otherwise 409. */
export async function deleteCoupon(ctx: AppContext, accountId: string, id: string, caller: Caller): Promise<void> {
  const now = ctx.clock.now();
  try {
    await ctx.orm.em.fork().transactional(async (tx) => {
      const cur = await getCouponRow(tx, accountId, id, { lock: 'update' });
      if (!cur) throw notFound('coupon');
      if (await couponHasRedemptions(tx, cur.id)) throw conflict(REDEEMED);
      await deleteCouponRow(tx, cur.id);
      await appendEvent(tx, accountId, 'coupon.deleted', { couponId: cur.id });
      await recordChange(tx, accountId, caller, now, { action: 'coupon.deleted', target: couponTarget(cur.id), before: couponAudit(cur), after: null });
    });
  } catch (err) {
    // a redemption committed between the check and the delete
    if (sqlState(err) === '23503') throw conflict(REDEEMED);
    throw err;
  }
}
