import type { TestAccount, TestApp } from './harness';

/** Creates a coupon over HTTP and answers its body; throws on anything but 201. */
export async function createCouponBody(t: TestApp, a: TestAccount, body: Record<string, unknown>): Promise<Record<string, any>> {
  const res = await t.http.post('/v1/coupons').set(a.auth).send(body);
  if (res.status !== 201) throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

let seq = 0;

/**
 * Inserts a redemption row directly and counts it on the coupon and code (the redemption API
 * belongs to another feature; these tests only need usage to exist).
 */
export async function fakeRedemption(t: TestApp, couponId: string, code: string, customerId: string): Promise<void> {
  const sql = (q: string, p: unknown[]) => t.running.ctx.orm.em.fork().execute(q, p);
  await sql(
    `insert into redemptions (account_id, coupon_id, coupon_version, code_id, code, customer_id, subscription_id, plan_id, action, terms)
     select k.account_id, k.coupon_id, 1, k.id, k.code, ?, ?, 'p', 'new_subscription', '{}'::jsonb from codes k where k.coupon_id = ? and k.code = ?`,
    [customerId, `sub_fake_${++seq}`, couponId, code],
  );
  await sql(`update coupons set times_redeemed = times_redeemed + 1 where id = ?`, [couponId]);
  await sql(`update codes set times_redeemed = times_redeemed + 1 where coupon_id = ? and code = ?`, [couponId, code]);
}
