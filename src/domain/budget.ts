import { DomainError } from './errors';
import { assertMinorUnits, sumMinor } from './money';
import { assertZone, type Instant, toDateTime, toUtcIso } from './time';

/**
 * Budgets (API.md "Checkout"): the most discount all invoices together may take from a coupon
 * per calendar period of the coupon's zone, per currency (ledger amounts). An invoice counts in
 * the period of its `periodStart`; `period` null (or absent) is the coupon's whole life.
 */

export type BudgetPeriodUnit = 'day' | 'week' | 'month';
export const BUDGET_PERIODS: readonly BudgetPeriodUnit[] = ['day', 'week', 'month'];

export interface Budget {
  /** Minor units per currency; a currency not listed is not capped. */
  amounts: Record<string, number>;
  period?: BudgetPeriodUnit | null;
}

/** `life` for a budget without a period. */
export type BudgetPeriodKind = BudgetPeriodUnit | 'life';

/** One period of a budget: its kind, start (UTC ISO) and end (exclusive; null for `life`). */
export interface BudgetPeriod {
  period: BudgetPeriodKind;
  start: string;
  end: string | null;
}

/** The start stored for a budget over the coupon's life (there is only one such period). */
export const LIFE_PERIOD_START = '1970-01-01T00:00:00.000Z';

/** What a coupon has spent in one period and currency, as stored. */
export interface BudgetSpend {
  period: BudgetPeriodKind;
  /** UTC ISO instant */
  periodStart: string;
  currency: string;
  spent: number;
}

/**
 * The budget period holding `at`, in `zone`: the local day, the ISO week (from Monday 00:00) or
 * the calendar month, each from local midnight, so a DST change moves no boundary's wall time.
 */
export function budgetPeriodAt(period: BudgetPeriodUnit | null | undefined, zone: string, at: Instant): BudgetPeriod {
  if (period === null || period === undefined) return { period: 'life', start: LIFE_PERIOD_START, end: null };
  assertZone(zone);
  const local = toDateTime(at, 'periodStart').setZone(zone);
  const start = local.startOf(period);
  const end = start.plus({ [`${period}s`]: 1 }).startOf(period);
  return { period, start: toUtcIso(start), end: toUtcIso(end) };
}

/** The budget's amount in `currency` (case-insensitive), or null when the currency is not capped. */
export function budgetAmountFor(budget: Budget | null | undefined, currency: string): number | null {
  if (!budget) return null;
  const wanted = currency.toUpperCase();
  const key = Object.keys(budget.amounts).find((k) => k.toUpperCase() === wanted);
  if (key === undefined) return null;
  const amount = budget.amounts[key] as number;
  assertMinorUnits(amount, `limits.budget.amounts.${key}`);
  return amount;
}

const sameInstant = (a: string, b: string): boolean => toDateTime(a).toMillis() === toDateTime(b).toMillis();

/** What the rows say was spent in `period` in `currency` (0 when there is no row). */
export function spentIn(rows: readonly BudgetSpend[], period: BudgetPeriod, currency: string): number {
  const wanted = currency.toUpperCase();
  return sumMinor(
    rows.filter((r) => r.period === period.period && r.currency.toUpperCase() === wanted && sameInstant(r.periodStart, period.start)).map((r) => r.spent),
  );
}

/**
 * What is left of the budget in `currency` for the period holding `at` (never below 0), or null
 * when nothing caps it (no budget, or no amount in that currency).
 */
export function budgetRemaining(
  budget: Budget | null | undefined,
  zone: string,
  currency: string,
  at: Instant,
  rows: readonly BudgetSpend[],
): number | null {
  const amount = budgetAmountFor(budget, currency);
  if (amount === null || !budget) return null;
  return Math.max(0, amount - spentIn(rows, budgetPeriodAt(budget.period, zone, at), currency));
}

/** A spent budget: the period holding `at` has nothing left in `currency`. */
export function budgetExhausted(budget: Budget | null | undefined, zone: string, currency: string, at: Instant, rows: readonly BudgetSpend[]): boolean {
  return budgetRemaining(budget, zone, currency, at, rows) === 0;
}

/**
 * Caps one redemption's line discounts at what the budget has left: the lines in invoice order
 * keep their discount while the budget lasts, the one that reaches it gets the rest, the later
 * ones nothing (full price).
 */
export function capToBudget(shares: readonly number[], remaining: number): number[] {
  assertMinorUnits(remaining, 'remaining');
  let left = remaining;
  return shares.map((share) => {
    const given = Math.min(share, left);
    left -= given;
    return given;
  });
}

/** GET /v1/coupons/{id}/stats' `budget`: the period holding `now`, spent and remaining per currency of the budget. */
export interface BudgetStats {
  period: BudgetPeriodUnit | null;
  /** null for a budget over the coupon's life */
  periodStart: string | null;
  resetsAt: string | null;
  spent: Record<string, number>;
  remaining: Record<string, number>;
}

export function budgetStats(budget: Budget, zone: string, now: Instant, rows: readonly BudgetSpend[]): BudgetStats {
  const p = budgetPeriodAt(budget.period, zone, now);
  const spent: Record<string, number> = {};
  const remaining: Record<string, number> = {};
  for (const [currency, amount] of Object.entries(budget.amounts)) {
    spent[currency] = spentIn(rows, p, currency);
    remaining[currency] = Math.max(0, amount - spent[currency]);
  }
  return { period: budget.period ?? null, periodStart: p.period === 'life' ? null : p.start, resetsAt: p.end, spent, remaining };
}

/** Throws unless `budget` is a budget (amounts ≥ 1 per currency, a known period). */
export function assertBudget(budget: Budget, field = 'limits.budget'): void {
  if (Object.keys(budget.amounts).length === 0) throw new DomainError('invalid_budget', `${field}.amounts must hold at least one currency`, `${field}.amounts`);
  for (const [k, v] of Object.entries(budget.amounts)) assertMinorUnits(v, `${field}.amounts.${k}`);
  if (budget.period != null && !BUDGET_PERIODS.includes(budget.period)) {
    throw new DomainError('invalid_budget', `${field}.period must be day, week, month or null`, `${field}.period`);
  }
}
