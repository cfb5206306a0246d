import { DomainError } from './errors';
import { parseLocalDate, toUtcIso } from './time';

/** A report's local-date bounds, as the caller gives them (YYYY-MM-DD, either may be left out). */
export interface ReportRangeInput {
  from?: string | null;
  to?: string | null;
}

/**
 * A half-open UTC range `[from, until)`: `from` is the start of the `from` day, `until` the
 * start of the day after `to` (so `to` counts through the end of its day). A missing bound is
 * null (open on that side).
 */
export interface ReportRange {
  from: string | null;
  until: string | null;
}

/**
 * SPEC §3.9 reports: resolves `from`/`to` local dates in `zone` (the account's) to instants.
 * Days are the zone's calendar days, so a day around a DST change is 23 or 25 hours long (and
 * a day whose midnight does not exist starts at its first valid instant). Throws
 * `invalid_date` naming `from`/`to` for a bad date, `invalid_time_zone` for a bad zone, and
 * `invalid_range` naming `to` when `to` is before `from` (the same day is one day).
 */
export function resolveReportRange(input: ReportRangeInput, zone: string): ReportRange {
  const from = input.from ? parseLocalDate(input.from, zone, 'from').startOf('day') : null;
  const to = input.to ? parseLocalDate(input.to, zone, 'to').startOf('day') : null;
  if (from && to && to.toMillis() < from.toMillis()) {
    throw new DomainError('invalid_range', 'to must be the same day as from or later', 'to');
  }
  return {
    from: from ? toUtcIso(from) : null,
    until: to ? toUtcIso(to.plus({ days: 1 }).startOf('day')) : null,
  };
}
