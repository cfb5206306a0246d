import { sql } from 'kysely';
import type { Em } from '../db/orm';
import { isoOrNull } from '../db/values';
import { SUBSCRIPTION_CANCELLED_REASON } from '../domain';
import { badRequest, notFound } from '../errors';

export interface SubscriptionView {
  id: string;
  customerId: string | null;
  status: 'active' | 'cancelled';
  cancelledAt: string | null;
}

function view(r: { id: string; customer_id: string | null; status: string; cancelled_at: Date | string | null }): SubscriptionView {
  return { id: r.id, customerId: r.customer_id, status: r.status as SubscriptionView['status'], cancelledAt: isoOrNull(r.cancelled_at) };
}

/** GET /v1/subscriptions/{id}: the subscription as redemptions and invoices recorded it, or null. */
export async function getSubscription(em: Em, accountId: string, id: string): Promise<SubscriptionView | null> {
  const row = await em
    .getKysely()
    .selectFrom('subscriptions')
    .select(['id', 'customer_id', 'status', 'cancelled_at'])
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? view(row) : null;
}

/**
 * POST /v1/subscriptions/{id}/cancel, in one transaction under the subscription's row lock
 * (first in the lock order subscription → customer → coupon → code): the subscription becomes
 * cancelled at `at` (default `now`; later than `now` is 400), its active redemptions end with
 * reason `subscription_cancelled` (one `redemption.ended` each) and `subscription.cancelled` is
 * appended. A subscription already cancelled answers as it is (its first `cancelledAt`); one
 * the engine never saw is 404.
 */
export async function cancelSubscription(em: Em, accountId: string, id: string, at: string | undefined, now: string): Promise<SubscriptionView> {
  const cancelledAt = at === undefined ? now : new Date(at).toISOString();
  if (Date.parse(cancelledAt) > Date.parse(now)) throw badRequest('at: must not be in the future', 'at');
  return em.transactional(async (tx) => {
    const db = tx.getKysely();
    const cur = await db
      .selectFrom('subscriptions')
      .select(['id', 'customer_id', 'status', 'cancelled_at'])
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!cur) throw notFound('subscription');
    if (cur.status === 'cancelled') return view(cur);
    const { rows } = await sql<{ id: string; customer_id: string | null; status: string; cancelled_at: Date }>`
      with s as (
        update subscriptions set status = 'cancelled', cancelled_at = ${cancelledAt}::timestamptz
         where account_id = ${accountId} and id = ${id}
        returning id, customer_id, status, cancelled_at),
      ended as (
        update redemptions set status = 'ended', ended_at = ${cancelledAt}::timestamptz, ended_reason = ${SUBSCRIPTION_CANCELLED_REASON}, updated_at = now()
         where subscription_id = ${id} and account_id = ${accountId} and status = 'active'
        returning id, coupon_id, code, subscription_id, created_at),
      ev as (
        insert into events (account_id, type, data)
        select ${accountId}::uuid, t.type, t.data from (
          select 1 as o, e.created_at, e.id::text as k, 'redemption.ended' as type,
                 jsonb_build_object('redemptionId', e.id, 'couponId', e.coupon_id, 'code', e.code, 'subscriptionId', e.subscription_id,
                                    'reason', ${SUBSCRIPTION_CANCELLED_REASON}::text) as data
            from ended e
          union all
          select 2, null, null, 'subscription.cancelled',
                 jsonb_build_object('subscriptionId', s.id, 'customerId', s.customer_id, 'cancelledAt', ${cancelledAt}::text)
            from s) t
        order by t.o, t.created_at, t.k)
      select id, customer_id, status, cancelled_at from s`.execute(db);
    return view(rows[0]);
  });
}
