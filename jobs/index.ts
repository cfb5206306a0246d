import type { Job } from 'bullmq';
import type { AppContext } from '../src/context';
import type { QueueKey } from '../src/queues/names';
import { redemptionProcessor } from './redemptions';
import { invoiceProcessor } from './invoice-discounts';
import { batchProcessor } from './code-batches';
import { expiryProcessor } from './expiry';

export type Processor = (job: Job) => Promise<unknown>;
export type ProcessorFactory = (ctx: AppContext) => Processor;

/** One processor per queue; a queue without one here has no worker yet. */
export const processors: Partial<Record<QueueKey, ProcessorFactory>> = {
  redemptions: redemptionProcessor,
  invoices: invoiceProcessor,
  batches: batchProcessor,
  expiry: expiryProcessor,
};
