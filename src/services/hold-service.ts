import { timeOrderedUuid } from '../ids';
import type { AppContext } from '../context';
import type { Pipeline } from '../db/pipeline';
import { holdExpiresAt, mergeCustomer, type Action } from '../domain';
import { idempotencyConflict, rateLimited, unknownPlan } from '../errors';
import { scheduleHoldsExpiry } from '../queues/expiry-producer';
import { outcomeOfBody, refused, succeeded, type JobOutcome } from '../queues/outcomes';
import type { HoldJobData } from '../queues/payloads';
import { holdView, type HoldRow } from '../repositories/holds';
import {
  countHoldStatement, lockCountedRowsStatements, lockCustomerStatement, type CountOutcome,
} from '../repositories/redemption-statements';
import { contextFromRow, contextStatement, writtenHold, type ContextQuery, type ContextRow } from '../repositories/redemption-context';
import { holdKeys } from '../repositories/request-keys';
import { CODE_EXHAUSTED, contextQuery, decide, decideUntilDone, refusal, type Attempt as RedemptionAttempt, type DecisionInput } from './redemption-service';

type Attempt = RedemptionAttempt<{ hold?: HoldRow }>;

/**
 * One hold (the redemptions queue's `hold` job): decided by the redemption rules (no
 * subscription, so no stacking check), counted like a redemption, in one transaction sent in two
 * pipelined flights on a pipelined connection:
 *
 * 1. BEGIN, (the idempotency key's lock and stored answer), the customer's row lock, (without a
 *    key: the hold an earlier run of this job wrote), the context read — the rules decide on it,
 *    the customer's active holds counting against perCustomer like redemptions.
 * 2. The coupon then code row locks, the counting statement (re-check with holds counted,
 *    `held` + 1 on both, the hold row, `hold.created`, the stored answer) and COMMIT.
 *
 * Lock order: customer → coupon → code, the redemption's without its subscription. After the
 * commit, the delayed `expire-at` job of the account's holds expiring in the hold's second is
 * added, once per process and second (scheduleHoldsExpiry; the sweep covers one Redis did not
 * take).
 */
export async function placeHold(app: AppContext, data: HoldJobData, jobId?: string): Promise<JobOutcome> {
  const result = await decideUntilDone(app, 'hold', data, jobId, (p) => attemptHold(app, p, data));
  if (result.hold && result.hold.status === 'active') await scheduleHoldsExpiry(app, data.accountId, result.hold.expiresAt);
  return result.outcome;
}

async function attemptHold(app: AppContext, p: Pipeline, data: HoldJobData): Promise<Attempt> {
  const { accountId, request } = data;
  const key = request.idempotencyKey ?? null;
  const { id: customerId, ...fields } = request.customer;
  const now = app.clock.now();
  const input: DecisionInput = {
    code: request.code, couponId: request.couponId, customer: request.customer, planId: request.planId, currency: request.currency,
    action: request.action as Action | undefined,
  };
  // without a key, the request's id is the hold's: the context read (after the customer's lock)
  // also answers the hold a first run of the job committed
  const requestId = key ? undefined : data.requestId;
  const q: ContextQuery = { ...contextQuery(input, now), ...(requestId ? { written: { kind: 'hold', id: requestId } } : {}) };
  const done = (outcome: JobOutcome, unknownCode = false, hold?: HoldRow): Attempt => ({ kind: 'done', outcome, unknownCode, ...(hold ? { hold } : {}) });
  const first = await p.named({
    begin: 'begin',
    keyLock: key ? holdKeys.lock(accountId, key) : null,
    stored: key ? holdKeys.stored(accountId, key) : null,
    customer: lockCustomerStatement(accountId, customerId, fields),
    context: contextStatement(accountId, q),
  });
  const storedAnswer = first.stored?.rows[0];
  if (storedAnswer) {
    await p.flight(['rollback']);
    return done(storedAnswer.request_hash !== data.requestHash ? refused(idempotencyConflict()) : outcomeOfBody(storedAnswer.body));
  }
  const read = first.context.rows[0] as ContextRow;
  const written = writtenHold(read);
  if (written) {
    await p.flight(['rollback']);
    return done(succeeded({ hold: holdView(written, now) }), false, written);
  }
  const ctx = contextFromRow(read, q);
  const stored = ctx.storedCustomer ?? mergeCustomer(null, customerId, fields, { stickyPaid: true }).customer;
  const decided = decide(ctx, q, input, stored, now);
  if (decided.kind === 'unknown_plan') {
    await p.flight(['commit']);
    return done(refused(unknownPlan(decided.field, decided.planId)));
  }
  const { decision, loaded } = decided;
  if (!decision.ok) {
    const unknownCode = decision.code === 'code_not_found';
    if (unknownCode) {
      const keyThrottle = await app.limiter.apiKeyThrottle(data.accountId, data.apiKeyId);
      if (keyThrottle.limited) {
        await p.flight(['commit']);
        return done(refused(rateLimited(keyThrottle.retryAfterSeconds)), true);
      }
    }
    const out = refused(refusal(decision.code));
    await p.flight([...(key ? [holdKeys.store(accountId, key, data.requestHash, out)] : []), 'commit']);
    return done(out, unknownCode);
  }
  const { code, coupon } = loaded!;
  const hold: HoldRow = {
    id: requestId ?? timeOrderedUuid(), accountId, couponId: coupon.id, codeId: code?.id ?? null, code: code?.code ?? null, customerId,
    planId: request.planId ?? null, currency: request.currency ?? null, action: decision.action, status: 'active',
    expiresAt: holdExpiresAt(now, request.ttlSeconds), redemptionId: null, createdAt: now, endedAt: null,
  };
  const body = { hold: holdView(hold, now) };
  const counted = await p.named({
    ...Object.fromEntries(lockCountedRowsStatements(coupon.id, code?.id ?? null).map((st, i) => [`lock${i}`, st])),
    count: countHoldStatement({
      id: hold.id, createdAt: now, expiresAt: hold.expiresAt, accountId, couponId: coupon.id, couponVersion: coupon.version, codeId: hold.codeId,
      code: hold.code, customerId, planId: hold.planId, currency: hold.currency, action: hold.action, codeCustomerId: code?.customerId ?? null,
      idempotency: key ? { key, requestHash: data.requestHash, body, exhaustedBody: CODE_EXHAUSTED.toBody() } : null,
    }),
    commit: 'commit',
  });
  const outcome = (counted.count.rows[0] as { outcome: CountOutcome }).outcome;
  switch (outcome) {
    case 'counted':
      return done(succeeded(body), false, hold);
    case 'limit_reached':
      return done(refused(CODE_EXHAUSTED));
    case 'state_changed':
      return { kind: 'changed' };
  }
}
