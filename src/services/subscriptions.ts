import type { AppContext } from '../context';
import { cancellationInstant, SUBSCRIPTION_CANCELLED } from '../domain';
import { badRequest, notFound } from '../errors';
import { findSubscription, writeCancellation, type SubscriptionView } from '../repositories/subscriptions';
import { recordChange, type Caller } from './audit-log';

export type { SubscriptionView };

/** GET /v1/subscriptions/{id}: the subscription as redemptions and invoices recorded it (404 when never seen). */
export async function getSubscription(ctx: AppContext, accountId: string, id: string): Promise<SubscriptionView> {
  const s = await findSubscription(ctx.orm.em.fork(), accountId, id);
  if (!s) throw notFound('subscription');
  return s;
}

/**
 * POST /v1/subscriptions/{id}/cancel, in one transaction under the subscription's row lock
 * (first in the lock order subscription → customer → coupon → code): the subscription becomes
 * cancelled at `at` (default `now`; later than `now` is 400), its active redemptions end with
 * reason `subscription_cancelled` (one `redemption.ended` each) and `subscription.cancelled` is
 * appended, with its audit record. A subscription already cancelled answers as it is (its
 * first `cancelledAt`, no record); one the engine never saw is 404.
 */
export async function cancelSubscription(ctx: AppContext, accountId: string, id: string, at: string | undefined, caller: Caller): Promise<SubscriptionView> {
  const now = ctx.clock.now();
  const cancelledAt = cancellationInstant(at, now);
  if (cancelledAt === null) throw badRequest('at: must not be in the future', 'at');
  return ctx.orm.em.fork().transactional(async (tx) => {
    const cur = await findSubscription(tx, accountId, id, { lock: true });
    if (!cur) throw notFound('subscription');
    if (cur.status === SUBSCRIPTION_CANCELLED) return cur;
    const cancelled = await writeCancellation(tx, accountId, id, cancelledAt);
    await recordChange(tx, accountId, caller, now, { action: 'subscription.cancelled', target: { type: 'subscription', id } });
    return cancelled;
  });
}
