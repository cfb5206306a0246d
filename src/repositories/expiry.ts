import type { Em } from '../db/orm';
import { pgArray } from '../db/pg-array';
import type { CouponTerms } from '../domain';
import { iso, isoOrNull } from '../db/values';

/**
 * SQL of the expiry queue. Candidate queries are coarse supersets in SQL (the domain makes the
 * final decision with `now`); markers are conditional updates (`... is null`) so each transition
 * happens exactly once whatever runs concurrently. Coupon and code candidates are locked with
 * `for update skip locked`: rows another transaction holds are left for the next sweep.
 */

export const FIRST_UUID = '00000000-0000-0000-0000-000000000000';

export interface DueExpiry {
  id: string;
  accountId: string;
  couponId: string;
  code: string | null;
  expiresAt: string;
}

/** Coupons (not archived, no coupon.expired yet) whose expiry is at or before `now`, after `afterId`. */
export async function dueCouponExpiries(tx: Em, now: string, afterId: string, limit: number): Promise<DueExpiry[]> {
  const rows = await tx.execute(
    `select id, account_id, expires_at from coupons
      where expired_event_at is null and state <> 'archived' and expires_at <= ?::timestamptz and id > ?::uuid
      order by id limit ? for update skip locked`,
    [now, afterId, limit],
  );
  return rows.map((r) => ({ id: r.id as string, accountId: r.account_id as string, couponId: r.id as string, code: null, expiresAt: iso(r.expires_at) }));
}

/** Codes past their own expiry (not batch, not deleted, not archived, no code.expired yet), after `afterId`. */
export async function dueCodeExpiries(tx: Em, now: string, afterId: string, limit: number): Promise<DueExpiry[]> {
  const rows = await tx.execute(
    `select id, account_id, coupon_id, code, expires_at from codes
      where expires_at is not null and expired_event_at is null and batch_id is null and deleted_at is null and state <> 'archived'
        and expires_at <= ?::timestamptz and id > ?::bigint
      order by id limit ? for update skip locked`,
    [now, afterId, limit],
  );
  return rows.map((r) => ({ id: String(r.id), accountId: r.account_id as string, couponId: r.coupon_id as string, code: r.code as string, expiresAt: iso(r.expires_at) }));
}

export interface DueLimit {
  id: string;
  accountId: string;
  couponId: string;
  code: string | null;
  maxRedemptions: number;
  timesRedeemed: number;
  nearlyMarked: boolean;
  exhaustedMarked: boolean;
}

/** Coupons (not archived) at 90 % or more of their limit that still miss nearly_exhausted or exhausted. */
export async function dueCouponLimits(tx: Em, afterId: string, limit: number): Promise<DueLimit[]> {
  const rows = await tx.execute(
    `select id, account_id, max_redemptions, times_redeemed, nearly_exhausted_event_at, exhausted_event_at from coupons
      where max_redemptions is not null and state <> 'archived' and (exhausted_event_at is null or nearly_exhausted_event_at is null)
        and times_redeemed * 10 >= max_redemptions * 9 and id > ?::uuid
      order by id limit ? for update skip locked`,
    [afterId, limit],
  );
  return rows.map((r) => ({
    id: r.id as string, accountId: r.account_id as string, couponId: r.id as string, code: null,
    maxRedemptions: Number(r.max_redemptions), timesRedeemed: Number(r.times_redeemed),
    nearlyMarked: r.nearly_exhausted_event_at != null, exhaustedMarked: r.exhausted_event_at != null,
  }));
}

/** Non-batch live codes that used their limit without a code.exhausted yet. */
export async function dueCodeLimits(tx: Em, afterId: string, limit: number): Promise<DueLimit[]> {
  const rows = await tx.execute(
    `select id, account_id, coupon_id, code, max_redemptions, times_redeemed from codes
      where max_redemptions is not null and exhausted_event_at is null and batch_id is null and deleted_at is null and state <> 'archived'
        and times_redeemed >= max_redemptions and id > ?::bigint
      order by id limit ? for update skip locked`,
    [afterId, limit],
  );
  return rows.map((r) => ({
    id: String(r.id), accountId: r.account_id as string, couponId: r.coupon_id as string, code: r.code as string,
    maxRedemptions: Number(r.max_redemptions), timesRedeemed: Number(r.times_redeemed), nearlyMarked: true, exhaustedMarked: false,
  }));
}

type Marker =
  | { table: 'coupons'; column: 'expired_event_at' | 'exhausted_event_at' | 'nearly_exhausted_event_at' }
  | { table: 'codes'; column: 'expired_event_at' | 'exhausted_event_at' };

/**
 * Sets a *_event_at marker on the rows that do not have it yet and answers the ids it set: the
 * exactly-once step. `expiredBy` re-checks expiry in SQL (an edit may have moved it).
 */
