import { EXPIRY_KEYS, isValidCode } from '../domain';
import { z } from './zod';
import { Id, Instant, ListQuery, LocalDate, Overflow, page } from './common';
import { AppliesTo, Budget, Discount, Duration, Eligibility, Limits, Metadata } from './coupon-terms';
import { Attribution } from './attribution';

export { AppliesTo, Budget, Discount, Duration, Eligibility, Limits, Metadata } from './coupon-terms';

export const COUPON_STATUSES = ['archived', 'disabled', 'draft', 'expired', 'exhausted', 'scheduled', 'active'] as const;
export const CouponStatus = z.enum(COUPON_STATUSES);

/** A code as typed: trimmed and upper-cased before storage, so matching is case-insensitive. */
export const CodeText = z
  .string()
  .max(200)
  .refine((s) => isValidCode(s), { message: 'must be 3 to 64 characters of A-Z, 0-9, _ or - (no spaces)' })
  .openapi({ example: 'EARLYBIRD' });

/** At most one way of giving the expiry (null counts as not given). */
function oneExpiry(v: Partial<Record<(typeof EXPIRY_KEYS)[number], unknown>>, ctx: z.RefinementCtx): void {
  const given = EXPIRY_KEYS.filter((k) => v[k] !== undefined && v[k] !== null);
  if (given.length > 1) {
    ctx.addIssue({ code: 'custom', path: [given[1]], message: `give only one of expiresAt, expiresOn, expiresAfterDays (got ${given.join(', ')})` });
  }
}

/** The fields PATCH may change (every create field but status and code). */
const EditableFields = z.object({
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).nullable().optional(),
  discount: Discount,
  duration: Duration.default({ type: 'once' }),
  appliesTo: AppliesTo.default({ plans: 'all' }),
  eligibility: Eligibility.default({ customers: 'any' }),
  limits: Limits.default({}),
  validFrom: Instant.nullable().optional(),
  expiresAt: Instant.nullable().optional(),
  expiresOn: LocalDate.nullable().optional(),
  expiresAfterDays: z.number().int().min(1).max(36500).nullable().optional(),
  overflow: Overflow.optional(),
  stackable: z.boolean().default(false),
  metadata: Metadata.nullable().optional(),
  attribution: Attribution.nullable().optional(),
  grantsAccess: z.boolean().default(false).openapi({ description: 'its codes are invitations to invitation_only plans' }),
});

export const CouponCreate = EditableFields.extend({
  status: z.enum(['draft', 'active']).default('active'),
  code: CodeText.optional(),
})
  .strict()
  .superRefine(oneExpiry)
  .openapi('CouponCreate');

export const CouponPatch = z
  .object({
    name: EditableFields.shape.name.optional(),
    description: EditableFields.shape.description,
    discount: Discount.optional(),
    duration: Duration.optional(),
    appliesTo: AppliesTo.optional(),
    eligibility: Eligibility.optional(),
    limits: Limits.optional(),
    validFrom: EditableFields.shape.validFrom,
    expiresAt: EditableFields.shape.expiresAt,
    expiresOn: EditableFields.shape.expiresOn,
    expiresAfterDays: EditableFields.shape.expiresAfterDays,
    overflow: Overflow.optional(),
    stackable: z.boolean().optional(),
    metadata: EditableFields.shape.metadata,
    attribution: Attribution.nullable().optional().openapi({ description: 'replaces the whole object; null clears it' }),
    grantsAccess: z.boolean().optional(),
  })
  .strict()
  .superRefine(oneExpiry)
  .openapi('CouponPatch');

export const CouponClone = z.object({ name: EditableFields.shape.name.optional() }).strict().openapi('CouponClone');

export const Coupon = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    discount: Discount,
    duration: Duration,
    appliesTo: AppliesTo,
    eligibility: Eligibility,
    limits: z.object({ maxRedemptions: z.number().nullable(), perCustomer: z.number().nullable(), budget: Budget.optional().openapi({ description: 'present when the coupon has a budget' }) }),
    validFrom: z.string().nullable(),
    expiresAt: z.string().nullable().openapi({ description: 'the resolved expiry instant (UTC)' }),
    expiresOn: z.string().nullable(),
    expiresAfterDays: z.number().nullable(),
    overflow: Overflow,
    stackable: z.boolean(),
    status: CouponStatus,
    code: z.string().nullable().openapi({ description: 'the coupon’s first live code, null when it has none' }),
    timeZone: z.string(),
    timesRedeemed: z.number(),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    attribution: Attribution,
    grantsAccess: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
    version: z.number(),
  })
  .openapi('Coupon');

