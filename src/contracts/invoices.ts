import { z } from './zod';
import { Currency, Id, Instant, MinorUnits } from './common';

export const LineKind = z.enum(['recurring', 'setup_fee', 'component', 'one_time', 'shipping']);

export const InvoiceLine = z
  .object({ id: Id, kind: LineKind, planId: Id.optional(), amount: MinorUnits })
  .strict();

export const InvoiceRequest = z
  .object({
    invoiceId: Id,
    subscriptionId: Id,
    customerId: Id.optional(),
    currency: Currency,
    periodStart: Instant,
    periodEnd: Instant.optional(),
    trial: z.boolean().optional(),
    midPeriod: z.boolean().optional(),
    paid: z.boolean().optional(),
    lines: z.array(InvoiceLine).min(1).max(1000),
  })
  .strict()
  .superRefine((v, ctx) => {
    const seen = new Set<string>();
    v.lines.forEach((l, i) => {
      if (seen.has(l.id)) ctx.addIssue({ code: 'custom', path: ['lines', i, 'id'], message: 'duplicate line id' });
      seen.add(l.id);
    });
    // the subtotal, summed exactly (lines with a bad amount are answered on their own): above
    // 2^53 − 1 minor units it has no exact JSON number
    const amounts = v.lines.map((l) => l.amount);
    const subtotal = amounts.every(Number.isSafeInteger) ? amounts.reduce((sum, a) => sum + BigInt(a), 0n) : 0n;
    if (subtotal > BigInt(Number.MAX_SAFE_INTEGER)) {
      ctx.addIssue({ code: 'custom', path: ['lines'], message: `the amounts total ${subtotal} minor units, more than 2^53 − 1 (${Number.MAX_SAFE_INTEGER})` });
    }
  })
  .openapi('InvoiceRequest');

export const InvoiceResult = z
  .object({
    invoiceId: z.string(),
    currency: z.string(),
    subtotal: z.number(),
    discountTotal: z.number(),
    total: z.number(),
    credit: z.number(),
    lines: z.array(z.object({ id: z.string(), amount: z.number(), discount: z.number(), total: z.number() })),
    applied: z.array(z.object({ redemptionId: z.string(), couponId: z.string(), code: z.string().nullable(), cycle: z.number().nullable(), amount: z.number() })),
    paid: z.boolean().optional(),
  })
  .openapi('InvoiceResult');

export const InvoiceIdParams = z.object({ invoiceId: Id });
