import type { Em } from '../db/orm';
import { decideRedemption, normalizeCode, REFUSAL_MESSAGES, type Action, type Customer, type Plan, type RedemptionDecision } from '../domain';
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
  | { kind: 'unknown_plan'; planId: string }
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
  const ctx = await loadRedemptionContext(em, accountId, { code: normalizeCode(input.code ?? ''), planId: input.planId, customerId: id, subscriptionId: input.subscriptionId });
  if (ctx.plan === null) return { kind: 'unknown_plan', planId: input.planId! };
  const plan = ctx.plan ?? null;
  const { loaded } = ctx;
  if (!loaded) {
    return { kind: 'decided', decision: { ok: false, code: 'code_not_found', message: REFUSAL_MESSAGES.code_not_found }, loaded, plan, customer };
  }
  const decision = decideRedemption(
    {
      coupon: decisionCoupon(loaded.coupon),
      code: decisionCode(loaded.code),
      customer,
      plan,
      action: input.action,
      currency: input.currency,
      customerRedemptionCount: ctx.customerCount,
      subscriptionActive: input.subscriptionId ? ctx.subscriptionActive : [],
    },
    now,
  );
  return { kind: 'decided', decision, loaded, plan, customer };
}
