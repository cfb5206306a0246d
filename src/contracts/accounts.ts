import { z } from './zod';
import { Currency, Id, ListQuery, MinorUnits, Overflow, TimeZone, page } from './common';
import { PlanAccess } from './attribution';
import { ROUNDING_MODES } from '../domain';

export const AccountCreate = z
  .object({
    name: z.string().trim().min(1).max(200),
    timeZone: TimeZone.optional(),
    currency: Currency.optional(),
    overflow: Overflow.optional(),
    rounding: z
      .enum(ROUNDING_MODES)
      .optional()
      .openapi({ description: 'how a percentage of an amount that is not a whole minor unit rounds (default half_up); each redemption pins the mode in force when it is made' }),
  })
  .strict()
  .openapi('AccountCreate');

export const AccountPatch = AccountCreate.partial().strict().openapi('AccountPatch');

export const Account = z
  .object({ id: z.string(), name: z.string(), timeZone: z.string(), currency: z.string(), overflow: Overflow, rounding: z.enum(ROUNDING_MODES) })
  .openapi('Account');

export const AccountCreated = z.object({ account: Account, apiKey: z.string() }).openapi('AccountCreated');

export const Interval = z.object({ unit: z.enum(['day', 'week', 'month', 'year']), count: z.number().int().min(1).max(1000) }).strict();

export const PlanPut = z
  .object({
    name: z.string().trim().min(1).max(200),
    kind: z.enum(['recurring', 'one_time']),
    interval: Interval.nullable().optional(),
    currency: Currency,
    price: MinorUnits,
    family: z.string().min(1).max(200).nullable().optional(),
    access: PlanAccess.optional().openapi({ description: 'default open' }),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.kind === 'recurring' && !v.interval) ctx.addIssue({ code: 'custom', path: ['interval'], message: 'is required for a recurring plan' });
  })
  .openapi('PlanPut');

export const Plan = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(['recurring', 'one_time']),
    interval: Interval.nullable(),
    currency: z.string(),
    price: z.number(),
    family: z.string().nullable(),
    access: PlanAccess,
  })
  .openapi('Plan');

export const PlanPage = page(Plan).openapi('PlanPage');
export const PlanListQuery = ListQuery.strict();

export const CustomerFields = z
  .object({
    email: z.string().email().max(320).nullable().optional(),
    country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as US').nullable().optional(),
    region: z.string().regex(/^[A-Z]{2}-[A-Z0-9]{1,3}$/, 'must be an ISO 3166-2 code such as US-CA').nullable().optional(),
    postalCode: z.string().min(1).max(20).nullable().optional(),
    hasPaidSubscription: z.boolean().optional(),
  })
  .strict();

export const CustomerPut = CustomerFields.openapi('CustomerPut');
export const CustomerInput = CustomerFields.extend({ id: Id }).strict().openapi('CustomerInput');

export const Customer = z
  .object({
    id: z.string(),
    email: z.string().nullable(),
    country: z.string().nullable(),
    region: z.string().nullable(),
    postalCode: z.string().nullable(),
    hasPaidSubscription: z.boolean(),
  })
  .openapi('Customer');

export const IdParams = z.object({ id: Id });
