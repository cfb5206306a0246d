/**
 * The redemption hot path's locks and counting statements (its context read is in
 * redemption-context.ts, its idempotency statements in request-keys.ts), as named (prepared) statements with bound parameters:
 * each connection parses and plans them once, later executions only bind and run. They are
 * sent through a pipelined client (src/db/pipeline.ts), which is why they are written as SQL
 * text with `:name` parameters (preparedStatement turns them into `$n` once, at load) rather
 * than through the EntityManager.
 *
 * Lock order, as everywhere: subscription → customer → coupon → code (the counting flight locks
 * the coupon, then the code, in two statements before the one that counts on both).
 */
import type { Statement } from '../db/pipeline';
import type { CustomerFields } from '../domain';
import { sql } from 'kysely';
import { namedStatement, preparedStatement, sqlText } from '../db/sql-text';
import type { Em } from '../db/orm';
import { codeOwnStatusSql, couponStatusSql, exhaustedSql, nearlyExhaustedSql } from './status-sql';

/**
 * Creates the subscription's row if needed and locks it. ON CONFLICT DO UPDATE locks the row
 * even when its WHERE is false, so an existing row is written only to fill in its customer.
 */
const lockSubscriptionSql = (accountId: string, subscriptionId: string, customerId: string | null) => sql`
  insert into subscriptions (account_id, id, customer_id) values (${accountId}::uuid, ${subscriptionId}, ${customerId})
  on conflict (account_id, id) do update set customer_id = excluded.customer_id
  where subscriptions.customer_id is null and excluded.customer_id is not null`;

export function lockSubscriptionStatement(accountId: string, subscriptionId: string, customerId: string | null): Statement {
  return namedStatement('cf_lock_subscription', lockSubscriptionSql(accountId, subscriptionId, customerId));
}

/** lockSubscriptionStatement in the EntityManager's transaction (voiding a redemption). */
export async function lockSubscription(em: Em, accountId: string, subscriptionId: string, customerId: string | null): Promise<void> {
  await lockSubscriptionSql(accountId, subscriptionId, customerId).execute(em.getKysely());
}

// The stored value each column takes from the request: a field left out (its has* flag false)
// keeps it; hasPaidSubscription never goes back from true on the redemption path.
const MERGED = {
  email: `case when :hasEmail::boolean then excluded.email else customers.email end`,
  country: `case when :hasCountry::boolean then excluded.country else customers.country end`,
  region: `case when :hasRegion::boolean then excluded.region else customers.region end`,
  postal_code: `case when :hasPostalCode::boolean then excluded.postal_code else customers.postal_code end`,
  has_paid_subscription: `case when :hasPaid::boolean then customers.has_paid_subscription or excluded.has_paid_subscription else customers.has_paid_subscription end`,
};
const MERGED_COLUMNS = Object.keys(MERGED) as (keyof typeof MERGED)[];

const lockCustomer = preparedStatement('cf_lock_customer',
  `insert into customers (account_id, id, email, country, region, postal_code, has_paid_subscription)
   values (:accountId, :id, :email, :country, :region, :postalCode, :hasPaidSubscription)
   on conflict (account_id, id) do update set ${MERGED_COLUMNS.map((k) => `${k} = ${MERGED[k]}`).join(', ')}, updated_at = now()
   where (${MERGED_COLUMNS.map((k) => `customers.${k}`).join(', ')}) is distinct from (${MERGED_COLUMNS.map((k) => MERGED[k]).join(', ')})`,
  ['accountId', 'id', 'email', 'country', 'region', 'postalCode', 'hasPaidSubscription', 'hasEmail', 'hasCountry', 'hasRegion', 'hasPostalCode', 'hasPaid'],
);

/**
 * Creates or updates the customer and locks its row, writing nothing when the request changes
 * nothing: ON CONFLICT DO UPDATE locks the conflicting row even when its WHERE is false.
 */
