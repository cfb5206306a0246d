import { HOLD_STATUSES, HOLD_TTL_SECONDS, MAX_PREVIEW_CYCLES, ROUNDING_MODES } from '../domain';
import { z } from './zod';
import { Currency, Id, Instant, ListQuery, page } from './common';
import { CustomerInput } from './accounts';
import { Coupon } from './coupons';
import { InvoiceLine } from './invoices';
import { ActionEnum, CodeText, codeOrCoupon } from './redemptions';

/** API.md "Checkout: holds, budgets, minimum amounts, qualification" and "Previews and rounding". */

export const Rounding = z.enum(ROUNDING_MODES).openapi('Rounding', {
  description: 'how a percentage of an amount that is not a whole minor unit rounds: half_up (default), half_even, down or up',
});

export const HoldRequest = z
  .object({
    code: CodeText.optional(),
    couponId: Id.optional().openapi({ description: 'hold a use of this coupon directly, without a code (instead of `code`)' }),
    customer: CustomerInput,
    planId: Id.optional(),
    currency: Currency.optional(),
    action: ActionEnum.optional(),
    ttlSeconds: z
      .number()
      .int()
      .min(HOLD_TTL_SECONDS.min)
      .max(HOLD_TTL_SECONDS.max)
      .optional()
      .openapi({ description: `seconds until the hold releases itself (default ${HOLD_TTL_SECONDS.default})` }),
    idempotencyKey: z.string().min(1).max(255).optional(),
  })
  .strict()
  .superRefine(codeOrCoupon)
  .openapi('HoldRequest');

export const Hold = z
  .object({
    id: z.string(),
    code: z.string().nullable(),
    couponId: z.string(),
    customerId: z.string(),
    status: z.enum(HOLD_STATUSES),
    expiresAt: z.string(),
    planId: z.string().nullable(),
    currency: z.string().nullable(),
    action: z.string(),
    redemptionId: z.string().nullable().openapi({ description: 'the redemption that consumed it' }),
    createdAt: z.string(),
    endedAt: z.string().nullable(),
  })
  .openapi('Hold');

export const HoldWrapped = z.object({ hold: Hold }).openapi('HoldWrapped');
export const HoldPage = page(Hold).openapi('HoldPage');
export const HoldListQuery = ListQuery.extend({
  couponId: Id.optional().openapi({ description: 'only this coupon’s holds' }),
  status: z.enum(HOLD_STATUSES).optional().openapi({ description: 'only holds with this status as shown now (an active hold past its expiry is expired)' }),
}).strict();
export const HoldParams = z.object({ id: z.uuid() });
export const HoldReleaseQuery = z
  .object({ customerId: Id.optional().openapi({ description: 'when given, a hold of another customer is 422 hold_not_active' }) })
  .strict();

export const QualificationRequest = z
  .object({
    customer: CustomerInput,
    planId: Id.optional(),
    currency: Currency.optional(),
    action: ActionEnum.optional(),
    fromPlanId: Id.optional(),
    subscriptionId: Id.optional(),
    codes: z.array(CodeText).max(100).optional(),
  })
  .strict()
  .openapi('QualificationRequest');

export const Qualification = z
  .object({
    coupon: Coupon,
    code: z.string().nullable(),
    discount: z.object({ amount: z.number(), currency: z.string() }).nullable().openapi({ description: 'on the plan’s price (null without a plan)' }),
  })
  .openapi('Qualification');

export const QualificationList = z.object({ data: z.array(Qualification) }).openapi('QualificationList');

const PreviewCoupon = z.union([z.object({ code: CodeText }).strict(), z.object({ couponId: Id }).strict()], { error: 'must be {code} or {couponId}' });

export const PreviewRequest = z
  .object({
    customer: CustomerInput,
    planId: Id,
    currency: Currency,
    startsAt: Instant,
    cycles: z.number().int().min(1).max(MAX_PREVIEW_CYCLES),
    subscriptionId: Id.optional(),
    coupons: z.array(PreviewCoupon).max(20).optional(),
    lines: z.array(InvoiceLine).min(1).max(100).optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    const seen = new Set<string>();
    v.lines?.forEach((l, i) => {
      if (seen.has(l.id)) ctx.addIssue({ code: 'custom', path: ['lines', i, 'id'], message: 'duplicate line id' });
      seen.add(l.id);
    });
    const amounts = (v.lines ?? []).map((l) => l.amount);
    const subtotal = amounts.every(Number.isSafeInteger) ? amounts.reduce((sum, a) => sum + BigInt(a), 0n) : 0n;
    if (subtotal > BigInt(Number.MAX_SAFE_INTEGER)) {
      ctx.addIssue({ code: 'custom', path: ['lines'], message: `the amounts total ${subtotal} minor units, more than 2^53 − 1 (${Number.MAX_SAFE_INTEGER})` });
    }
  })
  .openapi('PreviewRequest');

export const PreviewInvoice = z
  .object({
    cycle: z.number(),
    periodStart: z.string(),
    periodEnd: z.string().nullable(),
    subtotal: z.number(),
    discountTotal: z.number(),
    total: z.number(),
    credit: z.number(),
    applied: z.array(z.object({ couponId: z.string(), code: z.string().nullable(), cycle: z.number().nullable(), amount: z.number() })),
  })
  .openapi('PreviewInvoice');

export const PreviewResult = z.object({ data: z.array(PreviewInvoice), rounding: Rounding }).openapi('PreviewResult');
