import type { AppContext } from '../context';
import {
  budgetPeriodAt, budgetRemaining, decideRedemption, decisionCustomer, DIRECT_CODE, mergeCustomer, priceDiscount, rankQualified, type Action,
  type BudgetSpend,
} from '../domain';
import { badRequest } from '../errors';
import type { CustomerInput } from '../queues/payloads';
import { budgetSpendIn } from '../repositories/budgets';
import { decisionCode } from '../repositories/codes';
import { couponView, decisionCoupon, type CouponView } from '../repositories/coupons';
import { customerTakenByCoupon, qualificationCandidates } from '../repositories/qualifications';
import { contextQuery, pinnedTerms, readDecisionContext } from './redemption-service';
import { checkCustomerThrottle, countUnknownCode } from './validation';

export interface QualificationInput {
  customer: CustomerInput;
  planId?: string;
  currency?: string;
  action?: string;
  fromPlanId?: string;
  subscriptionId?: string;
  codes?: string[];
}

export interface QualificationItem {
  coupon: CouponView;
  code: string | null;
  discount: { amount: number; currency: string } | null;
}

/**
 * POST /v1/qualifications: the direct coupons (active, without a live code) and the given codes
 * this customer could redeem now — every check of a redemption, with the coupon's and code's
 * active holds taking slots, the customer's redemptions and holds counted against perCustomer,
 * and the budget's spend of the period holding now — largest discount on the plan's price
 * first (rankQualified). It writes nothing (the customer as given over the stored one, unsaved);
 * unknown codes count toward the guessing defence like validate.
 */
export async function qualify(ctx: AppContext, accountId: string, apiKeyId: string | null, body: QualificationInput): Promise<{ data: QualificationItem[] }> {
  await checkCustomerThrottle(ctx, accountId, body.customer.id);
  const now = ctx.clock.now();
  const em = ctx.orm.em.fork();
  const action = body.action as Action | undefined;
  const q = contextQuery({ code: '', customer: body.customer, planId: body.planId, fromPlanId: body.fromPlanId, action, subscriptionId: body.subscriptionId }, now);
  const base = await readDecisionContext(em, accountId, q);
  if (base.plan === null) throw badRequest(`planId: no plan "${body.planId}" is registered`, 'planId');
  if (base.fromPlan === null) throw badRequest(`fromPlanId: no plan "${body.fromPlanId}" is registered`, 'fromPlanId');
  const { id, ...fields } = body.customer;
  const customer = decisionCustomer(mergeCustomer(base.storedCustomer, id, fields, { stickyPaid: true }).customer);
  const { candidates, unknown } = await qualificationCandidates(em, accountId, body.codes ?? []);
  for (const _ of unknown) await countUnknownCode(ctx, accountId, id, apiKeyId);
  const couponIds = [...new Set(candidates.map((c) => c.coupon.id))];
  const taken = await customerTakenByCoupon(em, accountId, id, couponIds);
  const spend = new Map<string, BudgetSpend[]>();
  for (const c of candidates) {
    if (c.coupon.budget && !spend.has(c.coupon.id)) spend.set(c.coupon.id, await budgetSpendIn(em, c.coupon.id, budgetPeriodAt(c.coupon.budget.period, c.coupon.timeZone, now)));
  }
  const plan = base.plan ?? null;
  const currency = body.currency ?? plan?.currency;
  const qualified = candidates.flatMap((c) => {
    const counts = taken.get(c.coupon.id) ?? { redemptions: 0, holds: 0 };
    const decision = decideRedemption({
      coupon: decisionCoupon(c.coupon), code: c.code ? decisionCode(c.code) : DIRECT_CODE, customer, plan, fromPlan: base.fromPlan ?? null, action,
      currency: body.currency, customerRedemptionCount: counts.redemptions, customerHoldCount: counts.holds,
      subscriptionActive: body.subscriptionId ? base.subscriptionActive : [], budgetSpend: spend.get(c.coupon.id) ?? [],
    }, now);
    if (!decision.ok) return [];
    const amount = plan && currency
      ? priceDiscount(pinnedTerms(c.coupon, base.rounding), plan, currency, budgetRemaining(c.coupon.budget, c.coupon.timeZone, currency, now, spend.get(c.coupon.id) ?? []))
      : null;
    return [{ couponId: c.coupon.id, couponCreatedAt: c.coupon.createdAt, code: c.code?.code ?? null, amount, candidate: c }];
  });
  return {
    data: rankQualified(qualified).map((x) => ({
      coupon: couponView(x.candidate.coupon, now),
      code: x.code,
      discount: x.amount === null ? null : { amount: x.amount, currency: currency! },
    })),
  };
}
