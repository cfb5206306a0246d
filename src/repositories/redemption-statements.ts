/**
 * The redemption hot path's statements, as named (prepared) statements with bound parameters:
 * each connection parses and plans them once, later executions only bind and run. They are
 * sent through a pipelined client (src/db/pipeline.ts), which is why they are written with
 * `$n` parameters for node-postgres rather than through the EntityManager.
 *
 * Lock order, as everywhere: subscription → customer → coupon → code (the counting flight locks
 * the coupon, then the code, in two statements before the one that counts on both).
 */
import type { Statement } from '../db/pipeline';
import type { CustomerFields, StoredCustomer } from '../domain';
import { sql } from 'kysely';
import { namedStatement, sqlText } from '../db/sql-text';
import type { Em } from '../db/orm';
import { isoOrNull } from '../db/values';
import { codeLookupSql, codeRowFrom } from './codes';
import { couponRowFrom } from './coupons';
import { customerFromRow } from './customers';
import { planFromRow } from './plans';
import { codeOwnStatusSql, couponStatusSql, exhaustedSql, nearlyExhaustedSql } from './status-sql';
import type { RedemptionContext } from './redemptions';

/** The code lookup of codes.ts over this statement's parameters ($1 account, $2 code). */
const CODE_LOOKUP = sqlText(codeLookupSql(sql.raw('$1'), sql.raw('$2')));

/**
 * Everything a decision reads, in one statement: the plan (and the plan switched from), the
 * code (a live code wins over an archived one with the same text) with its coupon — or, for a
 * direct coupon ($6), the coupon by id ($7) — the customer as stored, the customer's non-voided
 * redemptions of the coupon, the subscription's active redemptions.
 */
const CONTEXT = `with k as (
    select c.coupon_id as kid, to_jsonb(c) as code_row, to_jsonb(k) as coupon_row, k.nearly_exhausted_event_at
      from (${CODE_LOOKUP}) c join coupons k on k.id = c.coupon_id
     where not $6::boolean
    union all
    select k.id, null, to_jsonb(k), k.nearly_exhausted_event_at from coupons k
     where $6::boolean and k.account_id = $1 and k.id = $7::uuid)
  select (select to_jsonb(p) from plans p where p.account_id = $1 and p.id = $3) as plan,
         (select to_jsonb(p) from plans p where p.account_id = $1 and p.id = $8) as from_plan,
         (select to_jsonb(cu) from customers cu where cu.account_id = $1 and cu.id = $4) as customer,
         k.code_row, k.coupon_row, k.nearly_exhausted_event_at,
         (select count(*) from redemptions r
           where r.account_id = $1 and r.coupon_id = k.kid and r.customer_id = $4 and r.status <> 'voided')::int as customer_count,
         coalesce((select json_agg(r.stackable order by r.created_at) from redemptions r
                    where r.account_id = $1 and r.subscription_id = $5 and r.status = 'active'), '[]'::json) as sub_active
    from (select 1) as one left join k on true`;

/** What a context read is asked for: a code's normalized text, or a direct coupon's id (a UUID). */
export interface ContextQuery {
  code: string;
  couponId?: string;
  planId?: string;
  fromPlanId?: string;
  customerId: string;
  subscriptionId?: string;
}

const NIL_UUID = '00000000-0000-0000-0000-000000000000';

export function contextStatement(accountId: string, q: ContextQuery): Statement {
  return {
    name: 'cf_redemption_context',
    text: CONTEXT,
    values: [accountId, q.code, q.planId ?? '', q.customerId, q.subscriptionId ?? '', q.couponId !== undefined, q.couponId ?? NIL_UUID, q.fromPlanId ?? ''],
  };
}

export interface LoadedContext extends RedemptionContext {
  /** The customer as stored when the context was read; null when there is none yet. */
  storedCustomer: StoredCustomer | null;
}

