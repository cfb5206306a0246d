import { DelayedError, Worker, type Job } from 'bullmq';
import type { AppContext } from './context';
import { errorFields } from './logger';
import { QUEUES, type QueueKey } from './queues/names';
import { duplicateBlocking, queuePrefix, type RedisConnection } from './queues/connection';
import { processors, workerSettings, type AnyProcessor } from '../jobs';
import { isDatabaseUnavailable, isRedisUnavailable } from './faults';

const isConnectionError = (err: unknown): boolean => /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE/.test(String((err as { code?: string })?.code ?? (err as Error)?.message));

/** Backoff of a job put back because PostgreSQL could not be reached: 0.5 s doubling up to 10 s. */
export function databaseRetryDelayMs(timesPutBack: number): number {
  return Math.min(10_000, 500 * 2 ** Math.max(0, Math.min(timesPutBack, 10)));
}

/**
 * Runs a processor; when PostgreSQL cannot be reached the job is put back as delayed without
 * spending one of its attempts (BullMQ's DelayedError), with a growing delay, so a job accepted
 * before an outage completes after it however long the outage lasts. Its transaction rolled
 * back, so nothing it did is counted twice.
 */
export function withDatabaseRetry(ctx: AppContext, processor: AnyProcessor) {
  return async (job: Job, token?: string): Promise<unknown> => {
    try {
      return await processor(job, token);
    } catch (err) {
      if (!token || !isDatabaseUnavailable(err)) throw err;
      void ctx.health.probeDatabase();
      const putBack = Math.max(0, (job.attemptsStarted ?? 1) - 1 - job.attemptsMade);
      await job.moveToDelayed(Date.now() + databaseRetryDelayMs(putBack), token);
      throw new DelayedError();
    }
  };
}

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
  const connections: RedisConnection[] = [];
  for (const key of Object.keys(QUEUES) as QueueKey[]) {
    // each queue's processor takes its own payloads (checked in jobs/index.ts); here any job
    const factory = processors[key] as unknown as (ctx: AppContext) => AnyProcessor;
    const connection = duplicateBlocking(ctx.redis);
    connections.push(connection);
    const worker = new Worker(QUEUES[key], withDatabaseRetry(ctx, factory(ctx)), {
      connection,
      prefix: queuePrefix(ctx.config.queuePrefix, ctx.config.redisCluster, QUEUES[key]),
      concurrency: CONCURRENCY[key](ctx.config),
      settings: workerSettings[key]?.(ctx),
      lockDuration: ctx.config.jobLock.durationMs,
      stalledInterval: ctx.config.jobLock.stalledIntervalMs,
      // A batch resumes from what it already wrote, so a worker dying under it several times
      // must not fail it behind the processor's back (which would leave the batch `running`).
      maxStalledCount: key === 'batches' ? 20 : 1,
    });
    worker.on('failed', (job, err) => ctx.logger.warn('job failed', { queue: QUEUES[key], jobId: job?.id, attemptsMade: job?.attemptsMade, ...errorFields(err) }));
    // Redis outages are logged once by ServiceHealth; BullMQ reconnects the worker by itself.
    worker.on('error', (err) => {
      if (!isRedisUnavailable(err) && !isConnectionError(err)) ctx.logger.error('worker error', { queue: QUEUES[key], ...errorFields(err) });
    });
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
