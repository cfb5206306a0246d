import { sql } from 'kysely';
import type { Em } from '../db/orm';
import type { StoredRow } from '../db/rows';
import { isoOrNull } from '../db/values';
import { SUBSCRIPTION_CANCELLED, SUBSCRIPTION_CANCELLED_REASON } from '../domain';

/** A subscription as redemptions and invoices recorded it. */
export interface SubscriptionView {
  id: string;
  customerId: string | null;
  status: 'active' | 'cancelled';
  cancelledAt: string | null;
}

const COLUMNS = ['id', 'customer_id', 'status', 'cancelled_at'] as const;

type Row = Pick<StoredRow<'subscriptions'>, (typeof COLUMNS)[number]>;

/** The one mapping of a subscriptions row. */
function view(r: Row): SubscriptionView {
  return { id: r.id, customerId: r.customer_id, status: r.status as SubscriptionView['status'], cancelledAt: isoOrNull(r.cancelled_at) };
}

/** One subscription of the account, or null; `lock` takes its row lock for the caller's transaction. */
export async function findSubscription(em: Em, accountId: string, id: string, opts: { lock?: boolean } = {}): Promise<SubscriptionView | null> {
  const q = em
    .getKysely()
    .selectFrom('subscriptions')
    .select(COLUMNS)
    .where('account_id', '=', accountId)
    .where('id', '=', id);
  const row = await (opts.lock ? q.forUpdate() : q).executeTakeFirst();
  return row ? view(row) : null;
}

/**
 * Cancels a subscription (its row locked by the caller) at `cancelledAt`, in one statement: its
 * active redemptions end with reason subscription_cancelled (one `redemption.ended` each, oldest
 * first), then `subscription.cancelled` is appended.
 */
export async function writeCancellation(em: Em, accountId: string, id: string, cancelledAt: string): Promise<SubscriptionView> {
  const { rows } = await sql<Row>`
      with s as (
        update subscriptions set status = ${SUBSCRIPTION_CANCELLED}, cancelled_at = ${cancelledAt}::timestamptz
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
      select id, customer_id, status, cancelled_at from s`.execute(em.getKysely());
  return view(rows[0]);
}
