import type { AppContext } from './context';
import { EXPIRY_SWEEP_OPTIONS, type JobItem } from './queues/catalogue';

/** The one repeating sweep on the `expiry` queue (a fixed id, so every process upserts the same scheduler). */
export const EXPIRY_SCHEDULER_ID = 'expiry-sweep';
/** The growth report rollups' fold on the `expiry` queue (src/services/report-rollups.ts). */
export const REPORT_FOLD_SCHEDULER_ID = 'report-fold';

/**
 * Repeating jobs upserted at start (BullMQ job schedulers): the expiry sweep and the report
 * rollups' fold. Upserting is idempotent, so every worker process may do it; the last period
 * upserted wins. Returns a stopper, which leaves the schedulers in Redis: other processes still
 * run them.
 */
export async function startSchedulers(ctx: AppContext): Promise<() => Promise<void>> {
  const sweep = { queue: 'expiry', name: 'sweep', data: { kind: 'sweep' } } satisfies JobItem;
  await ctx.queues[sweep.queue].upsertJobScheduler(
    EXPIRY_SCHEDULER_ID,
    { every: ctx.config.expirySchedulerEveryMs },
    { name: sweep.name, data: sweep.data, opts: EXPIRY_SWEEP_OPTIONS },
  );
  const fold = { queue: 'expiry', name: 'fold-reports', data: { kind: 'fold-reports' } } satisfies JobItem;
  await ctx.queues[fold.queue].upsertJobScheduler(
    REPORT_FOLD_SCHEDULER_ID,
    { every: ctx.config.reportFoldEveryMs },
    { name: fold.name, data: fold.data, opts: EXPIRY_SWEEP_OPTIONS },
  );
  return async () => {};
}
