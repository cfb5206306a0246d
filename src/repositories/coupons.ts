import type { Em } from '../db/orm';
import {
  couponStatus,
  type AppliesTo,
  type CouponStatusInput,
  type CouponStoredStatus,
  type CouponTerms,
  type DecisionCoupon,
  type Discount,
  type Duration,
  type EffectiveStatus,
  type Eligibility,
  type Overflow,
} from '../domain';
import { badRequest } from '../errors';
import { decodeCursor, decodeCursorOf, encodeCursor } from '../cursor';
import { iso, isoOrNull } from '../db/values';

/** A coupons row, typed and camelCased; instants are UTC ISO strings. */
export interface CouponRow {
  id: string;
  accountId: string;
  name: string;
  description: string | null;
  state: CouponStoredStatus;
  discount: Discount;
  duration: Duration;
  appliesTo: AppliesTo;
  eligibility: Eligibility;
  overflow: Overflow;
  stackable: boolean;
  maxRedemptions: number | null;
  perCustomer: number | null;
  validFrom: string | null;
  /** The resolved expiry instant (from expiresAt, expiresOn or expiresAfterDays). */
  expiresAt: string | null;
  expiresOn: string | null;
  expiresAfterDays: number | null;
  timeZone: string;
  timesRedeemed: number;
  version: number;
  metadata: Record<string, unknown> | null;
  createdAt: string;
  updatedAt: string;
  /** The oldest non-deleted code of the coupon (loaders fill it in), null when none. */
  firstCode: string | null;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Columns every coupon loader selects (alias `c`), including the first code. */
export const COUPON_SELECT = `c.*, (select k.code from codes k where k.coupon_id = c.id and k.deleted_at is null order by k.id limit 1) as first_code`;

export function couponRowFrom(r: Record<string, unknown>): CouponRow {
  return {
    id: r.id as string,
    accountId: r.account_id as string,
    name: r.name as string,
    description: (r.description as string | null) ?? null,
    state: r.state as CouponStoredStatus,
    discount: r.discount as Discount,
    duration: r.duration as Duration,
    appliesTo: r.applies_to as AppliesTo,
    eligibility: r.eligibility as Eligibility,
    overflow: r.overflow as Overflow,
    stackable: Boolean(r.stackable),
    maxRedemptions: num(r.max_redemptions),
    perCustomer: num(r.per_customer),
    validFrom: isoOrNull(r.valid_from),
    expiresAt: isoOrNull(r.expires_at),
    expiresOn: (r.expires_on as string | null) ?? null,
    expiresAfterDays: num(r.expires_after_days),
    timeZone: r.time_zone as string,
    timesRedeemed: Number(r.times_redeemed),
    version: Number(r.version),
    metadata: (r.metadata as Record<string, unknown> | null) ?? null,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    firstCode: (r.first_code as string | null) ?? null,
  };
}

/** What domain status functions need from a coupon. */
export function couponStatusInput(c: CouponRow): CouponStatusInput {
  return { storedStatus: c.state, validFrom: c.validFrom, expiresAt: c.expiresAt, maxRedemptions: c.maxRedemptions, timesRedeemed: c.timesRedeemed };
}

/** The terms a redemption pins (SPEC §2 "snapshot of the coupon's terms"). */
export function couponTerms(c: CouponRow): CouponTerms {
  return { discount: c.discount, duration: c.duration, appliesTo: c.appliesTo, eligibility: c.eligibility, overflow: c.overflow, stackable: c.stackable, timeZone: c.timeZone };
}

/** The coupon as decideRedemption takes it. */
export function decisionCoupon(c: CouponRow): DecisionCoupon {
  return { status: c.state, validFrom: c.validFrom, expiresAt: c.expiresAt, maxRedemptions: c.maxRedemptions, perCustomer: c.perCustomer, timesRedeemed: c.timesRedeemed, terms: couponTerms(c) };
}

export function couponEffectiveStatus(c: CouponRow, now: string): EffectiveStatus {
  return couponStatus(couponStatusInput(c), now);
}

/** The API.md coupon object: the versioned fields plus identity, status and counters. */
export function couponView(c: CouponRow, now: string) {
  return {
    id: c.id,
    ...couponSnapshot(c),
    status: couponEffectiveStatus(c, now),
    code: c.firstCode,
    timesRedeemed: c.timesRedeemed,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    version: c.version,
  };
}
export type CouponView = ReturnType<typeof couponView>;

/** What a coupon_versions row keeps: every field that a version describes. */
export function couponSnapshot(c: CouponRow) {
  return {
    name: c.name,
    description: c.description,
    discount: c.discount,
    duration: c.duration,
    appliesTo: c.appliesTo,
    eligibility: c.eligibility,
    limits: { maxRedemptions: c.maxRedemptions, perCustomer: c.perCustomer },
    validFrom: c.validFrom,
    expiresAt: c.expiresAt,
    expiresOn: c.expiresOn,
    expiresAfterDays: c.expiresAfterDays,
    overflow: c.overflow,
    stackable: c.stackable,
    timeZone: c.timeZone,
    metadata: c.metadata,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string): boolean => UUID.test(s);

/**
 * One coupon of the account, or null (also for an id that is not a UUID). `lock` takes a row
 * lock for the caller's transaction (`update` before changing the coupon or its counters).
 */
export async function getCouponRow(em: Em, accountId: string, id: string, opts: { lock?: 'update' | 'share' } = {}): Promise<CouponRow | null> {
  if (!isUuid(id)) return null;
  const lock = opts.lock === 'update' ? ' for update of c' : opts.lock === 'share' ? ' for share of c' : '';
  const rows = await em.execute(`select ${COUPON_SELECT} from coupons c where c.account_id = ? and c.id = ?${lock}`, [accountId, id]);
  return rows.length ? couponRowFrom(rows[0]) : null;
}

/**
 * SQL for the derived status (couponStatus in SQL), binding `now` twice. Keep it in step with
 * src/domain/status.ts: archived > disabled > draft > expired > exhausted > scheduled > active.
 */
export const COUPON_STATUS_SQL = `case when c.state <> 'active' then c.state
  when c.expires_at is not null and c.expires_at <= ?::timestamptz then 'expired'
  when c.max_redemptions is not null and c.times_redeemed >= c.max_redemptions then 'exhausted'
  when c.valid_from is not null and ?::timestamptz < c.valid_from then 'scheduled'
  else 'active' end`;

/** Coupons in creation order, cursor over (created_at, id), optionally filtered on the derived status. */
export async function listCoupons(
  em: Em,
  accountId: string,
  q: { status?: EffectiveStatus; limit: number; cursor?: string },
  now: string,
): Promise<{ data: CouponView[]; nextCursor: string | null }> {
  const where = ['c.account_id = ?'];
  const params: unknown[] = [accountId];
  if (q.cursor !== undefined) {
    const cur = decodeCursorOf(q.cursor, 'coupons', ['timestamp', 'uuid']);
    where.push('(c.created_at, c.id) > (?::timestamptz, ?::uuid)');
    params.push(cur[0], cur[1]);
  }
  if (q.status) {
    where.push(`(${COUPON_STATUS_SQL}) = ?`);
    params.push(now, now, q.status);
  }
  const rows = await em.execute(
    `select ${COUPON_SELECT}, c.created_at::text as cursor_at from coupons c
      where ${where.join(' and ')} order by c.created_at, c.id limit ?`,
    [...params, q.limit + 1],
  );
  const more = rows.length > q.limit;
  const pageRows = more ? rows.slice(0, q.limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return {
    data: pageRows.map((r) => couponView(couponRowFrom(r), now)),
    nextCursor: more && last ? encodeCursor('coupons', [last.cursor_at as string, last.id as string]) : null,
  };
}

/** A coupon's versions, oldest first, cursor over the version number. */
export async function listVersions(em: Em, couponId: string, q: { limit: number; cursor?: string }) {
  let after = 0;
  if (q.cursor !== undefined) {
    const cur = decodeCursor(q.cursor, 'versions');
    if (typeof cur[0] !== 'number') throw badRequest('cursor: is not a cursor this list gave', 'cursor');
    after = cur[0];
  }
  const rows = await em.execute(
    `select version, created_at, snapshot from coupon_versions where coupon_id = ? and version > ? order by version limit ?`,
    [couponId, after, q.limit + 1],
  );
  const more = rows.length > q.limit;
  const pageRows = more ? rows.slice(0, q.limit) : rows;
  return {
    data: pageRows.map((r) => ({ version: Number(r.version), createdAt: iso(r.created_at), snapshot: r.snapshot as Record<string, unknown> })),
    nextCursor: more ? encodeCursor('versions', [Number(pageRows[pageRows.length - 1].version)]) : null,
  };
}

/** Writes the version row for the coupon's current version (same transaction as the change). */
export async function writeVersion(em: Em, c: CouponRow): Promise<void> {
  await em.execute(`insert into coupon_versions (coupon_id, version, snapshot, created_at) values (?, ?, ?::jsonb, ?::timestamptz)`, [
    c.id,
    c.version,
    JSON.stringify(couponSnapshot(c)),
    c.updatedAt,
  ]);
}