export function lockCustomerStatement(accountId: string, id: string, c: CustomerFields): Statement {
  return lockCustomer({
    accountId, id, email: c.email ?? null, country: c.country ?? null, region: c.region ?? null, postalCode: c.postalCode ?? null,
    hasPaidSubscription: c.hasPaidSubscription ?? false,
    hasEmail: c.email !== undefined, hasCountry: c.country !== undefined, hasRegion: c.region !== undefined,
    hasPostalCode: c.postalCode !== undefined, hasPaid: c.hasPaidSubscription !== undefined,
  });
}

export interface CountedRedemption {
  id: string;
  createdAt: string;
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
  terms: unknown;
  stackable: boolean;
  /** The effective attribution to snapshot, as stored (every field, null when not set). */
  attribution: { channel: string | null; partner: string | null; referrerCustomerId: string | null };
  /**
   * With an idempotency key: the request's hash, the answer to store when it is counted, and
   * the one to store when a limit was used up meanwhile.
   */
  idempotency: { key: string; requestHash: string; body: unknown; exhaustedBody: unknown } | null;
  /** The code's customerId the decision saw (null: none, or a direct coupon). */
  codeCustomerId: string | null;
  /** The hold the redemption consumes (its slot is already taken), or null. */
  holdId?: string | null;
}

/**
 * What the counting statement did: `counted`; `limit_reached` (a limit was used up meanwhile:
 * nothing counted, the refusal stored under the key); `state_changed` (the coupon or code is no
 * longer what the decision saw — archived, disabled, expired, deleted, another version, another
 * customerId — or the hold it consumes is no longer active: nothing counted or stored, decide
 * again).
 */
export type CountOutcome = 'counted' | 'limit_reached' | 'state_changed';

/**
 * Locks the hold a redemption consumes (if any), the coupon, then the code (a direct coupon has
 * none): the lock order written at getCouponRow (subscription → customer → hold → coupon →
 * code), which archiving and the ends of holds share. Sent in the counting flight, just before
 * the counting statement, so the rows it re-checks are held.
 */
export function lockCountedRowsStatements(couponId: string, codeId: number | null, holdId: string | null = null): Statement[] {
  return lockCountedRowsOfMany([{ couponId, codeId, holdId }]);
}

/**
 * The counted rows of several requests counted in one transaction (a group): holds, then
 * coupons, then codes, as one request locks them, each row once and each class in id order, so
 * two transactions locking common rows take them in the same order.
 */
export function lockCountedRowsOfMany(rows: { couponId: string; codeId: number | null; holdId: string | null }[]): Statement[] {
  const holds = [...new Set(rows.flatMap((r) => (r.holdId === null ? [] : [r.holdId])))].sort();
  const coupons = [...new Set(rows.map((r) => r.couponId))].sort();
  const codes = [...new Set(rows.flatMap((r) => (r.codeId === null ? [] : [r.codeId])))].sort((a, b) => a - b);
  return [
    ...holds.map((id): Statement => ({ name: 'cf_lock_counted_hold', text: 'select 1 from holds where id = $1 for update', values: [id] })),
    ...coupons.map((id): Statement => ({ name: 'cf_lock_counted_coupon', text: 'select 1 from coupons where id = $1 for update', values: [id] })),
    ...codes.map((id): Statement => ({ name: 'cf_lock_counted_code', text: 'select 1 from codes where id = $1 for update', values: [id] })),
  ];
}

// The statuses of src/domain/status.ts over the locked rows, at the decision's `now`.
const NOW = sql.raw(':now::timestamptz');
const COUPON_STATUS = (t: string) => sqlText(couponStatusSql(t, NOW));
const CODE_STATUS = (t: string) => sqlText(codeOwnStatusSql(t, NOW));
// the limit rules of the domain on the count this redemption makes (times_redeemed + 1)
const AFTER_COUNT = (t: string) => [sql.ref(`${t}.max_redemptions`), sql`${sql.ref(`${t}.times_redeemed`)} + 1`] as const;
const NEARLY = (t: string) => sqlText(nearlyExhaustedSql(...AFTER_COUNT(t)));
const EXHAUSTED = (t: string) => sqlText(exhaustedSql(...AFTER_COUNT(t)));

