import type { Em } from '../db/orm';
import { iso, isoOrNull } from '../db/values';
import { attributionColumns, compactAttribution, type Attribution, type CouponTerms } from '../domain';
import { CODE_LOOKUP_SQL, codeRowFrom, type CodeRow } from './codes';
import { couponRowFrom, type CouponRow } from './coupons';
import { planFromRow, type PlanView } from './plans';


/** A code joined with its coupon, as the redemption decision needs them (code null: a direct coupon). */
export interface CodeWithCoupon {
  code: CodeRow | null;
  coupon: CouponRow;
  nearlyExhaustedEventAt: string | null;
}

export interface RedemptionContext {
  /** undefined when no planId was asked for, null when it names no plan. */
  plan: PlanView | null | undefined;
  /** undefined when no fromPlanId was given, null when it names no plan. */
  fromPlan: PlanView | null | undefined;
  loaded: CodeWithCoupon | null;
  /** Non-voided redemptions of the code's coupon by the customer. */
  customerCount: number;
  /** The subscription's active redemptions, oldest first. */
  subscriptionActive: { stackable: boolean }[];
}

/**
 * Everything a redemption decision reads, in one round trip: the plan, the code (normalized
 * text; a live code wins over an archived one with the same text; deleted codes are not found)
 * with its coupon, and the counts. Nothing is locked here: the counters are re-checked by the
 * conditional updates of recordRedemption, and the caller already holds the subscription and
 * customer rows.
 */
export async function loadRedemptionContext(
  em: Em,
  accountId: string,
  q: { code: string; couponId?: string; planId?: string; fromPlanId?: string; customerId: string; subscriptionId?: string },
): Promise<RedemptionContext> {
  // a direct coupon (couponId, a UUID) is looked up by id instead of the code text
  const direct = q.couponId !== undefined;
  const rows = await em.execute(
    `with k as (
       select c.id as cid, c.coupon_id as kid, to_jsonb(c) as code_row, to_jsonb(k) as coupon_row, k.nearly_exhausted_event_at
         from (${CODE_LOOKUP_SQL}) c join coupons k on k.id = c.coupon_id
        where not ?::boolean
       union all
       select null, k.id, null, to_jsonb(k), k.nearly_exhausted_event_at from coupons k
        where ?::boolean and k.account_id = ? and k.id = ?::uuid)
     select (select to_jsonb(p) from plans p where p.account_id = ? and p.id = ?) as plan,
            (select to_jsonb(p) from plans p where p.account_id = ? and p.id = ?) as from_plan,
            k.code_row, k.coupon_row, k.nearly_exhausted_event_at,
            (select count(*) from redemptions r
              where r.account_id = ? and r.coupon_id = k.kid and r.customer_id = ? and r.status <> 'voided')::int as customer_count,
            coalesce((select json_agg(r.stackable order by r.created_at) from redemptions r
                       where r.account_id = ? and r.subscription_id = ? and r.status = 'active'), '[]'::json) as sub_active
       from (select 1) as one left join k on true`,
    [accountId, q.code, accountId, q.code, direct, direct, accountId, q.couponId ?? '00000000-0000-0000-0000-000000000000', accountId, q.planId ?? '',
      accountId, q.fromPlanId ?? '', accountId, q.customerId, accountId, q.subscriptionId ?? ''],
  );
  const r = rows[0];
  return {
    plan: q.planId === undefined ? undefined : r.plan ? planFromRow(r.plan as Record<string, unknown>) : null,
    fromPlan: q.fromPlanId === undefined ? undefined : r.from_plan ? planFromRow(r.from_plan as Record<string, unknown>) : null,
    loaded: r.coupon_row
      ? {
          code: r.code_row ? codeRowFrom(r.code_row as Record<string, unknown>) : null,
          coupon: couponRowFrom(r.coupon_row as Record<string, unknown>),
          nearlyExhaustedEventAt: isoOrNull(r.nearly_exhausted_event_at),
        }
      : null,
    customerCount: Number(r.customer_count ?? 0),
    subscriptionActive: (r.sub_active as boolean[]).map((stackable) => ({ stackable })),
  };
}

