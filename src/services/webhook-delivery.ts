import type { Queue } from 'bullmq';
import type { AppContext } from '../context';
import { eventMessage, judgeResponse, nextAttemptDelayMs, retryAfterMs, signingSecrets, type AttemptVerdict } from '../domain';
import { bulkJob, deliveryJobId } from '../queues/catalogue';
import type { WebhookJobData } from '../queues/payloads';
import { disableGoneEndpoint } from '../repositories/webhook-endpoints';
import { failWithoutAttempt, loadAttemptTargets, recordAttempt, recordAttempts, type AttemptTarget, type RecordedAttempt } from '../repositories/webhook-deliveries';
import { Coalescer } from '../coalescer';
import { createAgents, postWebhook, type Agents } from './webhook-http';
import { EndpointPacer } from './webhook-pacing';
import { signedHeaders } from './webhook-signing';
import { recordChange, WEBHOOK_DELIVERY } from './audit-log';

/** Sending one attempt of one delivery, and putting deliveries on the `webhooks` queue. */

/**
 * What a process's deliveries share: keep-alive agents, the pacer, and the two coalescers that
 * turn the concurrent deliveries' reads (the delivery with its endpoint and message) and attempt
 * writes into one statement each per batch — one commit for a batch of attempts.
 */
interface Runtime {
  agents: Agents;
  pacer: EndpointPacer;
  targets: Coalescer<string, AttemptTarget | null>;
  attempts: Coalescer<RecordedAttempt, number | null>;
}
const runtimes = new WeakMap<AppContext, Runtime>();

/**
 * Statements of each kind in flight at once per process (one: the next batch gathers while the
 * last is answered, so a busy process sends few, large ones), and the most deliveries one carries.
 */
const BATCHES_IN_FLIGHT = 1;
const BATCH_MAX = 200;

function runtime(ctx: AppContext): Runtime {
  let r = runtimes.get(ctx);
  if (!r) {
    const w = ctx.config.webhooks;
    const opts = { maxInFlight: BATCHES_IN_FLIGHT, maxBatch: BATCH_MAX };
    r = {
      agents: createAgents(w.allowPrivate),
      pacer: new EndpointPacer(ctx.redis, ctx.config.queuePrefix, w.endpointConcurrency, w.timeoutMs + 5000, ctx.config.redisCluster),
      targets: new Coalescer(async (ids) => {
        const found = await loadAttemptTargets(ctx.orm.em.fork(), ids);
        return ids.map((id) => found.get(id) ?? null);
      }, opts),
      attempts: new Coalescer((items) => recordAttempts(ctx.orm.em.fork(), items), opts),
    };
    runtimes.set(ctx, r);
  }
  return r;
}

/** Closes the process's keep-alive connections to endpoints. */
export function closeWebhookRuntime(ctx: AppContext): void {
  runtimes.get(ctx)?.agents.close();
  runtimes.delete(ctx);
}

export { deliveryJobId };

export interface QueuedDelivery {
  id: string;
  accountId: string;
  round: number;
  /** Attempts still allowed (at least 1). */
  attemptsLeft: number;
}

/** Adds delivery jobs (custom backoff `webhook`: the delay each failed attempt asked for). */
export async function enqueueDeliveries(queue: Queue, deliveries: QueuedDelivery[]): Promise<void> {
  if (deliveries.length === 0) return;
  await queue.addBulk(
    deliveries.map((d) => bulkJob({ queue: 'webhooks', name: 'deliver', data: { accountId: d.accountId, deliveryId: d.id, round: d.round } }, { attemptsLeft: d.attemptsLeft })),
  );
}

export type AttemptOutcome =
  /** Nothing to do: the delivery is gone, finished, or belongs to another round. */
  | { kind: 'skipped' }
  /** The endpoint has its share of deliveries in flight: try again after `delayMs`, no attempt counted. */
  | { kind: 'paced'; delayMs: number }
  | { kind: 'succeeded'; attempt: number; statusCode: number }
  /** Failed; another attempt is due after `delayMs`. */
  | { kind: 'retry'; attempt: number; delayMs: number; error: string }
  /** Failed for good (schedule used up, 410, or a test whose endpoint was disabled meanwhile). */
  | { kind: 'failed'; attempt: number; error: string };

