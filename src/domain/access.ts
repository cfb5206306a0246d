import type { Action } from './terms';

/** Plan access (API.md): `open` (default) or `invitation_only` (a code whose coupon grants access is needed). */
export type PlanAccess = 'open' | 'invitation_only';
export const PLAN_ACCESS: readonly PlanAccess[] = ['open', 'invitation_only'];

/**
 * SPEC §3.11 access: a `new_subscription` on an `invitation_only` plan needs a coupon that
 * grants access; every other action, and any open plan, passes. Answers the refusal or null.
 */
export function accessRefusal(planAccess: PlanAccess | undefined, action: Action, grantsAccess: boolean): 'invitation_required' | null {
  if ((planAccess ?? 'open') !== 'invitation_only') return null;
  if (action !== 'new_subscription') return null;
  return grantsAccess ? null : 'invitation_required';
}

/** `requiresCode` of POST /v1/signups/authorize: true exactly when the plan is invitation_only. */
export function requiresCode(planAccess: PlanAccess | undefined): boolean {
  return planAccess === 'invitation_only';
}

export type SignupWithoutCode = { allowed: true; requiresCode: boolean } | { allowed: false; requiresCode: true; refusal: 'invitation_required' };

/**
 * POST /v1/signups/authorize without a code: an open plan is allowed; an invitation_only plan is
 * refused `invitation_required` (with a code, the answer is validate's for new_subscription).
 */
export function authorizeSignupWithoutCode(planAccess: PlanAccess | undefined): SignupWithoutCode {
  return requiresCode(planAccess) ? { allowed: false, requiresCode: true, refusal: 'invitation_required' } : { allowed: true, requiresCode: false };
}
