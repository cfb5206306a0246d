import { sql } from 'kysely';
import type { Em } from '../db/orm';
import { jsonb, tstz } from '../db/values';
import {
  attributionColumns, checkLimitNotBelowUsage, compactAttribution, EXPIRY_KEYS, resolveCouponWindow, transition, type Attribution, type CouponWindow, type DomainError,
  type LifecycleAction,
} from '../domain';
import { badRequest, conflict, isUniqueViolation, notFound } from '../errors';
import type { CouponCreateInput, CouponPatchInput } from '../contracts/coupons';
import { Account } from '../db/entities';
import { appendEvent } from './events';
import { couponView, getCouponRow, writeVersion, type CouponRow, type CouponView } from './coupons';
import { duplicateCode } from './code-commands';
import { insertCode } from './codes';

export type Window = CouponWindow;

/** Resolves the validity window with the domain (expiry in the coupon's zone); 400 naming the field. */
export function resolveWindow(w: Window, given: Partial<Window>, timeZone: string, createdAt: string): Window {
  const r = resolveCouponWindow(w, given, timeZone, createdAt);
  if (!r.ok) throw badRequest(`${r.error.field}: ${r.error.message}`, r.error.field);
  return r.value;
}

/** A limit set below its usage: 409 naming the field. */
function refuseLimit(err: DomainError | null): void {
  if (err) throw conflict(`${err.field}: ${err.message}`, err.field);
}

function pgCode(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, i = 0; e && i < 5; e = e.cause as typeof e, i++) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  }
  return undefined;
}

/** Maps duplicate names to 409; rethrows anything else. */
function duplicateName(err: unknown): void {
  if (isUniqueViolation(err, 'coupons_live_name_unique')) throw conflict('a live coupon with this name already exists', 'name');
}

type NewCoupon = Omit<CouponRow, 'id' | 'timesRedeemed' | 'version' | 'createdAt' | 'updatedAt' | 'firstCode'>;

/** The attribution columns of a row. */
function attributionRow(a: Partial<Attribution> | null | undefined) {
  const c = attributionColumns(a);
  return { channel: c.channel, partner: c.partner, referrer_customer_id: c.referrerCustomerId };
}

/** Inserts a coupon (version 1 and its version row) in the caller's transaction. */
async function insertCoupon(tx: Em, c: NewCoupon, now: string): Promise<CouponRow> {
  const { id } = await tx
    .getKysely()
    .insertInto('coupons')
    .values({
      account_id: c.accountId, name: c.name, description: c.description, state: c.state, discount: jsonb(c.discount), duration: jsonb(c.duration),
      applies_to: jsonb(c.appliesTo), eligibility: jsonb(c.eligibility), overflow: c.overflow, stackable: c.stackable, max_redemptions: c.maxRedemptions,
      per_customer: c.perCustomer, valid_from: tstz(c.validFrom), expires_at: tstz(c.expiresAt), expires_on: c.expiresOn,
      expires_after_days: c.expiresAfterDays, time_zone: c.timeZone, metadata: jsonb(c.metadata), version: 1, created_at: tstz(now), updated_at: tstz(now),
      grants_access: c.grantsAccess, ...attributionRow(c.attribution),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const row = (await getCouponRow(tx, c.accountId, id))!;
  await writeVersion(tx, row);
  return row;
}

/** POST /v1/coupons: the coupon (zone and default overflow from the account) and optionally its first code, in one transaction. */
export async function createCoupon(em: Em, accountId: string, input: CouponCreateInput, now: string): Promise<CouponView> {
  try {
    return await em.transactional(async (tx) => {
      const acct = await tx.findOneOrFail(Account, { id: accountId });
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
          ...window,
          timeZone: acct.timeZone,
          metadata: input.metadata ?? null,
          grantsAccess: input.grantsAccess,
          attribution: compactAttribution(input.attribution),
        },
        now,
      );
      await appendEvent(tx, accountId, 'coupon.created', { couponId: row.id });
      if (input.code !== undefined) {
        const code = await insertCode(tx, row, { code: input.code }, now);
        row = { ...row, firstCode: code.code };
      }
      return couponView(row, now);
    });
  } catch (err) {
    duplicateName(err);
    duplicateCode(err, input.code ?? '');
  }
}

