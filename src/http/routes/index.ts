import type { RouteDef } from '../route';
import { accountRoutes } from './accounts';
import { jobRoutes } from './jobs';
import { couponRoutes } from './coupons';
import { codeRoutes } from './codes';
import { codeImportRoutes } from './code-import';
import { eventRoutes } from './events';
import { redemptionRoutes } from './redemptions';
import { invoiceRoutes } from './invoices';
import { validateRoutes } from './validate';
import { batchRoutes } from './batches';
import { reportRoutes } from './reports';
import { growthRoutes } from './growth';
import { webhookRoutes } from './webhooks';
import { apiKeyRoutes } from './api-keys';
import { auditLogRoutes } from './audit-log';
import { checkoutRoutes } from './checkout';

/** Every /v1 route; each feature adds its list here. */
export const routes: RouteDef[] = [...accountRoutes, ...jobRoutes, ...couponRoutes, ...codeRoutes, ...codeImportRoutes, ...eventRoutes, ...redemptionRoutes, ...invoiceRoutes, ...validateRoutes, ...batchRoutes, ...reportRoutes, ...growthRoutes, ...webhookRoutes, ...apiKeyRoutes, ...auditLogRoutes, ...checkoutRoutes];
