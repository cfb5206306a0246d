import { DomainError, fail, ok, type Result } from './errors';
import { type Instant, toDateTime, toOptionalDateTime, toUtcIso } from './time';
import { resolveExpiry } from './validity';

/** The three ways to give an expiry; sending any of them replaces the others. */
export const EXPIRY_KEYS = ['expiresAt', 'expiresOn', 'expiresAfterDays'] as const;

/** A coupon's validity window as stored: `expiresAt` is the resolved instant. */
export interface CouponWindow {
  validFrom: string | null;
  expiresAt: string | null;
  expiresOn: string | null;
  expiresAfterDays: number | null;
}

/**
 * SPEC §3.6 validity window: resolves the expiry in the coupon's zone (an explicit `expiresAt`
 * counts only when neither `expiresOn` nor `expiresAfterDays` is set) and refuses a window whose
 * `validFrom` is at or after its expiry (`window_inverted`), naming the expiry field the request
 * gave (`given`), else `validFrom`. Instants come back as UTC ISO strings.
 */
export function resolveCouponWindow(w: CouponWindow, given: Partial<CouponWindow>, timeZone: string, createdAt: Instant): Result<CouponWindow> {
  const explicit = w.expiresOn === null && w.expiresAfterDays === null ? w.expiresAt : null;
  let expiresAt: string | null;
  let validFrom: string | null;
  try {
    expiresAt = resolveExpiry({ expiresAt: explicit, expiresOn: w.expiresOn, expiresAfterDays: w.expiresAfterDays, createdAt, timeZone });
    validFrom = w.validFrom === null ? null : toUtcIso(toDateTime(w.validFrom, 'validFrom'));
  } catch (err) {
    if (err instanceof DomainError) return fail(err.code, err.message, err.field ?? 'expiresAt');
    throw err;
  }
  const inverted = checkValidFromBeforeExpiry(validFrom, expiresAt, EXPIRY_KEYS.find((k) => given[k] !== undefined && given[k] !== null));
  if (inverted) return { ok: false, error: inverted };
  return ok({ validFrom, expiresAt, expiresOn: w.expiresOn, expiresAfterDays: w.expiresAfterDays });
}

/**
 * SPEC §3.6: `validFrom` must come strictly before the expiry. The error names `expiryField`
 * (the expiry the request gave) or, without one, `validFrom`. Null when fine or when either is unset.
 */
export function checkValidFromBeforeExpiry(validFrom: Instant | null, expiresAt: Instant | null, expiryField?: string): DomainError | null {
  const from = toOptionalDateTime(validFrom, 'validFrom');
  const until = toOptionalDateTime(expiresAt, 'expiresAt');
  if (from === null || until === null || from.toMillis() < until.toMillis()) return null;
  return new DomainError(
    'window_inverted',
    `the coupon would expire before it becomes valid (validFrom ${toUtcIso(from)}, expiry ${toUtcIso(until)})`,
    expiryField ?? 'validFrom',
  );
}

/**
 * SPEC §3.6 "limits (below what is used → 409)": a limit may not be set below what is already
 * used. `used` describes the usage in the message, e.g. "redemptions already made". Null when
 * fine, also for no limit.
 */
export function checkLimitNotBelowUsage(limit: number | null | undefined, usedCount: number, field: string, used = 'redemptions already made'): DomainError | null {
  if (limit === null || limit === undefined || limit >= usedCount) return null;
  return new DomainError('limit_below_usage', `${limit} is below the ${usedCount} ${used}`, field);
}
