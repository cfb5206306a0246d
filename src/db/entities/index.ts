import { Account } from './account';
import { ApiKey } from './api-key';
import { AuditRecord } from './audit-record';
import { Batch } from './batch';
import { Code } from './code';
import { Coupon, CouponVersion } from './coupon';
import { Customer } from './customer';
import { CouponBudgetSpend } from './coupon-budget-spend';
import { Event } from './event';
import { Hold, HoldRequest } from './hold';
import { Invoice, InvoiceDiscount } from './invoice';
import { Plan } from './plan';
import { Redemption, RedemptionRequest } from './redemption';
import { ReportCode, ReportContribution, ReportDay, ReportDirty } from './report-rollup';
import { Subscription } from './subscription';
import { WebhookAttempt } from './webhook-attempt';
import { WebhookDelivery } from './webhook-delivery';
import { WebhookEndpoint } from './webhook-endpoint';
import { WebhookRelay } from './webhook-relay';

export { Account, ApiKey, Batch, Code, Coupon, CouponVersion, Customer, Event, Invoice, InvoiceDiscount, Plan, Redemption, RedemptionRequest, Subscription };
export { WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookRelay, AuditRecord };
export { Hold, HoldRequest, CouponBudgetSpend, ReportDirty, ReportContribution, ReportDay, ReportCode };

export const entities = [
  Account, ApiKey, Plan, Customer, Coupon, CouponVersion, Batch, Code, Subscription,
  Redemption, RedemptionRequest, Invoice, InvoiceDiscount, Event,
  WebhookEndpoint, WebhookDelivery, WebhookAttempt, WebhookRelay, AuditRecord,
  Hold, HoldRequest, CouponBudgetSpend, ReportDirty, ReportContribution, ReportDay, ReportCode,
] as const;
