import type { Queue } from 'bullmq';
import type { AppContext } from '../context';
import { eventMessage, judgeResponse, nextAttemptDelayMs, retryAfterMs, signingSecrets, type AttemptVerdict } from '../domain';
import { bulkJob, deliveryJobId, type JobItem } from '../queues/catalogue';
import type { WebhookBatchJobData, WebhookJobData } from '../queues/payloads';
import { disableGoneEndpoint } from '../repositories/webhook-endpoints';
import type { NewDelivery } from '../repositories/webhook-relay';
import { failWithoutAttempt, loadAttemptTargets, recordAttempt, recordAttempts, type AttemptRecord, type AttemptTarget, type RecordedAttempt } from '../repositories/webhook-deliveries';
import { Coalescer } from '../coalescer';
import { createAgents, postWebhook, type Agents } from './webhook-http';
import { EndpointLanes } from './webhook-lanes';
import { EndpointPacer } from './webhook-pacing';
import { signedHeaders } from './webhook-signing';
import { recordChange, WEBHOOK_DELIVERY } from './audit-log';
import { errorFields } from '../logger';

/** Sending one attempt of one delivery, and putting deliveries on the `webhooks` queue. */

/**
 * What a process's deliveries share: keep-alive agents, the pacer, the two coalescers that
 * turn the concurrent deliveries' reads (the delivery with its endpoint and message) and attempt
 * writes into one statement each per batch — one commit for a batch of attempts — and the
 * lanes of the endpoints its batch jobs are sending to.
 */
interface Runtime {
  agents: Agents;
  pacer: EndpointPacer;
  targets: Coalescer<string, AttemptTarget | null>;
  attempts: Coalescer<RecordedAttempt, number | null>;
  /** The endpoints this process's batch jobs are sending to, each with its lanes. */
  batchLanes: Map<string, EndpointLanes>;
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
      batchLanes: new Map(),
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
  /** How long its job waits before the attempt (none: at once). */
  delayMs?: number;
}

/** Adds delivery jobs (custom backoff `webhook`: the delay each failed attempt asked for). */
export async function enqueueDeliveries(queue: Queue, deliveries: QueuedDelivery[]): Promise<void> {
  if (deliveries.length === 0) return;
  await queue.addBulk(deliveries.map(deliveryJob));
}

/** A delivery's `deliver` job, as `addBulk` takes it. */
function deliveryJob(d: QueuedDelivery): ReturnType<typeof bulkJob> {
  const item: JobItem = { queue: 'webhooks', name: 'deliver', data: { accountId: d.accountId, deliveryId: d.id, round: d.round } };
  return bulkJob(item, { attemptsLeft: d.attemptsLeft, delayMs: d.delayMs });
}

/** How long a paced job (or batch) waits before it tries again: 200–500 ms, spread so paced jobs do not return together. */
const pacedDelayMs = (): number => 200 + Math.floor(Math.random() * 300);

/** The most deliveries one batch job carries. */
export const DELIVERY_BATCH_MAX = 500;

/**
 * Adds the jobs of a relay step's new deliveries: an endpoint's deliveries (in the step's order)
 * go as batch jobs of up to DELIVERY_BATCH_MAX, so their first attempts cost one job rather than
 * one each; an endpoint with a single new delivery gets a `deliver` job, as a retry would.
 */
export async function enqueueRelayed(queue: Queue, deliveries: NewDelivery[], attemptsAllowed: number): Promise<void> {
  const byEndpoint = new Map<string, NewDelivery[]>();
  for (const d of deliveries) {
    const list = byEndpoint.get(d.endpointId);
    if (list) list.push(d);
    else byEndpoint.set(d.endpointId, [d]);
  }
  const jobs: ReturnType<typeof bulkJob>[] = [];
  for (const [endpointId, list] of byEndpoint) {
    if (list.length === 1) {
      jobs.push(deliveryJob({ ...list[0], round: 0, attemptsLeft: attemptsAllowed }));
      continue;
    }
    for (let i = 0; i < list.length; i += DELIVERY_BATCH_MAX) {
      const part = list.slice(i, i + DELIVERY_BATCH_MAX);
      jobs.push(bulkJob({ queue: 'webhooks', name: 'deliver-batch', data: { accountId: part[0].accountId, endpointId, deliveryIds: part.map((d) => d.id) } }));
    }
  }
  if (jobs.length) await queue.addBulk(jobs);
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
  const t = await runtime(ctx).targets.call(data.deliveryId);
  if (!t || t.round !== data.round || t.status !== 'pending') return { kind: 'skipped' };
  const sent = await sendAttempt(ctx, t, holder);
  return sent.kind === 'sent' ? recordSent(ctx, sent) : sent;
}

