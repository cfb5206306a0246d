import type { Job } from 'bullmq';
import type { AppContext } from '../src/context';
import type { RedemptionJobData } from '../src/queues/payloads';
import type { JobOutcome } from '../src/queues/outcomes';
import { redeem } from '../src/services/redemption-service';

/** `redemptions` queue: decides and records one redemption in one transaction; refusals are results, not failures. */
export function redemptionProcessor(ctx: AppContext) {
  return (job: Job<RedemptionJobData>): Promise<JobOutcome> => redeem(ctx, job.data, job.id);
}