/**
 * Creates the subscription's row if needed and locks it, in one statement (an upsert that
 * updates locks the row): redemptions and invoices of one subscription serialize here.
 */
export async function lockSubscription(em: Em, accountId: string, subscriptionId: string, customerId: string | null): Promise<void> {
  await em.execute(
    `insert into subscriptions (account_id, id, customer_id) values (?, ?, ?)
     on conflict (account_id, id) do update set customer_id = coalesce(subscriptions.customer_id, excluded.customer_id)`,
    [accountId, subscriptionId, customerId],
  );
}

export interface RedemptionView {
  id: string;
  couponId: string;
  couponVersion: number;
  /** null for a direct coupon */
  code: string | null;
  customerId: string;
  subscriptionId: string;
  planId: string;
  action: string;
  status: string;
  terms: CouponTerms;
  cyclesApplied: number;
  createdAt: string;
  endedAt: string | null;
  voidedAt: string | null;
  /** The effective attribution when it was redeemed (never moved by later edits). */
  attribution: Attribution;
}

export function redemptionFromRow(r: Record<string, unknown>): RedemptionView {
  return {
    id: r.id as string,
    couponId: r.coupon_id as string,
    couponVersion: Number(r.coupon_version),
    code: (r.code as string | null) ?? null,
    customerId: r.customer_id as string,
    subscriptionId: r.subscription_id as string,
    planId: r.plan_id as string,
    action: r.action as string,
    status: r.status as string,
    terms: r.terms as CouponTerms,
    cyclesApplied: Number(r.cycles_applied),
    createdAt: iso(r.created_at),
    endedAt: isoOrNull(r.ended_at),
    voidedAt: isoOrNull(r.voided_at),
    attribution: compactAttribution({ channel: r.channel as string | null, partner: r.partner as string | null, referrerCustomerId: r.referrer_customer_id as string | null }),
  };
}

export interface NewRedemption {
  accountId: string;
  couponId: string;
  couponVersion: number;
  /** null for a direct coupon: only the coupon's limit counts */
  codeId: number | null;
  code: string | null;
  customerId: string;
  subscriptionId: string;
  planId: string;
  action: string;
  terms: CouponTerms;
  idempotencyKey: string | null;
  /** The effective attribution to snapshot. */
  attribution: Attribution;
}

/**
 * Counts one redemption on the code and its coupon, inserts the redemption and its
 * `redemption.created` event, in one statement. The conditional updates are where the limits
 * hold: they lock the code and coupon rows until commit, re-check the limits on the latest
 * committed counts, and nothing is written when one is reached (answers null). The rows stay
 * locked only for this statement and the commit, so a hot coupon serializes as little as it can.
 */
export async function recordRedemption(em: Em, n: NewRedemption): Promise<{ view: RedemptionView; codeTimes: number; couponTimes: number } | null> {
  const rows = await em.execute(
    `with c as (
       update codes set times_redeemed = times_redeemed + 1, updated_at = now()
        where id = ? and (max_redemptions is null or times_redeemed < max_redemptions) returning times_redeemed),
     k as (
       update coupons set times_redeemed = times_redeemed + 1, updated_at = now()
        where id = ? and (max_redemptions is null or times_redeemed < max_redemptions) and (?::bigint is null or exists (select 1 from c))
        returning times_redeemed),
     r as (
       insert into redemptions (account_id, coupon_id, coupon_version, code_id, code, customer_id, subscription_id, plan_id, action, terms, stackable, idempotency_key,
                                channel, partner, referrer_customer_id)
       select ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ? where exists (select 1 from k)
       returning *),
     e as (
       insert into events (account_id, type, data)
       select r.account_id, 'redemption.created',
              jsonb_build_object('redemptionId', r.id, 'couponId', r.coupon_id, 'code', r.code, 'subscriptionId', r.subscription_id, 'customerId', r.customer_id)
         from r)
     select (select times_redeemed from c) as code_times, (select times_redeemed from k) as coupon_times, (select to_jsonb(r) from r) as redemption`,
    [n.codeId, n.couponId, n.codeId, n.accountId, n.couponId, n.couponVersion, n.codeId, n.code, n.customerId, n.subscriptionId, n.planId, n.action,
      JSON.stringify(n.terms), n.terms.stackable, n.idempotencyKey, ...Object.values(attributionColumns(n.attribution))],
  );
  const r = rows[0];
  if (!r.redemption) return null;
  return { view: redemptionFromRow(r.redemption as Record<string, unknown>), codeTimes: Number(r.code_times ?? 0), couponTimes: Number(r.coupon_times) };
}