/** An attempt made, not yet recorded: its delivery, the verdict on the answer, and its log entry. */
interface SentAttempt {
  kind: 'sent';
  t: AttemptTarget;
  verdict: AttemptVerdict;
  statusCode: number | null;
  /** The delay before the next attempt; null when none follows. */
  delay: number | null;
  record: AttemptRecord;
}

/**
 * Sends one attempt: takes a pacing slot, signs and POSTs, gives the slot back as soon as the
 * answer is in (so the endpoint's next delivery need not wait for this one's write).
 */
async function sendAttempt(ctx: AppContext, t: AttemptTarget, holder: string): Promise<SentAttempt | AttemptOutcome> {
  const cfg = ctx.config.webhooks;
  const rt = runtime(ctx);
  // an event's delivery exists only for an event that occurred while the endpoint was enabled, and
  // the endpoint receives it even if it was disabled since; a test sent to a disabled endpoint is not
  if (t.endpointStatus === 'disabled' && t.event === null) {
    await failWithoutAttempt(ctx.orm.em.fork(), t.deliveryId, t.round, 'the endpoint is disabled');
    return { kind: 'failed', attempt: t.attempts, error: 'the endpoint is disabled' };
  }
  const slot = await rt.pacer.acquire(t.endpointId, holder);
  if (!slot) return { kind: 'paced', delayMs: pacedDelayMs() };
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
  const record: AttemptRecord = {
    at: at.toISOString(),
    statusCode: result.statusCode,
    error: verdict.kind === 'succeeded' ? null : verdict.error,
    durationMs: result.durationMs,
    responseBody: result.body,
    status: verdict.kind === 'succeeded' ? 'succeeded' : delay === null ? 'failed' : 'pending',
    nextAttemptAt: delay === null ? null : new Date(Date.parse(ended) + delay).toISOString(),
  };
  return { kind: 'sent', t, verdict, statusCode: result.statusCode, delay, record };
}

/**
 * Logs a sent attempt and moves its delivery on: in one statement shared with the process's
 * other attempts of the moment; a 410 also disables the endpoint and writes its event and audit
 * record, in a transaction of its own.
 */
async function recordSent(ctx: AppContext, s: SentAttempt): Promise<AttemptOutcome> {
  const { t, verdict, record, delay } = s;
  const item: RecordedAttempt = { deliveryId: t.deliveryId, round: t.round, attemptsBefore: t.attempts, attempt: record };
  const recorded =
    verdict.kind === 'gone'
      ? await ctx.orm.em.fork().transactional(async (tx) => {
          const n = await recordAttempt(tx, item);
          const accountId = n === null ? null : await disableGoneEndpoint(tx, t.endpointId, t.deliveryId);
          if (accountId !== null) {
            await recordChange(tx, accountId, WEBHOOK_DELIVERY, ctx.clock.now(), { action: 'webhook_endpoint.disabled', target: { type: 'webhook_endpoint', id: t.endpointId } });
          }
          return n;
        })
      : await runtime(ctx).attempts.call(item);
  if (recorded === null) return { kind: 'skipped' };
  if (verdict.kind === 'succeeded') return { kind: 'succeeded', attempt: recorded, statusCode: s.statusCode as number };
  if (delay !== null) return { kind: 'retry', attempt: recorded, delayMs: delay, error: verdict.error };
  return { kind: 'failed', attempt: recorded, error: verdict.error };
}

