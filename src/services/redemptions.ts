import type { AppContext } from '../context';
import { decodeCursorOf, encodeCursor } from '../cursor';
import { idempotencyConflict, notFound } from '../errors';
import { appendEvent } from '../repositories/events';
import { recordChange, type Caller } from './audit-log';
import { findStoredOutcome, listRedemptions as listRedemptionRows, voidRedemption as writeVoid, type RedemptionView } from '../repositories/redemptions';
import { outcomeOfBody, refused, type JobOutcome } from '../queues/outcomes';

/**
 * The redemption routes' use cases besides redeeming itself (which the worker runs,
 * src/services/redemption-service.ts): the stored outcome of an idempotency key, the list, void.
 */

/**
 * The answer an idempotency key already holds for this request: the stored outcome, or
 * idempotency_conflict when the key was used with another request; null when it holds none.
 */
export async function storedRedemptionOutcome(ctx: AppContext, accountId: string, idempotencyKey: string, requestHash: string): Promise<JobOutcome | null> {
  const stored = await findStoredOutcome(ctx.orm.em.fork(), accountId, idempotencyKey);
  if (!stored) return null;
  return stored.requestHash === requestHash ? outcomeOfBody(stored.body) : refused(idempotencyConflict());
}

/** Redemptions by subscription and/or customer, oldest first; the cursor is the last row's (createdAt, id). */
export async function listRedemptions(
  ctx: AppContext,
  accountId: string,
  query: { subscriptionId?: string; customerId?: string; limit: number; cursor?: string },
): Promise<{ data: RedemptionView[]; nextCursor: string | null }> {
  const c = query.cursor === undefined ? null : decodeCursorOf(query.cursor, 'redemptions', ['timestamp', 'uuid']);
  const cursor = c ? { createdAt: String(c[0]), id: String(c[1]) } : null;
  const rows = await listRedemptionRows(ctx.orm.em.fork(), accountId, query, query.limit + 1, cursor);
  const data = rows.slice(0, query.limit);
  const last = data[data.length - 1];
  return { data, nextCursor: rows.length > query.limit ? encodeCursor('redemptions', [last.createdAt, last.id]) : null };
}

/**
 * POST /v1/redemptions/{id}/void: under the subscription's row lock, the redemption becomes
 * voided (it discounts nothing more and no longer counts against perCustomer) with its
 * `redemption.voided` event and audit record; voiding it again answers it as it is (no record).
 */
export async function voidRedemption(ctx: AppContext, accountId: string, id: string, reason: string | null, caller: Caller): Promise<RedemptionView> {
  const now = ctx.clock.now();
  const result = await ctx.orm.em.fork().transactional(async (tx) => {
    const r = await writeVoid(tx, accountId, id, reason);
    if (r?.changed) {
      await appendEvent(tx, accountId, 'redemption.voided', { redemptionId: r.view.id, couponId: r.view.couponId, code: r.view.code, subscriptionId: r.view.subscriptionId });
      await recordChange(tx, accountId, caller, now, { action: 'redemption.voided', target: { type: 'redemption', id: r.view.id } });
    }
    return r;
  });
  if (!result) throw notFound('redemption');
  return result.view;
}
