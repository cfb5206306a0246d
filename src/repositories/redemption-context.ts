/**
 * The redemption's (and a hold's) context read: everything a decision reads, in one named
 * statement of the hot path's first flight (see redemption-statements.ts), and its answer
 * mapped by the tables' own mappers.
 */
import type { Statement } from '../db/pipeline';
import { DEFAULT_ROUNDING, isRoundingMode, type BudgetSpend, type RoundingMode, type StoredCustomer } from '../domain';
import { sql } from 'kysely';
import { preparedStatement, sqlText } from '../db/sql-text';
import type { JsonRow, StoredRow } from '../db/rows';
import { iso, isoOrNull } from '../db/values';
import { holdFromRow, type HoldRow } from './holds';
import { codeLookupSql, codeRowFrom } from './codes';
import { couponRowFrom } from './coupons';
import { customerFromRow } from './customers';
import { planFromRow } from './plans';
import { redemptionRowFrom, type RedemptionContext, type RedemptionRow } from './redemptions';
import { isUuid } from '../ids';

/** The code lookup of codes.ts over the context read's parameters (:accountId, :code). */
const CODE_LOOKUP = sqlText(codeLookupSql(sql.raw(':accountId'), sql.raw(':code')));

/**
 * Everything a decision reads, in one statement: the plan (and the plan switched from), the
 * code (a live code wins over an archived one with the same text) with its coupon — or, for a
 * direct coupon (:direct), the coupon by id (:couponId) — the customer as stored, the
 * customer's non-voided redemptions and active holds of the coupon, the subscription's active
 * redemptions, the account's rounding mode, the hold the request names (:holdId), for a
 * coupon with a budget its spend rows of the latest period of its kind at or before :now, and,
 * for a request without an idempotency key, the row an earlier run of its job committed under
 * the request's id (:writtenKind `redemption` or `hold`, :writtenId; `none`: not read). Sent
 * after the subscription's (or customer's) row lock in the same flight, so a second run of a job
 * sees what a first run committed.
 */
const context = preparedStatement('cf_redemption_context', `with k as (
    select c.coupon_id as kid, to_jsonb(c) as code_row, to_jsonb(k) as coupon_row, k.nearly_exhausted_event_at
      from (${CODE_LOOKUP}) c join coupons k on k.id = c.coupon_id
     where not :direct::boolean
    union all
    select k.id, null, to_jsonb(k), k.nearly_exhausted_event_at from coupons k
     where :direct::boolean and k.account_id = :accountId and k.id = :couponId::uuid)
  select (select to_jsonb(p) from plans p where p.account_id = :accountId and p.id = :planId) as plan,
         (select to_jsonb(p) from plans p where p.account_id = :accountId and p.id = :fromPlanId) as from_plan,
         (select to_jsonb(cu) from customers cu where cu.account_id = :accountId and cu.id = :customerId) as customer,
         k.code_row, k.coupon_row, k.nearly_exhausted_event_at,
         (select count(*) from redemptions r
           where r.account_id = :accountId and r.coupon_id = k.kid and r.customer_id = :customerId and r.status <> 'voided')::int as customer_count,
         (select count(*) from holds h where h.coupon_id = k.kid and h.customer_id = :customerId and h.status = 'active')::int as customer_holds,
         coalesce((select json_agg(r.stackable order by r.created_at) from redemptions r
                    where r.account_id = :accountId and r.subscription_id = :subscriptionId and r.status = 'active'), '[]'::json) as sub_active,
         (select a.rounding from accounts a where a.id = :accountId) as rounding,
         (select to_jsonb(h) from holds h where :hasHold::boolean and h.account_id = :accountId and h.id = :holdId::uuid) as hold_row,
         case when k.coupon_row->'budget' is not null and jsonb_typeof(k.coupon_row->'budget') = 'object' then
           coalesce((select jsonb_agg(jsonb_build_object('period', b.period, 'periodStart', b.period_start, 'currency', b.currency, 'spent', b.spent))
                       from coupon_budget_spend b
                      where b.coupon_id = k.kid and b.period = coalesce(k.coupon_row->'budget'->>'period', 'life')
                        and b.period_start = (select max(b2.period_start) from coupon_budget_spend b2
                                               where b2.coupon_id = k.kid and b2.period = coalesce(k.coupon_row->'budget'->>'period', 'life')
                                                 and b2.period_start <= :now::timestamptz)), '[]'::jsonb)
         end as budget_spend,
         case :writtenKind::text
           when 'redemption' then (select to_jsonb(x) from redemptions x where x.id = :writtenId::uuid and x.account_id = :accountId)
           when 'hold' then (select to_jsonb(x) from holds x where x.id = :writtenId::uuid and x.account_id = :accountId)
         end as written_row
    from (select 1) as one left join k on true`,
  ['accountId', 'code', 'planId', 'customerId', 'subscriptionId', 'direct', 'couponId', 'fromPlanId', 'hasHold', 'holdId', 'now', 'writtenKind', 'writtenId'],
);