export function contextFromRow(r: Record<string, unknown>, q: { planId?: string; fromPlanId?: string }): LoadedContext {
  const cu = r.customer as Record<string, unknown> | null;
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
    storedCustomer: cu ? customerFromRow(cu) : null,
  };
}

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

// The stored value each column takes from the request: a field left out ($8..$12 = 0) keeps it;
// hasPaidSubscription never goes back from true on the redemption path.
const MERGED = {
  email: `case when $8::int = 1 then excluded.email else customers.email end`,
  country: `case when $9::int = 1 then excluded.country else customers.country end`,
  region: `case when $10::int = 1 then excluded.region else customers.region end`,
  postal_code: `case when $11::int = 1 then excluded.postal_code else customers.postal_code end`,
  has_paid_subscription: `case when $12::int = 1 then customers.has_paid_subscription or excluded.has_paid_subscription else customers.has_paid_subscription end`,
};

/**
 * Creates or updates the customer and locks its row, writing nothing when the request changes
 * nothing: ON CONFLICT DO UPDATE locks the conflicting row even when its WHERE is false.
 */
export function lockCustomerStatement(accountId: string, id: string, c: CustomerFields): Statement {
  const has = (k: keyof CustomerFields) => (c[k] !== undefined ? 1 : 0);
  const cols = Object.keys(MERGED) as (keyof typeof MERGED)[];
  return {
    name: 'cf_lock_customer',
    text: `insert into customers (account_id, id, email, country, region, postal_code, has_paid_subscription)
           values ($1, $2, $3, $4, $5, $6, $7)
           on conflict (account_id, id) do update set ${cols.map((k) => `${k} = ${MERGED[k]}`).join(', ')}, updated_at = now()
           where (${cols.map((k) => `customers.${k}`).join(', ')}) is distinct from (${cols.map((k) => MERGED[k]).join(', ')})`,
    values: [
      accountId, id, c.email ?? null, c.country ?? null, c.region ?? null, c.postalCode ?? null, c.hasPaidSubscription ?? false,
      has('email'), has('country'), has('region'), has('postalCode'), has('hasPaidSubscription'),
    ],
  };
}

/**
 * The advisory lock class of idempotency keys. Two-key form (`objsubid` 2), so it never meets
 * the events id bounds the feed's horizon reads (one-key form, events_id_bound); other keys of
 * the same 32-bit hash just wait for each other.
 */
export const IDEMPOTENCY_LOCK_CLASS = 7212030;

/** Serializes work on one idempotency key for the rest of the transaction. */
export function lockIdempotencyKeyStatement(accountId: string, key: string): Statement {
  return { name: 'cf_lock_idempotency_key', text: `select pg_advisory_xact_lock(${IDEMPOTENCY_LOCK_CLASS}, hashtext($1))`, values: [`${accountId}|${key}`] };
}

/** The redemption a request without an idempotency key wrote, if an earlier run of its job committed one. */
export function redemptionByIdStatement(accountId: string, id: string): Statement {
  return { name: 'cf_redemption_by_id', text: `select to_jsonb(r) as row from redemptions r where r.id = $1 and r.account_id = $2`, values: [id, accountId] };
}

export function storedOutcomeStatement(accountId: string, key: string): Statement {
  return {
    name: 'cf_stored_outcome',
    text: `select request_hash, status_code, body from redemption_requests where account_id = $1 and idempotency_key = $2`,
    values: [accountId, key],
  };
}

/** Stores the outcome of a request with an idempotency key (kept when one is already stored). */
export function storeOutcomeStatement(accountId: string, key: string, requestHash: string, status: number, body: unknown): Statement {
  return {
    name: 'cf_store_outcome',
    text: `insert into redemption_requests (account_id, idempotency_key, request_hash, status_code, body) values ($1, $2, $3, $4, $5::jsonb)
           on conflict (account_id, idempotency_key) do nothing`,
    values: [accountId, key, requestHash, status, JSON.stringify(body)],
  };
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
  /** With an idempotency key: the request's hash and the answer to store with it. */
  idempotency: { key: string; requestHash: string; body: unknown } | null;
  /** The code's customerId the decision saw (null: none, or a direct coupon). */
  codeCustomerId: string | null;
}

