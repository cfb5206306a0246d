import type { Job } from 'bullmq';
import type { AppContext } from '../src/context';
import type { ExpiryJobData } from '../src/queues/payloads';
import { expireHolds, expireOne, runExpirySweep, type ExpireOneOutcome, type SweepResult } from '../src/services/expiry';
import { FOLD_LIMITS, foldReportRollups, type ReportFoldResult } from '../src/services/report-rollups';

/** Thrown when a delayed job runs before its instant (clock skew); BullMQ retries it with backoff. */
export class NotYetDue extends Error {}

/**
 * `expiry` queue: `fold-reports` (a job scheduler, every REPORT_FOLD_EVERY_MS) folds the growth
 * report rollups' marks; `sweep` (the job scheduler, every EXPIRY_EVERY_MS) runs the whole sweep at the
 * clock's now; `expire-at` (coupon/code) applies one item's expiry at its exact instant, or does
 * nothing when the window was edited since; for an account's holds, it releases those whose
 * expiry has come (`hold.expired` each), whatever was consumed or released first.
 */
export function expiryProcessor(ctx: AppContext) {
  return async (job: Job<ExpiryJobData>): Promise<SweepResult | ExpireOneOutcome | ReportFoldResult | { holdsExpired: number }> => {
    const data = job.data;
    const now = ctx.clock.now();
    const em = ctx.orm.em.fork();
    if (data.kind === 'sweep') {
      const result = await runExpirySweep(em, now);
      if (Object.values(result).some((n) => n > 0)) ctx.logger.info('expiry sweep', { ...result });
      return result;
    }
    if (data.kind === 'fold-reports') {
      // another fold running (a slow one, or another process's): this run's marks are its, or the next run's
      const result = await foldReportRollups(em, FOLD_LIMITS, 'try');
      if (result.rebuilt > 0) ctx.logger.info('report rollups rebuilt', { ...result });
      return result;
    }
    if (data.kind === 'holds') {
      const expired = await expireHolds(em, { accountId: data.accountId, expiresAt: data.expiresAt }, now);
      if (expired === 'not_yet') throw new NotYetDue(`holds of ${data.accountId} expire at ${data.expiresAt}, not yet at ${now}`);
      return { holdsExpired: expired };
    }
    const id = data.kind === 'coupon' ? data.couponId : String(data.codeId);
    const outcome = await expireOne(em, { kind: data.kind, accountId: data.accountId, id, expiresAt: data.expiresAt }, now);
    if (outcome === 'not_yet') throw new NotYetDue(`${data.kind} ${id} expires at ${data.expiresAt}, not yet at ${now}`);
    return outcome;
  };
}