/**
 * The re-check of the counting statements (chk): on the latest committed coupon and code rows,
 * whose `times_redeemed` is read as the slots taken — redemptions counted plus active holds,
 * less :own (1 when the request consumes its own hold, whose slot is already taken) — so the
 * status rules' `exhausted` counts holds like redemptions. `ok`: the rows are what the decision
 * saw and a slot is free; `exhausted`: a limit is what refuses it.
 */
const CHECK_TAKEN = `chk as (
         select coalesce(k0.version = :couponVersion::int and ${COUPON_STATUS('k0')} = 'active'
                         and (:codeId::bigint is null
                              or (c0.deleted_at is null and ${CODE_STATUS('c0')} = 'active' and c0.customer_id is not distinct from :codeCustomerId::text)), false) as ok,
                coalesce(${COUPON_STATUS('k0')} = 'exhausted' or (c0.id is not null and ${CODE_STATUS('c0')} = 'exhausted'), false) as exhausted
           from (select 1) as one
           left join (select k.id, k.state, k.valid_from, k.expires_at, k.max_redemptions, k.times_redeemed + k.held - :own::int as times_redeemed, k.version
                        from coupons k where k.id = :couponId) k0 on true
           left join (select c.id, c.state, c.expires_at, c.max_redemptions, c.times_redeemed + c.held - :own::int as times_redeemed, c.deleted_at, c.customer_id
                        from codes c where c.id = :codeId::bigint) c0 on true)`;

const countRedemption = preparedStatement('cf_count_redemption', `with
       ${CHECK_TAKEN},
       hk as (
         select :holdId::uuid is null
                or exists (select 1 from holds h0 where h0.id = :holdId::uuid and h0.status = 'active' and h0.expires_at > :now::timestamptz
                             and h0.customer_id = :customerId and h0.coupon_id = :couponId and h0.code_id is not distinct from :codeId::bigint) as ok),
       c as (
         update codes x set times_redeemed = x.times_redeemed + 1, held = x.held - :own::int, updated_at = now(),
                exhausted_event_at = case when x.exhausted_event_at is null and ${EXHAUSTED('x')} then now() else x.exhausted_event_at end
           from (select id, exhausted_event_at from codes where id = :codeId::bigint) o
          where x.id = o.id and (select ok from chk) and (select ok from hk)
          returning x.batch_id, (o.exhausted_event_at is null and x.exhausted_event_at is not null) as exhausted_now),
       k as (
         update coupons x set times_redeemed = x.times_redeemed + 1, held = x.held - :own::int, updated_at = now(),
                nearly_exhausted_event_at = case when x.nearly_exhausted_event_at is null and ${NEARLY('x')} then now() else x.nearly_exhausted_event_at end,
                exhausted_event_at = case when x.exhausted_event_at is null and ${EXHAUSTED('x')} then now() else x.exhausted_event_at end
           from (select id, nearly_exhausted_event_at, exhausted_event_at from coupons where id = :couponId) o
          where x.id = o.id and (select ok from chk) and (select ok from hk)
          returning (o.nearly_exhausted_event_at is null and x.nearly_exhausted_event_at is not null) as nearly_now,
                    (o.exhausted_event_at is null and x.exhausted_event_at is not null) as exhausted_now),
       r as (
         insert into redemptions (id, account_id, coupon_id, coupon_version, code_id, code, customer_id, subscription_id, plan_id, action, terms, stackable, idempotency_key,
                                  created_at, updated_at, channel, partner, referrer_customer_id)
         select :id, :accountId, :couponId, :couponVersion, :codeId, :code, :customerId, :subscriptionId, :planId, :action, :terms::jsonb, :stackable, :key,
                :now, :now, :channel, :partner, :referrerCustomerId
          where exists (select 1 from k)
         returning id),
       h as (
         update holds set status = 'consumed', redemption_id = :id::uuid, ended_at = :now::timestamptz, updated_at = now()
          where id = :holdId::uuid and exists (select 1 from r)
         returning id),
       e as (
         insert into events (account_id, type, data)
         select :accountId, t.type, t.data from (
             select 1 as ord, 'redemption.created' as type,
                    jsonb_build_object('redemptionId', :id::uuid, 'couponId', :couponId::uuid, 'code', :code::text, 'subscriptionId', :subscriptionId::text, 'customerId', :customerId::text)
                    || case when :holdId::uuid is null then '{}'::jsonb else jsonb_build_object('holdId', :holdId::uuid) end as data
               from r
             union all select 2, 'coupon.nearly_exhausted', jsonb_build_object('couponId', :couponId::uuid) from k where k.nearly_now and exists (select 1 from r)
             union all select 3, 'coupon.exhausted', jsonb_build_object('couponId', :couponId::uuid) from k where k.exhausted_now and exists (select 1 from r)
             union all select 4, 'code.exhausted', jsonb_build_object('couponId', :couponId::uuid, 'code', :code::text)
               from c where c.exhausted_now and c.batch_id is null and exists (select 1 from r)
           ) t order by t.ord),
       q as (
         insert into redemption_requests (account_id, idempotency_key, request_hash, body)
         select :accountId, :key, :requestHash,
                case when exists (select 1 from r) then :createdBody::jsonb else :exhaustedBody::jsonb end
           from chk where :key::text is not null and (exists (select 1 from r) or (not chk.ok and chk.exhausted))
         on conflict (account_id, idempotency_key) do nothing)
     select case when exists (select 1 from r) then 'counted' when chk.exhausted then 'limit_reached' else 'state_changed' end as outcome,
            (select count(*) from h)::int as consumed
       from chk`,
  [
    'codeId', 'couponId', 'accountId', 'couponVersion', 'code', 'customerId', 'subscriptionId', 'planId', 'action', 'terms', 'stackable', 'key', 'id',
    'now', 'requestHash', 'createdBody', 'exhaustedBody', 'channel', 'partner', 'referrerCustomerId', 'codeCustomerId', 'own', 'holdId',
  ],
);

