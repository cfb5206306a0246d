import { z } from './zod';
import { Currency, Id, ListQuery } from './common';
import { CustomerInput } from './accounts';

export const ActionEnum = z.enum(['new_subscription', 'renewal', 'upgrade', 'downgrade', 'one_time_purchase']);
const CodeText = z.string().trim().min(1).max(64);

export const ValidateRequest = z
  .object({ code: CodeText, customer: CustomerInput, planId: Id.optional(), currency: Currency.optional(), action: ActionEnum.optional() })
  .strict()
  .openapi('ValidateRequest');

export const RedeemRequest = z
  .object({
    code: CodeText,
    customer: CustomerInput,
    subscriptionId: Id,
    planId: Id,
    action: ActionEnum.optional(),
    idempotencyKey: z.string().min(1).max(255).optional(),
  })
  .strict()
  .openapi('RedeemRequest');

export const Redemption = z
  .object({
    id: z.string(),
    couponId: z.string(),
    couponVersion: z.number(),
    code: z.string(),
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
