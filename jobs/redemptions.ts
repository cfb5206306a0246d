import type { Job } from 'bullmq';
import type { AppContext } from '../src/context';
import type { JobDataOf } from '../src/queues/catalogue';
import type { HoldJobData, RedemptionJobData } from '../src/queues/payloads';
import type { JobOutcome } from '../src/queues/outcomes';
import { placeHold } from '../src/services/hold-service';
import { redeem } from '../src/services/redemption-service';

/**
 * `redemptions` queue: `redeem` decides and records one redemption in one transaction; `hold`
 * decides and counts one hold the same way. Refusals are results, not failures.
 */
export function redemptionProcessor(ctx: AppContext) {
  return (job: Job<JobDataOf<'redemptions'>>): Promise<JobOutcome> =>
    job.name === 'hold' ? placeHold(ctx, job.data as HoldJobData, job.id) : redeem(ctx, job.data as RedemptionJobData, job.id);
}