export type BatchOutcome =
  /** Two batch jobs of this process are sending to the endpoint already: try again after `delayMs`. */
  | { kind: 'paced'; delayMs: number }
  /** What became of the batch's deliveries; `handedOn` left as jobs of their own (a retry, a paced or slow endpoint, an error). */
  | { kind: 'sent'; succeeded: number; failed: number; handedOn: number; skipped: number };

/** Batch jobs of one endpoint a process sends at once (their attempts share the endpoint's lanes). */
const BATCH_JOBS_PER_ENDPOINT = 2;

/**
 * A batch job: the first attempts of several new deliveries of one endpoint, read in one
 * statement and sent through the process's lanes to the endpoint (up to its share at once,
 * shared with at most one other batch job of the endpoint; a third is paced). A delivery is
 * attempted only while pending in round 0 with no attempt made (a retry of the batch after a
 * crash sends only what was not sent). One that fails with attempts left, finds the endpoint
 * paced, or meets an error leaves as a `deliver` job of its own with its delay; once the
 * endpoint is seen slow, the rest leave so, to be paced across processes. A batch older than
 * the sweeper's grace first leaves out the deliveries the sweeper gave a job of their own meanwhile.
 */
export async function deliverBatch(ctx: AppContext, data: WebhookBatchJobData, holder: string, enqueuedAt: number): Promise<BatchOutcome> {
  const cfg = ctx.config.webhooks;
  const rt = runtime(ctx);
  let lanes = rt.batchLanes.get(data.endpointId);
  if (!lanes) rt.batchLanes.set(data.endpointId, (lanes = new EndpointLanes(cfg.endpointConcurrency, BATCH_JOBS_PER_ENDPOINT)));
  if (!lanes.join()) return { kind: 'paced', delayMs: pacedDelayMs() };
  try {
    const found = await loadAttemptTargets(ctx.orm.em.fork(), data.deliveryIds);
    let todo = data.deliveryIds.map((id) => found.get(id)).filter((t): t is AttemptTarget => t !== undefined && t.round === 0 && t.status === 'pending' && t.attempts === 0);
    if (Date.now() - enqueuedAt >= cfg.sweepEveryMs) {
      const own = await Promise.all(todo.map((t) => ctx.queues.webhooks.getJob(deliveryJobId(t.deliveryId, 0))));
      todo = todo.filter((_, i) => !own[i]);
    }
    const out = { kind: 'sent' as const, succeeded: 0, failed: 0, handedOn: 0, skipped: data.deliveryIds.length - todo.length };
    const handOn: QueuedDelivery[] = [];
    const leave = (t: AttemptTarget, attemptsMade: number, delayMs: number) =>
      handOn.push({ id: t.deliveryId, accountId: t.accountId, round: 0, attemptsLeft: t.attemptsAllowed - attemptsMade, delayMs });
    // a lane is held while an attempt is sent, not while it is written: the lane goes on to the
    // next delivery and the writes gather into fewer, larger statements
    const send = async (t: AttemptTarget) => {
      try {
        const sent = await lanes.run(async () => (rt.pacer.isSlow(t.endpointId) ? null : sendAttempt(ctx, t, `${holder}:${t.deliveryId}`)));
        // the endpoint is seen slow: the rest go on as jobs of their own, paced across processes
        if (sent === null) return leave(t, 0, 0);
        const o = sent.kind === 'sent' ? await recordSent(ctx, sent) : sent;
        if (o.kind === 'paced') leave(t, 0, o.delayMs);
        else if (o.kind === 'retry') leave(t, o.attempt, o.delayMs);
        else out[o.kind]++;
      } catch (err) {
        ctx.logger.warn('webhook batch delivery failed; it goes on as a job of its own', { deliveryId: t.deliveryId, ...errorFields(err) });
        leave(t, 0, cfg.retryScheduleMs[0] ?? 1000);
      }
    };
    await Promise.all(todo.map(send));
    await enqueueDeliveries(ctx.queues.webhooks, handOn);
    out.handedOn = handOn.length;
    return out;
  } finally {
    if (lanes.leave()) rt.batchLanes.delete(data.endpointId);
  }
}
