import { DateTime } from 'luxon';
import { DomainError } from './errors';

/** An instant as the domain accepts it: ISO 8601 string with offset, Date, or Luxon DateTime. */
export type Instant = string | Date | DateTime;

/** Parses an instant; throws `invalid_datetime` (naming `field`) when it is not one. */
export function toDateTime(value: Instant, field = 'instant'): DateTime {
  let dt: DateTime;
  if (typeof value === 'string') dt = DateTime.fromISO(value, { setZone: true });
  else if (value instanceof Date) dt = DateTime.fromJSDate(value);
  else dt = value;
  if (!dt.isValid) throw new DomainError('invalid_datetime', `${field} is not a valid ISO 8601 instant`, field);
  return dt;
}

/** Same as toDateTime, but null/undefined pass through as null. */
export function toOptionalDateTime(value: Instant | null | undefined, field: string): DateTime | null {
  return value === null || value === undefined ? null : toDateTime(value, field);
}

/** Throws `invalid_time_zone` unless `zone` is an IANA zone Luxon knows. */
export function assertZone(zone: string, field = 'timeZone'): void {
  if (!DateTime.fromMillis(0, { zone }).isValid) {
    throw new DomainError('invalid_time_zone', `${field} "${zone}" is not a known IANA time zone`, field);
  }
}

/** Parses a local calendar date YYYY-MM-DD in `zone` (start of that day). */
export function parseLocalDate(date: string, zone: string, field = 'date'): DateTime {
  assertZone(zone);
  const dt = /^\d{4}-\d{2}-\d{2}$/.test(date) ? DateTime.fromISO(date, { zone }) : DateTime.invalid('format');
  if (!dt.isValid) throw new DomainError('invalid_date', `${field} must be a date YYYY-MM-DD`, field);
  return dt;
}

/** UTC ISO form of an instant, as API.md returns instants. */
export function toUtcIso(dt: DateTime): string {
  return dt.toUTC().toISO() as string;
}