/**
 * One attempt: loads the delivery with its endpoint and message (an event's delivery goes out
 * whatever the endpoint's status now; a test to a disabled endpoint fails without a request),
 * takes a pacing slot, signs and POSTs, then logs the attempt and moves the delivery on in one
 * statement (a 410 disables the endpoint and writes its event in the same transaction). The read
 * and the write go out with those of the process's other deliveries of the moment.
 */
export async function attemptDelivery(ctx: AppContext, data: WebhookJobData, holder: string): Promise<AttemptOutcome> {
  const cfg = ctx.config.webhooks;
  const rt = runtime(ctx);
  const t = await rt.targets.call(data.deliveryId);
  if (!t || t.round !== data.round || t.status !== 'pending') return { kind: 'skipped' };
  // an event's delivery exists only for an event that occurred while the endpoint was enabled, and
  // the endpoint receives it even if it was disabled since; a test sent to a disabled endpoint is not
  if (t.endpointStatus === 'disabled' && t.event === null) {
    await failWithoutAttempt(ctx.orm.em.fork(), t.deliveryId, t.round, 'the endpoint is disabled');
    return { kind: 'failed', attempt: t.attempts, error: 'the endpoint is disabled' };
  }
  const slot = await rt.pacer.acquire(t.endpointId, holder);
  if (!slot) return { kind: 'paced', delayMs: 200 + Math.floor(Math.random() * 300) };
  let result;
  // the attempt's instant: stamped in its log, signed as webhook-timestamp, the base of its next attempt
  const at = new Date(ctx.clock.now());
  try {
    const message = t.payload ?? eventMessage({ id: t.event!.id, type: t.eventType, createdAt: t.event!.createdAt, data: t.event!.data });
    const body = JSON.stringify(message);
    const headers = signedHeaders(signingSecrets(t, ctx.clock.now()), t.messageId, Math.floor(at.getTime() / 1000), body);
    result = await postWebhook(rt.agents, t.url, headers, body, { timeoutMs: cfg.timeoutMs, allowPrivate: cfg.allowPrivate });
  } finally {
    await rt.pacer.release(slot, result?.durationMs ?? 0).catch(() => undefined);
  }
  const verdict: AttemptVerdict = result.statusCode === null ? { kind: 'failed', error: result.error ?? 'no answer' } : judgeResponse(result.statusCode, result.location);
  const attempt = t.attempts + 1;
  const ended = new Date(at.getTime() + result.durationMs).toISOString();
  const delay = verdict.kind === 'failed' && attempt < t.attemptsAllowed ? nextAttemptDelayMs(cfg.retryScheduleMs, attempt, retryAfterMs(result.retryAfter, ended)) : null;
  const status = verdict.kind === 'succeeded' ? 'succeeded' : delay === null ? 'failed' : 'pending';
  const record = {
    at: at.toISOString(),
    statusCode: result.statusCode,
    error: verdict.kind === 'succeeded' ? null : verdict.error,
    durationMs: result.durationMs,
    responseBody: result.body,
    status,
    nextAttemptAt: delay === null ? null : new Date(Date.parse(ended) + delay).toISOString(),
  } as const;
  // one statement shared with the process's other attempts of the moment; a 410 also disables
  // the endpoint and writes its event and audit record, in a transaction of its own
  const recorded =
    verdict.kind === 'gone'
      ? await ctx.orm.em.fork().transactional(async (tx) => {
          const n = await recordAttempt(tx, t.deliveryId, t.round, record);
          const accountId = n === null ? null : await disableGoneEndpoint(tx, t.endpointId, t.deliveryId);
          if (accountId !== null) {
            await recordChange(tx, accountId, WEBHOOK_DELIVERY, ctx.clock.now(), { action: 'webhook_endpoint.disabled', target: { type: 'webhook_endpoint', id: t.endpointId } });
          }
          return n;
        })
      : await rt.attempts.call({ deliveryId: t.deliveryId, round: t.round, attempt: record });
  if (recorded === null) return { kind: 'skipped' };
  if (verdict.kind === 'succeeded') return { kind: 'succeeded', attempt: recorded, statusCode: result.statusCode as number };
  if (delay !== null) return { kind: 'retry', attempt: recorded, delayMs: delay, error: verdict.error };
  return { kind: 'failed', attempt: recorded, error: verdict.error };
}
