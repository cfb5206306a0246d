import type { CouponStoredStatus } from './status';

export type LifecycleAction = 'activate' | 'disable' | 'enable' | 'archive';

export type TransitionResult =
  | { ok: true; status: CouponStoredStatus; changed: boolean }
  | { ok: false; code: 'invalid_transition'; message: string };

const MOVES: Record<LifecycleAction, { from: readonly CouponStoredStatus[]; to: CouponStoredStatus }> = {
  activate: { from: ['draft'], to: 'active' },
  disable: { from: ['active'], to: 'disabled' },
  enable: { from: ['disabled'], to: 'active' },
  archive: { from: ['draft', 'active', 'disabled'], to: 'archived' },
};

/**
 * SPEC §3.6 transitions: draft → active (activate); active ⇄ disabled (disable/enable); any →
 * archived. Archiving an archived coupon is a no-op (`changed: false`); anything else is refused.
 */
export function transition(stored: CouponStoredStatus, action: LifecycleAction): TransitionResult {
  if (action === 'archive' && stored === 'archived') return { ok: true, status: 'archived', changed: false };
  const move = MOVES[action];
  if (move.from.includes(stored)) return { ok: true, status: move.to, changed: true };
  return { ok: false, code: 'invalid_transition', message: `cannot ${action} a ${stored} coupon` };
}