export async function markOnce(tx: Em, m: Marker, ids: string[], expiredBy?: string): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const idType = m.table === 'coupons' ? 'uuid' : 'bigint';
  const params: unknown[] = [pgArray(ids)];
  let extra = m.table === 'codes' ? ` and batch_id is null and deleted_at is null` : '';
  extra += ` and state <> 'archived'`;
  if (expiredBy !== undefined) {
    extra += ` and expires_at <= ?::timestamptz`;
    params.push(expiredBy);
  }
  const rows = await tx.execute(
    `update ${m.table} set ${m.column} = now() where id = any(?::${idType}[]) and ${m.column} is null${extra} returning id`,
    params,
  );
  return new Set(rows.map((r) => String(r.id)));
}

export interface WindowedRedemption {
  id: string;
  accountId: string;
  couponId: string;
  code: string;
  subscriptionId: string;
  status: 'active';
  terms: CouponTerms;
  anchor: string | null;
}

/**
 * Active months/until redemptions whose window may have passed at `now`, after `afterId`. The SQL
 * bound is a safe superset (an until window ends no earlier than 10:01 UTC on its date; N months
 * last at least 28·N days less a DST hour); redemptionWindowPassed decides.
 */
export async function windowedRedemptions(tx: Em, now: string, afterId: string, limit: number): Promise<WindowedRedemption[]> {
  const rows = await tx.execute(
    `select id, account_id, coupon_id, code, subscription_id, terms, anchor from redemptions
      where status = 'active' and (terms->'duration'->>'type') in ('months', 'until') and id > ?::uuid
        and case terms->'duration'->>'type'
              when 'until' then (terms->'duration'->>'date')::date <= (?::timestamptz at time zone 'UTC')::date
              else anchor is not null and anchor + make_interval(days => 28 * (terms->'duration'->>'months')::int) <= ?::timestamptz + interval '1 day'
            end
      order by id limit ?`,
    [afterId, now, now, limit],
  );
  return rows.map((r) => ({
    id: r.id as string, accountId: r.account_id as string, couponId: r.coupon_id as string, code: r.code as string,
    subscriptionId: r.subscription_id as string, status: 'active', terms: r.terms as CouponTerms, anchor: isoOrNull(r.anchor),
  }));
}

export const subscriptionKey = (accountId: string, subscriptionId: string): string => `${accountId}|${subscriptionId}`;

/**
 * Locks the subscriptions rows (the lock the redemption and invoice workers take) that nobody
 * else holds, in key order; answers the keys locked. Skipped ones wait for the next sweep.
 */
export async function lockFreeSubscriptions(tx: Em, subs: { accountId: string; subscriptionId: string }[]): Promise<Set<string>> {
  if (subs.length === 0) return new Set();
  const rows = await tx.execute(
    `select s.account_id, s.id from subscriptions s
       join unnest(?::uuid[], ?::text[]) as u(account_id, id) on s.account_id = u.account_id and s.id = u.id
      order by s.account_id, s.id for update of s skip locked`,
    [pgArray(subs.map((s) => s.accountId)), pgArray(subs.map((s) => s.subscriptionId))],
  );
  return new Set(rows.map((r) => subscriptionKey(r.account_id as string, r.id as string)));
}

/** Ends still-active redemptions (their subscriptions locked by the caller); answers the ids ended. */
export async function endRedemptions(tx: Em, ids: string[], now: string): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await tx.execute(
    `update redemptions set status = 'ended', ended_at = ?::timestamptz, ended_reason = 'window_passed', updated_at = now()
      where id = any(?::uuid[]) and status = 'active' returning id`,
    [now, pgArray(ids)],
  );
  return new Set(rows.map((r) => r.id as string));
}

export interface ExpiryTarget {
  id: string;
  accountId: string;
  couponId: string;
  code: string | null;
  expiresAt: string | null;
  /** Whether the row can still get an expired event at all (not archived, not deleted, not a batch code, not marked). */
  eligible: boolean;
}

/** One coupon or code, locked for the caller's transaction; null when it is gone. */
export async function lockExpiryTarget(tx: Em, kind: 'coupon' | 'code', accountId: string, id: string): Promise<ExpiryTarget | null> {
  const rows = kind === 'coupon'
    ? await tx.execute(
      `select id, account_id, id as coupon_id, null as code, expires_at,
              (state <> 'archived' and expired_event_at is null) as eligible
         from coupons where account_id = ? and id = ?::uuid for update`,
      [accountId, id])
    : await tx.execute(
      `select id, account_id, coupon_id, code, expires_at,
              (state <> 'archived' and deleted_at is null and batch_id is null and expired_event_at is null) as eligible
         from codes where account_id = ? and id = ?::bigint for update`,
      [accountId, id]);
  if (!rows.length) return null;
  const r = rows[0];
  return {
    id: String(r.id), accountId: r.account_id as string, couponId: r.coupon_id as string, code: (r.code as string | null) ?? null,
    expiresAt: isoOrNull(r.expires_at), eligible: Boolean(r.eligible),
  };
}

/** The id of the live code with this (normalized) text, for scheduling its expiry. */
export async function liveCodeId(em: Em, accountId: string, code: string): Promise<string | null> {
  const rows = await em.execute(
    `select id from codes where account_id = ? and code = ? and deleted_at is null and state <> 'archived' limit 1`,
    [accountId, code],
  );
  return rows.length ? String(rows[0].id) : null;
}
