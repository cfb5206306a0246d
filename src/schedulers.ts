import type { AppContext } from './context';
import { JOB_NAMES } from './queues/names';
import type { ExpiryJobData } from './queues/payloads';

/** The one repeating sweep on the `expiry` queue (a fixed id, so every process upserts the same scheduler). */
export const EXPIRY_SCHEDULER_ID = 'expiry-sweep';

/**
 * Repeating jobs upserted at start (BullMQ job schedulers). Upserting is idempotent, so every
 * worker process may do it; the last EXPIRY_EVERY_MS upserted wins. Returns a stopper, which
 * leaves the scheduler in Redis: other processes still run it.
 */
export async function startSchedulers(ctx: AppContext): Promise<() => Promise<void>> {
  const data: ExpiryJobData = { kind: 'sweep' };
  await ctx.queues.expiry.upsertJobScheduler(
    EXPIRY_SCHEDULER_ID,
    { every: ctx.config.expirySchedulerEveryMs },
    { name: JOB_NAMES.expirySweep, data, opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } } },
  );
  return async () => {};
}
