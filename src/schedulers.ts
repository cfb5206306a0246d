import type { AppContext } from './context';
import { EXPIRY_SWEEP_OPTIONS, type JobItem } from './queues/catalogue';

/** The one repeating sweep on the `expiry` queue (a fixed id, so every process upserts the same scheduler). */
export const EXPIRY_SCHEDULER_ID = 'expiry-sweep';

/**
 * Repeating jobs upserted at start (BullMQ job schedulers). Upserting is idempotent, so every
 * worker process may do it; the last EXPIRY_EVERY_MS upserted wins. Returns a stopper, which
 * leaves the scheduler in Redis: other processes still run it.
 */
export async function startSchedulers(ctx: AppContext): Promise<() => Promise<void>> {
  const sweep = { queue: 'expiry', name: 'sweep', data: { kind: 'sweep' } } satisfies JobItem;
  await ctx.queues[sweep.queue].upsertJobScheduler(
    EXPIRY_SCHEDULER_ID,
    { every: ctx.config.expirySchedulerEveryMs },
    { name: sweep.name, data: sweep.data, opts: EXPIRY_SWEEP_OPTIONS },
  );
  return async () => {};
}
