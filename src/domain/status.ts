import { DomainError } from './errors';
import { type Instant, toDateTime, toOptionalDateTime } from './time';

export type CouponStoredStatus = 'draft' | 'active' | 'disabled' | 'archived';
export type CodeStoredStatus = 'active' | 'disabled' | 'archived';
export type EffectiveStatus = 'archived' | 'disabled' | 'draft' | 'expired' | 'exhausted' | 'scheduled' | 'active';

/** Most restrictive first: archived > disabled > draft > expired > exhausted > scheduled > active. */
export const STATUS_PRECEDENCE: readonly EffectiveStatus[] = [
  'archived', 'disabled', 'draft', 'expired', 'exhausted', 'scheduled', 'active',
];

export interface CouponStatusInput {
  storedStatus: CouponStoredStatus;
  validFrom?: Instant | null;
  expiresAt?: Instant | null;
  maxRedemptions?: number | null;
  timesRedeemed: number;
}

export interface CodeStatusInput {
  storedStatus: CodeStoredStatus;
  expiresAt?: Instant | null;
  maxRedemptions?: number | null;
  timesRedeemed: number;
}

/** The more restrictive of two statuses. */
export function moreRestrictive(a: EffectiveStatus, b: EffectiveStatus): EffectiveStatus {
  return STATUS_PRECEDENCE.indexOf(a) <= STATUS_PRECEDENCE.indexOf(b) ? a : b;
}

/** Expired from the expiry instant on. */
export function isExpired(expiresAt: Instant | null | undefined, now: Instant): boolean {
  const at = toOptionalDateTime(expiresAt, 'expiresAt');
  return at !== null && toDateTime(now, 'now').toMillis() >= at.toMillis();
}

/** Not yet valid strictly before validFrom. */
export function isScheduled(validFrom: Instant | null | undefined, now: Instant): boolean {
  const from = toOptionalDateTime(validFrom, 'validFrom');
  return from !== null && toDateTime(now, 'now').toMillis() < from.toMillis();
}

/** Every slot of a limit is used (a null/undefined limit never exhausts). */
export function isExhausted(maxRedemptions: number | null | undefined, timesRedeemed: number): boolean {
  return maxRedemptions !== null && maxRedemptions !== undefined && timesRedeemed >= maxRedemptions;
}

/** The stored state under which the derived statuses apply; any other stored state is shown as is. */
export const LIVE_STATE = 'active';

/** The checks that derive a status from a live item's window and limit. */
export type DerivedCheck = 'expired' | 'exhausted' | 'scheduled';

/**
 * The derived checks of a coupon, in the order they are applied (the first that holds is the
 * status; none → active). `src/repositories/status-sql.ts` builds the SQL from these lists.
 */
export const COUPON_STATUS_CHECKS: readonly DerivedCheck[] = ['expired', 'exhausted', 'scheduled'];
/** A code's own derived checks (a code has no validFrom of its own). */
export const CODE_STATUS_CHECKS: readonly DerivedCheck[] = ['expired', 'exhausted'];

interface DerivedInput {
  validFrom?: Instant | null;
  expiresAt?: Instant | null;
  maxRedemptions?: number | null;
  timesRedeemed: number;
}

function holds(check: DerivedCheck, item: DerivedInput, now: Instant): boolean {
  if (check === 'expired') return isExpired(item.expiresAt, now);
  if (check === 'exhausted') return isExhausted(item.maxRedemptions, item.timesRedeemed);
  return isScheduled(item.validFrom, now);
}

function derivedStatus(stored: string, checks: readonly DerivedCheck[], item: DerivedInput, now: Instant): EffectiveStatus {
  if (stored !== LIVE_STATE) return stored as EffectiveStatus;
  return checks.find((c) => holds(c, item, now)) ?? 'active';
}

/** SPEC §3.6 status shown, derived at read time from the stored status, window and limit. */
export function couponStatus(coupon: CouponStatusInput, now: Instant): EffectiveStatus {
  return derivedStatus(coupon.storedStatus, COUPON_STATUS_CHECKS, coupon, now);
}

/** A code's effective status: the more restrictive of its own and its coupon's. */
export function codeStatus(code: CodeStatusInput, coupon: CouponStatusInput, now: Instant): EffectiveStatus {
  return moreRestrictive(derivedStatus(code.storedStatus, CODE_STATUS_CHECKS, code, now), couponStatus(coupon, now));
}

/**
 * SPEC §3.5/§3.6: a code may not be looser than its coupon. Returns one error per problem
 * (empty when fine): `code_limit_exceeds_coupon` when the code's maxRedemptions is above the
 * coupon's, `code_expiry_after_coupon` when the code expires after the coupon. A code without
 * its own limit or expiry simply follows the coupon's and is never looser.
 */
export function checkCodeNotLooser(
  code: { maxRedemptions?: number | null; expiresAt?: Instant | null },
  coupon: { maxRedemptions?: number | null; expiresAt?: Instant | null },
): DomainError[] {
  const errors: DomainError[] = [];
  const codeMax = code.maxRedemptions ?? null;
  const couponMax = coupon.maxRedemptions ?? null;
  if (codeMax !== null && couponMax !== null && codeMax > couponMax) {
    errors.push(new DomainError('code_limit_exceeds_coupon', `the code's limit (${codeMax}) is above the coupon's (${couponMax})`, 'maxRedemptions'));
  }
  const codeExp = toOptionalDateTime(code.expiresAt, 'expiresAt');
  const couponExp = toOptionalDateTime(coupon.expiresAt, 'coupon.expiresAt');
  if (codeExp !== null && couponExp !== null && codeExp.toMillis() > couponExp.toMillis()) {
    errors.push(new DomainError('code_expiry_after_coupon', "the code's expiry is later than the coupon's", 'expiresAt'));
  }
  return errors;
}