/** What a context read is asked for: a code's normalized text, or a direct coupon's id (a UUID). */
export interface ContextQuery {
  code: string;
  couponId?: string;
  planId?: string;
  fromPlanId?: string;
  customerId: string;
  subscriptionId?: string;
  /** A redemption naming a hold: its id (a UUID; anything else is looked up as no hold). */
  holdId?: string;
  /** The decision's instant: the budget period whose spend is read. */
  now: string;
  /**
   * A request without an idempotency key, whose id is its row's: which kind of row, and the id,
   * so the read answers the row an earlier run of its job committed (`written_row`).
   */
  written?: { kind: 'redemption' | 'hold'; id: string };
}

const NIL_UUID = '00000000-0000-0000-0000-000000000000';

export function contextStatement(accountId: string, q: ContextQuery): Statement {
  return context({
    accountId, code: q.code, planId: q.planId ?? '', customerId: q.customerId, subscriptionId: q.subscriptionId ?? '',
    direct: q.couponId !== undefined, couponId: q.couponId ?? NIL_UUID, fromPlanId: q.fromPlanId ?? '',
    hasHold: q.holdId !== undefined && isUuid(q.holdId), holdId: q.holdId !== undefined && isUuid(q.holdId) ? q.holdId : NIL_UUID, now: q.now,
    writtenKind: q.written?.kind ?? 'none', writtenId: q.written?.id ?? NIL_UUID,
  });
}

export interface LoadedContext extends RedemptionContext {
  /** The customer as stored when the context was read; null when there is none yet. */
  storedCustomer: StoredCustomer | null;
  /** The customer's active holds of the coupon. */
  customerHoldCount: number;
  /** The account's rounding mode (pinned in the terms of a redemption made now). */
  rounding: RoundingMode;
  /** The hold the request names: undefined when it names none, null when there is no such hold. */
  hold: HoldRow | null | undefined;
  /** The coupon's budget spend rows of its latest period at or before now (empty without a budget). */
  budgetSpend: BudgetSpend[];
}

/** The row the context statement answers: the rows it reads come as JSON (`to_jsonb`), mapped by their tables' one mappers. */
export interface ContextRow {
  plan: JsonRow<'plans'> | null;
  from_plan: JsonRow<'plans'> | null;
  customer: JsonRow<'customers'> | null;
  code_row: JsonRow<'codes'> | null;
  coupon_row: JsonRow<'coupons'> | null;
  nearly_exhausted_event_at: StoredRow<'coupons'>['nearly_exhausted_event_at'];
  customer_count: number;
  sub_active: boolean[];
  customer_holds: number | null;
  rounding: unknown;
  hold_row: Record<string, unknown> | null;
  budget_spend: { period: string; periodStart: string; currency: string; spent: number | string }[] | null;
  /** The row an earlier run of this request's job committed (ContextQuery.written), or null. */
  written_row: Record<string, unknown> | null;
}

/** The redemption an earlier run of the request's job committed (asked with `written: {kind: 'redemption'}`), or null. */
export function writtenRedemption(r: ContextRow): RedemptionRow | null {
  return r.written_row ? redemptionRowFrom(r.written_row as JsonRow<'redemptions'>) : null;
}

/** The hold an earlier run of the request's job committed (asked with `written: {kind: 'hold'}`), or null. */
export function writtenHold(r: ContextRow): HoldRow | null {
  return r.written_row ? holdFromRow(r.written_row) : null;
}

export function contextFromRow(r: ContextRow, q: { planId?: string; fromPlanId?: string; holdId?: string }): LoadedContext {
  return {
    plan: q.planId === undefined ? undefined : r.plan ? planFromRow(r.plan) : null,
    fromPlan: q.fromPlanId === undefined ? undefined : r.from_plan ? planFromRow(r.from_plan) : null,
    loaded: r.coupon_row
      ? {
          code: r.code_row ? codeRowFrom(r.code_row) : null,
          coupon: couponRowFrom(r.coupon_row),
          nearlyExhaustedEventAt: isoOrNull(r.nearly_exhausted_event_at),
        }
      : null,
    customerCount: r.customer_count,
    subscriptionActive: r.sub_active.map((stackable) => ({ stackable })),
    storedCustomer: r.customer ? customerFromRow(r.customer) : null,
    customerHoldCount: Number(r.customer_holds ?? 0),
    rounding: isRoundingMode(r.rounding) ? r.rounding : DEFAULT_ROUNDING,
    hold: q.holdId === undefined ? undefined : r.hold_row ? holdFromRow(r.hold_row) : null,
    budgetSpend: (r.budget_spend ?? []).map((b) => ({ period: b.period as BudgetSpend['period'], periodStart: iso(b.periodStart), currency: b.currency, spent: Number(b.spent) })),
  };
}