export const CouponPage = page(Coupon).openapi('CouponPage');
/** Orders of GET /v1/coupons: creation (the default), name (case-insensitive) or times redeemed; `-` for descending, ties by id. */
export const COUPON_SORTS = ['createdAt', '-createdAt', 'name', '-name', 'timesRedeemed', '-timesRedeemed'] as const;
export const CouponListQuery = ListQuery.extend({
  status: CouponStatus.optional(),
  q: z.string().trim().min(1).max(200).optional().openapi({ description: 'only coupons whose name contains this text (case-insensitive)' }),
  sort: z.enum(COUPON_SORTS).optional().openapi({
    description: 'createdAt (default), name (case-insensitive) or timesRedeemed; a leading `-` for descending; ties by id in the same direction',
  }),
}).strict();

export const CouponVersion = z
  .object({
    version: z.number(),
    createdAt: z.string(),
    snapshot: z.record(z.string(), z.unknown()).openapi({ description: 'the coupon’s terms and fields as of this version' }),
  })
  .openapi('CouponVersion');
export const CouponVersionPage = page(CouponVersion).openapi('CouponVersionPage');

export const CouponIdParams = z.object({ id: Id });

export const CodeCreate = z
  .object({
    code: CodeText,
    maxRedemptions: z.number().int().min(1).max(2_000_000_000).nullable().optional(),
    expiresAt: Instant.nullable().optional(),
    customerId: Id.nullable().optional(),
    metadata: Metadata.nullable().optional(),
    attribution: Attribution.nullable().optional().openapi({ description: 'the code’s own fields; each one not set comes from the coupon' }),
  })
  .strict()
  .openapi('CodeCreate');

export const CodePatch = CodeCreate.omit({ code: true }).strict().openapi('CodePatch');

export const Code = z
  .object({
    code: z.string(),
    couponId: z.string(),
    status: CouponStatus,
    timesRedeemed: z.number(),
    maxRedemptions: z.number().nullable(),
    expiresAt: z.string().nullable(),
    customerId: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    attribution: Attribution.openapi({ description: 'the code’s own attribution (redemptions and reports use the effective one)' }),
  })
  .openapi('Code');

export const CODE_SORTS = ['code', '-code', 'timesRedeemed', '-timesRedeemed'] as const;
export const CodePage = page(Code).openapi('CodePage');
export const CodeListQuery = ListQuery.extend({ sort: z.enum(CODE_SORTS).optional() }).strict();
export const CodeParams = z.object({ code: z.string().min(1).max(200) });

export const ImportResult = z.object({ imported: z.number() }).openapi('ImportResult');
export const CsvBody = z.string().openapi({
  description: 'CSV with a header line: `code` plus optional `max_redemptions`, `expires_at` (ISO 8601 with offset), `channel`, `partner`, `referrer_customer_id` (an empty cell is an absent field)',
  example: 'code,max_redemptions,expires_at\nSPRING-1,1,2026-12-31T23:59:59Z\n',
});

export const EventsQuery = z
  .object({
    after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
    limit: ListQuery.shape.limit,
    order: z.enum(['asc', 'desc']).default('asc').openapi({ description: '`desc`: newest first, paged with `before`' }),
    before: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional().openapi({ description: 'with order=desc: ids below this one' }),
    type: z.string().min(1).max(100).optional().openapi({ description: 'with order=desc: only events of this type' }),
  })
  .strict();
export const Event = z
  .object({ id: z.string(), type: z.string(), createdAt: z.string(), data: z.record(z.string(), z.unknown()) })
  .openapi('Event');
export const EventPage = page(Event).openapi('EventPage');

export type CouponCreateInput = z.infer<typeof CouponCreate>;
export type CouponPatchInput = z.infer<typeof CouponPatch>;
export type CodeCreateInput = z.infer<typeof CodeCreate>;
export type CodePatchInput = z.infer<typeof CodePatch>;
export type CodeSort = (typeof CODE_SORTS)[number];
export type CouponSort = (typeof COUPON_SORTS)[number];