/**
 * Counts one redemption and writes everything it leaves, in one statement, on the rows
 * lockCountedRowsStatements locked, and answers what it did as `outcome` (CountOutcome).
 *
 * It first re-checks (chk), on the latest committed rows, everything the decision assumed about
 * them: the status rules of src/domain/status.ts (not archived, disabled, expired, scheduled or
 * exhausted — a limit counting redemptions and active holds), the coupon's version (every change
 * of terms, limits, eligibility and scope bumps it) and the code's customerId; with a hold
 * (hk), that the hold is still active and this customer's hold of this coupon and code. Only
 * then does it write the code's and the coupon's counts (the hold's slot becoming the
 * redemption's: `held` − 1, `times_redeemed` + 1, so a holder is never refused for a limit),
 * marking the limit events due, each once, at the thresholds of the locked row's limit; the
 * redemption under the version it was decided on; the hold consumed; its events in order
 * (redemption.created, then coupon.nearly_exhausted, coupon.exhausted, code.exhausted) and, with
 * an idempotency key, the stored answer — or, when a limit was used up meanwhile, the stored
 * code_exhausted refusal. So a redemption is counted on the terms in force when it is counted,
 * and nothing is written when it is not.
 */
export function countRedemptionStatement(n: CountedRedemption): Statement {
  const holdId = n.holdId ?? null;
  return countRedemption({
    codeId: n.codeId, couponId: n.couponId, accountId: n.accountId, couponVersion: n.couponVersion, code: n.code, customerId: n.customerId,
    subscriptionId: n.subscriptionId, planId: n.planId, action: n.action, terms: JSON.stringify(n.terms), stackable: n.stackable,
    key: n.idempotency?.key ?? null, id: n.id, now: n.createdAt, requestHash: n.idempotency?.requestHash ?? null,
    createdBody: n.idempotency ? JSON.stringify(n.idempotency.body) : null,
    exhaustedBody: n.idempotency ? JSON.stringify(n.idempotency.exhaustedBody) : null,
    channel: n.attribution.channel, partner: n.attribution.partner, referrerCustomerId: n.attribution.referrerCustomerId,
    codeCustomerId: n.codeCustomerId, own: holdId === null ? 0 : 1, holdId,
  });
}

