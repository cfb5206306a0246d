import type { TestAccount, TestApp } from './harness';

export const MONTHLY = { name: 'Pro monthly', kind: 'recurring', interval: { unit: 'month', count: 1 }, currency: 'USD', price: 2000, family: 'pro' };

export async function putPlan(t: TestApp, acct: TestAccount, id: string, body: Record<string, unknown> = MONTHLY): Promise<void> {
  const res = await t.http.put(`/v1/plans/${id}`).set(acct.auth).send(body);
  if (res.status !== 200) throw new Error(`plan ${id}: ${res.status} ${JSON.stringify(res.body)}`);
}

let seq = 0;

/** Creates an active coupon (percentage 10 %, once) with the given overrides; answers its body. */
export async function createCoupon(t: TestApp, acct: TestAccount, overrides: Record<string, unknown> = {}): Promise<Record<string, any>> {
  seq += 1;
  const body = {
    name: `coupon ${seq} ${Math.random().toString(36).slice(2, 8)}`,
    discount: { type: 'percentage', basisPoints: 1000 },
    duration: { type: 'once' },
    ...overrides,
  };
  const res = await t.http.post('/v1/coupons').set(acct.auth).send(body);
  if (res.status !== 201) throw new Error(`coupon: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function addCode(t: TestApp, acct: TestAccount, couponId: string, code: string, extra: Record<string, unknown> = {}): Promise<void> {
  const res = await t.http.post(`/v1/coupons/${couponId}/codes`).set(acct.auth).send({ code, ...extra });
  if (res.status !== 201) throw new Error(`code ${code}: ${res.status} ${JSON.stringify(res.body)}`);
}

export function redeemBody(code: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return { code, customer: { id: 'cus_1' }, subscriptionId: 'sub_1', planId: 'pro-monthly', ...over };
}
