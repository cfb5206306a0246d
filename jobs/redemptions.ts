import type { Job } from 'bullmq';
import type { AppContext } from '../src/context';
import type { JobDataOf } from '../src/queues/catalogue';
import type { HoldJobData, RedemptionJobData } from '../src/queues/payloads';
import type { JobOutcome } from '../src/queues/outcomes';
import { placeHold } from '../src/services/hold-service';
import { redeemJob } from '../src/services/redemption-groups';

/**
 * `redemptions` queue: `redeem` decides and records one redemption in one transaction (a group's, with the
 * redemptions the process has in flight: services/redemption-groups); `hold`
 * decides and counts one hold the same way. Refusals are results, not failures.
 */
export function redemptionProcessor(ctx: AppContext) {
  return (job: Job<JobDataOf<'redemptions'>>): Promise<JobOutcome> =>
    job.name === 'hold' ? placeHold(ctx, job.data as HoldJobData, job.id) : redeemJob(ctx, job.data as RedemptionJobData, job.id);
}
