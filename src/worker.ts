import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AppContext } from './context';
import { errorFields } from './logger';
import { QUEUES, type QueueKey } from './queues/names';
import { processors, workerSettings } from '../jobs';

const CONCURRENCY: Record<QueueKey, (c: AppContext['config']) => number> = {
  redemptions: (c) => c.concurrency.redemptions,
  invoices: (c) => c.concurrency.invoices,
  batches: (c) => c.concurrency.batches,
  expiry: (c) => c.concurrency.expiry,
  webhooks: (c) => c.webhooks.concurrency,
};

export interface Workers {
  workers: Worker[];
  close(): Promise<void>;
}

/** Starts one BullMQ worker per queue that has a processor. */
export async function startWorkers(ctx: AppContext): Promise<Workers> {
  const workers: Worker[] = [];
  const connections: Redis[] = [];
  for (const key of Object.keys(QUEUES) as QueueKey[]) {
    const factory = processors[key];
    if (!factory) continue;
    const connection = ctx.redis.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true });
    connections.push(connection);
    const worker = new Worker(QUEUES[key], factory(ctx), {
      connection,
      prefix: ctx.config.queuePrefix,
      concurrency: CONCURRENCY[key](ctx.config),
      settings: workerSettings[key]?.(ctx),
      lockDuration: ctx.config.jobLock.durationMs,
      stalledInterval: ctx.config.jobLock.stalledIntervalMs,
      // A batch resumes from what it already wrote, so a worker dying under it several times
      // must not fail it behind the processor's back (which would leave the batch `running`).
      maxStalledCount: key === 'batches' ? 20 : 1,
    });
    worker.on('failed', (job, err) => ctx.logger.warn('job failed', { queue: QUEUES[key], jobId: job?.id, attemptsMade: job?.attemptsMade, ...errorFields(err) }));
    worker.on('error', (err) => ctx.logger.error('worker error', { queue: QUEUES[key], ...errorFields(err) }));
    workers.push(worker);
  }
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  return {
    workers,
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      for (const c of connections) c.disconnect();
    },
  };
}
