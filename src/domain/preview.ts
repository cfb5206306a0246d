import { type Budget, type BudgetSpend, budgetAmountFor, budgetPeriodAt, spentIn } from './budget';
import type { RedemptionState } from './cycles';
import { discountLines } from './discount';
import { DomainError } from './errors';
import { computeInvoiceDiscounts, type InvoiceLine } from './invoice';
import { lineInScope, meetsMinimum } from './scope';
import { type CouponTerms, discountsInvoices, type Interval, type LineKind, type Plan } from './terms';
import { assertZone, type Instant, toDateTime, toUtcIso } from './time';

/**
 * Invoice previews (API.md "Previews and rounding"): the next invoices of a subscription,
 * computed by the invoice worker's own function (computeInvoiceDiscounts) on hypothetical
 * invoices, one after the other, each starting from the redemption state the previous one left,
 * as the worker would store it. So sending those invoices afterwards, in order, gives the
 * previewed amounts to the cent.
 */

export const MAX_PREVIEW_CYCLES = 36;

export interface BillingPeriod {
  start: string;
  /** null for a plan without an interval (one cycle only) */
  end: string | null;
}

/**
 * The first `n` billing periods from `startsAt` by `interval` in `zone`: period k starts at
 * startsAt + k × interval, each computed from startsAt itself (so Jan 31 monthly gives Feb 28,
 * then Mar 31), with the local wall time kept across DST; a period ends where the next starts.
 */
export function billingPeriods(startsAt: Instant, interval: Interval | null, zone: string, n: number): BillingPeriod[] {
  assertZone(zone);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PREVIEW_CYCLES) {
    throw new DomainError('invalid_cycles', `cycles must be an integer 1..${MAX_PREVIEW_CYCLES}`, 'cycles');
  }
  const start = toDateTime(startsAt, 'startsAt').setZone(zone);
  if (interval === null) {
    if (n !== 1) throw new DomainError('plan_without_interval', 'the plan has no interval: only one cycle can be previewed', 'cycles');
    return [{ start: toUtcIso(start), end: null }];
  }
  const at = (k: number) => toUtcIso(start.plus({ [`${interval.unit}s`]: interval.count * k }));
  return Array.from({ length: n }, (_, k) => ({ start: at(k), end: at(k + 1) }));
}

/** The line a plan bills each period when no lines are given: its price, as a recurring (or one-time) line. */
export function planLine(plan: Plan, id = 'plan'): InvoiceLine {
  const kind: LineKind = plan.kind === 'one_time' ? 'one_time' : 'recurring';
  return { id, kind, planId: plan.id, amount: plan.price };
}

/** A budgeted coupon as the preview needs it: its budget, zone and what was already spent. */
export interface PreviewBudget {
  budget: Budget;
  zone: string;
  spend: readonly BudgetSpend[];
}

export interface PreviewInput {
  plan: Plan;
  /** Every plan the lines and redemptions name. */
  plans: Record<string, Plan>;
  /** The account's zone: periods are planned in it. */
  zone: string;
  startsAt: Instant;
  cycles: number;
  currency: string;
  /** The lines of every invoice; default: the plan's price as one line. */
  lines?: readonly InvoiceLine[];
  /** The subscription's redemptions and the coupons listed as if redeemed, in stacking order. */
  redemptions: readonly RedemptionState[];
  /** Budgets of the coupons involved, by coupon id. */
  budgets?: Readonly<Record<string, PreviewBudget>>;
}

export interface PreviewCycle {
  cycle: number;
  periodStart: string;
  periodEnd: string | null;
  subtotal: number;
  discountTotal: number;
  total: number;
  credit: number;
  applied: { redemptionId: string; couponId: string; code: string | null; cycle: number | null; amount: number }[];
}

