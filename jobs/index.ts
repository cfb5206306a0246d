import type { Job } from 'bullmq';
import type { AppContext } from '../src/context';
import type { QueueKey } from '../src/queues/names';
import { redemptionProcessor } from './redemptions';
import { invoiceProcessor } from './invoice-discounts';
import { batchProcessor } from './code-batches';
import { expiryProcessor } from './expiry';
import { webhookBackoff, webhookProcessor } from './webhooks';
import type { AdvancedOptions } from 'bullmq';

export type Processor = (job: Job, token?: string) => Promise<unknown>;
export type ProcessorFactory = (ctx: AppContext) => Processor;

/** One processor per queue; a queue without one here has no worker yet. */
export const processors: Partial<Record<QueueKey, ProcessorFactory>> = {
  redemptions: redemptionProcessor,
  invoices: invoiceProcessor,
  batches: batchProcessor,
  expiry: expiryProcessor,
  webhooks: webhookProcessor,
};

/** Worker settings of the queues that need them (custom backoff strategies). */
export const workerSettings: Partial<Record<QueueKey, (ctx: AppContext) => AdvancedOptions>> = {
  webhooks: (ctx) => ({ backoffStrategy: webhookBackoff(ctx.config.webhooks.retryScheduleMs) }),
};
