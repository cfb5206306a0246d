import type { Job } from 'bullmq';
import type { AppContext } from '../src/context';
import type { ExpiryJobData } from '../src/queues/payloads';
import { expireHold, expireOne, runExpirySweep, type ExpireOneOutcome, type SweepResult } from '../src/services/expiry';

/** Thrown when a delayed job runs before its instant (clock skew); BullMQ retries it with backoff. */
export class NotYetDue extends Error {}

/**
 * `expiry` queue: `sweep` (the job scheduler, every EXPIRY_EVERY_MS) runs the whole sweep at the
 * clock's now; `expire-at` (coupon/code) applies one item's expiry at its exact instant, or does
 * nothing when the window was edited since; for a hold, it releases the hold at its expiry
 * (`hold.expired`) unless it was consumed or released first.
 */
export function expiryProcessor(ctx: AppContext) {
  return async (job: Job<ExpiryJobData>): Promise<SweepResult | ExpireOneOutcome> => {
    const data = job.data;
    const now = ctx.clock.now();
    const em = ctx.orm.em.fork();
    if (data.kind === 'sweep') {
      const result = await runExpirySweep(em, now);
      if (Object.values(result).some((n) => n > 0)) ctx.logger.info('expiry sweep', { ...result });
      return result;
    }
    const id = data.kind === 'coupon' ? data.couponId : data.kind === 'hold' ? data.holdId : String(data.codeId);
    const outcome = data.kind === 'hold'
      ? await expireHold(em, { accountId: data.accountId, id, expiresAt: data.expiresAt }, now)
      : await expireOne(em, { kind: data.kind, accountId: data.accountId, id, expiresAt: data.expiresAt }, now);
    if (outcome === 'not_yet') throw new NotYetDue(`${data.kind} ${id} expires at ${data.expiresAt}, not yet at ${now}`);
    return outcome;
  };
}
