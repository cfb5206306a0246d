import { Job, type Queue } from 'bullmq';
import type { Request } from 'express';
import type { AppContext } from '../context';
import type { QueueName } from '../queues/names';
import { jobOptions, type JobItem } from '../queues/catalogue';
import type { JobOutcome } from '../queues/outcomes';
import { enqueue } from '../queues/producers';
import { httpStatusOf } from './errors';
import { retryFailedJob } from '../queues/job-waiter';
import { databaseUnavailable, jobFailed, queueUnavailable, rateLimited } from '../errors';
import { requestHash as hashRequest } from '../hash';
import { timeOrderedUuid } from '../ids';

/** How long a first synchronous call waits for its queue's event subscription to start. */
const WATCH_START_MS = 1000;
import type { Reply } from './route';

/** A job found failed for good under this id runs again (its id stands for this very request). */
async function retryIfFailed(queue: Queue, jobId: string): Promise<void> {
  try {
    if ((await queue.getJobState(jobId)) !== 'failed') return;
    const job = await Job.fromId(queue, jobId);
    if (job) await retryFailedJob(job);
  } catch {
    throw queueUnavailable();
  }
}

export function prefersAsync(req: Request): boolean {
  const prefer = req.headers.prefer;
  const list = Array.isArray(prefer) ? prefer.join(',') : prefer ?? '';
  return /(^|[,\s])respond-async($|[,\s;])/i.test(list);
}

function jobRef(queue: string, id: string, status: string): Reply {
  return {
    status: 202,
    body: { job: { id, queue, status } },
    headers: { Location: `/v1/jobs/${queue}/${encodeURIComponent(id)}`, 'Preference-Applied': 'respond-async' },
  };
}

/**
 * The answer of a job's outcome: a success with the route's own status (`successStatus`: 201
 * for a redemption, 200 for an invoice), an error with its code's status (src/http/errors.ts)
 * and `Retry-After` when it says when to come back. A result of the earlier `{status, body}`
 * shape (a job that finished before this version) is answered as it is.
 */
export function replyOf(result: JobOutcome | { status: number; body: Record<string, unknown>; headers?: Record<string, string> }, successStatus: number): Reply {
  if ('status' in result) return { status: result.status, body: result.body, headers: result.headers };
  if (result.ok) return { status: successStatus, body: result.body };
  const headers = result.retryAfterSeconds === undefined ? undefined : { 'Retry-After': String(result.retryAfterSeconds) };
  return { status: httpStatusOf(result.error.code), body: { error: result.error }, headers };
}

/**
 * Enqueues a job whose return value is a JobOutcome and answers it: at once with 202 under
 * `Prefer: respond-async`, otherwise after the worker finished (202 again if it takes too long).
 */
export async function enqueueAndReply(
  ctx: AppContext,
  req: Request,
  item: JobItem,
  successStatus: number,
  /** The job id is derived from a natural key, so the add may find a job that already ran. */
  mayExist = true,
): Promise<Reply> {
  const queue = ctx.queues[item.queue];
  const opts = jobOptions(item);
  const { name, data } = item;
  // Nothing is enqueued while PostgreSQL is known to be down, nor while a look started by a lost
  // connection is under way: such a job would only wait for the database, and its caller with it.
  if (!(await ctx.health.databaseAvailable())) throw databaseUnavailable();
  if (prefersAsync(req)) {
    const job = await enqueue(ctx.redis, queue, name, data, opts, { maxWaiting: ctx.config.queueMaxWaiting });
    if (mayExist) await retryIfFailed(queue, opts.jobId);
    return jobRef(queue.name, job.id ?? opts.jobId, 'waiting');
  }
  // The queue's events are read from its first synchronous call on; while Redis is away that
  // subscription cannot start, and the call answers 503 like the add would.
  if (ctx.redis.status !== 'ready' || !(await ctx.waiter.watchWithin(queue.name as QueueName, WATCH_START_MS))) throw queueUnavailable();
  const waiting = ctx.waiter.register(queue.name, opts.jobId, ctx.config.jobWaitTimeoutMs);
  try {
    await enqueue(ctx.redis, queue, name, data, opts, { maxWaiting: ctx.config.queueMaxWaiting });
    if (mayExist) await ctx.waiter.settleIfFinished(queue, opts.jobId, { retryFailed: true });
  } catch (err) {
    waiting.cancel();
    throw err;
  }
  const outcome = await waiting.outcome;
  if (outcome.state === 'completed') return replyOf(outcome.result as JobOutcome, successStatus);
  if (outcome.state === 'failed') throw jobFailed();
  return jobRef(queue.name, opts.jobId, 'active');
}

/**
 * A request the redemptions queue counts (a redemption, a hold): the customer's guessing throttle
 * (429), the answer an idempotency key already holds for it (`stored`), else its job, whose
 * answer is 201 on success. Without a key, the request's id is also the row's
 * (`requestId` in the payload), so a job that runs twice counts once.
 */
export async function submitCountedRequest(
  ctx: AppContext,
  req: Request,
  name: 'redeem' | 'hold',
  caller: { accountId: string; apiKeyId: string | null },
  body: { customer: { id: string }; idempotencyKey?: string },
  stored: (key: string, requestHash: string) => Promise<JobOutcome | null>,
): Promise<Reply> {
  const throttle = await ctx.limiter.customerThrottle(caller.accountId, body.customer.id);
  if (throttle.limited) throw rateLimited(throttle.retryAfterSeconds);
  const requestHash = hashRequest(body);
  const key = body.idempotencyKey;
  if (key) {
    const answer = await stored(key, requestHash);
    if (answer) return replyOf(answer, 201);
  }
  const data = { accountId: caller.accountId, apiKeyId: caller.apiKeyId, requestHash, request: body, ...(key ? {} : { requestId: timeOrderedUuid() }) };
  return enqueueAndReply(ctx, req, { queue: 'redemptions', name, data } as JobItem, 201, key !== undefined);
}
