import { DelayedError, type Job } from 'bullmq';
import type { AppContext } from '../src/context';
import type { WebhookBatchJobData, WebhookJobData } from '../src/queues/payloads';
import { attemptDelivery, deliverBatch, type AttemptOutcome, type BatchOutcome } from '../src/services/webhook-delivery';

/** A failed attempt with more to come; the `webhook` backoff waits `delayMs` (schedule or Retry-After). */
export class WebhookRetry extends Error {
  constructor(message: string, readonly delayMs: number) {
    super(message);
    this.name = 'WebhookRetry';
  }
}

/**
 * The custom backoff (`settings.backoffStrategy` of the webhooks worker): the delay the failed
 * attempt computed. Anything else (an infrastructure error) waits the first scheduled delay.
 */
export function webhookBackoff(schedule: readonly number[]) {
  return (_attemptsMade: number, _type?: string, err?: Error): number => (err instanceof WebhookRetry ? err.delayMs : schedule[0] ?? 1000);
}

/** Puts a paced job back as delayed without using an attempt. */
async function pace(job: Job, delayMs: number, token?: string): Promise<never> {
  await job.moveToDelayed(Date.now() + delayMs, token);
  throw new DelayedError();
}

/**
 * `webhooks` queue. Job `deliver`: one attempt of one delivery. Paced (the endpoint has its
 * share in flight): the job goes back as delayed without using an attempt. Failed with attempts
 * left: throws WebhookRetry so BullMQ retries after its delay. Otherwise completes with the outcome.
 * Job `deliver-batch`: the first attempts of an endpoint's new deliveries (paced while two
 * batches of the endpoint run in this process); those needing more leave as `deliver` jobs.
 */
export function webhookProcessor(ctx: AppContext) {
  return async (job: Job<WebhookJobData | WebhookBatchJobData>, token?: string): Promise<AttemptOutcome | BatchOutcome> => {
    if (job.name === 'deliver-batch') {
      const outcome = await deliverBatch(ctx, job.data as WebhookBatchJobData, `${job.id}:${token ?? ''}`, job.timestamp);
      if (outcome.kind === 'paced') return pace(job, outcome.delayMs, token);
      return outcome;
    }
    const outcome = await attemptDelivery(ctx, job.data as WebhookJobData, `${job.id}:${token ?? ''}`);
    if (outcome.kind === 'paced') return pace(job, outcome.delayMs, token);
    if (outcome.kind === 'retry') throw new WebhookRetry(`attempt ${outcome.attempt} failed: ${outcome.error}`, outcome.delayMs);
    return outcome;
  };
}
