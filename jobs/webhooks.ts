import { DelayedError, type Job } from 'bullmq';
import type { AppContext } from '../src/context';
import type { WebhookJobData } from '../src/queues/payloads';
import { attemptDelivery, type AttemptOutcome } from '../src/services/webhook-delivery';

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

/**
 * `webhooks` queue, job `deliver`: one attempt of one delivery. Paced (the endpoint has its
 * share in flight): the job goes back as delayed without using an attempt. Failed with attempts
 * left: throws WebhookRetry so BullMQ retries after its delay. Otherwise completes with the outcome.
 */
export function webhookProcessor(ctx: AppContext) {
  return async (job: Job<WebhookJobData>, token?: string): Promise<AttemptOutcome> => {
    const outcome = await attemptDelivery(ctx, job.data, `${job.id}:${token ?? ''}`);
    if (outcome.kind === 'paced') {
      await job.moveToDelayed(Date.now() + outcome.delayMs, token);
      throw new DelayedError();
    }
    if (outcome.kind === 'retry') throw new WebhookRetry(`attempt ${outcome.attempt} failed: ${outcome.error}`, outcome.delayMs);
    return outcome;
  };
}