/** What the counting statement raises when the code's or the coupon's limit was reached meanwhile. */
export const LIMIT_REACHED_MARK = 'limit_reached';
/** What it raises when the coupon or the code stopped being redeemable meanwhile (archived, disabled, expired, deleted...). */
export const STATE_CHANGED_MARK = 'state_changed';

function raisedMark(err: unknown, mark: string): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === '22P02' && typeof e.message === 'string' && e.message.includes(`"${mark}:`);
}

/** True for the error of a counting statement that found a limit reached (the transaction is then rolled back). */
export const isLimitReached = (err: unknown): boolean => raisedMark(err, LIMIT_REACHED_MARK);
/** True for the error of a counting statement that found the coupon or code no longer redeemable. */
export const isStateChanged = (err: unknown): boolean => raisedMark(err, STATE_CHANGED_MARK);

/**
 * Locks the coupon, then the code (a direct coupon has none): the lock order written at
 * getCouponRow (subscription → customer → coupon → code), which archiving shares. Sent in the
 * counting flight, just before countRedemptionStatement, so the rows it re-checks are held.
 */
export function lockCountedRowsStatements(couponId: string, codeId: number | null): Statement[] {
  const coupon: Statement = { name: 'cf_lock_counted_coupon', text: 'select 1 from coupons where id = $1 for update', values: [couponId] };
  if (codeId === null) return [coupon];
  return [coupon, { name: 'cf_lock_counted_code', text: 'select 1 from codes where id = $1 for update', values: [codeId] }];
}

// The statuses of src/domain/status.ts over the locked rows, at the decision's `now` ($14).
const NOW = sql.raw('$14::timestamptz');
const COUPON_STATUS = (t: string) => sqlText(couponStatusSql(t, NOW));
const CODE_STATUS = (t: string) => sqlText(codeOwnStatusSql(t, NOW));
// the limit rules of the domain on the count this redemption makes (times_redeemed + 1)
const AFTER_COUNT = (t: string) => [sql.ref(`${t}.max_redemptions`), sql`${sql.ref(`${t}.times_redeemed`)} + 1`] as const;
const NEARLY = (t: string) => sqlText(nearlyExhaustedSql(...AFTER_COUNT(t)));
const EXHAUSTED = (t: string) => sqlText(exhaustedSql(...AFTER_COUNT(t)));

/**
 * Counts one redemption and writes everything it leaves, in one statement, on the coupon and
 * code rows lockCountedRowsStatements locked: the code's and the coupon's counts (conditional
 * updates that re-check, on the latest committed rows, that both are still redeemable — the
 * status rules of src/domain/status.ts, limits included — and mark the limit events due, each
 * once, at the thresholds of the locked row's limit), the redemption, its events in order
 * (redemption.created, then coupon.nearly_exhausted, coupon.exhausted, code.exhausted) and, with
 * an idempotency key, the stored answer.
 *
 * It also re-checks that the terms are those decided on: the coupon's version (every change of
 * terms, limits, eligibility and scope bumps it) and the code's customerId. A redemption is so
 * counted on the terms in force when it is counted, under the version it stores.
 *
 * When the re-check fails nothing is counted and the statement RAISES (a cast of
 * 'limit_reached:<id>' or 'state_changed:<id>' to int, evaluated only then), so the COMMIT
 * pipelined behind it answers ROLLBACK: limit_reached when a limit was used up meanwhile,
 * state_changed for anything else (the caller decides again on fresh rows).
 */
