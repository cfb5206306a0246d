import { sql } from 'kysely';
import type { Em } from '../db/orm';
import type { Statement } from '../db/pipeline';
import { namedStatement } from '../db/sql-text';
import type { JsonRow, StoredRow } from '../db/rows';
import { isoOrNull } from '../db/values';
import { SUBSCRIPTION_CANCELLED, type Budget, type BudgetPeriodKind, type InvoiceDiscountPlan, type RedemptionState } from '../domain';
import { planFromRow, type PlanView } from './plans';
import { redemptionRowFrom, type RedemptionRow } from './redemptions';

export interface StoredInvoice {
  requestHash: string;
  paid: boolean;
  result: Record<string, unknown>;
}

/** What an invoice's replay needs of its row: the one mapping of an invoices row (read through kysely, or as JSON by the context). */
export function storedInvoiceFrom(r: Pick<StoredRow<'invoices'>, 'request_hash' | 'paid' | 'result'>): StoredInvoice {
  return { requestHash: r.request_hash, paid: r.paid, result: r.result };
}

export async function findInvoice(em: Em, accountId: string, invoiceId: string): Promise<StoredInvoice | null> {
  const row = await em
    .getKysely()
    .selectFrom('invoices')
    .select(['request_hash', 'paid', 'result'])
    .where('account_id', '=', accountId)
    .where('id', '=', invoiceId)
    .executeTakeFirst();
  return row ? storedInvoiceFrom(row) : null;
}

export type LoadedRedemption = RedemptionState & { codeId: number | null };

export interface InvoiceContext {
  existing: StoredInvoice | null;
  /** The redemptions that can discount the subscription's next invoice, oldest first. */
  redemptions: LoadedRedemption[];
  /** The plans of the invoice lines and of those redemptions. */
  plans: Map<string, PlanView>;
  /** The current budget (and zone) of each of those redemptions' coupons that has one. */
  budgets: Map<string, { budget: Budget; zone: string }>;
}

/**
 * Opens an invoice's transaction (one flight with what follows it): BEGIN, and custom plans for
 * its reads. A named statement otherwise keeps the generic plan it gets on its sixth execution
 * until the table's statistics change, and the context read's plan depends on how many invoices
 * the statistics say there are: built while `invoices` was analyzed empty (the bench's VACUUM
 * ANALYZE before a latency row; an operator's after a migration), its lookup of a re-sent invoice
 * was a sequential scan of every invoice (a full scan of another index with sequential scans
 * priced out), on every call from then on where autovacuum does not analyze again (row 4 fell to
 * 353–401/s). A custom plan is made for the table as it is. The write sets its own mode
 * (recordInvoiceStatements).
 */
export const INVOICE_BEGIN: (Statement | string)[] = ['begin', 'set local plan_cache_mode = force_custom_plan'];

/** The row the context statement answers, its rows read as JSON. */
type ContextRow = {
  existing: Pick<JsonRow<'invoices'>, 'request_hash' | 'paid' | 'result'> | null;
  redemptions: JsonRow<'redemptions'>[];
  plans: JsonRow<'plans'>[];
  budgets: { couponId: string; budget: Budget; zone: string }[];
};

/**
 * Everything an invoice needs, in one statement (named, for the pipelined transaction of
 * src/services/invoice-service.ts): the invoice if already recorded, the redemptions that can
 * discount it, the plans, the budgets of their coupons. A cancelled subscription's invoices are
 * discounted by nothing: no redemption is loaded for them.
 */
export function invoiceContextStatement(accountId: string, invoiceId: string, subscriptionId: string, linePlanIds: string[]): Statement {
  return namedStatement('cf_invoice_context', sql<ContextRow>`
    with reds as (
       select *
         from redemptions
        where account_id = ${accountId}::uuid and subscription_id = ${subscriptionId}
          and (status = 'active' or (status = 'ended' and last_counted_discounted))
          and not exists (select 1 from subscriptions s where s.account_id = redemptions.account_id and s.id = redemptions.subscription_id
                            and s.status = ${SUBSCRIPTION_CANCELLED}))
     select
       (select jsonb_build_object('request_hash', request_hash, 'paid', paid, 'result', result)
          from invoices where account_id = ${accountId}::uuid and id = ${invoiceId}) as existing,
       coalesce((select jsonb_agg(to_jsonb(r) order by r.created_at, r.id) from reds r), '[]'::jsonb) as redemptions,
       coalesce((select jsonb_agg(to_jsonb(p)) from plans p
                  where p.account_id = ${accountId}::uuid and (p.id = any(${[...new Set(linePlanIds)]}::text[]) or p.id in (select plan_id from reds))), '[]'::jsonb) as plans,
       coalesce((select jsonb_agg(jsonb_build_object('couponId', k.id, 'budget', k.budget, 'zone', k.time_zone)) from coupons k
                  where k.id in (select coupon_id from reds) and jsonb_typeof(k.budget) = 'object'), '[]'::jsonb) as budgets`);
}

