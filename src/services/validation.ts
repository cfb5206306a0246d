import type { AppContext } from '../context';
import type { Action } from '../domain';
import { badRequest, rateLimited } from '../errors';
import type { CustomerInput } from '../queues/payloads';
import { codeView } from '../repositories/codes';
import { couponView, type CouponView } from '../repositories/coupons';
import type { CodeView } from '../repositories/codes';
import { loadAndDecide, type Decided, type DecisionInput } from './redemption-service';

/** POST /v1/codes/validate, and the guessing defence it shares with the other read-only checks. */

/** The customer's guessing-defence throttle: 429 while the customer is held back. */
export async function checkCustomerThrottle(ctx: AppContext, accountId: string, customerId: string): Promise<void> {
  const throttle = await ctx.limiter.customerThrottle(accountId, customerId);
  if (throttle.limited) throw rateLimited(throttle.retryAfterSeconds);
}

/** An unknown code counts toward the guessing defence (customer and key); 429 when the key is held back. */
export async function countUnknownCode(ctx: AppContext, accountId: string, customerId: string, apiKeyId: string | null): Promise<void> {
  const keyThrottle = await ctx.limiter.apiKeyThrottle(accountId, apiKeyId);
  await ctx.limiter.recordUnknownCode(accountId, customerId, apiKeyId);
  if (keyThrottle.limited) throw rateLimited(keyThrottle.retryAfterSeconds);
}

/** The decision for a request, or 400 naming an unknown plan. */
export async function decideOrRefusePlan(ctx: AppContext, accountId: string, input: DecisionInput, now: string): Promise<Extract<Decided, { kind: 'decided' }>> {
  // No transaction: the customer upsert commits on its own and the rest only reads.
  const decided = await loadAndDecide(ctx.orm.em.fork(), accountId, input, now);
  if (decided.kind === 'unknown_plan') throw badRequest(`${decided.field}: no plan "${decided.planId}" is registered`, decided.field);
  return decided;
}

export type ValidateAnswer =
  | { valid: true; coupon: CouponView; code?: CodeView }
  | { valid: false; error: { code: string; message: string } };

/** Runs the whole redemption decision without redeeming or counting (the customer is upserted). */
export async function validateCode(
  ctx: AppContext,
  accountId: string,
  apiKeyId: string | null,
  body: Omit<DecisionInput, 'action' | 'customer'> & { customer: CustomerInput; action?: string },
): Promise<ValidateAnswer> {
  await checkCustomerThrottle(ctx, accountId, body.customer.id);
  const now = ctx.clock.now();
  const { decision, loaded } = await decideOrRefusePlan(ctx, accountId, { ...body, action: body.action as Action | undefined }, now);
  if (decision.ok) {
    const { code, coupon } = loaded!;
    // a direct coupon (couponId) has no code object
    return { valid: true, coupon: couponView(coupon, now), ...(code ? { code: codeView(code, coupon, now) } : {}) };
  }
  if (decision.code === 'code_not_found') await countUnknownCode(ctx, accountId, body.customer.id, apiKeyId);
  return { valid: false, error: { code: decision.code, message: decision.message } };
}
