import { isCurrency } from '../domain';
import { z } from './zod';
import { Id, LocalDate, MinorUnits } from './common';

/** SPEC §3.2 discounts. Percentages are basis points (100 = 1 %). */
export const Discount = z
  .discriminatedUnion(
    'type',
    [
      z.object({ type: z.literal('percentage'), basisPoints: z.number().int().min(1).max(10000) }).strict(),
      z
        .object({
          type: z.literal('fixed_amount'),
          amounts: z
            .record(z.string(), MinorUnits.min(1))
            .superRefine((amounts, ctx) => {
              const keys = Object.keys(amounts);
              if (keys.length === 0) ctx.addIssue({ code: 'custom', message: 'must hold at least one currency' });
              for (const k of keys) {
                if (!isCurrency(k)) ctx.addIssue({ code: 'custom', path: [k], message: 'is not an ISO 4217 currency code (upper case, e.g. USD)' });
              }
            }),
        })
        .strict(),
      z.object({ type: z.literal('free_trial'), days: z.number().int().min(1).max(3650) }).strict(),
      z.object({ type: z.literal('free_shipping') }).strict(),
      z.object({ type: z.literal('none') }).strict(),
    ],
    { error: 'must be one of percentage, fixed_amount, free_trial, free_shipping, none' },
  )
  .openapi('Discount');

/** SPEC §3.3 durations. */
export const Duration = z
  .discriminatedUnion(
    'type',
    [
      z.object({ type: z.literal('once') }).strict(),
      z.object({ type: z.literal('repeating'), cycles: z.number().int().min(1).max(1200) }).strict(),
      z.object({ type: z.literal('forever') }).strict(),
      z.object({ type: z.literal('months'), months: z.number().int().min(1).max(1200) }).strict(),
      z.object({ type: z.literal('until'), date: LocalDate }).strict(),
    ],
    { error: 'must be one of once, repeating, forever, months, until' },
  )
  .openapi('Duration');

/** `{CUR: minor units}` with at least one ISO 4217 currency. */
function amountsPerCurrency(min: number) {
  return z.record(z.string(), MinorUnits.min(min)).superRefine((amounts, ctx) => {
    const keys = Object.keys(amounts);
    if (keys.length === 0) ctx.addIssue({ code: 'custom', message: 'must hold at least one currency' });
    for (const k of keys) {
      if (!isCurrency(k)) ctx.addIssue({ code: 'custom', path: [k], message: 'is not an ISO 4217 currency code (upper case, e.g. USD)' });
    }
  });
}

const IntervalMatch = z
  .object({ unit: z.enum(['day', 'week', 'month', 'year']), count: z.number().int().min(1).max(1000) })
  .strict();

export const PlanMatch = z
  .object({
    planIds: z.array(Id).max(1000).optional(),
    families: z.array(z.string().min(1).max(200)).max(1000).optional(),
    intervals: z.array(IntervalMatch).max(100).optional(),
  })
  .strict()
  .openapi('PlanMatch');

/** SPEC §3.4 scope. `plans` defaults to "all". */
export const AppliesTo = z
  .object({
    plans: z
      .union([z.literal('all'), z.object({ include: PlanMatch.optional(), exclude: PlanMatch.optional() }).strict()], {
        error: 'must be "all" or {include?, exclude?}',
      })
      .default('all'),
    planKinds: z.array(z.enum(['recurring', 'one_time'])).max(2).optional(),
    lineKinds: z.array(z.enum(['recurring', 'setup_fee', 'component', 'one_time', 'shipping'])).max(5).optional(),
    actions: z.array(z.enum(['new_subscription', 'renewal', 'upgrade', 'downgrade', 'one_time_purchase'])).max(5).optional(),
    switches: z
      .enum(['any', 'same_interval_upgrade', 'to_longer_interval'])
      .optional()
      .openapi({ description: 'plan switches the coupon applies to (default any); other values apply to switches only' }),
    minimumAmounts: amountsPerCurrency(0)
      .optional()
      .openapi({
        description: 'per currency, the least the invoice lines in the coupon’s scope must sum to (before discounts) for it to discount the invoice; a plan priced below it is refused minimum_not_met',
        example: { USD: 5000 },
      }),
  })
  .strict()
  .openapi('AppliesTo');

const EMAIL_DOMAIN = /^(@|\*\.)?([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/;

export const RegionRule = z
  .object({
    country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as US'),
    regions: z.array(z.string().regex(/^[A-Z]{2}-[A-Z0-9]{1,3}$/, 'must be an ISO 3166-2 code such as US-CA')).max(1000).optional(),
    postalPrefixes: z.array(z.string().min(1).max(20)).max(10000).optional(),
  })
  .strict();

/** SPEC §3.5 eligibility. */
export const Eligibility = z
  .object({
    customers: z.enum(['any', 'new', 'existing']).optional(),
    emailDomains: z
      .array(z.string().max(253).regex(EMAIL_DOMAIN, 'must be a domain such as example.com or *.example.com'))
      .max(1000)
      .optional(),
    regions: z.array(RegionRule).max(300).optional(),
  })
  .strict()
  .openapi('Eligibility');

/** The most discount (ledger amounts) all invoices together may take from the coupon per period and currency. */
export const Budget = z
  .object({
    amounts: amountsPerCurrency(1).openapi({ example: { USD: 1_000_000 } }),
    period: z
      .enum(['day', 'week', 'month'])
      .nullable()
      .optional()
      .openapi({ description: 'calendar period in the coupon’s zone an invoice counts in (by its periodStart); null or absent: the coupon’s whole life' }),
  })
  .strict()
  .openapi('Budget');

/** Whole-coupon limits; null or omitted means no limit. */
export const Limits = z
  .object({
    maxRedemptions: z.number().int().min(1).max(2_000_000_000).nullable().optional(),
    perCustomer: z.number().int().min(1).max(2_000_000_000).nullable().optional(),
    budget: Budget.nullable().optional().openapi({ description: 'a discount budget; null clears it' }),
  })
  .strict()
  .openapi('Limits');

export const Metadata = z.record(z.string().min(1).max(40), z.unknown()).refine((m) => Object.keys(m).length <= 50, {
  message: 'holds at most 50 keys',
});
