import { DomainError } from './errors';
import { assertZone, type Instant, parseLocalDate, toDateTime, toUtcIso } from './time';

export interface ExpiryInput {
  /** An explicit instant. */
  expiresAt?: Instant | null;
  /** A local date YYYY-MM-DD: valid through the end of that day in `timeZone`. */
  expiresOn?: string | null;
  /** Creation + N days, same local wall time (DST-aware). */
  expiresAfterDays?: number | null;
  createdAt: Instant;
  /** The coupon's zone (the account's zone at creation). */
  timeZone: string;
}

/**
 * SPEC §3.6: resolves the three ways of giving an expiry to one instant (UTC ISO), or null when
 * none is given. At most one may be given (`expiry_conflict`). `expiresOn` resolves to the
 * next local midnight after that day; `expiresAfterDays` to createdAt + N calendar days in
 * the zone, same wall time. The coupon is expired from that instant on (`now >= expiresAt`).
 */
export function resolveExpiry(input: ExpiryInput): string | null {
  assertZone(input.timeZone);
  const given = (['expiresAt', 'expiresOn', 'expiresAfterDays'] as const).filter(
    (k) => input[k] !== undefined && input[k] !== null,
  );
  if (given.length > 1) {
    throw new DomainError('expiry_conflict', `give only one of ${given.join(', ')}`, given[1]);
  }
  if (input.expiresAt !== undefined && input.expiresAt !== null) {
    return toUtcIso(toDateTime(input.expiresAt, 'expiresAt'));
  }
  if (input.expiresOn !== undefined && input.expiresOn !== null) {
    return toUtcIso(parseLocalDate(input.expiresOn, input.timeZone, 'expiresOn').plus({ days: 1 }).startOf('day'));
  }
  const days = input.expiresAfterDays;
  if (days === undefined || days === null) return null;
  if (!Number.isInteger(days) || days < 1) {
    throw new DomainError('invalid_expiry', 'expiresAfterDays must be a positive integer', 'expiresAfterDays');
  }
  return toUtcIso(toDateTime(input.createdAt, 'createdAt').setZone(input.timeZone).plus({ days }));
}
