import { defineRoute } from '../route';
import { badRequest, rateLimited } from '../../errors';
import type { z } from '../openapi';
import { ValidateRequest, ValidateResponse } from '../../contracts/redemptions';
import type { Action } from '../../domain';
import { codeView } from '../../repositories/codes';
import { couponView } from '../../repositories/coupons';
import { loadAndDecide } from '../../services/redemption-service';

export const validateRoutes = [
  defineRoute<z.infer<typeof ValidateRequest>>({
    method: 'post',
    path: '/v1/codes/validate',
    auth: 'account',
    summary: 'Run the whole redemption decision without redeeming or counting (the customer is upserted)',
    tags: ['redemptions'],
    body: ValidateRequest,
    responses: { 200: { description: 'valid, or not with the refusal', schema: ValidateResponse } },
    errors: [429],
    handler: async ({ ctx, account, apiKeyId, body }) => {
      const customerThrottle = await ctx.limiter.customerThrottle(account.id, body.customer.id);
      if (customerThrottle.limited) throw rateLimited(customerThrottle.retryAfterSeconds);
      const now = ctx.clock.now();
      // No transaction: the customer upsert commits on its own and the rest only reads.
      const decided = await loadAndDecide(ctx.orm.em.fork(), account.id, { ...body, action: body.action as Action | undefined }, now);
      if (decided.kind === 'unknown_plan') throw badRequest(`${decided.field}: no plan "${decided.planId}" is registered`, decided.field);
      const { decision, loaded } = decided;
      if (decision.ok) {
        const { code, coupon } = loaded!;
        // a direct coupon (couponId) has no code object
        return { status: 200, body: { valid: true, coupon: couponView(coupon, now), ...(code ? { code: codeView(code, coupon, now) } : {}) } };
      }
      if (decision.code === 'code_not_found') {
        const keyThrottle = await ctx.limiter.apiKeyThrottle(apiKeyId);
        await ctx.limiter.recordUnknownCode(account.id, body.customer.id, apiKeyId);
        if (keyThrottle.limited) throw rateLimited(keyThrottle.retryAfterSeconds);
      }
      return { status: 200, body: { valid: false, error: { code: decision.code, message: decision.message } } };
    },
  }),
];
