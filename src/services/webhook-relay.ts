import type { AppContext } from '../context';
import { errorFields } from '../logger';
import { attemptsAllowed } from '../domain';
import { duePendingDeliveries, eventsAfterRelayCursor, relayStep } from '../repositories/webhook-relay';
import { deliveryJobId, enqueueDeliveries, enqueueRelayed, type QueuedDelivery } from './webhook-delivery';

/**
 * The relay loop of a worker process: every WEBHOOK_RELAY_EVERY_MS it turns newly committed
 * events into delivery rows (one relay at a time across processes) and enqueues their jobs after
 * commit (an endpoint's several new deliveries as one batch job); every WEBHOOK_SWEEP_EVERY_MS
 * it re-enqueues pending deliveries whose job is gone (a crash between commit and enqueue, Redis
 * lost, a job failed by stalls).
 */

const BATCH = 1000;

/** One relay run to the horizon; answers the number of deliveries created. */
export async function runRelay(ctx: AppContext): Promise<number> {
  const em = ctx.orm.em.fork();
  const allowed = attemptsAllowed(ctx.config.webhooks.retryScheduleMs);
  // nothing after the cursor: no transaction (the common case of a pass)
  if (!(await eventsAfterRelayCursor(em))) return 0;
  let total = 0;
  for (;;) {
    const step = await relayStep(em, BATCH, allowed);
    if (step.deliveries.length) {
      await enqueueRelayed(ctx.queues.webhooks, step.deliveries, allowed);
      total += step.deliveries.length;
    }
    if (!step.more) return total;
  }
}

/** Re-enqueues pending deliveries due before `now - graceMs` that have no live job; answers how many. */
export async function sweepDeliveries(ctx: AppContext, now: Date, graceMs: number): Promise<number> {
  const em = ctx.orm.em.fork();
  const before = new Date(now.getTime() - graceMs).toISOString();
  let after: string | null = null;
  let requeued = 0;
  for (;;) {
    const rows = await duePendingDeliveries(em, before, after, 500);
    if (rows.length === 0) return requeued;
    const jobs = await Promise.all(rows.map((r) => ctx.queues.webhooks.getJob(deliveryJobId(r.id, r.round))));
    const missing: QueuedDelivery[] = [];
    for (let i = 0; i < rows.length; i++) {
      const job = jobs[i];
      if (job && !job.finishedOn) continue; // waiting, delayed or active
      if (job) await job.remove().catch(() => undefined); // finished while the delivery is still pending
      const r = rows[i];
      missing.push({ id: r.id, accountId: r.accountId, round: r.round, attemptsLeft: r.attemptsAllowed - r.attempts });
    }
    await enqueueDeliveries(ctx.queues.webhooks, missing);
    requeued += missing.length;
    after = rows[rows.length - 1].id;
  }
}

/** Starts the loop; the stopper waits for a running pass to end (closeWebhookRuntime closes connections after the workers). */
export function startWebhookRelay(ctx: AppContext): () => Promise<void> {
  const { relayEveryMs, sweepEveryMs } = ctx.config.webhooks;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let lastSweep = Date.now();
  const pass = async () => {
    try {
      await runRelay(ctx);
      if (Date.now() - lastSweep >= sweepEveryMs) {
        lastSweep = Date.now();
        const n = await sweepDeliveries(ctx, new Date(ctx.clock.now()), sweepEveryMs);
        if (n > 0) ctx.logger.info('webhook deliveries re-enqueued', { count: n });
      }
    } catch (err) {
      ctx.logger.warn('webhook relay pass failed', errorFields(err));
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = pass().finally(schedule);
    }, relayEveryMs);
  };
  schedule();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}
