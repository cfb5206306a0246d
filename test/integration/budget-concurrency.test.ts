import { startTestApp, type TestAccount, type TestApp } from '../helpers/harness';
import { createCoupon, putPlan } from '../helpers/api';
import { runService, type Proc } from '../helpers/processes';

/**
 * Concurrent invoices against one coupon's budget, across two worker processes: the budget is
 * spent exactly (never passed by a cent), or all the demand when it is less.
 */
let t: TestApp;
let acct: TestAccount;
const workers: Proc[] = [];
const sql = (q: string, p: unknown[] = []) => t.running.ctx.orm.em.fork().execute(q, p);

beforeAll(async () => {
  t = await startTestApp({ ROLE: 'api', JOB_WAIT_TIMEOUT_MS: '120000' });
  for (let i = 0; i < 2; i++) {
    workers.push(runService({ ...t.env.env, ROLE: 'worker', LOG_LEVEL: 'info', REDEMPTION_CONCURRENCY: '16', INVOICE_CONCURRENCY: '16' }));
  }
  await Promise.all(workers.map((w) => w.waitFor('running')));
  acct = await t.createAccount();
  await putPlan(t, acct, 'pro-monthly');
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await t?.close();
});

/** 500 subscriptions with a redemption each, then one invoice each, all at once; answers the discounts given. */
async function run(tag: string, budget: number): Promise<{ couponId: string; discounts: number[] }> {
  // 10 % of 1,999 = 199.9 → 200 (half up) per invoice: 500 invoices want 100,000
  const coupon = await createCoupon(t, acct, {
    code: `POT-${tag}`, discount: { type: 'percentage', basisPoints: 1000 }, duration: { type: 'forever' }, limits: { budget: { amounts: { USD: budget }, period: 'month' } },
  });
  const subs = Array.from({ length: 500 }, (_, i) => `${tag}-sub-${i}`);
  // this month's invoices (one budget period), whatever today is
  const today = new Date();
  const periodStart = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1)).toISOString();
  const redeemed = await Promise.all(subs.map((s) =>
    t.http.post('/v1/redemptions').set(acct.auth).send({ code: `POT-${tag}`, customer: { id: `${s}-cus` }, subscriptionId: s, planId: 'pro-monthly' })));
  expect(redeemed.filter((r) => r.status === 201)).toHaveLength(500);
  const invoices = await Promise.all(subs.map((s, i) =>
    t.http.post('/v1/invoices').set(acct.auth).send({
      invoiceId: `${tag}-in-${i}`, subscriptionId: s, currency: 'USD', periodStart,
      lines: [{ id: 'l1', kind: 'recurring', planId: 'pro-monthly', amount: 1999 }],
    })));
  expect(invoices.filter((r) => r.status === 200)).toHaveLength(500);
  return { couponId: coupon.id, discounts: invoices.map((r) => r.body.discountTotal as number) };
}

test('500 concurrent invoices against a budget of 45,550 spend exactly 45,550', async () => {
  const { couponId, discounts } = await run('tight', 45_550);
  expect(discounts.reduce((a, b) => a + b, 0)).toBe(45_550);
  // 227 invoices got 200, one the remaining 150, the rest nothing
  const tally = discounts.reduce<Record<number, number>>((m, d) => ({ ...m, [d]: (m[d] ?? 0) + 1 }), {});
  expect(tally).toEqual({ 200: 227, 150: 1, 0: 272 });
  const [ledger] = await sql(`select sum(amount)::int as n from invoice_discounts where coupon_id = ?`, [couponId]);
  const [spend] = await sql(`select spent::int as n from coupon_budget_spend where coupon_id = ?`, [couponId]);
  expect([ledger.n, spend.n]).toEqual([45_550, 45_550]);
  const events = await sql(`select data from events where account_id = ? and type = 'coupon.budget_exhausted' and data->>'couponId' = ?`, [acct.id, couponId]);
  expect(events).toHaveLength(1);
}, 60_000);

test('500 concurrent invoices against a budget of 1,050 spent in the first moments: exactly 1,050', async () => {
  const { couponId, discounts } = await run('first', 1_050);
  const tally = discounts.reduce<Record<number, number>>((m, d) => ({ ...m, [d]: (m[d] ?? 0) + 1 }), {});
  expect(tally).toEqual({ 200: 5, 50: 1, 0: 494 });
  const [ledger] = await sql(`select sum(amount)::int as n from invoice_discounts where coupon_id = ?`, [couponId]);
  expect(ledger.n).toBe(1_050);
}, 60_000);

test('500 concurrent invoices against a budget above their demand: all the demand (100,000), the budget left unspent', async () => {
  const { couponId, discounts } = await run('loose', 150_000);
  expect(discounts.every((d) => d === 200)).toBe(true);
  const [spend] = await sql(`select spent::int as n, exhausted_event_at from coupon_budget_spend where coupon_id = ?`, [couponId]);
  expect(spend).toEqual({ n: 100_000, exhausted_event_at: null });
}, 60_000);
