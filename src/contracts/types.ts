/**
 * The HTTP API's shapes as plain TypeScript types, taken from the contracts so they cannot drift
 * from what the service validates and answers. For clients that must not bundle zod or server code
 * (the admin console): import them with `import type` only — this module exports no value.
 *
 * Answers are a schema's output (`z.output`: defaults filled in); request bodies its input
 * (`z.input`: a field with a default may be left out).
 */
import type { z } from 'zod';
import type * as accounts from './accounts';
import type * as apiKeys from './api-keys';
import type * as attribution from './attribution';
import type * as audit from './audit';
import type * as batches from './batches';
import type * as checkout from './checkout';
import type * as common from './common';
import type * as coupons from './coupons';
import type * as growth from './growth';
import type * as reports from './reports';
import type * as webhooks from './webhooks';

export type { ApiScope, AuditTargetType, EventType } from '../domain';

// Parts of a coupon's terms
export type Discount = z.output<typeof coupons.Discount>;
export type Duration = z.output<typeof coupons.Duration>;
export type AppliesTo = z.output<typeof coupons.AppliesTo>;
export type Eligibility = z.output<typeof coupons.Eligibility>;
export type Attribution = z.output<typeof attribution.Attribution>;
export type Overflow = z.output<typeof common.Overflow>;
export type CouponStatus = z.output<typeof coupons.CouponStatus>;

// Answers
export type Account = z.output<typeof accounts.Account>;
export type Coupon = z.output<typeof coupons.Coupon>;
export type CouponPage = z.output<typeof coupons.CouponPage>;
export type CouponVersionPage = z.output<typeof coupons.CouponVersionPage>;
export type Code = z.output<typeof coupons.Code>;
export type CodePage = z.output<typeof coupons.CodePage>;
export type ImportResult = z.output<typeof coupons.ImportResult>;
export type EventPage = z.output<typeof coupons.EventPage>;
export type Batch = z.output<typeof batches.Batch>;
export type BatchCreated = z.output<typeof batches.BatchCreated>;
export type UsageStats = z.output<typeof reports.UsageStats>;
export type AccountStats = z.output<typeof reports.AccountStats>;
export type ReportSort = z.output<typeof growth.ReportSort>;
export type CodeReportPage = z.output<typeof growth.CodeReportPage>;
export type AttributionReport = z.output<typeof growth.AttributionReport>;
export type Timeseries = z.output<typeof growth.Timeseries>;
export type WebhookEndpoint = z.output<typeof webhooks.WebhookEndpoint>;
export type WebhookEndpointCreated = z.output<typeof webhooks.WebhookEndpointCreated>;
export type WebhookEndpointPage = z.output<typeof webhooks.WebhookEndpointPage>;
export type WebhookDelivery = z.output<typeof webhooks.WebhookDelivery>;
export type WebhookDeliveryDetail = z.output<typeof webhooks.WebhookDeliveryDetail>;
export type WebhookDeliveryPage = z.output<typeof webhooks.WebhookDeliveryPage>;
export type RotatedSecret = z.output<typeof webhooks.RotatedSecret>;
export type ApiKey = z.output<typeof apiKeys.ApiKey>;
export type ApiKeyPage = z.output<typeof apiKeys.ApiKeyPage>;
export type ApiKeyWithSecret = z.output<typeof apiKeys.ApiKeyWithSecret>;
export type AuditRecord = z.output<typeof audit.AuditRecord>;
export type AuditRecordPage = z.output<typeof audit.AuditRecordPage>;
export type RecoveredDeliveries = z.output<typeof webhooks.RecoveredDeliveries>;
export type CouponSort = NonNullable<z.output<typeof coupons.CouponListQuery>['sort']>;
export type Plan = z.output<typeof accounts.Plan>;
export type PlanPage = z.output<typeof accounts.PlanPage>;
export type Hold = z.output<typeof checkout.Hold>;
export type HoldPage = z.output<typeof checkout.HoldPage>;
export type BatchPage = z.output<typeof batches.BatchPage>;
export type PreviewResult = z.output<typeof checkout.PreviewResult>;
export type Rounding = z.output<typeof checkout.Rounding>;

// Request bodies
export type CouponCreateBody = z.input<typeof coupons.CouponCreate>;
export type CouponPatchBody = z.input<typeof coupons.CouponPatch>;
export type CodeCreateBody = z.input<typeof coupons.CodeCreate>;
export type CodePatchBody = z.input<typeof coupons.CodePatch>;
export type BatchCreateBody = z.input<typeof batches.BatchCreate>;
export type WebhookEndpointCreateBody = z.input<typeof webhooks.WebhookEndpointCreate>;
export type WebhookEndpointPatchBody = z.input<typeof webhooks.WebhookEndpointPatch>;
export type RotateSecretBody = z.input<typeof webhooks.RotateSecret>;
export type ApiKeyCreateBody = z.input<typeof apiKeys.ApiKeyCreate>;
export type ApiKeyRollBody = z.input<typeof apiKeys.ApiKeyRoll>;
export type RecoverDeliveriesBody = z.input<typeof webhooks.RecoverDeliveries>;
export type AccountPatchBody = z.input<typeof accounts.AccountPatch>;
export type PreviewRequestBody = z.input<typeof checkout.PreviewRequest>;