/** The answer of invoiceContextStatement. */
export function invoiceContextFromRow(r: ContextRow): InvoiceContext {
  return {
    existing: r.existing ? storedInvoiceFrom(r.existing) : null,
    redemptions: r.redemptions.map((x) => loadedRedemption(redemptionRowFrom(x))),
    plans: new Map(r.plans.map((p) => [p.id, planFromRow(p)])),
    budgets: new Map((r.budgets ?? []).map((b) => [b.couponId, { budget: b.budget, zone: b.zone }])),
  };
}

/** What invoicing needs of a redemption; the statement loads active ones and ended ones only. */
function loadedRedemption(r: RedemptionRow): LoadedRedemption {
  const { id, couponId, code, codeId, planId, terms, cyclesApplied, anchor, lastCountedDiscounted } = r;
  return { id, couponId, code, codeId, planId, terms, status: r.status as LoadedRedemption['status'], cyclesApplied, anchor, lastCountedDiscounted };
}

/** One budget period row an invoice takes from: the coupon, currency and period of the invoice's periodStart. */
export interface BudgetKey {
  couponId: string;
  currency: string;
  period: BudgetPeriodKind;
  periodStart: string;
}

/** What a budget row holds when the invoice locked it. */
export interface LockedBudget extends BudgetKey {
  spent: number;
  exhausted: boolean;
}

/**
 * Creates (if missing) and locks an invoice's budget rows, in key order, so concurrent invoices
 * of one coupon wait for each other there (and never in a cycle): the insert takes the keys in
 * order, then the rows are locked `for update` in the same order. Answers each row's spend.
 */
export function lockBudgetSpendStatements(accountId: string, keys: BudgetKey[]): Statement[] {
  const sorted = [...keys].sort((a, b) => (a.couponId + a.currency + a.period + a.periodStart < b.couponId + b.currency + b.period + b.periodStart ? -1 : 1));
  const cols = sql`unnest(${sorted.map((k) => k.couponId)}::uuid[], ${sorted.map((k) => k.periodStart)}::timestamptz[], ${sorted.map((k) => k.currency)}::text[],
                          ${sorted.map((k) => k.period)}::text[]) with ordinality as u(coupon_id, period_start, currency, period, ord)`;
  return [
    namedStatement('cf_insert_budget_spend', sql`
      insert into coupon_budget_spend (coupon_id, period_start, currency, period, account_id)
      select u.coupon_id, u.period_start, u.currency, u.period, ${accountId}::uuid from ${cols} order by u.ord
      on conflict do nothing`),
    namedStatement('cf_lock_budget_spend', sql`
      select b.coupon_id, b.period_start, b.currency, b.period, b.spent, b.exhausted_event_at is not null as exhausted
        from coupon_budget_spend b join ${cols}
          on b.coupon_id = u.coupon_id and b.period_start = u.period_start and b.currency = u.currency and b.period = u.period
       order by u.ord for update of b`),
  ];
}

/** One row the lock statement answers. */
export function lockedBudgetFromRow(r: Record<string, unknown>): LockedBudget {
  return {
    couponId: r.coupon_id as string, currency: r.currency as string, period: r.period as BudgetPeriodKind, periodStart: isoOrNull(r.period_start as string | Date | null)!,
    spent: Number(r.spent), exhausted: Boolean(r.exhausted),
  };
}

/** Adds what an invoice took to its (locked) budget rows, marking the ones it spent (their coupon.budget_exhausted is due). */
export function recordBudgetSpendStatement(writes: (BudgetKey & { add: number; markExhausted: boolean })[]): Statement {
  return namedStatement('cf_record_budget_spend', sql`
    update coupon_budget_spend b set spent = b.spent + u.add, updated_at = now(),
           exhausted_event_at = case when u.mark and b.exhausted_event_at is null then now() else b.exhausted_event_at end
      from unnest(${writes.map((w) => w.couponId)}::uuid[], ${writes.map((w) => w.periodStart)}::timestamptz[], ${writes.map((w) => w.currency)}::text[],
                  ${writes.map((w) => w.period)}::text[], ${writes.map((w) => w.add)}::bigint[], ${writes.map((w) => w.markExhausted)}::boolean[])
           as u(coupon_id, period_start, currency, period, add, mark)
     where b.coupon_id = u.coupon_id and b.period_start = u.period_start and b.currency = u.currency and b.period = u.period`);
}

export interface InvoiceRow {
  accountId: string;
  id: string;
  subscriptionId: string;
  customerId: string | null;
  currency: string;
  periodStart: string;
  periodEnd: string | null;
  trial: boolean;
  midPeriod: boolean;
  paid: boolean;
  requestHash: string;
}

/**
 * Writes the invoice, its ledger rows, the redemptions' new state and the events in ONE
 * statement (writable CTEs, named), whatever the number of lines and redemptions — run on its
 * cached generic plan. PostgreSQL's default (`plan_cache_mode = auto`) planned this statement
 * afresh on every execution once `redemptions` held thousands of rows: its generic plan's cost
 * counts 10 rows for each unnest where a custom plan sees the arrays' few, so the generic one
 * never looked cheaper (on a few rows it settles on it after five custom plans). The generic plan is
 * the same nested loop over the redemptions' primary key, and executing on it took 0.53 ms
 * against 0.99 ms replanned (300 executions in a row, on the invoices benchmark's data), so the
 * statement runs between two SET LOCALs that force it and give the transaction back its default.
 */
