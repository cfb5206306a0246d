import { sql } from 'kysely';
import type { Em } from '../db/orm';
import type { StoredRow } from '../db/rows';
import { iso, isoOrNull } from '../db/values';
import { redemptionRowFrom, type RedemptionRow } from './redemptions';
import { exhaustedSql, nearlyExhaustedSql } from './status-sql';

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
  const { rows } = await sql<Pick<StoredRow<'coupons'>, 'id' | 'account_id'> & { expires_at: Date | string }>`
    select id, account_id, expires_at from coupons
     where expired_event_at is null and state <> 'archived' and expires_at <= ${now}::timestamptz and id > ${afterId}::uuid
     order by id limit ${limit} for update skip locked`.execute(tx.getKysely());
  return rows.map((r) => ({ id: r.id, accountId: r.account_id, couponId: r.id, code: null, expiresAt: iso(r.expires_at) }));
}

/** Codes past their own expiry (not batch, not deleted, not archived, no code.expired yet), after `afterId`. */
export async function dueCodeExpiries(tx: Em, now: string, afterId: string, limit: number): Promise<DueExpiry[]> {
  const { rows } = await sql<Pick<StoredRow<'codes'>, 'id' | 'account_id' | 'coupon_id' | 'code'> & { expires_at: Date | string }>`
    select id, account_id, coupon_id, code, expires_at from codes
     where expires_at is not null and expired_event_at is null and batch_id is null and deleted_at is null and state <> 'archived'
       and expires_at <= ${now}::timestamptz and id > ${afterId}::bigint
     order by id limit ${limit} for update skip locked`.execute(tx.getKysely());
  return rows.map((r) => ({ id: String(r.id), accountId: r.account_id, couponId: r.coupon_id, code: r.code, expiresAt: iso(r.expires_at) }));
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

/** Coupons (not archived) nearly exhausted (isNearlyExhausted: 90 % or more of their limit) that still miss nearly_exhausted or exhausted. */
export async function dueCouponLimits(tx: Em, afterId: string, limit: number): Promise<DueLimit[]> {
  const { rows } = await sql<Pick<StoredRow<'coupons'>, 'id' | 'account_id' | 'max_redemptions' | 'times_redeemed' | 'nearly_exhausted_event_at' | 'exhausted_event_at'>>`
    select id, account_id, max_redemptions, times_redeemed, nearly_exhausted_event_at, exhausted_event_at from coupons
     where max_redemptions is not null and state <> 'archived' and (exhausted_event_at is null or nearly_exhausted_event_at is null)
       and ${nearlyExhaustedSql(sql.ref('max_redemptions'), sql.ref('times_redeemed'))} and id > ${afterId}::uuid
     order by id limit ${limit} for update skip locked`.execute(tx.getKysely());
  return rows.map((r) => ({
    id: r.id, accountId: r.account_id, couponId: r.id, code: null,
    maxRedemptions: Number(r.max_redemptions), timesRedeemed: Number(r.times_redeemed),
    nearlyMarked: r.nearly_exhausted_event_at != null, exhaustedMarked: r.exhausted_event_at != null,
  }));
}

/** Non-batch live codes that used their limit without a code.exhausted yet. */
export async function dueCodeLimits(tx: Em, afterId: string, limit: number): Promise<DueLimit[]> {
  const { rows } = await sql<Pick<StoredRow<'codes'>, 'id' | 'account_id' | 'coupon_id' | 'code' | 'max_redemptions' | 'times_redeemed'>>`
    select id, account_id, coupon_id, code, max_redemptions, times_redeemed from codes
     where max_redemptions is not null and exhausted_event_at is null and batch_id is null and deleted_at is null and state <> 'archived'
       and ${exhaustedSql(sql.ref('max_redemptions'), sql.ref('times_redeemed'))} and id > ${afterId}::bigint
     order by id limit ${limit} for update skip locked`.execute(tx.getKysely());
  return rows.map((r) => ({
    id: String(r.id), accountId: r.account_id, couponId: r.coupon_id, code: r.code,
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
  const column = sql.ref(m.column);
  const idMatch = m.table === 'coupons' ? sql`id = any(${ids}::uuid[])` : sql`id = any(${ids}::bigint[])`;
  const live = m.table === 'codes' ? sql` and batch_id is null and deleted_at is null` : sql``;
  const expired = expiredBy === undefined ? sql`` : sql` and expires_at <= ${expiredBy}::timestamptz`;
  const { rows } = await sql<{ id: string }>`
    update ${sql.table(m.table)} set ${column} = now()
     where ${idMatch} and ${column} is null${live} and state <> 'archived'${expired}
    returning id`.execute(tx.getKysely());
  return new Set(rows.map((r) => String(r.id)));
}

/** An active redemption whose window may have passed. */
export type WindowedRedemption = RedemptionRow & { status: 'active' };

/**
 * Active months/until redemptions whose window may have passed at `now`, after `afterId`. The SQL
 * bound is a safe superset (an until window ends no earlier than 10:01 UTC on its date; N months
 * last at least 28·N days less a DST hour); redemptionWindowPassed decides.
 */
export async function windowedRedemptions(tx: Em, now: string, afterId: string, limit: number): Promise<WindowedRedemption[]> {
  const { rows } = await sql<StoredRow<'redemptions'>>`
    select * from redemptions
     where status = 'active' and (terms->'duration'->>'type') in ('months', 'until') and id > ${afterId}::uuid
       and case terms->'duration'->>'type'
             when 'until' then (terms->'duration'->>'date')::date <= (${now}::timestamptz at time zone 'UTC')::date
             else anchor is not null and anchor + make_interval(days => 28 * (terms->'duration'->>'months')::int) <= ${now}::timestamptz + interval '1 day'
           end
     order by id limit ${limit}`.execute(tx.getKysely());
  return rows.map((r) => ({ ...redemptionRowFrom(r), status: 'active' }));
}

export const subscriptionKey = (accountId: string, subscriptionId: string): string => `${accountId}|${subscriptionId}`;

/**
 * Locks the subscriptions rows (the lock the redemption and invoice workers take) that nobody
 * else holds, in key order; answers the keys locked. Skipped ones wait for the next sweep.
 */
export async function lockFreeSubscriptions(tx: Em, subs: { accountId: string; subscriptionId: string }[]): Promise<Set<string>> {
  if (subs.length === 0) return new Set();
  const { rows } = await sql<{ account_id: string; id: string }>`
    select s.account_id, s.id from subscriptions s
      join unnest(${subs.map((s) => s.accountId)}::uuid[], ${subs.map((s) => s.subscriptionId)}::text[]) as u(account_id, id)
        on s.account_id = u.account_id and s.id = u.id
     order by s.account_id, s.id for update of s skip locked`.execute(tx.getKysely());
  return new Set(rows.map((r) => subscriptionKey(r.account_id, r.id)));
}

/** Ends still-active redemptions (their subscriptions locked by the caller); answers the ids ended. */
export async function endRedemptions(tx: Em, ids: string[], now: string): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { rows } = await sql<{ id: string }>`
    update redemptions set status = 'ended', ended_at = ${now}::timestamptz, ended_reason = 'window_passed', updated_at = now()
     where id = any(${ids}::uuid[]) and status = 'active' returning id`.execute(tx.getKysely());
  return new Set(rows.map((r) => r.id));
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
  // a codes row, or a coupon's columns in its shape (the coupon is its own coupon_id, with no code)
  type Row = Pick<StoredRow<'codes'>, 'id' | 'account_id' | 'coupon_id' | 'expires_at'> & { code: string | null; eligible: boolean };
  const { rows } = kind === 'coupon'
    ? await sql<Row>`
      select id, account_id, id as coupon_id, null as code, expires_at,
             (state <> 'archived' and expired_event_at is null) as eligible
        from coupons where account_id = ${accountId}::uuid and id = ${id}::uuid for update`.execute(tx.getKysely())
    : await sql<Row>`
      select id, account_id, coupon_id, code, expires_at,
             (state <> 'archived' and deleted_at is null and batch_id is null and expired_event_at is null) as eligible
        from codes where account_id = ${accountId}::uuid and id = ${id}::bigint for update`.execute(tx.getKysely());
  if (!rows.length) return null;
  const r = rows[0];
  return {
    id: String(r.id), accountId: r.account_id, couponId: r.coupon_id, code: r.code ?? null,
    expiresAt: isoOrNull(r.expires_at), eligible: Boolean(r.eligible),
  };
}

/** The id of the live code with this (normalized) text, for scheduling its expiry. */
export async function liveCodeId(em: Em, accountId: string, code: string): Promise<string | null> {
  const row = await em
    .getKysely()
    .selectFrom('codes')
    .select('id')
    .where('account_id', '=', accountId)
    .where('code', '=', code)
    .where('deleted_at', 'is', null)
    .where('state', '<>', 'archived')
    .limit(1)
    .executeTakeFirst();
  return row ? String(row.id) : null;
}
