import type { Job } from 'bullmq';
import type { AppContext } from '../src/context';
import type { Em } from '../src/db/orm';
import { isExhausted, isNearlyExhausted, REFUSAL_MESSAGES, type Action } from '../src/domain';
import type { HttpOutcome, RedemptionJobData } from '../src/queues/payloads';
import { appendEvents, type EventInput } from '../src/repositories/events';
import {
  findStoredOutcome, lockIdempotencyKey, lockSubscription, recordRedemption, storeOutcome,
} from '../src/repositories/redemptions';
import { loadAndDecide, redemptionAttribution } from '../src/services/redemption-service';
import { couponTerms } from '../src/repositories/coupons';
import { rateLimitedBody } from '../src/rate-limit';

const refusal = (code: string, message: string): HttpOutcome => ({ status: 422, body: { error: { code, message } } });

/** Thrown inside the transaction to roll it back when a conditional counter update found the limit reached. */
class LimitReached extends Error {}

/** Counted limits crossed by this redemption: exhaustion and the 90 % warning, each once. */
function limitEvents(accountId: string, couponId: string, code: string | null, batchId: string | null, max: { coupon: number | null; code: number | null }, times: { coupon: number; code: number }, nearlyAlready: boolean): { events: EventInput[]; nearly: boolean; couponExhausted: boolean; codeExhausted: boolean } {
  const events: EventInput[] = [];
  const couponExhausted = isExhausted(max.coupon, times.coupon);
  const codeExhausted = isExhausted(max.code, times.code);
  const nearly = !nearlyAlready && isNearlyExhausted(max.coupon, times.coupon);
  if (nearly) events.push({ accountId, type: 'coupon.nearly_exhausted', data: { couponId } });
  if (couponExhausted) events.push({ accountId, type: 'coupon.exhausted', data: { couponId } });
  if (codeExhausted && batchId === null && code !== null) events.push({ accountId, type: 'code.exhausted', data: { couponId, code } });
  return { events, nearly, couponExhausted, codeExhausted };
}

async function redeem(em: Em, ctx: AppContext, data: RedemptionJobData): Promise<HttpOutcome> {
  const { accountId, request } = data;
  const key = request.idempotencyKey ?? null;
  if (key) {
    await lockIdempotencyKey(em, accountId, key);
    const stored = await findStoredOutcome(em, accountId, key);
    if (stored) {
      if (stored.requestHash !== data.requestHash) {
        return { status: 409, body: { error: { code: 'idempotency_conflict', message: 'idempotencyKey was used with a different request body', field: 'idempotencyKey' } } };
      }
      return { status: stored.status, body: stored.body };
    }
  }
  await lockSubscription(em, accountId, request.subscriptionId, request.customer.id);
  const now = ctx.clock.now();
  const decided = await loadAndDecide(em, accountId, { ...request, action: request.action as Action | undefined }, now);
  if (decided.kind === 'unknown_plan') {
    return { status: 400, body: { error: { code: 'validation_failed', message: `${decided.field}: no plan "${decided.planId}" is registered`, field: decided.field } } };
  }
  const { decision, loaded } = decided;
  let outcome: HttpOutcome;
  if (!decision.ok) {
    if (decision.code === 'code_not_found') {
      const keyThrottle = await ctx.limiter.apiKeyThrottle(data.apiKeyId);
      await ctx.limiter.recordUnknownCode(accountId, request.customer.id, data.apiKeyId);
      if (keyThrottle.limited) return rateLimitedBody(keyThrottle.retryAfterSeconds);
    }
    outcome = refusal(decision.code, decision.message);
  } else {
    const { code, coupon, nearlyExhaustedEventAt } = loaded!;
    const counted = await recordRedemption(em, {
      accountId, couponId: coupon.id, couponVersion: coupon.version, codeId: code?.id ?? null, code: code?.code ?? null,
      customerId: request.customer.id, subscriptionId: request.subscriptionId, planId: request.planId,
      action: decision.action, terms: couponTerms(coupon), idempotencyKey: key, attribution: redemptionAttribution(loaded!),
    });
    // A concurrent redemption took the last slot of the code or coupon after we read it: roll back.
    if (!counted) throw new LimitReached();
    const redemption = counted.view;
    const limits = limitEvents(accountId, coupon.id, code?.code ?? null, code?.batchId ?? null,
      { coupon: coupon.maxRedemptions, code: code?.maxRedemptions ?? null },
      { coupon: counted.couponTimes, code: counted.codeTimes }, nearlyExhaustedEventAt !== null);
    if (limits.nearly || limits.couponExhausted) {
      await em.execute(
        `update coupons set nearly_exhausted_event_at = case when ? then now() else nearly_exhausted_event_at end,
                            exhausted_event_at = case when ? then now() else exhausted_event_at end where id = ?`,
        [limits.nearly, limits.couponExhausted, coupon.id],
      );
    }
    if (limits.codeExhausted && code) await em.execute(`update codes set exhausted_event_at = now() where id = ?`, [code.id]);
    await appendEvents(em, limits.events);
    const body: Record<string, unknown> = { redemption };
    if (decision.trialDays !== undefined) body.trialDays = decision.trialDays;
    outcome = { status: 201, body };
  }
  if (key) await storeOutcome(em, accountId, key, { requestHash: data.requestHash, status: outcome.status, body: outcome.body });
  return outcome;
}

/** `redemptions` queue: decides and records one redemption in one transaction; refusals are results, not failures. */
export function redemptionProcessor(ctx: AppContext) {
  return async (job: Job<RedemptionJobData>): Promise<HttpOutcome> => {
    try {
      return await ctx.orm.em.fork().transactional((em) => redeem(em, ctx, job.data));
    } catch (err) {
      if (!(err instanceof LimitReached)) throw err;
      const outcome = refusal('code_exhausted', REFUSAL_MESSAGES.code_exhausted);
      const key = job.data.request.idempotencyKey;
      if (key) {
        await ctx.orm.em.fork().transactional(async (em) => {
          await lockIdempotencyKey(em, job.data.accountId, key);
          if (!(await findStoredOutcome(em, job.data.accountId, key))) {
            await storeOutcome(em, job.data.accountId, key, { requestHash: job.data.requestHash, status: outcome.status, body: outcome.body });
          }
        });
      }
      return outcome;
    }
  };
}
