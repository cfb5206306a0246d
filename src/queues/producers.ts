import { randomUUID } from 'node:crypto';
import { Queue, type JobsOptions, type Job } from 'bullmq';
import { queuePrefix, type RedisConnection } from './connection';
import { QUEUES, type QueueKey } from './names';
import { AppError, queueFull, queueUnavailable } from '../errors';
import { jobOptions, type JobContext, type JobItem } from './catalogue';

export type Queues = Record<QueueKey, Queue>;

/** The queues, each under its own prefix on a Redis Cluster (`queuePrefix`). */
export function createQueues(connection: RedisConnection, prefix: string, cluster = false): Queues {
  const make = (name: string) => {
    const queue = new Queue(name, { connection, prefix: queuePrefix(prefix, cluster, name) });
    // Connection errors are followed (and logged once) by ServiceHealth; without a listener
    // BullMQ would print each one.
    queue.on('error', () => undefined);
    return queue;
  };
  return {
    redemptions: make(QUEUES.redemptions),
    invoices: make(QUEUES.invoices),
    batches: make(QUEUES.batches),
    expiry: make(QUEUES.expiry),
    webhooks: make(QUEUES.webhooks),
  };
}

/** How long a slot taken by an add stays counted if its process dies before the add lands. */
const RESERVATION_TTL_MS = 30_000;

/**
 * Admission to a queue, atomically across processes: counts the jobs not yet started (wait,
 * paused, delayed, prioritized) plus the adds admitted but not yet landed, and admits this add
 * (remembering its job id) only below the limit. A reservation is dropped once its job exists
 * (then the lists count it) or after RESERVATION_TTL_MS.
 * KEYS: wait, paused, delayed, prioritized, reservations. ARGV: limit, now, job key prefix, job id, ttl.
 */
const ADMIT_SCRIPT = `
local now = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now)
local pending = redis.call('ZRANGE', KEYS[5], 0, -1)
for _, id in ipairs(pending) do
  if redis.call('EXISTS', ARGV[3] .. id) == 1 then redis.call('ZREM', KEYS[5], id) end
end
local n = redis.call('LLEN', KEYS[1]) + redis.call('LLEN', KEYS[2]) + redis.call('ZCARD', KEYS[3])
  + redis.call('ZCARD', KEYS[4]) + redis.call('ZCARD', KEYS[5])
if n >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[5], now + tonumber(ARGV[5]), ARGV[4])
redis.call('PEXPIRE', KEYS[5], ARGV[5])
return 1`;

async function admit(connection: RedisConnection, queue: Queue, jobId: string, limit: number): Promise<string> {
  const base = queue.qualifiedName;
  const admitted = await connection.eval(
    ADMIT_SCRIPT, 5,
    `${base}:wait`, `${base}:paused`, `${base}:delayed`, `${base}:prioritized`, `${base}:admitting`,
    String(limit), String(Date.now()), `${base}:`, jobId, String(RESERVATION_TTL_MS),
  );
  if (Number(admitted) !== 1) throw queueFull(queue.name);
  return `${base}:admitting`;
}

export interface EnqueueLimits {
  /** Refuse with 503 queue_full when the queue holds this many jobs not yet started. */
  maxWaiting?: number;
}

/**
 * Adds a job, failing fast with 503 queue_unavailable when Redis cannot take it, and with 503
 * queue_full (Retry-After) when `maxWaiting` jobs are already waiting.
 */
export async function enqueue<T>(connection: RedisConnection, queue: Queue, name: string, data: T, opts: JobsOptions, limits: EnqueueLimits = {}): Promise<Job> {
  if (connection.status !== 'ready') throw queueUnavailable();
  const jobId = opts.jobId ?? `job-${randomUUID()}`;
  let reservations: string | null = null;
  try {
    if (limits.maxWaiting !== undefined) reservations = await admit(connection, queue, jobId, limits.maxWaiting);
    return await queue.add(name, data, { ...opts, jobId });
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw queueUnavailable();
  } finally {
    // Not awaited: later commands on this connection run after it, and other processes' admission
    // drops a reservation whose job exists.
    if (reservations) connection.zrem(reservations, jobId).catch(() => undefined);
  }
}

/**
 * Adds one job of the catalogue to its queue, with the id and options `jobOptions` chooses
 * (enqueue's failures: 503 queue_unavailable, queue_full past `maxWaiting`).
 */
export async function enqueueJob(
  ctx: { redis: RedisConnection; queues: Queues },
  item: JobItem,
  opts: EnqueueLimits & { jobContext?: JobContext } = {},
): Promise<Job> {
  return enqueue(ctx.redis, ctx.queues[item.queue], item.name, item.data, jobOptions(item, opts.jobContext), opts);
}

export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all(Object.values(queues).map((q) => q.close()));
}
