import type { AppContext } from '../context';
import { holdRefusal, REFUSAL_MESSAGES, type HoldStatus } from '../domain';
import { decodeCursorOf, encodeCursor } from '../cursor';
import { isUuid } from '../ids';
import { AppError, idempotencyConflict, notFound } from '../errors';
import { outcomeOfBody, refused, type JobOutcome } from '../queues/outcomes';
import { appendEvents } from '../repositories/events';
import { endHolds, findHold, findStoredHoldOutcome, holdState, holdView, listHolds as listHoldRows, type HoldView } from '../repositories/holds';

/**
 * The hold routes' use cases besides placing one (which the worker runs,
 * src/services/hold-service.ts): the stored outcome of an idempotency key, reading and
 * releasing. Holds are business traffic, like redemptions: they write events, not audit records.
 */

/** The answer a hold idempotency key already holds for this request (or idempotency_conflict); null when none. */
export async function storedHoldOutcome(ctx: AppContext, accountId: string, idempotencyKey: string, requestHash: string): Promise<JobOutcome | null> {
  const stored = await findStoredHoldOutcome(ctx.orm.em.fork(), accountId, idempotencyKey);
  if (!stored) return null;
  return stored.requestHash === requestHash ? outcomeOfBody(stored.body) : refused(idempotencyConflict());
}

/** GET /v1/holds/{id}: the hold, its status as shown now. */
export async function getHold(ctx: AppContext, accountId: string, id: string): Promise<HoldView> {
  const hold = await findHold(ctx.orm.em.fork(), accountId, id);
  if (!hold) throw notFound('hold');
  return holdView(hold, ctx.clock.now());
}

/**
 * GET /v1/holds: the account's holds (of one coupon, with a status as shown now, when given),
 * soonest expiry first.
 */
export async function listHolds(
  ctx: AppContext,
  accountId: string,
  query: { couponId?: string; status?: HoldStatus; limit: number; cursor?: string },
): Promise<{ data: HoldView[]; nextCursor: string | null }> {
  const after = query.cursor === undefined ? null : (decodeCursorOf(query.cursor, 'holds', ['timestamp', 'uuid']) as [string, string]);
  if (query.couponId !== undefined && !isUuid(query.couponId)) return { data: [], nextCursor: null };
  const now = ctx.clock.now();
  const { rows, next } = await listHoldRows(ctx.orm.em.fork(), accountId, { couponId: query.couponId, shown: query.status, now }, after, query.limit);
  return { data: rows.map((h) => holdView(h, now)), nextCursor: next === null ? null : encodeCursor('holds', next) };
}

/**
 * DELETE /v1/holds/{id}: an active hold is released (`released`, `hold.released`) and its slots
 * given back, under the hold's row lock, then its coupon's and code's (hold → coupon → code).
 * A hold that is not active at now (consumed, released, expired, or past its expiry), or not
 * `customerId`'s when one is given, is 422 hold_not_active.
 */
export async function releaseHold(ctx: AppContext, accountId: string, id: string, customerId?: string): Promise<void> {
  const now = ctx.clock.now();
  await ctx.orm.em.fork().transactional(async (tx) => {
    const hold = await findHold(tx, accountId, id, { lock: true });
    if (!hold) throw notFound('hold');
    if (holdRefusal(holdState(hold), customerId === undefined ? {} : { customerId }, now) !== null) {
      throw new AppError('hold_not_active', REFUSAL_MESSAGES.hold_not_active);
    }
    const ended = await endHolds(tx, [hold.id], 'released', now);
    await appendEvents(tx, ended.map((h) => ({ accountId, type: 'hold.released', data: { holdId: h.id, couponId: h.couponId, code: h.code, customerId: h.customerId } })));
  });
}