export interface StoredOutcome {
  requestHash: string;
  status: number;
  body: Record<string, unknown>;
}

export async function findStoredOutcome(em: Em, accountId: string, key: string): Promise<StoredOutcome | null> {
  const rows = await em.execute(
    `select request_hash, status_code, body from redemption_requests where account_id = ? and idempotency_key = ?`,
    [accountId, key],
  );
  if (!rows.length) return null;
  return { requestHash: rows[0].request_hash as string, status: Number(rows[0].status_code), body: rows[0].body as Record<string, unknown> };
}

export async function storeOutcome(em: Em, accountId: string, key: string, o: StoredOutcome): Promise<void> {
  await em.execute(
    `insert into redemption_requests (account_id, idempotency_key, request_hash, status_code, body) values (?, ?, ?, ?, ?::jsonb)`,
    [accountId, key, o.requestHash, o.status, JSON.stringify(o.body)],
  );
}

/** Serializes work on one idempotency key for the rest of the transaction. */
export async function lockIdempotencyKey(em: Em, accountId: string, key: string): Promise<void> {
  await em.execute(`select pg_advisory_xact_lock(hashtextextended(?, 0))`, [`${accountId}|${key}`]);
}

export async function getRedemption(em: Em, accountId: string, id: string): Promise<RedemptionView | null> {
  const rows = await em.execute(`select * from redemptions where account_id = ? and id = ?`, [accountId, id]);
  return rows.length ? redemptionFromRow(rows[0]) : null;
}

export async function listRedemptions(
  em: Em,
  accountId: string,
  filter: { subscriptionId?: string; customerId?: string },
  limit: number,
  cursor: { createdAt: string; id: string } | null,
): Promise<RedemptionView[]> {
  const where = ['account_id = ?'];
  const params: unknown[] = [accountId];
  if (filter.subscriptionId) {
    where.push('subscription_id = ?');
    params.push(filter.subscriptionId);
  }
  if (filter.customerId) {
    where.push('customer_id = ?');
    params.push(filter.customerId);
  }
  if (cursor) {
    where.push("(date_trunc('milliseconds', created_at), id) > (?::timestamptz, ?::uuid)");
    params.push(cursor.createdAt, cursor.id);
  }
  params.push(limit);
  const rows = await em.execute(`select * from redemptions where ${where.join(' and ')} order by date_trunc('milliseconds', created_at), id limit ?`, params);
  return rows.map(redemptionFromRow);
}

/** Voids a redemption (active or ended); answers null when it does not exist, the row when already voided. */
export async function voidRedemption(em: Em, accountId: string, id: string, reason: string | null): Promise<{ view: RedemptionView; changed: boolean } | null> {
  const current = await getRedemption(em, accountId, id);
  if (!current) return null;
  await lockSubscription(em, accountId, current.subscriptionId, current.customerId);
  const rows = await em.execute(
    `update redemptions set status = 'voided', voided_at = now(), void_reason = ?, updated_at = now()
      where account_id = ? and id = ? and status <> 'voided' returning *`,
    [reason, accountId, id],
  );
  if (rows.length === 0) return { view: (await getRedemption(em, accountId, id))!, changed: false };
  return { view: redemptionFromRow(rows[0]), changed: true };
}
