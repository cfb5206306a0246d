import { Job, QueueEvents, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { QueueName } from './names';

export type WaitOutcome =
  | { state: 'completed'; result: unknown }
  | { state: 'failed'; error: string }
  | { state: 'timeout' };

interface Pending {
  resolve: (o: WaitOutcome) => void;
  timer: NodeJS.Timeout;
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
 * waiting request: a map from job id to its waiters, not a listener per request.
 */
export class JobWaiter {
  private readonly events = new Map<string, QueueEvents>();
  private readonly pending = new Map<string, Pending[]>();
  private readonly connections: Redis[] = [];

  constructor(private readonly connection: Redis, private readonly prefix: string) {}

  async watch(queue: QueueName): Promise<void> {
    if (this.events.has(queue)) return;
    const connection = this.connection.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true });
    this.connections.push(connection);
    const qe = new QueueEvents(queue, { connection, prefix: this.prefix });
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

  /** Settles the waiters of a job that had already finished (an add that found an existing job). */
  async settleIfFinished(queue: Queue, jobId: string): Promise<void> {
    const state = await queue.getJobState(jobId);
    if (state !== 'completed' && state !== 'failed') return;
    const job = await Job.fromId(queue, jobId);
    if (!job) return;
    if (state === 'completed') this.settle(queue.name, jobId, { state: 'completed', result: job.returnvalue });
    else this.settle(queue.name, jobId, { state: 'failed', error: job.failedReason });
  }

  /** Waits for a job that may already have finished. */
  async wait(queue: Queue, jobId: string, timeoutMs: number): Promise<WaitOutcome> {
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
    for (const c of this.connections.splice(0)) c.disconnect();
  }
}
