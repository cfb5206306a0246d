import { Queue, type JobsOptions, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUES, type QueueKey } from './names';
import { queueUnavailable } from '../errors';

export type Queues = Record<QueueKey, Queue>;

export function createQueues(connection: Redis, prefix: string): Queues {
  const make = (name: string) => new Queue(name, { connection, prefix });
  return {
    redemptions: make(QUEUES.redemptions),
    invoices: make(QUEUES.invoices),
    batches: make(QUEUES.batches),
    expiry: make(QUEUES.expiry),
    webhooks: make(QUEUES.webhooks),
  };
}

/** Adds a job, failing fast with 503 queue_unavailable when Redis cannot take it. */
export async function enqueue<T>(connection: Redis, queue: Queue, name: string, data: T, opts: JobsOptions): Promise<Job> {
  if (connection.status !== 'ready') throw queueUnavailable();
  try {
    return await queue.add(name, data, opts);
  } catch {
    throw queueUnavailable();
  }
}

export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all(Object.values(queues).map((q) => q.close()));
}