/** Stable JSON (sorted keys), to compare stored jsonb with request values. */
function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

const TERMS_FIELDS = ['discount', 'duration', 'appliesTo', 'eligibility', 'overflow', 'stackable', 'maxRedemptions', 'perCustomer', 'validFrom', 'expiresAt', 'expiresOn', 'expiresAfterDays', 'grantsAccess'] as const;
const OTHER_FIELDS = ['name', 'description', 'metadata', 'attribution'] as const;

/** PATCH /v1/coupons/{id}: editable fields; terms changes bump the version and write a version row. */
export async function patchCoupon(em: Em, accountId: string, id: string, patch: CouponPatchInput, now: string): Promise<CouponView> {
  try {
    return await em.transactional(async (tx) => {
      const cur = await getCouponRow(tx, accountId, id, { lock: 'update' });
      if (!cur) throw notFound('coupon');
      if (cur.state === 'archived') throw conflict('the coupon is archived and read-only');
      const limits = { maxRedemptions: cur.maxRedemptions, perCustomer: cur.perCustomer, ...patch.limits };
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
        metadata: patch.metadata !== undefined ? patch.metadata : cur.metadata,
        grantsAccess: patch.grantsAccess ?? cur.grantsAccess,
        // PATCH replaces the whole attribution object; null clears it
        attribution: patch.attribution !== undefined ? compactAttribution(patch.attribution) : cur.attribution,
        ...window,
      };
      const changed = [...TERMS_FIELDS, ...OTHER_FIELDS].filter((f) => stable(next[f]) !== stable(cur[f]));
      if (changed.length === 0) return couponView(cur, now);
      refuseLimit(checkLimitNotBelowUsage(next.maxRedemptions, cur.timesRedeemed, 'limits.maxRedemptions'));
      if (next.perCustomer !== null && next.perCustomer !== cur.perCustomer) {
        const perCustomer = tx
          .getKysely()
          .selectFrom('redemptions')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('coupon_id', '=', cur.id)
          .where('status', '<>', 'voided')
          .groupBy('customer_id');
        const used = await tx
          .getKysely()
          .selectFrom(perCustomer.as('t'))
          .select(sql<number>`coalesce(max(t.n), 0)::int`.as('n'))
          .executeTakeFirstOrThrow();
        refuseLimit(checkLimitNotBelowUsage(next.perCustomer, Number(used.n), 'limits.perCustomer', 'redemptions one customer already has'));
      }
      const termsChanged = changed.some((f) => (TERMS_FIELDS as readonly string[]).includes(f));
      next.version = termsChanged ? cur.version + 1 : cur.version;
      next.updatedAt = now;
      // loosening the window or the limit clears the expired/exhausted marker, so it can fire again later
      await tx
        .getKysely()
        .updateTable('coupons')
        .set({
          name: next.name, description: next.description, discount: jsonb(next.discount), duration: jsonb(next.duration), applies_to: jsonb(next.appliesTo),
          eligibility: jsonb(next.eligibility), overflow: next.overflow, stackable: next.stackable, max_redemptions: next.maxRedemptions,
          per_customer: next.perCustomer, valid_from: tstz(next.validFrom), expires_at: tstz(next.expiresAt), expires_on: next.expiresOn,
          expires_after_days: next.expiresAfterDays, metadata: jsonb(next.metadata), version: next.version, updated_at: tstz(now),
          grants_access: next.grantsAccess, ...attributionRow(next.attribution),
          expired_event_at: sql<Date | null>`case when ${next.expiresAt}::timestamptz is null or ${next.expiresAt}::timestamptz > ${now}::timestamptz then null else expired_event_at end`,
          exhausted_event_at: sql<Date | null>`case when ${next.maxRedemptions}::int is null or ${next.maxRedemptions}::int > times_redeemed then null else exhausted_event_at end`,
        })
        .where('id', '=', cur.id)
        .execute();
      if (termsChanged) await writeVersion(tx, next);
      await appendEvent(tx, accountId, 'coupon.updated', { couponId: cur.id, version: next.version, fields: changed });
      return couponView(next, now);
    });
  } catch (err) {
    duplicateName(err);
    throw err;
  }
}

