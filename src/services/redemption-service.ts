import { randomUUID } from 'node:crypto';
import type { AppContext } from '../context';
import type { Orm } from '../db/orm';
import { withPipeline, type Pipeline } from '../db/pipeline';
import { pgPool } from '../db/pg-client';
import {
  decideRedemption, decisionCustomer, limitEventThresholds, mergeCustomer, normalizeCode, REFUSAL_MESSAGES,
  type Action, type Customer, type Plan, type RedemptionDecision, type StoredCustomer,
} from '../domain';
import type { CustomerInput, HttpOutcome, RedemptionJobData } from '../queues/payloads';
import { rateLimitedBody } from '../rate-limit';
import { decisionCode } from '../repositories/codes';
import { couponTerms, decisionCoupon } from '../repositories/coupons';
import { upsertCustomer } from '../repositories/customers';
import {
  contextFromRow, contextStatement, countRedemptionStatement, isLimitReached, lockCustomerStatement, lockIdempotencyKeyStatement,
  lockSubscriptionStatement, storedOutcomeStatement, storeOutcomeStatement, type LoadedContext,
} from '../repositories/redemption-statements';
import type { CodeWithCoupon, RedemptionView } from '../repositories/redemptions';

export interface DecisionInput {
  code: string;
  customer: CustomerInput;
  /** Optional on validate: without it the plan-dependent checks are skipped. */
  planId?: string;
  subscriptionId?: string;
  action?: Action;
  currency?: string;
}

export type Decided =
  | { kind: 'unknown_plan'; planId: string }
  | { kind: 'decided'; decision: RedemptionDecision; loaded: CodeWithCoupon | null; plan: Plan | null; customer: Customer };

/** Asks the rules engine about a loaded context for this customer (as it is stored after the request). */
function decide(ctx: LoadedContext, input: DecisionInput, stored: StoredCustomer, now: string): Decided {
  const customer = decisionCustomer(stored);
  if (ctx.plan === null) return { kind: 'unknown_plan', planId: input.planId! };
  const plan = ctx.plan ?? null;
  const { loaded } = ctx;
  if (!loaded) {
    return { kind: 'decided', decision: { ok: false, code: 'code_not_found', message: REFUSAL_MESSAGES.code_not_found }, loaded, plan, customer };
  }
  const decision = decideRedemption(
    {
      coupon: decisionCoupon(loaded.coupon),
      code: decisionCode(loaded.code),
      customer,
      plan,
      action: input.action,
      currency: input.currency,
      customerRedemptionCount: ctx.customerCount,
      subscriptionActive: input.subscriptionId ? ctx.subscriptionActive : [],
    },
    now,
  );
  return { kind: 'decided', decision, loaded, plan, customer };
}

/**
 * Validate: the whole decision without counting. One read in steady state: the customer is
 * written (on its own, no transaction) only when the request creates or changes it.
 */
export async function validateRedemption(orm: Orm, accountId: string, input: DecisionInput, now: string): Promise<Decided> {
  const { id, ...fields } = input.customer;
  const pool = await pgPool(orm);
  const read = await pool.query(contextStatement(accountId, normalizeCode(input.code), input.planId, id, input.subscriptionId));
  const ctx = contextFromRow(read.rows[0], input.planId !== undefined);
  const merged = mergeCustomer(ctx.storedCustomer, id, fields, { stickyPaid: true });
  if (merged.changed) await upsertCustomer(orm.em.fork(), accountId, id, fields, { stickyPaid: true });
  return decide(ctx, input, merged.customer, now);
}

const refusal = (code: string, message: string): HttpOutcome => ({ status: 422, body: { error: { code, message } } });
const idempotencyConflict = (): HttpOutcome => ({
  status: 409, body: { error: { code: 'idempotency_conflict', message: 'idempotencyKey was used with a different request body', field: 'idempotencyKey' } },
});

/**
 * One redemption, in one transaction sent in two flights on a pipelined connection:
 *
 * 1. BEGIN, (idempotency key lock and stored answer), the subscription and customer row locks,
 *    the context read — sent at once; the rules engine decides on the answers.
 * 2. The counting write (or the refusal's stored answer) and COMMIT — sent at once. A write that
 *    finds the limit reached meanwhile raises, so the COMMIT behind it answers ROLLBACK and the
 *    request is refused with code_exhausted.
 *
 * The coupon and code rows are locked only by the counting write, so a hot coupon is held for
 * one statement and the commit, without a round trip to this process in between.
 */
