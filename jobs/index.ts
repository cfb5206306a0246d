import type { Job } from 'bullmq';
import type { AppContext } from '../src/context';
import type { QueueKey } from '../src/queues/names';

export type Processor = (job: Job) => Promise<unknown>;
export type ProcessorFactory = (ctx: AppContext) => Processor;

/** One processor per queue; a queue without one here has no worker yet. */
export const processors: Partial<Record<QueueKey, ProcessorFactory>> = {};
