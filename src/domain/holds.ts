import { DomainError } from './errors';
import { type Instant, toDateTime, toUtcIso } from './time';

/**
 * Holds (API.md "Checkout"): one use of a code (or a direct coupon) reserved for one customer
 * until `expiresAt`. While active it counts exactly as a redemption against the coupon's and the
 * code's `maxRedemptions` and the customer's `perCustomer`; consumed by that customer's
 * redemption, released, or expired, the use is free again (a consumed one became a redemption).
 */

export const HOLD_STATUSES = ['active', 'consumed', 'released', 'expired'] as const;
export type HoldStatus = (typeof HOLD_STATUSES)[number];

/** ttlSeconds: 60..86400, default 900. */
export const HOLD_TTL_SECONDS = { min: 60, max: 86_400, default: 900 } as const;

export interface HoldState {
  status: HoldStatus;
  expiresAt: string;
  customerId: string;
  couponId: string;
  /** null for a direct coupon */
  codeId: number | null;
}

/**
 * When a hold made at `now` for `ttlSeconds` expires (UTC ISO): `ttlSeconds` later, rounded up
 * to a whole second, so the holds of an account expiring in one second share one expiry job.
 */
export function holdExpiresAt(now: Instant, ttlSeconds: number = HOLD_TTL_SECONDS.default): string {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < HOLD_TTL_SECONDS.min || ttlSeconds > HOLD_TTL_SECONDS.max) {
    throw new DomainError('invalid_ttl', `ttlSeconds must be an integer ${HOLD_TTL_SECONDS.min}..${HOLD_TTL_SECONDS.max}`, 'ttlSeconds');
  }
  const at = toDateTime(now, 'now').plus({ seconds: ttlSeconds });
  return toUtcIso(at.millisecond === 0 ? at : at.set({ millisecond: 0 }).plus({ seconds: 1 }));
}

/** Active at `now`: stored active and `now` before its expiry. */
export function holdActive(hold: Pick<HoldState, 'status' | 'expiresAt'>, now: Instant): boolean {
  return hold.status === 'active' && toDateTime(now, 'now').toMillis() < toDateTime(hold.expiresAt, 'expiresAt').toMillis();
}

/** The status shown at `now`: an active hold past its expiry reads `expired` even before the expiry job marks it. */
export function holdShownStatus(hold: Pick<HoldState, 'status' | 'expiresAt'>, now: Instant): HoldStatus {
  return hold.status === 'active' && !holdActive(hold, now) ? 'expired' : hold.status;
}

/**
 * Whether a redemption (or release) may use this hold: it exists, is active at `now`, and is
 * this customer's hold of this coupon and code (`codeId` null: a direct coupon). Otherwise
 * `hold_not_active`. A release names no code: pass `couponId` and `codeId` undefined.
 */
export function holdRefusal(
  hold: HoldState | null,
  who: { customerId?: string; couponId?: string | null; codeId?: number | null },
  now: Instant,
): 'hold_not_active' | null {
  if (hold === null || !holdActive(hold, now)) return 'hold_not_active';
  if (who.customerId !== undefined && who.customerId !== hold.customerId) return 'hold_not_active';
  if (who.couponId !== undefined && who.couponId !== hold.couponId) return 'hold_not_active';
  if (who.codeId !== undefined && (who.codeId ?? null) !== hold.codeId) return 'hold_not_active';
  return null;
}

/** The slots of a limit taken: redemptions counted, active holds, less the request's own hold (its slot is already taken). */
export function takenSlots(timesRedeemed: number, held: number | undefined, ownHold: boolean): number {
  return timesRedeemed + (held ?? 0) - (ownHold ? 1 : 0);
}
