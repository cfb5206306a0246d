import type { Job } from 'bullmq';
import type { AppContext } from '../src/context';
import type { QueueKey } from '../src/queues/names';
import type { JobDataOf } from '../src/queues/catalogue';
import { redemptionProcessor } from './redemptions';
import { invoiceProcessor } from './invoice-discounts';
import { batchProcessor } from './code-batches';
import { expiryProcessor } from './expiry';
import { webhookBackoff, webhookProcessor } from './webhooks';
import type { AdvancedOptions } from 'bullmq';

export type Processor<Q extends QueueKey = QueueKey> = (job: Job<JobDataOf<Q>>, token?: string) => Promise<unknown>;
export type ProcessorFactory<Q extends QueueKey = QueueKey> = (ctx: AppContext) => Processor<Q>;
/** A processor as the worker runs it, whatever its queue. */
export type AnyProcessor = (job: Job, token?: string) => Promise<unknown>;

/** One processor per queue of the job catalogue (src/queues/catalogue.ts), typed by its payloads. */
export const processors: { [Q in QueueKey]: ProcessorFactory<Q> } = {
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
