import type { Action, Interval, IntervalUnit, Plan } from './terms';

/** `appliesTo.switches` (API.md): which plan switches a coupon applies to. */
export type SwitchRule = 'any' | 'same_interval_upgrade' | 'to_longer_interval';
export const SWITCH_RULES: readonly SwitchRule[] = ['any', 'same_interval_upgrade', 'to_longer_interval'];

/** Actions that are plan switches; `fromPlanId` with any other action is ignored. */
export const SWITCH_ACTIONS: readonly Action[] = ['upgrade', 'downgrade'];

/**
 * Each unit's length in millionths of a day: a month is 30.436875 days and a year 365.2425
 * days (API.md), both exact in millionths, so lengths compare exactly in integers and
 * 12 months = 1 year (12 × 30,436,875 = 365,242,500).
 */
export const UNIT_MICRODAYS: Readonly<Record<IntervalUnit, bigint>> = {
  day: 1_000_000n,
  week: 7_000_000n,
  month: 30_436_875n,
  year: 365_242_500n,
};

/** An interval's exact length in millionths of a day. */
export function intervalMicrodays(i: Interval): bigint {
  return UNIT_MICRODAYS[i.unit] * BigInt(i.count);
}

/** -1, 0 or 1 as `a` is shorter than, as long as, or longer than `b` (exact). */
export function compareIntervals(a: Interval, b: Interval): -1 | 0 | 1 {
  const x = intervalMicrodays(a);
  const y = intervalMicrodays(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Whether a coupon's `appliesTo.switches` lets this action through (API.md "Plan switches"):
 * - `any` (or no rule): everything passes, with or without `fromPlan`;
 * - `same_interval_upgrade`: action `upgrade` from a plan whose interval is as long as the new
 *   plan's (lengths compared exactly, so 12 months = 1 year);
 * - `to_longer_interval`: action `upgrade` or `downgrade` to a plan whose interval is strictly
 *   longer than the old plan's.
 * A restricting rule refuses every other action and a switch without `fromPlan`. `toPlan` null
 * (validate without planId) skips the interval comparison; a plan without an interval is no
 * interval switch and is refused.
 */
export function switchAllowed(rule: SwitchRule | undefined, action: Action, fromPlan: Pick<Plan, 'interval'> | null, toPlan: Pick<Plan, 'interval'> | null): boolean {
  if (rule === undefined || rule === 'any') return true;
  const actions: readonly Action[] = rule === 'same_interval_upgrade' ? ['upgrade'] : SWITCH_ACTIONS;
  if (!actions.includes(action) || fromPlan === null) return false;
  if (toPlan === null) return true;
  if (fromPlan.interval === null || toPlan.interval === null) return false;
  const order = compareIntervals(toPlan.interval, fromPlan.interval);
  return rule === 'same_interval_upgrade' ? order === 0 : order > 0;
}
