import { startTestApp, type TestAccount, type TestApp } from '../helpers/harness';
import { addCode, createCoupon, putPlan, redeemBody } from '../helpers/api';
import { runService, type Proc } from '../helpers/processes';

let t: TestApp;
let acct: TestAccount;
const workers: Proc[] = [];

beforeAll(async () => {
  t = await startTestApp({ ROLE: 'api', JOB_WAIT_TIMEOUT_MS: '120000' });
  for (let i = 0; i < 2; i++) {
    const w = runService({ ...t.env.env, ROLE: 'worker', LOG_LEVEL: 'info', REDEMPTION_CONCURRENCY: '16' });
    workers.push(w);
  }
  await Promise.all(workers.map((w) => w.waitFor('running')));
  acct = await t.createAccount();
  await putPlan(t, acct, 'pro-monthly');
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await t?.close();
});

async function fire(bodies: Record<string, unknown>[]): Promise<Record<string, number>> {
  const results = await Promise.all(bodies.map((b) => t.http.post('/v1/redemptions').set(acct.auth).send(b)));
  const tally: Record<string, number> = {};
  for (const r of results) {
    const key = r.status === 201 ? 'created' : `${r.status} ${r.body.error?.code}`;
    tally[key] = (tally[key] ?? 0) + 1;
  }
  return tally;
}

const sql = (q: string, p: unknown[] = []) => t.running.ctx.orm.em.fork().execute(q, p);

test('1,000 concurrent requests on a code limited to 100, two worker processes: exactly 100 redemptions', async () => {
  const coupon = await createCoupon(t, acct, {});
  await addCode(t, acct, coupon.id, 'HOT100', { maxRedemptions: 100 });
  const bodies = Array.from({ length: 1000 }, (_, i) => redeemBody('HOT100', { subscriptionId: `hot-sub-${i}`, customer: { id: `hot-cus-${i}` } }));
  expect(await fire(bodies)).toEqual({ created: 100, '422 code_exhausted': 900 });
  const rows = await sql(`select times_redeemed from codes where code = 'HOT100'`);
  expect(rows[0].times_redeemed).toBe(100);
  const count = await sql(`select count(*)::int as n from redemptions where code = 'HOT100'`);
  expect(count[0].n).toBe(100);
});

test('a coupon-wide limit of 100 spread over 10 codes: exactly 100', async () => {
  const coupon = await createCoupon(t, acct, { limits: { maxRedemptions: 100 } });
  for (let c = 0; c < 10; c++) await addCode(t, acct, coupon.id, `SPREAD${c}`);
  const bodies = Array.from({ length: 1000 }, (_, i) => redeemBody(`SPREAD${i % 10}`, { subscriptionId: `spread-sub-${i}`, customer: { id: `spread-cus-${i}` } }));
  expect(await fire(bodies)).toEqual({ created: 100, '422 code_exhausted': 900 });
  const c = await sql(`select times_redeemed from coupons where id = ?`, [coupon.id]);
  expect(c[0].times_redeemed).toBe(100);
});

test('a per-customer limit of 2 hit by 50 concurrent requests of one customer: exactly 2', async () => {
  const coupon = await createCoupon(t, acct, { limits: { perCustomer: 2 } });
  await addCode(t, acct, coupon.id, 'PERCUST2');
  const bodies = Array.from({ length: 50 }, (_, i) => redeemBody('PERCUST2', { subscriptionId: `pc-sub-${i}`, customer: { id: 'pc-cus' } }));
  expect(await fire(bodies)).toEqual({ created: 2, '422 customer_limit_reached': 48 });
});

test('one discount per subscription: 20 concurrent non-stackable codes on one subscription give one redemption', async () => {
  const codes: string[] = [];
  for (let i = 0; i < 20; i++) {
    const code = `ONEPERSUB${i}`;
    await createCoupon(t, acct, { code });
    codes.push(code);
  }
  const bodies = codes.map((code, i) => redeemBody(code, { subscriptionId: 'one-sub', customer: { id: `one-cus-${i}` } }));
  expect(await fire(bodies)).toEqual({ created: 1, '422 already_discounted': 19 });
});

test('1,000 concurrent direct redemptions (couponId, no code) on a coupon limited to 100: exactly 100', async () => {
  const coupon = await createCoupon(t, acct, { limits: { maxRedemptions: 100 } });
  const bodies = Array.from({ length: 1000 }, (_, i) => ({
    couponId: coupon.id, customer: { id: `direct-cus-${i}` }, subscriptionId: `direct-sub-${i}`, planId: 'pro-monthly',
  }));
  expect(await fire(bodies)).toEqual({ created: 100, '422 code_exhausted': 900 });
  const c = await sql(`select times_redeemed from coupons where id = ?`, [coupon.id]);
  expect(c[0].times_redeemed).toBe(100);
  const count = await sql(`select count(*)::int as n, count(code_id)::int as with_code from redemptions where coupon_id = ?`, [coupon.id]);
  expect(count[0]).toEqual({ n: 100, with_code: 0 });
});
