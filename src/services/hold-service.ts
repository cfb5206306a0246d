import { timeOrderedUuid } from '../ids';
import type { AppContext } from '../context';
import { holdExpiresAt, type Action } from '../domain';
import { scheduleHoldsExpiry } from '../queues/expiry-producer';
import { succeeded, type JobOutcome } from '../queues/outcomes';
import type { HoldJobData } from '../queues/payloads';
import { holdView, type HoldRow } from '../repositories/holds';
import { countHoldStatement } from '../repositories/redemption-statements';
import { writtenHold } from '../repositories/redemption-context';
import { holdKeys } from '../repositories/request-keys';
import { attemptCounted, CODE_EXHAUSTED, decideUntilDone, type Attempt as CountedAttempt, type CountedKind } from './redemption-service';

/** What a hold's answer carries for after its transaction: the hold, when one was placed or found. */
export type HoldExtra = { hold?: HoldRow };
type Attempt = CountedAttempt<HoldExtra>;

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
  return holdPlaced(app, data, await decideUntilDone(app, 'hold', data, jobId, (p) => attemptCounted(app, holdKind, p, data)));
}

/** A hold's answer once its transaction is over: an active hold's expiry is scheduled first. */
export async function holdPlaced(app: AppContext, data: HoldJobData, done: Extract<Attempt, { kind: 'done' }>): Promise<JobOutcome> {
  if (done.hold && done.hold.status === 'active') await scheduleHoldsExpiry(app, data.accountId, done.hold.expiresAt);
  return done.outcome;
}

/** A hold: no subscription; without a key, an earlier run's hold answers it; counted with `held` + 1 on the coupon and code. */
export const holdKind: CountedKind<HoldJobData, HoldExtra> = {
  what: 'hold',
  keys: holdKeys,
  input: ({ request }) => ({
    code: request.code, couponId: request.couponId, customer: request.customer, planId: request.planId, currency: request.currency,
    action: request.action as Action | undefined,
  }),
  subscriptionId: () => null,
  answerWritten(read, now) {
    const written = writtenHold(read);
    return written ? { kind: 'done', outcome: succeeded({ hold: holdView(written, now) }), unknownCode: false, hold: written } : null;
  },
  count(o, { decision, loaded }) {
    const { data: { accountId, request, requestHash }, now, key, requestId } = o;
    const { code, coupon } = loaded!;
    const hold: HoldRow = {
      id: requestId ?? timeOrderedUuid(), accountId, couponId: coupon.id, codeId: code?.id ?? null, code: code?.code ?? null, customerId: request.customer.id,
      planId: request.planId ?? null, currency: request.currency ?? null, action: decision.action, status: 'active',
      expiresAt: holdExpiresAt(now, request.ttlSeconds), redemptionId: null, createdAt: now, endedAt: null,
    };
    const body = { hold: holdView(hold, now) };
    return {
      couponId: coupon.id, codeId: hold.codeId, holdId: null,
      counted: { kind: 'done', outcome: succeeded(body), unknownCode: false, hold },
      count: countHoldStatement({
        id: hold.id, createdAt: now, expiresAt: hold.expiresAt, accountId, couponId: coupon.id, couponVersion: coupon.version, codeId: hold.codeId,
        code: hold.code, customerId: hold.customerId, planId: hold.planId, currency: hold.currency, action: hold.action, codeCustomerId: code?.customerId ?? null,
        idempotency: key ? { key, requestHash, body, exhaustedBody: CODE_EXHAUSTED.toBody() } : null,
      }),
    };
  },
};
