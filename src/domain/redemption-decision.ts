import { accessRefusal } from './access';
import { type Budget, type BudgetSpend, budgetExhausted } from './budget';
import { holdRefusal, type HoldState, takenSlots } from './holds';
import { customerKindAllowed, emailDomainAllowed, regionAllowed } from './eligibility';
import { fixedAmountFor } from './discount';
import { REFUSAL_MESSAGES, type RefusalCode } from './refusals';
import { meetsMinimum, planInScope } from './scope';
import { type CodeStoredStatus, type CouponStoredStatus, isExhausted, isExpired, isScheduled } from './status';
import { switchAllowed } from './switches';
import type { Action, CouponTerms, Customer, Plan } from './terms';
import type { Instant } from './time';

export interface DecisionCoupon {
  status: CouponStoredStatus;
  validFrom?: Instant | null;
  expiresAt?: Instant | null;
  maxRedemptions?: number | null;
  perCustomer?: number | null;
  timesRedeemed: number;
  /** Active holds of the coupon: each takes a slot of maxRedemptions like a redemption. */
  held?: number;
  terms: CouponTerms;
  /** Its codes are invitations to invitation_only plans. */
  grantsAccess?: boolean;
  /** The coupon's discount budget (limits.budget), read in the coupon's zone (terms.timeZone). */
  budget?: Budget | null;
}

export interface DecisionCode {
  status: CodeStoredStatus;
  maxRedemptions?: number | null;
  timesRedeemed: number;
  /** Active holds of the code. */
  held?: number;
  expiresAt?: Instant | null;
  customerId?: string | null;
}

export interface RedemptionRequest {
  coupon: DecisionCoupon;
  /** null when no live code has that text. */
  code: DecisionCode | null;
  customer: Customer;
  /** null on a validate call without a plan: the plan-dependent checks are skipped. */
  plan: Plan | null;
  action?: Action;
  /** The plan switched from (`fromPlanId`); only read for a coupon that restricts switches. */
  fromPlan?: Plan | null;
  /** Currency asked for (validate); defaults to the plan's. */
  currency?: string;
  /** Non-voided redemptions of this coupon by this customer. */
  customerRedemptionCount: number;
  /** This customer's active holds of this coupon (each counts against perCustomer). */
  customerHoldCount?: number;
  /** The subscription's other active redemptions. */
  subscriptionActive: readonly { stackable: boolean }[];
  /**
   * A redemption naming a hold (`holdId`): the hold (null when there is none) and the coupon and
   * code the request resolved to (null when not found). A usable hold's slot is already counted
   * in `held` and `customerHoldCount`, so the request takes no new one and is never refused for a
   * limit or the budget; any other hold is refused `hold_not_active`.
   */
  hold?: { state: HoldState | null; couponId: string | null; codeId: number | null };
  /** The coupon's budget spend rows (at least those of the period holding `now`). */
  budgetSpend?: readonly BudgetSpend[];
}

export type RedemptionDecision =
  | { ok: true; action: Action; trialDays?: number }
  | { ok: false; code: RefusalCode; message: string };

/** SPEC §3.5: an omitted action is one_time_purchase on a one-time plan, new_subscription otherwise. */
export function defaultAction(plan: Pick<Plan, 'kind'> | null, action?: Action): Action {
  return action ?? (plan?.kind === 'one_time' ? 'one_time_purchase' : 'new_subscription');
}

type Check = (req: RedemptionRequest, code: DecisionCode, action: Action, now: Instant) => RefusalCode | null;

const ownHold = (r: RedemptionRequest): boolean => r.hold !== undefined;
const requestCurrency = (r: RedemptionRequest): string | undefined => r.currency ?? r.plan?.currency;