export function countRedemptionStatement(n: CountedRedemption): Statement {
  return {
    name: 'cf_count_redemption',
    text: `with c as (
         update codes x set times_redeemed = x.times_redeemed + 1, updated_at = now(),
                exhausted_event_at = case when x.exhausted_event_at is null and ${EXHAUSTED('x')} then now() else x.exhausted_event_at end
           from (select id, exhausted_event_at from codes where id = $1) o
          where x.id = o.id and x.deleted_at is null and ${CODE_STATUS('x')} = 'active' and x.customer_id is not distinct from $20::text
          returning x.batch_id, (o.exhausted_event_at is null and x.exhausted_event_at is not null) as exhausted_now),
       k as (
         update coupons x set times_redeemed = x.times_redeemed + 1, updated_at = now(),
                nearly_exhausted_event_at = case when x.nearly_exhausted_event_at is null and ${NEARLY('x')} then now() else x.nearly_exhausted_event_at end,
                exhausted_event_at = case when x.exhausted_event_at is null and ${EXHAUSTED('x')} then now() else x.exhausted_event_at end
           from (select id, nearly_exhausted_event_at, exhausted_event_at from coupons where id = $2) o
          where x.id = o.id and x.version = $4::int and ${COUPON_STATUS('x')} = 'active' and ($1::bigint is null or exists (select 1 from c))
          returning (o.nearly_exhausted_event_at is null and x.nearly_exhausted_event_at is not null) as nearly_now,
                    (o.exhausted_event_at is null and x.exhausted_event_at is not null) as exhausted_now),
       r as (
         insert into redemptions (id, account_id, coupon_id, coupon_version, code_id, code, customer_id, subscription_id, plan_id, action, terms, stackable, idempotency_key,
                                  created_at, updated_at, channel, partner, referrer_customer_id)
         select $13, $3, $2, $4, $1, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, $14, $14, $17, $18, $19 where exists (select 1 from k)
         returning id),
       e as (
         insert into events (account_id, type, data)
         select $3, t.type, t.data from (
             select 1 as ord, 'redemption.created' as type,
                    jsonb_build_object('redemptionId', $13::uuid, 'couponId', $2::uuid, 'code', $5::text, 'subscriptionId', $7::text, 'customerId', $6::text) as data
               from r
             union all select 2, 'coupon.nearly_exhausted', jsonb_build_object('couponId', $2::uuid) from k where k.nearly_now and exists (select 1 from r)
             union all select 3, 'coupon.exhausted', jsonb_build_object('couponId', $2::uuid) from k where k.exhausted_now and exists (select 1 from r)
             union all select 4, 'code.exhausted', jsonb_build_object('couponId', $2::uuid, 'code', $5::text)
               from c where c.exhausted_now and c.batch_id is null and exists (select 1 from r)
           ) t order by t.ord),
       q as (
         insert into redemption_requests (account_id, idempotency_key, request_hash, status_code, body)
         select $3, $12, $15, 201, $16::jsonb from r where $12::text is not null)
     select (select ((case when ${COUPON_STATUS('k0')} = 'exhausted' or ${CODE_STATUS('c0')} = 'exhausted' then '${LIMIT_REACHED_MARK}' else '${STATE_CHANGED_MARK}' end)
                     || ':' || coalesce(k0.id::text, $2::text))::int
               from (select 1) as one left join coupons k0 on k0.id = $2 left join codes c0 on c0.id = $1
              where not exists (select 1 from r)) as limit_check`,
    values: [
      n.codeId, n.couponId, n.accountId, n.couponVersion, n.code, n.customerId, n.subscriptionId, n.planId, n.action,
      JSON.stringify(n.terms), n.stackable, n.idempotency?.key ?? null, n.id, n.createdAt,
      n.idempotency?.requestHash ?? null, n.idempotency ? JSON.stringify(n.idempotency.body) : null,
      n.attribution.channel, n.attribution.partner, n.attribution.referrerCustomerId, n.codeCustomerId,
    ],
  };
}
