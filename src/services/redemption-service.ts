import type { Em } from '../db/orm';
import {
  decideDirectRedemption, decideRedemption, effectiveAttribution, normalizeCode, REFUSAL_MESSAGES, type Action, type Attribution, type Customer, type Plan,
  type RedemptionDecision,
} from '../domain';
import { isUuid } from '../repositories/coupons';
import type { CustomerInput } from '../queues/payloads';
import { upsertCustomer } from '../repositories/customers';
import { loadRedemptionContext, type CodeWithCoupon } from '../repositories/redemptions';
import { decisionCode } from '../repositories/codes';
import { decisionCoupon } from '../repositories/coupons';

export interface DecisionInput {
  /** Exactly one of `code` and `couponId` (a direct coupon). */
  code?: string;
  couponId?: string;
  fromPlanId?: string;
  customer: CustomerInput;
  /** Optional on validate: without it the plan-dependent checks are skipped. */
  planId?: string;
  subscriptionId?: string;
  action?: Action;
  currency?: string;
}

export type Decided =
  | { kind: 'unknown_plan'; planId: string; field: 'planId' | 'fromPlanId' }
  | { kind: 'decided'; decision: RedemptionDecision; loaded: CodeWithCoupon | null; plan: Plan | null; customer: Customer };

/**
 * Loads what a redemption decision needs and asks the rules engine. The customer is upserted on
 * the way, which locks its row until the caller's transaction ends: with the subscription row
 * the caller locked first, the per-customer and per-subscription counts cannot change under it.
 */
export async function loadAndDecide(em: Em, accountId: string, input: DecisionInput, now: string): Promise<Decided> {
  const { id, ...fields } = input.customer;
  const stored = await upsertCustomer(em, accountId, id, fields, { stickyPaid: true });
  const customer: Customer = {
    id: stored.id,
    email: stored.email ?? undefined,
    country: stored.country ?? undefined,
    region: stored.region ?? undefined,
    postalCode: stored.postalCode ?? undefined,
    hasPaidSubscription: stored.hasPaidSubscription,
  };
  // fromPlanId only matters for a plan switch; with any other action it is ignored (API.md)
  const fromPlanId = input.action === 'upgrade' || input.action === 'downgrade' ? input.fromPlanId : undefined;
  const direct = input.couponId !== undefined;
  // a couponId that is not a UUID names no coupon: looked up as the nil UUID, which exists nowhere
  const couponId = direct ? (isUuid(input.couponId!) ? input.couponId : '00000000-0000-0000-0000-000000000000') : undefined;
  const ctx = await loadRedemptionContext(em, accountId, {
    code: direct ? '' : normalizeCode(input.code ?? ''), couponId, planId: input.planId, fromPlanId, customerId: id, subscriptionId: input.subscriptionId,
  });
  if (ctx.plan === null) return { kind: 'unknown_plan', planId: input.planId!, field: 'planId' };
  if (ctx.fromPlan === null) return { kind: 'unknown_plan', planId: fromPlanId!, field: 'fromPlanId' };
  const plan = ctx.plan ?? null;
  const { loaded } = ctx;
  const common = {
    customer,
    plan,
    fromPlan: ctx.fromPlan ?? null,
    action: input.action,
    currency: input.currency,
    customerRedemptionCount: ctx.customerCount,
    subscriptionActive: input.subscriptionId ? ctx.subscriptionActive : [],
  };
  if (direct) {
    const decision = decideDirectRedemption({ ...common, coupon: loaded ? decisionCoupon(loaded.coupon) : null }, now);
    return { kind: 'decided', decision, loaded, plan, customer };
  }
  if (!loaded || !loaded.code) {
    return { kind: 'decided', decision: { ok: false, code: 'code_not_found', message: REFUSAL_MESSAGES.code_not_found }, loaded: null, plan, customer };
  }
  const decision = decideRedemption({ ...common, coupon: decisionCoupon(loaded.coupon), code: decisionCode(loaded.code) }, now);
  return { kind: 'decided', decision, loaded, plan, customer };
}

/** The attribution a redemption snapshots: the code's over its coupon's, field by field (a direct one: the coupon's). */
export function redemptionAttribution(loaded: CodeWithCoupon): Attribution {
  return effectiveAttribution(loaded.code?.attribution, loaded.coupon.attribution);
}
