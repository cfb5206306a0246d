import type { Job } from 'bullmq';
import type { AppContext } from '../src/context';
import type { JobDataOf } from '../src/queues/catalogue';
import type { HoldJobData, RedemptionJobData } from '../src/queues/payloads';
import type { JobOutcome } from '../src/queues/outcomes';
import { holdJob, redeemJob } from '../src/services/redemption-groups';

/**
 * `redemptions` queue: `redeem` decides and records one redemption, `hold` decides and counts one
 * hold, each in one transaction (a group's, with the others of its kind the process has in
 * flight: services/redemption-groups). Refusals are results, not failures.
 */
export function redemptionProcessor(ctx: AppContext) {
  return (job: Job<JobDataOf<'redemptions'>>): Promise<JobOutcome> =>
    job.name === 'hold' ? holdJob(ctx, job.data as HoldJobData, job.id) : redeemJob(ctx, job.data as RedemptionJobData, job.id);
}
