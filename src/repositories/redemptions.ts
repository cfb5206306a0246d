import { sql } from 'kysely';
import type { Em } from '../db/orm';
import { storedJson, type StoredRow } from '../db/rows';
import { iso, isoOrNull } from '../db/values';
import { compactAttribution, type Attribution, type CouponTerms } from '../domain';
import type { CodeRow } from './codes';
import type { CouponRow } from './coupons';
import type { PlanView } from './plans';
import { lockSubscription } from './redemption-statements';

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

/** A redemptions row, typed and camelCased (instants are UTC ISO strings): the API view and what invoicing and the expiry sweep read. */
export interface RedemptionRow extends RedemptionView {
  accountId: string;
  /** null for a direct coupon */
  codeId: number | null;
  stackable: boolean;
  /** Period start of cycle 1, null before the first counted invoice. */
  anchor: string | null;
  /** Whether it discounted the subscription's latest counted invoice. */
  lastCountedDiscounted: boolean;
}

/**
 * The one mapping of a redemptions row, read through kysely or as JSON (`to_jsonb`: the
 * redemption a job committed, the invoice context); `terms` is narrowed to CouponTerms here, once.
 */
export function redemptionRowFrom(r: StoredRow<'redemptions'>): RedemptionRow {
  return {
    id: r.id,
    accountId: r.account_id,
    couponId: r.coupon_id,
    couponVersion: Number(r.coupon_version),
    codeId: r.code_id === null ? null : Number(r.code_id),
    code: r.code,
    customerId: r.customer_id,
    subscriptionId: r.subscription_id,
    planId: r.plan_id,
    action: r.action,
    status: r.status,
    terms: storedJson<CouponTerms>(r.terms),
    stackable: r.stackable,
    cyclesApplied: Number(r.cycles_applied),
    anchor: isoOrNull(r.anchor),
    lastCountedDiscounted: r.last_counted_discounted,
    createdAt: iso(r.created_at),
    endedAt: isoOrNull(r.ended_at),
    voidedAt: isoOrNull(r.voided_at),
    attribution: compactAttribution({ channel: r.channel, partner: r.partner, referrerCustomerId: r.referrer_customer_id }),
  };
}

/** The API.md redemption object. */
export function redemptionView(r: RedemptionRow): RedemptionView {
  const { id, couponId, couponVersion, code, customerId, subscriptionId, planId, action, status, terms, cyclesApplied, createdAt, endedAt, voidedAt, attribution } = r;
  return { id, couponId, couponVersion, code, customerId, subscriptionId, planId, action, status, terms, cyclesApplied, createdAt, endedAt, voidedAt, attribution };
}

const viewOf = (r: StoredRow<'redemptions'>): RedemptionView => redemptionView(redemptionRowFrom(r));

/** What an idempotency key holds: the request's hash and its answer body. */
export interface StoredOutcome {
  requestHash: string;
  body: Record<string, unknown>;
}

export async function findStoredOutcome(em: Em, accountId: string, key: string): Promise<StoredOutcome | null> {
  const row = await em
    .getKysely()
    .selectFrom('redemption_requests')
    .select(['request_hash', 'body'])
    .where('account_id', '=', accountId)
    .where('idempotency_key', '=', key)
    .executeTakeFirst();
  if (!row) return null;
  return { requestHash: row.request_hash, body: row.body };
}

export async function getRedemption(em: Em, accountId: string, id: string): Promise<RedemptionView | null> {
  const row = await em.getKysely().selectFrom('redemptions').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  return row ? viewOf(row) : null;
}

export async function listRedemptions(
  em: Em,
  accountId: string,
  filter: { subscriptionId?: string; customerId?: string },
  limit: number,
  cursor: { createdAt: string; id: string } | null,
): Promise<RedemptionView[]> {
  let query = em.getKysely().selectFrom('redemptions').selectAll().where('account_id', '=', accountId);
  if (filter.subscriptionId) query = query.where('subscription_id', '=', filter.subscriptionId);
  if (filter.customerId) query = query.where('customer_id', '=', filter.customerId);
  if (cursor) query = query.where(sql<boolean>`(date_trunc('milliseconds', created_at), id) > (${cursor.createdAt}::timestamptz, ${cursor.id}::uuid)`);
  const rows = await query.orderBy(sql`date_trunc('milliseconds', created_at)`).orderBy('id').limit(limit).execute();
  return rows.map(viewOf);
}

/** Voids a redemption (active or ended); answers null when it does not exist, the row when already voided. */
export async function voidRedemption(em: Em, accountId: string, id: string, reason: string | null): Promise<{ view: RedemptionView; changed: boolean } | null> {
  const current = await getRedemption(em, accountId, id);
  if (!current) return null;
  await lockSubscription(em, accountId, current.subscriptionId, current.customerId);
  const row = await em
    .getKysely()
    .updateTable('redemptions')
    .set({ status: 'voided', voided_at: sql<Date>`now()`, void_reason: reason, updated_at: sql<Date>`now()` })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where('status', '<>', 'voided')
    .returningAll()
    .executeTakeFirst();
  if (!row) return { view: (await getRedemption(em, accountId, id))!, changed: false };
  return { view: viewOf(row), changed: true };
}
