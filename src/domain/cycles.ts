import { DateTime } from 'luxon';
import { DomainError } from './errors';
import type { CouponTerms, Duration } from './terms';
import { assertZone, type Instant, parseLocalDate, toDateTime, toUtcIso } from './time';

/** What the engine needs to know about one redemption to discount an invoice. */
export interface RedemptionState {
  id: string;
  couponId: string;
  code: string | null;
  /** The plan the code was redeemed on; lines without a planId are judged by it. */
  planId: string;
  terms: CouponTerms;
  status: 'active' | 'ended';
  /** Cycles the duration has used (counted invoices inside the duration). */
  cyclesApplied: number;
  /** Period start of cycle 1 (ISO instant), null before the first counted invoice. */
  anchor: string | null;
  /** Whether it discounted the subscription's latest counted invoice. */
  lastCountedDiscounted: boolean;
}

export type EndedReason = 'cycles_used' | 'window_passed';

/**
 * End of a `months N` window: anchor + N calendar months in `zone` (Luxon: Jan 31 + 1 month =
 * Feb 28/29, local wall-clock time kept across DST). Invoices starting before it are inside.
 */
export function monthsWindowEnd(anchorIso: Instant, months: number, zone: string): DateTime {
  assertZone(zone);
  if (!Number.isInteger(months) || months < 0) {
    throw new DomainError('invalid_duration', 'months must be a non-negative integer', 'duration.months');
  }
  return toDateTime(anchorIso, 'anchor').setZone(zone).plus({ months });
}

/** End of an `until D` window: 00:01 local time on the day after D in `zone`. */
export function untilBoundary(date: string, zone: string): DateTime {
  assertZone(zone);
  const next = parseLocalDate(date, 'UTC', 'duration.date').plus({ days: 1 });
  return DateTime.fromObject({ year: next.year, month: next.month, day: next.day, hour: 0, minute: 1 }, { zone });
}

/**
 * The instant a time-bounded duration stops covering invoices, or null when the duration has
 * no such window (once/repeating/forever) or a months window has no anchor yet.
 */
export function windowEnd(duration: Duration, anchor: Instant | null, zone: string): DateTime | null {
  if (duration.type === 'until') return untilBoundary(duration.date, zone);
  if (duration.type === 'months' && anchor !== null) return monthsWindowEnd(anchor, duration.months, zone);
  return null;
}

/** True when an invoice starting at `periodStart` is inside the duration's time window (or it has none). */
export function insideWindow(state: Pick<RedemptionState, 'terms' | 'anchor'>, periodStart: DateTime): boolean {
  const end = windowEnd(state.terms.duration, state.anchor, state.terms.timeZone);
  return end === null || periodStart.toMillis() < end.toMillis();
}

/**
 * For the expiry job: true when an active months/until redemption's window has passed at
 * `now`, so it should be ended. False for ended redemptions, for other durations and for a
 * months redemption that has not had its cycle 1 yet.
 */
export function redemptionWindowPassed(
  state: Pick<RedemptionState, 'status' | 'terms' | 'anchor'>,
  now: Instant,
): boolean {
  if (state.status !== 'active') return false;
  const end = windowEnd(state.terms.duration, state.anchor, state.terms.timeZone);
  return end !== null && toDateTime(now, 'now').toMillis() >= end.toMillis();
}

export interface CountedCycle {
  /** This invoice's cycle number for the redemption (cyclesApplied + 1). */
  cycle: number;
  /** Whether the duration covers this invoice. */
  entitled: boolean;
  /** Whether the redemption ends with this invoice. */
  ends: boolean;
  endedReason?: EndedReason;
  /** Anchor after this invoice (set from the first counted invoice). */
  anchor: string;
}

/** How an active redemption's duration treats a counted (non-trial, non-mid-period) invoice. */
export function evaluateCountedInvoice(state: RedemptionState, periodStart: DateTime): CountedCycle {
  const anchor = state.anchor ?? toUtcIso(periodStart);
  const cycle = state.cyclesApplied + 1;
  const duration = state.terms.duration;
  if (duration.type === 'forever') return { cycle, entitled: true, ends: false, anchor };
  if (duration.type === 'once' || duration.type === 'repeating') {
    const limit = duration.type === 'once' ? 1 : duration.cycles;
    const ends = cycle >= limit;
    return { cycle, entitled: cycle <= limit, ends, anchor, ...(ends ? { endedReason: 'cycles_used' as const } : {}) };
  }
  const entitled = insideWindow({ terms: state.terms, anchor }, periodStart);
  return { cycle, entitled, ends: !entitled, anchor, ...(entitled ? {} : { endedReason: 'window_passed' as const }) };
}
