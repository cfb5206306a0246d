import { sql } from 'kysely';
import type { Em } from '../db/orm';
import { iso, isoOrNull } from '../db/values';
import { holdShownStatus, type HoldState, type HoldStatus } from '../domain';

/** A holds row, typed and camelCased; instants are UTC ISO strings. */
export interface HoldRow {
  id: string;
  accountId: string;
  couponId: string;
  /** null for a direct coupon */
  codeId: number | null;
  code: string | null;
  customerId: string;
  planId: string | null;
  currency: string | null;
  action: string;
  status: HoldStatus;
  expiresAt: string;
  redemptionId: string | null;
  createdAt: string;
  endedAt: string | null;
}

export function holdFromRow(r: Record<string, unknown>): HoldRow {
  return {
    id: r.id as string,
    accountId: r.account_id as string,
    couponId: r.coupon_id as string,
    codeId: r.code_id === null || r.code_id === undefined ? null : Number(r.code_id),
    code: (r.code as string | null) ?? null,
    customerId: r.customer_id as string,
    planId: (r.plan_id as string | null) ?? null,
    currency: (r.currency as string | null) ?? null,
    action: r.action as string,
    status: r.status as HoldStatus,
    expiresAt: iso(r.expires_at as string | Date),
    redemptionId: (r.redemption_id as string | null) ?? null,
    createdAt: iso(r.created_at as string | Date),
    endedAt: isoOrNull(r.ended_at as string | Date | null),
  };
}

/** What the domain's hold rules take. */
export function holdState(h: HoldRow): HoldState {
  return { status: h.status, expiresAt: h.expiresAt, customerId: h.customerId, couponId: h.couponId, codeId: h.codeId };
}

/** The API.md hold object; `status` as shown at `now` (an active hold past its expiry reads `expired`). */
export function holdView(h: HoldRow, now: string) {
  return {
    id: h.id,
    code: h.code,
    couponId: h.couponId,
    customerId: h.customerId,
    status: holdShownStatus(h, now),
    expiresAt: h.expiresAt,
    planId: h.planId,
    currency: h.currency,
    action: h.action,
    redemptionId: h.redemptionId,
    createdAt: h.createdAt,
    endedAt: h.endedAt,
  };
}
export type HoldView = ReturnType<typeof holdView>;

/** One hold of the account, or null (also for an id that is not a UUID); `lock` locks it for the caller's transaction. */
export async function findHold(em: Em, accountId: string, id: string, opts: { lock?: boolean } = {}): Promise<HoldRow | null> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return null;
  const q = em.getKysely().selectFrom('holds').selectAll().where('account_id', '=', accountId).where('id', '=', id);
  const row = await (opts.lock ? q.forUpdate() : q).executeTakeFirst();
  return row ? holdFromRow(row) : null;
}

/**
 * Ends active holds (`released` or `expired`) and gives their slots back: each hold's coupon and
 * code `held` counts go down by one. The caller holds the holds' row locks; this locks their
 * coupons, then their codes, each in id order (the lock order hold → coupon → code, the same
 * as a redemption consuming a hold), so two of these never wait on each other in a cycle.
 * Answers the holds it ended (those still active).
 */
export async function endHolds(tx: Em, ids: string[], status: 'released' | 'expired', at: string): Promise<HoldRow[]> {
  if (ids.length === 0) return [];
  const db = tx.getKysely();
  const { rows } = await sql<Record<string, unknown>>`select * from holds where id = any(${ids}::uuid[]) and status = 'active'`.execute(db);
  const holds = rows.map(holdFromRow);
  if (holds.length === 0) return [];
  const couponIds = [...new Set(holds.map((h) => h.couponId))].sort();
  const codeIds = [...new Set(holds.flatMap((h) => (h.codeId === null ? [] : [h.codeId])))].sort((a, b) => a - b);
  await sql`select 1 from coupons where id = any(${couponIds}::uuid[]) order by id for update`.execute(db);
  if (codeIds.length) await sql`select 1 from codes where id = any(${codeIds}::bigint[]) order by id for update`.execute(db);
  const ended = holds.map((h) => h.id);
  await sql`
    with h as (
      update holds set status = ${status}, ended_at = ${at}::timestamptz, updated_at = now()
       where id = any(${ended}::uuid[]) and status = 'active'
      returning coupon_id, code_id),
    k as (
      update coupons x set held = x.held - n.n, updated_at = now()
        from (select coupon_id, count(*)::int as n from h group by coupon_id) n where x.id = n.coupon_id returning 1),
    c as (
      update codes x set held = x.held - n.n, updated_at = now()
        from (select code_id, count(*)::int as n from h where code_id is not null group by code_id) n where x.id = n.code_id returning 1)
    select (select count(*) from k) + (select count(*) from c) as touched`.execute(db);
  return holds;
}

/** Active holds (of one account, when given) whose expiry is at or before `now`, after `afterId`, locked (skipping those another transaction holds). */
export async function dueHolds(tx: Em, now: string, afterId: string, limit: number, accountId?: string): Promise<HoldRow[]> {
  const account = accountId === undefined ? sql`` : sql` and account_id = ${accountId}::uuid`;
  const { rows } = await sql<Record<string, unknown>>`
    select * from holds where status = 'active' and expires_at <= ${now}::timestamptz and id > ${afterId}::uuid${account}
     order by id limit ${limit} for update skip locked`.execute(tx.getKysely());
  return rows.map(holdFromRow);
}

/** What a hold idempotency key holds: the request's hash and its answer body. */
export async function findStoredHoldOutcome(em: Em, accountId: string, key: string): Promise<{ requestHash: string; body: Record<string, unknown> } | null> {
  const row = await em
    .getKysely()
    .selectFrom('hold_requests')
    .select(['request_hash', 'body'])
    .where('account_id', '=', accountId)
    .where('idempotency_key', '=', key)
    .executeTakeFirst();
  return row ? { requestHash: row.request_hash, body: row.body as Record<string, unknown> } : null;
}

/**
 * A page of the account's holds (of one coupon, when given), soonest expiry first, after the
 * cursor's [expiresAt, id]. `shown` filters by the status as shown at `now` (an active hold past
 * its expiry counts as expired).
 */
export async function listHolds(
  em: Em,
  accountId: string,
  filter: { couponId?: string; shown?: HoldStatus; now: string },
  after: [string, string] | null,
  limit: number,
): Promise<{ rows: HoldRow[]; next: [string, string] | null }> {
  const coupon = filter.couponId === undefined ? sql`` : sql` and coupon_id = ${filter.couponId}::uuid`;
  const now = filter.now;
  const status =
    filter.shown === undefined
      ? sql``
      : filter.shown === 'active'
        ? sql` and status = 'active' and expires_at > ${now}::timestamptz`
        : filter.shown === 'expired'
          ? sql` and (status = 'expired' or (status = 'active' and expires_at <= ${now}::timestamptz))`
          : sql` and status = ${filter.shown}`;
  const cursor = after ? sql` and (expires_at, id) > (${after[0]}::timestamptz, ${after[1]}::uuid)` : sql``;
  const { rows } = await sql<Record<string, unknown>>`
    select * from holds where account_id = ${accountId}::uuid${coupon}${status}${cursor}
     order by expires_at, id limit ${limit + 1}`.execute(em.getKysely());
  const holds = rows.map(holdFromRow);
  const page = holds.slice(0, limit);
  const last = page[page.length - 1];
  return { rows: page, next: holds.length > limit && last ? [last.expiresAt, last.id] : null };
}
