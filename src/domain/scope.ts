import type { AppliesTo, CouponTerms, LineKind, Plan, PlanMatch } from './terms';
import { DEFAULT_LINE_KINDS } from './terms';

/**
 * True when `plan` matches ANY of the match's lists: its id is in `planIds`, its family is in
 * `families`, or its interval (unit and count, whatever the plan's kind) is in `intervals`.
 */
export function planMatches(match: PlanMatch, plan: Plan): boolean {
  if (match.planIds?.includes(plan.id)) return true;
  const family = plan.family ?? null;
  if (family !== null && match.families?.includes(family)) return true;
  const interval = plan.interval;
  if (interval === null) return false;
  return match.intervals?.some((i) => i.unit === interval.unit && i.count === interval.count) ?? false;
}

function hasCriteria(match: PlanMatch | undefined): match is PlanMatch {
  return match !== undefined && (match.planIds !== undefined || match.families !== undefined || match.intervals !== undefined);
}

/**
 * SPEC §3.4: in scope when `planKinds` (if given) holds the plan's kind, the plan matches
 * `include` (or there is none) and does not match `exclude` (exclusion wins). An include
 * with no list at all counts as no include.
 */
export function planInScope(appliesTo: AppliesTo, plan: Plan): boolean {
  if (appliesTo.planKinds !== undefined && !appliesTo.planKinds.includes(plan.kind)) return false;
  const plans = appliesTo.plans;
  if (plans === 'all') return true;
  if (hasCriteria(plans.include) && !planMatches(plans.include, plan)) return false;
  return !(hasCriteria(plans.exclude) && planMatches(plans.exclude, plan));
}

/** Line kinds the terms discount: free_shipping → shipping only; else lineKinds or the default (all but shipping). */
export function targetLineKinds(terms: Pick<CouponTerms, 'discount' | 'appliesTo'>): readonly LineKind[] {
  if (terms.discount.type === 'free_shipping') return ['shipping'];
  return terms.appliesTo.lineKinds ?? DEFAULT_LINE_KINDS;
}

/**
 * Whether a redemption's terms discount an invoice line. `plan` is the line's own plan when
 * the line names one, else the redemption's plan (setup fees, shipping).
 */
export function lineInScope(
  terms: Pick<CouponTerms, 'discount' | 'appliesTo'>,
  line: { kind: LineKind },
  plan: Plan,
): boolean {
  return targetLineKinds(terms).includes(line.kind) && planInScope(terms.appliesTo, plan);
}

/** The coupon's minimum in `currency` (appliesTo.minimumAmounts, case-insensitive key), or null when it has none. */
export function minimumAmountFor(appliesTo: Pick<AppliesTo, 'minimumAmounts'>, currency: string): number | null {
  const minimums = appliesTo.minimumAmounts;
  if (!minimums) return null;
  const wanted = currency.toUpperCase();
  const key = Object.keys(minimums).find((k) => k.toUpperCase() === wanted);
  return key === undefined ? null : (minimums[key] as number);
}

/**
 * Whether `amount` (the sum of the invoice lines in the coupon's scope, before any discount, or
 * a plan's price) reaches the coupon's minimum in `currency`; true when there is none.
 */
export function meetsMinimum(appliesTo: Pick<AppliesTo, 'minimumAmounts'>, currency: string, amount: number): boolean {
  const minimum = minimumAmountFor(appliesTo, currency);
  return minimum === null || amount >= minimum;
}