/** The next `cycles` invoices, each discounted by computeInvoiceDiscounts on the state the previous left. */
export function previewInvoices(input: PreviewInput): PreviewCycle[] {
  const periods = billingPeriods(input.startsAt, input.plan.interval, input.zone, input.cycles);
  const lines = input.lines ? [...input.lines] : [planLine(input.plan)];
  let states = [...input.redemptions];
  // what the previewed invoices themselves take from each budget, by coupon and period
  const ownSpend = new Map<string, number>();
  return periods.map((period, k) => {
    const budgets: Record<string, number> = {};
    const keys = new Map<string, string>();
    for (const [couponId, b] of Object.entries(input.budgets ?? {})) {
      const amount = budgetAmountFor(b.budget, input.currency);
      if (amount === null) continue;
      const p = budgetPeriodAt(b.budget.period, b.zone, period.start);
      const key = `${couponId}|${p.period}|${p.start}`;
      keys.set(couponId, key);
      budgets[couponId] = Math.max(0, amount - spentIn(b.spend, p, input.currency) - (ownSpend.get(key) ?? 0));
    }
    const plan = computeInvoiceDiscounts({
      invoice: { id: `preview-${k + 1}`, currency: input.currency, periodStart: period.start, trial: false, midPeriod: false, lines },
      plans: input.plans,
      redemptions: states,
      budgets,
    });
    for (const [couponId, spent] of Object.entries(plan.budgetSpent)) {
      const key = keys.get(couponId)!;
      ownSpend.set(key, (ownSpend.get(key) ?? 0) + spent);
    }
    states = states.map((s) => {
      const u = plan.updates.find((x) => x.redemptionId === s.id);
      return u ? { ...s, cyclesApplied: u.cyclesApplied, anchor: u.anchor, lastCountedDiscounted: u.lastCountedDiscounted, status: u.status } : s;
    });
    return {
      cycle: k + 1,
      periodStart: period.start,
      periodEnd: period.end,
      subtotal: plan.subtotal,
      discountTotal: plan.discountTotal,
      total: plan.total,
      credit: plan.credit,
      applied: plan.applied.map((a) => ({ redemptionId: a.redemptionId, couponId: a.couponId, code: a.code, cycle: a.cycle, amount: a.amount })),
    };
  });
}

/**
 * What a coupon's terms take off a plan's price in `currency` (the qualification list's
 * `discount.amount`): the plan's price as its one line, in scope or not, the minimum judged on
 * it, the percentage rounded by the terms' mode; 0 for discounts that reduce no price (free
 * trial, free shipping, none). `budgetLeft` (null: not capped) caps it.
 */
export function priceDiscount(terms: CouponTerms, plan: Plan, currency: string, budgetLeft: number | null = null): number {
  if (!discountsInvoices(terms.discount)) return 0;
  const line = planLine(plan);
  const inScope = lineInScope(terms, line, plan);
  if (inScope && !meetsMinimum(terms.appliesTo, currency, line.amount)) return 0;
  const amount = discountLines(terms.discount, currency, [line.amount], [inScope], terms.rounding).amount;
  return budgetLeft === null ? amount : Math.min(amount, budgetLeft);
}

/** A qualifying coupon (or code) with the discount it gives on the plan's price (null without a plan). */
export interface Qualified {
  couponId: string;
  couponCreatedAt: string;
  code: string | null;
  amount: number | null;
}

/**
 * The qualification list's order: largest discount first (none known last), then the older
 * coupon, then its codes A→Z with the direct coupon (no code) first.
 */
export function rankQualified<T extends Qualified>(items: readonly T[]): T[] {
  const ms = (s: string) => toDateTime(s).toMillis();
  return [...items].sort((a, b) => {
    if (a.amount !== b.amount) return a.amount === null ? 1 : b.amount === null ? -1 : b.amount - a.amount;
    if (a.couponCreatedAt !== b.couponCreatedAt) return ms(a.couponCreatedAt) - ms(b.couponCreatedAt);
    if (a.couponId !== b.couponId) return a.couponId < b.couponId ? -1 : 1;
    if (a.code === b.code) return 0;
    return a.code === null ? -1 : b.code === null ? 1 : a.code < b.code ? -1 : 1;
  });
}
