import { z } from './zod';
import { LocalDate } from './common';

const Count = z.number().int().min(0);
const PerCurrency = z
  .record(z.string(), z.number().int())
  .openapi({ description: 'minor units per currency (ISO 4217); only currencies with a discounted invoice', example: { USD: 1100, EUR: 180 } });

export const UsageStats = z
  .object({
    redemptions: z.object({ total: Count, active: Count, ended: Count, voided: Count }),
    customers: Count.openapi({ description: 'distinct customers with a non-voided redemption' }),
    invoices: Count.openapi({ description: 'distinct invoices discounted (ledger amount > 0)' }),
    discountTotal: PerCurrency,
    revenue: PerCurrency.openapi({ description: 'per non-voided redemption, the totals of its subscription’s paid invoices processed at or after it (each invoice once per redemption)' }),
    conversionRate: z.number().min(0).max(1).nullable().openapi({
      description: 'non-voided redemptions whose subscription has a paid invoice processed at or after them ÷ non-voided redemptions; null without any',
    }),
    budget: z
      .object({
        period: z.enum(['day', 'week', 'month']).nullable(),
        periodStart: z.string().nullable().openapi({ description: 'the current period’s start (null for a budget over the coupon’s life)' }),
        resetsAt: z.string().nullable(),
        spent: z.record(z.string(), z.number().int()),
        remaining: z.record(z.string(), z.number().int()),
      })
      .optional()
      .openapi({ description: 'coupon stats of a coupon with a budget: the period holding now, per currency of the budget' }),
  })
  .openapi('UsageStats');

export const AccountStats = z
  .object({
    codes: Count.openapi({ description: 'codes created in the range, deleted ones included' }),
    activeCodes: Count.openapi({ description: 'codes redeemable now (effective status active), whatever the range' }),
    redemptions: Count.openapi({ description: 'redemptions created in the range, voided included' }),
    topCode: z
      .object({ code: z.string(), redemptions: Count })
      .nullable()
      .openapi({ description: 'the code with most non-voided redemptions in the range, ties by code; null when none' }),
  })
  .openapi('AccountStats');

export const StatsQuery = z
  .object({
    from: LocalDate.optional().openapi({ description: "first day (YYYY-MM-DD) in the account's time zone, from its start" }),
    to: LocalDate.optional().openapi({ description: "last day (YYYY-MM-DD) in the account's time zone, through its end" }),
  })
  .strict();