/** The checks, in SPEC §3.5's order. */
const CHECKS: readonly Check[] = [
  (r, c) => (r.coupon.status === 'archived' || c.status === 'archived' ? 'coupon_archived' : null),
  (r, c) => (r.coupon.status !== 'active' || c.status !== 'active' ? 'code_disabled' : null),
  (r, _c, _a, now) => (isScheduled(r.coupon.validFrom, now) ? 'code_not_yet_valid' : null),
  (r, c, _a, now) => (isExpired(r.coupon.expiresAt, now) || isExpired(c.expiresAt, now) ? 'code_expired' : null),
  (r, c) =>
    isExhausted(r.coupon.maxRedemptions, takenSlots(r.coupon.timesRedeemed, r.coupon.held, ownHold(r)))
    || isExhausted(c.maxRedemptions, takenSlots(c.timesRedeemed, c.held, ownHold(r)))
      ? 'code_exhausted'
      : null,
  (r, _c, _a, now) => {
    const currency = requestCurrency(r);
    if (ownHold(r) || currency === undefined || !r.coupon.budget) return null;
    return budgetExhausted(r.coupon.budget, r.coupon.terms.timeZone, currency, now, r.budgetSpend ?? []) ? 'budget_exhausted' : null;
  },
  (r, c) => (c.customerId != null && c.customerId !== r.customer.id ? 'code_restricted_to_customer' : null),
  (r, _c, a) =>
    (r.plan?.kind === 'one_time' || a === 'one_time_purchase') && r.coupon.terms.duration.type !== 'once'
      ? 'one_time_purchase_not_allowed'
      : null,
  (r) => (r.plan === null || planInScope(r.coupon.terms.appliesTo, r.plan) ? null : 'plan_not_eligible'),
  (r, _c, a) => (r.plan === null ? null : accessRefusal(r.plan.access, a, r.coupon.grantsAccess ?? false)),
  (r, _c, a) => {
    const actions = r.coupon.terms.appliesTo.actions;
    return actions !== undefined && !actions.includes(a) ? 'action_not_eligible' : null;
  },
  (r, _c, a) => (switchAllowed(r.coupon.terms.appliesTo.switches, a, r.fromPlan ?? null, r.plan) ? null : 'switch_not_eligible'),
  (r) => {
    const discount = r.coupon.terms.discount;
    const currency = r.currency ?? r.plan?.currency;
    if (currency === undefined) return null;
    return discount.type === 'fixed_amount' && fixedAmountFor(discount, currency) === null ? 'currency_mismatch' : null;
  },
  (r) => {
    const currency = requestCurrency(r);
    if (r.plan === null || currency === undefined) return null;
    return meetsMinimum(r.coupon.terms.appliesTo, currency, r.plan.price) ? null : 'minimum_not_met';
  },
  (r) => {
    const kind = r.coupon.terms.eligibility.customers;
    if (customerKindAllowed(kind, r.customer)) return null;
    return kind === 'new' ? 'new_customers_only' : 'existing_customers_only';
  },
  (r) => (emailDomainAllowed(r.coupon.terms.eligibility.emailDomains, r.customer.email) ? null : 'email_domain_not_allowed'),
  (r) => (regionAllowed(r.coupon.terms.eligibility.regions, r.customer) ? null : 'region_not_allowed'),
  (r) => (isExhausted(r.coupon.perCustomer, takenSlots(r.customerRedemptionCount, r.customerHoldCount, ownHold(r))) ? 'customer_limit_reached' : null),
  (r) => {
    const others = r.subscriptionActive;
    const stackable = r.coupon.terms.stackable && others.every((o) => o.stackable);
    return others.length > 0 && !stackable ? 'already_discounted' : null;
  },
];

/**
 * Decides whether a code may be redeemed (or validated): runs SPEC §3.5's checks in order and
 * answers the first refusal, or the resolved action (and the trial days of a free_trial coupon).
 * `now` is an argument; nothing here reads a clock.
 */
export function decideRedemption(req: RedemptionRequest, now: Instant): RedemptionDecision {
  const refuse = (code: RefusalCode): RedemptionDecision => ({ ok: false, code, message: REFUSAL_MESSAGES[code] });
  if (req.hold !== undefined) {
    const refusal = holdRefusal(req.hold.state, { customerId: req.customer.id, couponId: req.hold.couponId, codeId: req.hold.codeId }, now);
    if (refusal !== null) return refuse(refusal);
  }
  if (req.code === null) return refuse('code_not_found');
  const action = defaultAction(req.plan, req.action);
  for (const check of CHECKS) {
    const refusal = check(req, req.code, action, now);
    if (refusal !== null) return refuse(refusal);
  }
  const trialDays = trialDaysOf(req.coupon.terms);
  return trialDays === undefined ? { ok: true, action } : { ok: true, action, trialDays };
}

/** The trial days a redemption on these terms grants (a free_trial coupon's), or undefined. */
export function trialDaysOf(terms: Pick<CouponTerms, 'discount'>): number | undefined {
  return terms.discount.type === 'free_trial' ? terms.discount.days : undefined;
}

/** What a direct coupon (no code) stands in for: a code with no restriction of its own. */
export const DIRECT_CODE: DecisionCode = { status: 'active', maxRedemptions: null, timesRedeemed: 0, expiresAt: null, customerId: null };

/**
 * Decides a direct coupon (`couponId` instead of `code`, API.md): an unknown coupon is
 * `coupon_not_found`; otherwise the same checks as for a code of that coupon, the code's own
 * checks passing (it counts against the coupon's limits only).
 */
export function decideDirectRedemption(req: Omit<RedemptionRequest, 'coupon' | 'code'> & { coupon: DecisionCoupon | null }, now: Instant): RedemptionDecision {
  if (req.hold !== undefined && holdRefusal(req.hold.state, { customerId: req.customer.id, couponId: req.hold.couponId, codeId: null }, now) !== null) {
    return { ok: false, code: 'hold_not_active', message: REFUSAL_MESSAGES.hold_not_active };
  }
  if (req.coupon === null) return { ok: false, code: 'coupon_not_found', message: REFUSAL_MESSAGES.coupon_not_found };
  return decideRedemption({ ...req, coupon: req.coupon, code: DIRECT_CODE }, now);
}