/** One hold to count: what the hold row holds, and the decision's view of the coupon and code. */
export interface CountedHold {
  id: string;
  createdAt: string;
  expiresAt: string;
  accountId: string;
  couponId: string;
  couponVersion: number;
  codeId: number | null;
  code: string | null;
  customerId: string;
  planId: string | null;
  currency: string | null;
  action: string;
  codeCustomerId: string | null;
  idempotency: { key: string; requestHash: string; body: unknown; exhaustedBody: unknown } | null;
}

const countHold = preparedStatement('cf_count_hold', `with
       ${CHECK_TAKEN},
       c as (update codes x set held = x.held + 1, updated_at = now() where x.id = :codeId::bigint and (select ok from chk) returning 1),
       k as (update coupons x set held = x.held + 1, updated_at = now() where x.id = :couponId and (select ok from chk) returning 1),
       h as (
         insert into holds (id, account_id, coupon_id, code_id, code, customer_id, plan_id, currency, action, status, expires_at, idempotency_key, created_at, updated_at)
         select :id, :accountId, :couponId, :codeId, :code, :customerId, :planId, :currency, :action, 'active', :expiresAt::timestamptz, :key, :now, :now
          where exists (select 1 from k)
         returning id),
       e as (
         insert into events (account_id, type, data)
         select :accountId, 'hold.created',
                jsonb_build_object('holdId', :id::uuid, 'couponId', :couponId::uuid, 'code', :code::text, 'customerId', :customerId::text, 'expiresAt', :expiresAt::text)
           from h),
       q as (
         insert into hold_requests (account_id, idempotency_key, request_hash, body)
         select :accountId, :key, :requestHash,
                case when exists (select 1 from h) then :createdBody::jsonb else :exhaustedBody::jsonb end
           from chk where :key::text is not null and (exists (select 1 from h) or (not chk.ok and chk.exhausted))
         on conflict (account_id, idempotency_key) do nothing)
     select case when exists (select 1 from h) then 'counted' when chk.exhausted then 'limit_reached' else 'state_changed' end as outcome
       from chk`,
  [
    'codeId', 'couponId', 'accountId', 'couponVersion', 'code', 'customerId', 'planId', 'currency', 'action', 'key', 'id', 'now', 'expiresAt',
    'requestHash', 'createdBody', 'exhaustedBody', 'codeCustomerId', 'own',
  ],
);

/**
 * Counts one hold, in one statement, on the coupon and code rows lockCountedRowsStatements
 * locked: the same re-check as a redemption's (status rules with holds counted, version, the
 * code's customerId), then `held` + 1 on the code and the coupon, the hold row, its
 * `hold.created` event and, with an idempotency key, the stored answer (or the stored
 * code_exhausted refusal when a limit was used up meanwhile). Answers `outcome` (CountOutcome).
 */
export function countHoldStatement(n: CountedHold): Statement {
  return countHold({
    codeId: n.codeId, couponId: n.couponId, accountId: n.accountId, couponVersion: n.couponVersion, code: n.code, customerId: n.customerId,
    planId: n.planId, currency: n.currency, action: n.action, key: n.idempotency?.key ?? null, id: n.id, now: n.createdAt, expiresAt: n.expiresAt,
    requestHash: n.idempotency?.requestHash ?? null, createdBody: n.idempotency ? JSON.stringify(n.idempotency.body) : null,
    exhaustedBody: n.idempotency ? JSON.stringify(n.idempotency.exhaustedBody) : null, codeCustomerId: n.codeCustomerId, own: 0,
  });
}