export async function redeem(app: AppContext, data: RedemptionJobData): Promise<HttpOutcome> {
  const { accountId, request } = data;
  const key = request.idempotencyKey ?? null;
  const { id: customerId, ...fields } = request.customer;
  const now = new Date().toISOString();
  const outcome = await withPipeline(app.orm, async (p) => {
    const first = await p.flight([
      'begin',
      ...(key ? [lockIdempotencyKeyStatement(accountId, key), storedOutcomeStatement(accountId, key)] : []),
      lockSubscriptionStatement(accountId, request.subscriptionId, customerId),
      lockCustomerStatement(accountId, customerId, fields),
      contextStatement(accountId, normalizeCode(request.code), request.planId, customerId, request.subscriptionId),
    ]);
    if (key) {
      const stored = first[2].rows[0];
      if (stored) {
        await p.flight(['rollback']);
        return stored.request_hash !== data.requestHash ? idempotencyConflict() : { status: Number(stored.status_code), body: stored.body };
      }
    }
    const ctx = contextFromRow(first[first.length - 1].rows[0], true);
    // the customer upsert ran before the read in this transaction, so the read saw its result
    const stored = ctx.storedCustomer ?? mergeCustomer(null, customerId, fields, { stickyPaid: true }).customer;
    const decided = decide(ctx, { ...request, action: request.action as Action | undefined }, stored, now);
    if (decided.kind === 'unknown_plan') {
      await p.flight(['commit']);
      return { status: 400, body: { error: { code: 'validation_failed', message: `planId: no plan "${decided.planId}" is registered`, field: 'planId' } } };
    }
    const { decision, loaded } = decided;
    if (!decision.ok) {
      if (decision.code === 'code_not_found') {
        const keyThrottle = await app.limiter.apiKeyThrottle(data.apiKeyId);
        await app.limiter.recordUnknownCode(accountId, customerId, data.apiKeyId);
        if (keyThrottle.limited) {
          await p.flight(['commit']);
          return rateLimitedBody(keyThrottle.retryAfterSeconds);
        }
      }
      const out = refusal(decision.code, decision.message);
      await p.flight([...(key ? [storeOutcomeStatement(accountId, key, data.requestHash, out.status, out.body)] : []), 'commit']);
      return out;
    }
    const { code, coupon } = loaded!;
    const terms = couponTerms(coupon);
    const redemption: RedemptionView = {
      id: randomUUID(), couponId: coupon.id, couponVersion: coupon.version, code: code.code, customerId,
      subscriptionId: request.subscriptionId, planId: request.planId, action: decision.action, status: 'active', terms,
      cyclesApplied: 0, createdAt: now, endedAt: null, voidedAt: null,
    };
    const body: Record<string, unknown> = { redemption };
    if (decision.trialDays !== undefined) body.trialDays = decision.trialDays;
    const couponLimits = limitEventThresholds(coupon.maxRedemptions);
    const [write, commit] = await p.settle([
      countRedemptionStatement({
        id: redemption.id, createdAt: now, accountId, couponId: coupon.id, couponVersion: coupon.version, codeId: code.id, code: code.code,
        customerId, subscriptionId: request.subscriptionId, planId: request.planId, action: decision.action, terms, stackable: terms.stackable,
        couponNearlyAt: couponLimits.nearlyAt, couponExhaustedAt: couponLimits.exhaustedAt,
        codeExhaustedAt: limitEventThresholds(code.maxRedemptions).exhaustedAt,
        idempotency: key ? { key, requestHash: data.requestHash, body } : null,
      }),
      'commit',
    ]);
    if (write.status === 'rejected') {
      // the COMMIT behind it answered ROLLBACK: nothing of this request was written
      if (!isLimitReached(write.reason)) throw write.reason;
      return limitReached(p, accountId, key, data.requestHash);
    }
    if (commit.status === 'rejected') throw commit.reason;
    return { status: 201, body } satisfies HttpOutcome;
  });
  return outcome;
}

/** A concurrent redemption took the last slot after the read: refused, and the refusal stored under the key. */
async function limitReached(p: Pipeline, accountId: string, key: string | null, requestHash: string): Promise<HttpOutcome> {
  const out = refusal('code_exhausted', REFUSAL_MESSAGES.code_exhausted);
  if (key) {
    await p.flight(['begin', lockIdempotencyKeyStatement(accountId, key), storeOutcomeStatement(accountId, key, requestHash, out.status, out.body), 'commit']);
  }
  return out;
}
