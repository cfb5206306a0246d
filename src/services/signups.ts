import type { AppContext } from '../context';
import { authorizeSignupWithoutCode, REFUSAL_MESSAGES, requiresCode } from '../domain';
import { badRequest } from '../errors';
import type { CustomerInput } from '../queues/payloads';
import { codeView, type CodeView } from '../repositories/codes';
import { couponView, type CouponView } from '../repositories/coupons';
import { getPlan } from '../repositories/plans';
import { checkCustomerThrottle, countUnknownCode, decideOrRefusePlan } from './validation';

export interface SignupAnswer {
  allowed: boolean;
  requiresCode: boolean;
  error?: { code: string; message: string };
  coupon?: CouponView;
  code?: CodeView;
}

/**
 * POST /v1/signups/authorize: may this customer sign up to this plan (with this code)? An
 * unknown plan is 400 on `planId`; without a code, the plan's access decides; with one, the
 * answer is validate's for `new_subscription` on that plan. Redeems nothing; counts toward the
 * guessing defence like validate.
 */
export async function authorizeSignup(
  ctx: AppContext,
  accountId: string,
  apiKeyId: string | null,
  body: { planId: string; customer: CustomerInput; code?: string },
): Promise<SignupAnswer> {
  await checkCustomerThrottle(ctx, accountId, body.customer.id);
  const plan = await getPlan(ctx.orm.em.fork(), accountId, body.planId);
  if (!plan) throw badRequest(`planId: no plan "${body.planId}" is registered`, 'planId');
  const needsCode = requiresCode(plan.access);
  if (body.code === undefined) {
    const r = authorizeSignupWithoutCode(plan.access);
    if (r.allowed) return { allowed: true, requiresCode: r.requiresCode };
    return { allowed: false, requiresCode: true, error: { code: r.refusal, message: REFUSAL_MESSAGES[r.refusal] } };
  }
  const now = ctx.clock.now();
  const { decision, loaded } = await decideOrRefusePlan(ctx, accountId, { code: body.code, customer: body.customer, planId: body.planId, action: 'new_subscription' }, now);
  if (decision.ok) {
    return { allowed: true, requiresCode: needsCode, coupon: couponView(loaded!.coupon, now), code: codeView(loaded!.code!, loaded!.coupon, now) };
  }
  if (decision.code === 'code_not_found') await countUnknownCode(ctx, accountId, body.customer.id, apiKeyId);
  return { allowed: false, requiresCode: needsCode, error: { code: decision.code, message: decision.message } };
}