export function recordInvoiceStatements(
  inv: InvoiceRow,
  plan: InvoiceDiscountPlan,
  result: Record<string, unknown>,
  codeIds: Map<string, number | null>,
  events: { type: string; data: Record<string, unknown> }[],
): Statement[] {
  return [
    { text: 'set local plan_cache_mode = force_generic_plan' },
    recordInvoiceStatement(inv, plan, result, codeIds, events),
    { text: 'set local plan_cache_mode to default' },
  ];
}

function recordInvoiceStatement(
  inv: InvoiceRow,
  plan: InvoiceDiscountPlan,
  result: Record<string, unknown>,
  codeIds: Map<string, number | null>,
  events: { type: string; data: Record<string, unknown> }[],
): Statement {
  const a = plan.applied;
  const u = plan.updates;
  const codeIdOf = (x: { redemptionId: string }): number | null => codeIds.get(x.redemptionId) ?? null;
  return namedStatement('cf_record_invoice', sql`
    with inv as (
       insert into invoices (account_id, id, subscription_id, customer_id, currency, period_start, period_end, trial, mid_period, paid,
                             request_hash, subtotal, discount_total, total, credit, result, paid_at)
       values (${inv.accountId}::uuid, ${inv.id}, ${inv.subscriptionId}, ${inv.customerId}, ${inv.currency}, ${inv.periodStart}::timestamptz,
               ${inv.periodEnd}::timestamptz, ${inv.trial}::boolean, ${inv.midPeriod}::boolean, ${inv.paid}::boolean, ${inv.requestHash},
               ${plan.subtotal}::bigint, ${plan.discountTotal}::bigint, ${plan.total}::bigint, ${plan.credit}::bigint, ${JSON.stringify(result)}::jsonb,
               case when ${inv.paid}::boolean then now() end)),
     ledger as (
       insert into invoice_discounts (account_id, invoice_id, redemption_id, coupon_id, code_id, cycle, currency, amount, invoice_total, lines)
       select ${inv.accountId}::uuid, ${inv.id}, r, c, k, y, ${inv.currency}, m, ${plan.total}::bigint, l
         from unnest(${a.map((x) => x.redemptionId)}::uuid[], ${a.map((x) => x.couponId)}::uuid[], ${a.map(codeIdOf)}::bigint[],
                     ${a.map((x) => x.cycle)}::int[], ${a.map((x) => x.amount)}::bigint[], ${a.map((x) => JSON.stringify(x.lines))}::jsonb[])
              as t(r, c, k, y, m, l)),
     upd as (
       update redemptions r set cycles_applied = u.cycles, anchor = u.anchor, last_counted_discounted = u.lcd, status = u.status,
              ended_at = case when u.status = 'ended' and r.status <> 'ended' then now() else r.ended_at end,
              ended_reason = coalesce(u.reason, r.ended_reason), updated_at = now()
         from unnest(${u.map((x) => x.redemptionId)}::uuid[], ${u.map((x) => x.cyclesApplied)}::int[], ${u.map((x) => x.anchor)}::timestamptz[],
                     ${u.map((x) => x.lastCountedDiscounted)}::boolean[], ${u.map((x) => x.status)}::text[], ${u.map((x) => x.endedReason ?? null)}::text[])
              as u(id, cycles, anchor, lcd, status, reason)
        where r.id = u.id),
     ev as (
       insert into events (account_id, type, data)
       select ${inv.accountId}::uuid, t, d from unnest(${events.map((e) => e.type)}::text[], ${events.map((e) => JSON.stringify(e.data))}::jsonb[]) as e(t, d))
     select 1`);
}

/** Marks an invoice paid (paid_at set once); answers its customer, whether it is a trial invoice, and its stored result. */
const markInvoicePaidSql = (accountId: string, invoiceId: string) => sql<Pick<StoredRow<'invoices'>, 'customer_id' | 'trial' | 'result'>>`
  update invoices set paid = true, paid_at = coalesce(paid_at, now()) where account_id = ${accountId}::uuid and id = ${invoiceId}
  returning customer_id, trial, result`;

/** markInvoicePaid as a named statement, in the pipelined transaction of an invoice re-sent as paid. */
export function markInvoicePaidStatement(accountId: string, invoiceId: string): Statement {
  return namedStatement('cf_mark_invoice_paid', markInvoicePaidSql(accountId, invoiceId));
}

export async function markInvoicePaid(
  em: Em,
  accountId: string,
  invoiceId: string,
): Promise<{ customerId: string | null; trial: boolean; result: Record<string, unknown> } | null> {
  const { rows } = await markInvoicePaidSql(accountId, invoiceId).execute(em.getKysely());
  const row = rows[0];
  if (!row) return null;
  return { customerId: row.customer_id, trial: row.trial, result: row.result };
}
