import { z } from './zod';
import { Currency, Id, ListQuery } from './common';
import { CustomerInput } from './accounts';
import { Attribution } from './attribution';

export const ActionEnum = z.enum(['new_subscription', 'renewal', 'upgrade', 'downgrade', 'one_time_purchase']);
export const CodeText = z.string().trim().min(1).max(64);

/** `code` or `couponId` (a direct coupon), exactly one of the two (API.md "Growth"). */
export function codeOrCoupon(v: { code?: string; couponId?: string }, ctx: z.RefinementCtx): void {
  if ((v.code === undefined) === (v.couponId === undefined)) {
    ctx.addIssue({ code: 'custom', path: [v.code === undefined ? 'code' : 'couponId'], message: 'give exactly one of code and couponId' });
  }
}

const CouponIdField = Id.optional().openapi({ description: 'apply this coupon directly, without a code (instead of `code`)' });
const FromPlanId = Id.optional().openapi({ description: 'the plan switched from (actions upgrade and downgrade; ignored otherwise)' });

export const ValidateRequest = z
  .object({
    code: CodeText.optional(),
    couponId: CouponIdField,
    customer: CustomerInput,
    planId: Id.optional(),
    fromPlanId: FromPlanId,
    currency: Currency.optional(),
    action: ActionEnum.optional(),
  })
  .strict()
  .superRefine(codeOrCoupon)
  .openapi('ValidateRequest');

export const RedeemRequest = z
  .object({
    code: CodeText.optional(),
    couponId: CouponIdField,
    customer: CustomerInput,
    subscriptionId: Id,
    planId: Id,
    fromPlanId: FromPlanId,
    action: ActionEnum.optional(),
    idempotencyKey: z.string().min(1).max(255).optional(),
    holdId: z.uuid().optional().openapi({ description: 'consume this active hold of the same customer and code: never refused for a limit' }),
  })
  .strict()
  .superRefine(codeOrCoupon)
  .openapi('RedeemRequest');

export const Redemption = z
  .object({
    id: z.string(),
    couponId: z.string(),
    couponVersion: z.number(),
    code: z.string().nullable().openapi({ description: 'null for a direct coupon' }),
    customerId: z.string(),
    subscriptionId: z.string(),
    planId: z.string(),
    action: z.string(),
    status: z.enum(['active', 'ended', 'voided']),
    terms: z.record(z.string(), z.unknown()),
    cyclesApplied: z.number(),
    createdAt: z.string(),
    endedAt: z.string().nullable(),
    voidedAt: z.string().nullable(),
    attribution: Attribution.openapi({ description: 'the effective attribution when it was redeemed; later edits never move it' }),
  })
  .openapi('Redemption');

export const RedemptionCreated = z.object({ redemption: Redemption, trialDays: z.number().optional() }).openapi('RedemptionCreated');
export const RedemptionWrapped = z.object({ redemption: Redemption }).openapi('RedemptionWrapped');

export const Refusal = z
  .object({ error: z.object({ code: z.string().openapi({ example: 'code_exhausted' }), message: z.string() }) })
  .openapi('Refusal');

export const ValidateResponse = z
  .object({
    valid: z.boolean(),
    coupon: z.record(z.string(), z.unknown()).optional(),
    code: z.record(z.string(), z.unknown()).optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  })
  .openapi('ValidateResponse');

export const VoidRequest = z.object({ reason: z.string().max(500).optional() }).strict();

export const RedemptionListQuery = ListQuery.extend({
  subscriptionId: z.string().optional(),
  customerId: z.string().optional(),
}).strict();
