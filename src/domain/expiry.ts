import { type Instant, toDateTime, toOptionalDateTime } from './time';

/** SPEC §2: `coupon.nearly_exhausted` once 90 % of limits.maxRedemptions is used. */
export const NEARLY_EXHAUSTED_PERCENT = 90;

/**
 * True when at least 90 % of a limit is used (a null/undefined limit never is). Integer
 * arithmetic: times * 100 >= max * 90, so 9 of 10 and 1 of 1 both count.
 */
export function isNearlyExhausted(maxRedemptions: number | null | undefined, timesRedeemed: number): boolean {
  return maxRedemptions !== null && maxRedemptions !== undefined && timesRedeemed * 100 >= maxRedemptions * NEARLY_EXHAUSTED_PERCENT;
}

/** Milliseconds from `now` until `expiresAt`, never negative (an instant already past is due now). */
export function expiryDelayMs(expiresAt: Instant, now: Instant): number {
  return Math.max(0, toDateTime(expiresAt, 'expiresAt').toMillis() - toDateTime(now, 'now').toMillis());
}

/** Epoch milliseconds of an instant (the part of an expiry job's id that names its instant). */
export function epochMillis(at: Instant, field = 'expiresAt'): number {
  return toDateTime(at, field).toMillis();
}

/**
 * For a delayed expiry job: true when the row's current expiry is still the instant the job was
 * scheduled for (same millisecond, whatever the offset). False when the window was edited or
 * removed since, so the stale job must do nothing.
 */
export function expiryStillScheduled(current: Instant | null | undefined, scheduled: Instant): boolean {
  const at = toOptionalDateTime(current, 'expiresAt');
  return at !== null && at.toMillis() === toDateTime(scheduled, 'scheduled').toMillis();
}

