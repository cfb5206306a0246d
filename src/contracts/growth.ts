import { z } from './zod';
import { Currency, Id, Instant, ListQuery, LocalDate } from './common';
import { CustomerInput } from './accounts';
import { Attribution } from './attribution';

export { Attribution, PlanAccess, SwitchRule } from './attribution';

export const SubscriptionCancel = z
  .object({ at: Instant.optional().openapi({ description: 'when it was cancelled (default now); a future instant is 400' }) })
  .strict()
  .openapi('SubscriptionCancel');

export const Subscription = z
  .object({ id: z.string(), customerId: z.string().nullable(), status: z.enum(['active', 'cancelled']), cancelledAt: z.string().nullable() })
  .openapi('Subscription');

export const SubscriptionCancelled = z
  .object({ id: z.string(), status: z.literal('cancelled'), cancelledAt: z.string() })
  .openapi('SubscriptionCancelled');

export const SubscriptionParams = z.object({ id: Id });

export const SignupAuthorizeRequest = z
  .object({ planId: Id, customer: CustomerInput, code: z.string().trim().min(1).max(64).optional() })
  .strict()
  .openapi('SignupAuthorizeRequest');

export const SignupAuthorizeResponse = z
  .object({
    allowed: z.boolean(),
    requiresCode: z.boolean().openapi({ description: 'true exactly when the plan is invitation_only' }),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
    coupon: z.record(z.string(), z.unknown()).optional(),
    code: z.record(z.string(), z.unknown()).optional(),
  })
  .openapi('SignupAuthorizeResponse');

const MoneyMap = z.record(z.string(), z.number().int()).openapi({ description: 'minor units per currency; zero currencies omitted', example: { USD: 1800 } });

/** The figures every growth report gives per group (API.md "Growth reports"). */
export const GroupFigures = z.object({
  redemptions: z.number().int().openapi({ description: 'non-voided redemptions' }),
  customers: z.number().int().openapi({ description: 'distinct customers of those redemptions' }),
  converted: z.number().int().openapi({ description: 'redemptions whose subscription has a paid invoice processed at or after the redemption' }),
  conversionRate: z.number().min(0).max(1).nullable().openapi({ description: 'converted ÷ redemptions; null when none' }),
  active: z.number().int().openapi({ description: 'redemptions whose subscription is not cancelled' }),
  churned: z.number().int().openapi({ description: 'redemptions whose subscription is cancelled' }),
  discount: MoneyMap.openapi({ description: 'the redemptions’ ledger amounts per currency' }),
  revenue: MoneyMap.openapi({ description: 'totals of the paid invoices counted for conversion, per currency, each once per redemption' }),
  averageLifetimeValue: MoneyMap.openapi({ description: 'revenue ÷ customers per currency, rounded half up' }),
});

export const ReportSort = z.enum(['-redemptions', '-converted', '-conversionRate', '-revenue', '-discount']);

export const CodeReportQuery = ListQuery.extend({
  couponId: Id.optional(),
  channel: z.string().min(1).max(100).optional(),
  partner: z.string().min(1).max(100).optional(),
  sort: ReportSort.default('-redemptions'),
  currency: Currency.optional().openapi({ description: 'currency of the money sorts and of the CSV’s money columns; default the account’s' }),
}).strict();

export const CodeReportCsvQuery = CodeReportQuery.omit({ limit: true, cursor: true }).strict();

export const CodeReportRow = GroupFigures.extend({
  code: z.string().nullable().openapi({ description: 'null: the coupon’s direct redemptions' }),
  couponId: z.string(),
  attribution: Attribution,
  deleted: z.boolean(),
}).openapi('CodeReportRow');

export const CodeReportPage = z.object({ data: z.array(CodeReportRow), nextCursor: z.string().nullable() }).openapi('CodeReportPage');

export const AttributionReportQuery = z
  .object({
    groupBy: z.enum(['channel', 'partner', 'referrer']),
    from: LocalDate.optional(),
    to: LocalDate.optional(),
    sort: ReportSort.default('-redemptions'),
    currency: Currency.optional(),
  })
  .strict();

export const AttributionReport = z
  .object({ data: z.array(GroupFigures.extend({ key: z.string().nullable() })) })
  .openapi('AttributionReport');

export const TimeseriesQuery = z
  .object({
    from: LocalDate,
    to: LocalDate,
    interval: z.enum(['day', 'week', 'month']).default('day'),
    couponId: Id.optional(),
    code: z.string().min(1).max(200).optional(),
  })
  .strict();

export const Timeseries = z
  .object({
    interval: z.enum(['day', 'week', 'month']),
    timeZone: z.string(),
    data: z.array(z.object({ start: z.string(), redemptions: z.number().int(), discount: MoneyMap, revenue: MoneyMap })),
  })
  .openapi('Timeseries');

export const CodeReportCsv = z.string().openapi({
  example:
    'code,coupon_id,channel,partner,referrer_customer_id,redemptions,customers,converted,conversion_rate,active,churned,currency,discount,revenue,average_lifetime_value\n',
});