const EVENT_OF: Record<LifecycleAction, string> = {
  activate: 'coupon.activated',
  disable: 'coupon.disabled',
  enable: 'coupon.enabled',
  archive: 'coupon.archived',
};

/** POST /v1/coupons/{id}/{activate|disable|enable|archive}; archive cascades to the codes and is a no-op when already archived. */
export async function transitionCoupon(em: Em, accountId: string, id: string, action: LifecycleAction, now: string): Promise<CouponView> {
  return em.transactional(async (tx) => {
    const cur = await getCouponRow(tx, accountId, id, { lock: 'update' });
    if (!cur) throw notFound('coupon');
    const t = transition(cur.state, action);
    if (!t.ok) throw conflict(t.message);
    if (!t.changed) return couponView(cur, now);
    const db = tx.getKysely();
    await db.updateTable('coupons').set({ state: t.status, updated_at: tstz(now) }).where('id', '=', cur.id).execute();
    if (t.status === 'archived') {
      // the coupon is locked above (for update), then its codes here: the lock order written at getCouponRow
      await db
        .updateTable('codes')
        .set({ state: 'archived', updated_at: tstz(now) })
        .where('coupon_id', '=', cur.id)
        .where('deleted_at', 'is', null)
        .where('state', '<>', 'archived')
        .execute();
    }
    await appendEvent(tx, accountId, EVENT_OF[action], { couponId: cur.id });
    return couponView({ ...cur, state: t.status, updatedAt: now }, now);
  });
}

/** POST /v1/coupons/{id}/clone: same terms and zone, draft, no codes; expiresAfterDays counts from the clone's creation. */
export async function cloneCoupon(em: Em, accountId: string, id: string, name: string | undefined, now: string): Promise<CouponView> {
  try {
    return await em.transactional(async (tx) => {
      const src = await getCouponRow(tx, accountId, id, { lock: 'share' });
      if (!src) throw notFound('coupon');
      const window = resolveWindow(src, {}, src.timeZone, now);
      const { id: _id, timesRedeemed: _t, version: _v, createdAt: _c, updatedAt: _u, firstCode: _f, ...terms } = src;
      const row = await insertCoupon(tx, { ...terms, ...window, name: name ?? `${src.name} (copy)`, state: 'draft' }, now);
      await appendEvent(tx, accountId, 'coupon.created', { couponId: row.id, clonedFrom: src.id });
      return couponView(row, now);
    });
  } catch (err) {
    duplicateName(err);
    throw err;
  }
}

/** DELETE /v1/coupons/{id}: gone with its codes and versions when never redeemed; otherwise 409. */
export async function deleteCoupon(em: Em, accountId: string, id: string): Promise<void> {
  try {
    await em.transactional(async (tx) => {
      const cur = await getCouponRow(tx, accountId, id, { lock: 'update' });
      if (!cur) throw notFound('coupon');
      const db = tx.getKysely();
      const used = await db.selectFrom('redemptions').select('id').where('coupon_id', '=', cur.id).limit(1).executeTakeFirst();
      if (used) throw conflict('the coupon has redemptions; archive it instead');
      await db.deleteFrom('coupons').where('id', '=', cur.id).execute();
      await appendEvent(tx, accountId, 'coupon.deleted', { couponId: cur.id });
    });
  } catch (err) {
    if (pgCode(err) === '23503') {
      throw conflict('the coupon has redemptions; archive it instead');
    }
    throw err;
  }
}
