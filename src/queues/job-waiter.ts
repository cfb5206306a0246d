import { Job, QueueEvents, type Queue } from 'bullmq';
import { duplicateBlocking, queuePrefix, type RedisConnection } from './connection';
import type { QueueName } from './names';

export type WaitOutcome =
  | { state: 'completed'; result: unknown }
  | { state: 'failed'; error: string }
  | { state: 'timeout' };

interface Pending {
  resolve: (o: WaitOutcome) => void;
  timer: NodeJS.Timeout;
}

/**
 * Moves a failed job back to waiting with its attempts reset. Another process may have retried
 * it first (then it is no longer failed and BullMQ refuses): that is the same outcome.
 */
export async function retryFailedJob(job: Job): Promise<void> {
  try {
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
  } catch (err) {
    if ((await job.getState().catch(() => 'failed')) !== 'failed') return;
    throw err;
  }
}

function parse(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

/**
 * Waits for job outcomes. One QueueEvents subscription per queue per process serves every
 * waiting request: a map from job id to its waiters, not a listener per request. A queue is
 * watched from the first wait on it on, so a process reads no event stream that nobody waits on.
 */
export class JobWaiter {
  private readonly events = new Map<string, QueueEvents>();
  private readonly ready = new Map<string, Promise<void>>();
  private readonly pending = new Map<string, Pending[]>();
  private readonly connections: RedisConnection[] = [];

  constructor(private readonly connection: RedisConnection, private readonly prefix: string, private readonly cluster = false) {}

  /** Subscribes to a queue's events; resolves once the subscription reads (every caller waits for the same). */
  watch(queue: QueueName): Promise<void> {
    let ready = this.ready.get(queue);
    if (!ready) {
      ready = this.subscribe(queue);
      this.ready.set(queue, ready);
      ready.catch(() => this.ready.delete(queue));
    }
    return ready;
  }

  /** watch, giving up after `ms` (answers whether the subscription reads). */
  async watchWithin(queue: QueueName, ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
    try {
      return await Promise.race([this.watch(queue).then(() => true, () => false), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async subscribe(queue: QueueName): Promise<void> {
    const connection = duplicateBlocking(this.connection);
    this.connections.push(connection);
    const qe = new QueueEvents(queue, { connection, prefix: queuePrefix(this.prefix, this.cluster, queue) });
    // It reconnects by itself; the outage is logged once by ServiceHealth.
    qe.on('error', () => undefined);
    qe.on('completed', ({ jobId, returnvalue }) => this.settle(queue, jobId, { state: 'completed', result: parse(returnvalue) }));
    qe.on('failed', ({ jobId, failedReason }) => this.settle(queue, jobId, { state: 'failed', error: failedReason }));
    this.events.set(queue, qe);
    await qe.waitUntilReady();
  }

  /**
   * Starts waiting for a job before it is added (its id is known up front), so no completion can
   * slip by. Resolves when the job completes or fails, or with `timeout` after `timeoutMs`.
   */
  register(queueName: string, jobId: string, timeoutMs: number): { outcome: Promise<WaitOutcome>; cancel(): void } {
    const key = `${queueName}|${jobId}`;
    let entry!: Pending;
    const outcome = new Promise<WaitOutcome>((resolve) => {
      entry = { resolve, timer: setTimeout(() => this.remove(key, entry, { state: 'timeout' }), timeoutMs) };
      const list = this.pending.get(key);
      if (list) list.push(entry);
      else this.pending.set(key, [entry]);
    });
    return {
      outcome,
      cancel: () => {
        clearTimeout(entry.timer);
        this.remove(key, entry, { state: 'timeout' });
      },
    };
  }

  /**
   * Settles the waiters of a job that had already finished (an add that found an existing job).
   * With `retryFailed`, a job that had failed for good is run again instead (its id stands for
   * the same request, which the worker answers idempotently): a failure is not an outcome, so a
   * client sending the request again gets one rather than the old failure.
   */
  async settleIfFinished(queue: Queue, jobId: string, opts: { retryFailed?: boolean } = {}): Promise<void> {
    const state = await queue.getJobState(jobId);
    if (state !== 'completed' && state !== 'failed') return;
    const job = await Job.fromId(queue, jobId);
    if (!job) return;
    if (state === 'completed') this.settle(queue.name, jobId, { state: 'completed', result: job.returnvalue });
    else if (opts.retryFailed) await retryFailedJob(job);
    else this.settle(queue.name, jobId, { state: 'failed', error: job.failedReason });
  }

  /** Waits for a job that may already have finished. */
  async wait(queue: Queue, jobId: string, timeoutMs: number): Promise<WaitOutcome> {
    await this.watch(queue.name as QueueName);
    const { outcome } = this.register(queue.name, jobId, timeoutMs);
    await this.settleIfFinished(queue, jobId);
    return outcome;
  }

  private remove(key: string, entry: Pending, outcome: WaitOutcome): void {
    const list = this.pending.get(key);
    if (!list) return;
    const i = list.indexOf(entry);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.pending.delete(key);
    entry.resolve(outcome);
  }

  private settle(queue: string, jobId: string, outcome: WaitOutcome): void {
    const key = `${queue}|${jobId}`;
    const list = this.pending.get(key);
    if (!list) return;
    this.pending.delete(key);
    for (const p of list) {
      clearTimeout(p.timer);
      p.resolve(outcome);
    }
  }

  /**
   * Answers every wait under way with `timeout` (the caller then answers 202 with the job's
   * address): when PostgreSQL or Redis goes down, a job already accepted completes only after
   * the outage, and a request must not wait through it.
   */
  releaseAll(): void {
    for (const [key, list] of this.pending) {
      this.pending.delete(key);
      for (const p of list) {
        clearTimeout(p.timer);
        p.resolve({ state: 'timeout' });
      }
    }
  }

  get waitingCount(): number {
    let n = 0;
    for (const l of this.pending.values()) n += l.length;
    return n;
  }

  async close(): Promise<void> {
    for (const [key, list] of this.pending) {
      for (const p of list) {
        clearTimeout(p.timer);
        p.resolve({ state: 'timeout' });
      }
      this.pending.delete(key);
    }
    await Promise.all([...this.events.values()].map((qe) => qe.close()));
    this.events.clear();
    this.ready.clear();
    for (const c of this.connections.splice(0)) c.disconnect();
  }
}
