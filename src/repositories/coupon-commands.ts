import type { Em } from '../db/orm';
import { attributionColumns, compactAttribution, DomainError, resolveExpiry, transition, type LifecycleAction } from '../domain';
import { badRequest, conflict, isUniqueViolation, notFound } from '../errors';
import type { CouponCreateInput, CouponPatchInput } from '../contracts/coupons';
import { appendEvent } from './events';
import { couponView, getCouponRow, writeVersion, type CouponRow, type CouponView } from './coupons';
import { duplicateCode } from './code-commands';
import { insertCode } from './codes';

const EXPIRY_KEYS = ['expiresAt', 'expiresOn', 'expiresAfterDays'] as const;

export interface Window {
  validFrom: string | null;
  expiresAt: string | null;
  expiresOn: string | null;
  expiresAfterDays: number | null;
}

/** Resolves the validity window with the domain (expiry in the coupon's zone); 400 naming the field. */
export function resolveWindow(w: Window, given: Partial<Window>, timeZone: string, createdAt: string): Window {
  const explicit = w.expiresOn === null && w.expiresAfterDays === null ? w.expiresAt : null;
  let expiresAt: string | null;
  try {
    expiresAt = resolveExpiry({ expiresAt: explicit, expiresOn: w.expiresOn, expiresAfterDays: w.expiresAfterDays, createdAt, timeZone });
  } catch (err) {
    if (err instanceof DomainError) throw badRequest(`${err.field ?? 'expiresAt'}: ${err.message}`, err.field ?? 'expiresAt');
    throw err;
  }
  const validFrom = w.validFrom === null ? null : new Date(w.validFrom).toISOString();
  if (validFrom !== null && expiresAt !== null && Date.parse(validFrom) >= Date.parse(expiresAt)) {
    const field = EXPIRY_KEYS.find((k) => given[k] !== undefined && given[k] !== null) ?? 'validFrom';
    throw badRequest(`${field}: the coupon would expire before it becomes valid (validFrom ${validFrom}, expiry ${expiresAt})`, field);
  }
  return { validFrom, expiresAt, expiresOn: w.expiresOn, expiresAfterDays: w.expiresAfterDays };
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

/** Inserts a coupon (version 1 and its version row) in the caller's transaction. */
async function insertCoupon(tx: Em, c: NewCoupon, now: string): Promise<CouponRow> {
  const a = attributionColumns(c.attribution);
  const rows = await tx.execute(
    `insert into coupons (account_id, name, description, state, discount, duration, applies_to, eligibility, overflow, stackable,
       max_redemptions, per_customer, valid_from, expires_at, expires_on, expires_after_days, time_zone, metadata, version, created_at, updated_at,
       grants_access, channel, partner, referrer_customer_id)
     values (?, ?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb, ?::jsonb, ?, ?, ?, ?, ?::timestamptz, ?::timestamptz, ?, ?, ?, ?::jsonb, 1, ?::timestamptz, ?::timestamptz,
       ?, ?, ?, ?)
     returning id`,
    [
      c.accountId, c.name, c.description, c.state, JSON.stringify(c.discount), JSON.stringify(c.duration), JSON.stringify(c.appliesTo),
      JSON.stringify(c.eligibility), c.overflow, c.stackable, c.maxRedemptions, c.perCustomer, c.validFrom, c.expiresAt, c.expiresOn,
      c.expiresAfterDays, c.timeZone, c.metadata ? JSON.stringify(c.metadata) : null, now, now,
      c.grantsAccess, a.channel, a.partner, a.referrerCustomerId,
    ],
  );
  const row = (await getCouponRow(tx, c.accountId, rows[0].id as string))!;
  await writeVersion(tx, row);
  return row;
}

/** POST /v1/coupons: the coupon (zone and default overflow from the account) and optionally its first code, in one transaction. */
export async function createCoupon(em: Em, accountId: string, input: CouponCreateInput, now: string): Promise<CouponView> {
  try {
    return await em.transactional(async (tx) => {
      const [acct] = await tx.execute(`select time_zone, overflow from accounts where id = ?`, [accountId]);
      const window = resolveWindow(
        { validFrom: input.validFrom ?? null, expiresAt: input.expiresAt ?? null, expiresOn: input.expiresOn ?? null, expiresAfterDays: input.expiresAfterDays ?? null },
        input,
        acct.time_zone as string,
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
          timeZone: acct.time_zone as string,
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
      if (next.maxRedemptions !== null && next.maxRedemptions < cur.timesRedeemed) {
        throw conflict(`limits.maxRedemptions: ${next.maxRedemptions} is below the ${cur.timesRedeemed} redemptions already made`, 'limits.maxRedemptions');
      }
      if (next.perCustomer !== null && next.perCustomer !== cur.perCustomer) {
        const [used] = await tx.execute(
          `select coalesce(max(n), 0)::int as n from (select count(*) as n from redemptions
            where coupon_id = ? and status <> 'voided' group by customer_id) t`,
          [cur.id],
        );
        if (next.perCustomer < Number(used.n)) {
          throw conflict(`limits.perCustomer: ${next.perCustomer} is below the ${used.n} redemptions one customer already has`, 'limits.perCustomer');
        }
      }
      const termsChanged = changed.some((f) => (TERMS_FIELDS as readonly string[]).includes(f));
      next.version = termsChanged ? cur.version + 1 : cur.version;
      next.updatedAt = now;
      await tx.execute(
        `update coupons set name = ?, description = ?, discount = ?::jsonb, duration = ?::jsonb, applies_to = ?::jsonb, eligibility = ?::jsonb,
           overflow = ?, stackable = ?, max_redemptions = ?, per_customer = ?, valid_from = ?::timestamptz, expires_at = ?::timestamptz,
           expires_on = ?, expires_after_days = ?, metadata = ?::jsonb, version = ?, updated_at = ?::timestamptz,
           grants_access = ?, channel = ?, partner = ?, referrer_customer_id = ?,
           expired_event_at = case when ?::timestamptz is null or ?::timestamptz > ?::timestamptz then null else expired_event_at end,
           exhausted_event_at = case when ?::int is null or ?::int > times_redeemed then null else exhausted_event_at end
         where id = ?`,
        [
          next.name, next.description, JSON.stringify(next.discount), JSON.stringify(next.duration), JSON.stringify(next.appliesTo),
          JSON.stringify(next.eligibility), next.overflow, next.stackable, next.maxRedemptions, next.perCustomer, next.validFrom,
          next.expiresAt, next.expiresOn, next.expiresAfterDays, next.metadata ? JSON.stringify(next.metadata) : null, next.version, now,
          next.grantsAccess, ...Object.values(attributionColumns(next.attribution)),
          next.expiresAt, next.expiresAt, now, next.maxRedemptions, next.maxRedemptions, cur.id,
        ],
      );
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
    await tx.execute(`update coupons set state = ?, updated_at = ?::timestamptz where id = ?`, [t.status, now, cur.id]);
    if (t.status === 'archived') {
      await tx.execute(
        `update codes set state = 'archived', updated_at = ?::timestamptz where coupon_id = ? and deleted_at is null and state <> 'archived'`,
        [now, cur.id],
      );
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
      const used = await tx.execute(`select 1 from redemptions where coupon_id = ? limit 1`, [cur.id]);
      if (used.length) throw conflict('the coupon has redemptions; archive it instead');
      await tx.execute(`delete from coupons where id = ?`, [cur.id]);
      await appendEvent(tx, accountId, 'coupon.deleted', { couponId: cur.id });
    });
  } catch (err) {
    if (pgCode(err) === '23503') {
      throw conflict('the coupon has redemptions; archive it instead');
    }
    throw err;
  }
}
