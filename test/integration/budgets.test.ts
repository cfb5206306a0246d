import { startTestApp, type TestAccount, type TestApp } from '../helpers/harness';
import { createCoupon, putPlan, redeemBody } from '../helpers/api';
import { TestClock } from '../helpers/clock';

const START = '2026-11-20T15:00:00.000Z';
const clock = new TestClock(START);
let t: TestApp;
let acct: TestAccount;
const sql = (q: string, p: unknown[] = []) => t.running.ctx.orm.em.fork().execute(q, p);

async function events(type: string): Promise<Record<string, unknown>[]> {
  const rows = await sql(`select data from events where account_id = ? and type = ? order by id`, [acct.id, type]);
  return rows.map((r) => r.data as Record<string, unknown>);
}

async function redeem(code: string, sub: string, extra: Record<string, unknown> = {}) {
  const res = await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody(code, { subscriptionId: sub, customer: { id: `cus_${sub}` }, ...extra }));
  if (res.status !== 201) throw new Error(`redeem ${code}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.redemption;
}

function invoice(id: string, sub: string, periodStart: string, lines: { id: string; amount: number; kind?: string }[], currency = 'USD') {
  return t.http.post('/v1/invoices').set(acct.auth).send({
    invoiceId: id, subscriptionId: sub, currency, periodStart,
    lines: lines.map((l) => ({ id: l.id, kind: l.kind ?? 'recurring', planId: 'pro-monthly', amount: l.amount })),
  });
}

beforeAll(async () => {
  t = await startTestApp({}, { clock });
  acct = await t.createAccount({ timeZone: 'America/New_York' });
  await putPlan(t, acct, 'pro-monthly');
});
afterAll(async () => {
  await t?.close();
});

describe('budgets', () => {
  test('a monthly budget: the invoice that reaches it gets the remainder by line order, then nothing until the month ends; one event per period', async () => {
    const coupon = await createCoupon(t, acct, {
      code: 'HALFOFF', discount: { type: 'percentage', basisPoints: 5000 }, duration: { type: 'forever' }, stackable: true,
      limits: { budget: { amounts: { USD: 1500 }, period: 'month' } },
    });
    expect(coupon.limits).toEqual({ maxRedemptions: null, perCustomer: null, budget: { amounts: { USD: 1500 }, period: 'month' } });
    await redeem('HALFOFF', 'b-sub-1');
    await redeem('HALFOFF', 'b-sub-2');
    // December in New York starts 05:00 UTC on the 1st
    const a = await invoice('b-in-1', 'b-sub-1', '2026-12-01T05:00:00Z', [{ id: 'l1', amount: 1000 }, { id: 'l2', amount: 1000 }]);
    expect([a.body.discountTotal, a.body.lines.map((l: { discount: number }) => l.discount)]).toEqual([1000, [500, 500]]);
    const b = await invoice('b-in-2', 'b-sub-2', '2026-12-10T00:00:00Z', [{ id: 'l1', amount: 600 }, { id: 'l2', amount: 1400 }]);
    // 50 % would be 300 + 700; 500 is left: l1 keeps 300, l2 gets 200
    expect([b.body.discountTotal, b.body.lines.map((l: { discount: number }) => l.discount), b.body.applied[0].amount]).toEqual([500, [300, 200], 500]);
    const c = await invoice('b-in-3', 'b-sub-1', '2027-01-01T04:59:59Z', [{ id: 'l1', amount: 1000 }]);
    // still December in New York: spent; the cycle still counts
    expect([c.body.discountTotal, c.body.applied]).toEqual([0, [expect.objectContaining({ amount: 0, cycle: 2 })]]);
    expect(await events('coupon.budget_exhausted')).toEqual([
      { couponId: coupon.id, currency: 'USD', period: 'month', periodStart: '2026-12-01T05:00:00.000Z', amount: 1500, invoiceId: 'b-in-2' },
    ]);
    // January: a new budget
    const d = await invoice('b-in-4', 'b-sub-2', '2027-01-01T05:00:00Z', [{ id: 'l1', amount: 4000 }]);
    expect(d.body.discountTotal).toBe(1500);
    expect((await events('coupon.budget_exhausted')).map((e) => e.periodStart)).toEqual(['2026-12-01T05:00:00.000Z', '2027-01-01T05:00:00.000Z']);
    const rows = await sql(`select period, period_start, currency, spent::int from coupon_budget_spend where coupon_id = ? order by period_start`, [coupon.id]);
    expect(rows.map((r) => [r.period, new Date(r.period_start).toISOString(), r.currency, r.spent])).toEqual([
      ['month', '2026-12-01T05:00:00.000Z', 'USD', 1500], ['month', '2027-01-01T05:00:00.000Z', 'USD', 1500],
    ]);
    // the ledger never passes it
    const [ledger] = await sql(`select sum(amount)::int as n from invoice_discounts where coupon_id = ?`, [coupon.id]);
    expect(ledger.n).toBe(3000);
  });

  test('a spent budget refuses validate, holds and new redemptions with budget_exhausted (after code_exhausted); stats show it', async () => {
    clock.set('2026-12-15T12:00:00.000Z');
    const coupon = await createCoupon(t, acct, {
      code: 'SMALLPOT', discount: { type: 'fixed_amount', amounts: { USD: 700, EUR: 700 } }, duration: { type: 'forever' },
      limits: { budget: { amounts: { USD: 1000 } } },
    });
    await redeem('SMALLPOT', 'p-sub-1');
    await redeem('SMALLPOT', 'p-sub-2');
    expect((await invoice('p-in-1', 'p-sub-1', '2026-12-01T05:00:00Z', [{ id: 'l1', amount: 2000 }])).body.discountTotal).toBe(700);
    let stats = (await t.http.get(`/v1/coupons/${coupon.id}/stats`).set(acct.auth)).body;
    expect(stats.budget).toEqual({ period: null, periodStart: null, resetsAt: null, spent: { USD: 700 }, remaining: { USD: 300 } });
    expect((await invoice('p-in-2', 'p-sub-2', '2026-12-01T05:00:00Z', [{ id: 'l1', amount: 2000 }])).body.discountTotal).toBe(300);
    stats = (await t.http.get(`/v1/coupons/${coupon.id}/stats`).set(acct.auth)).body;
    expect(stats.budget).toEqual({ period: null, periodStart: null, resetsAt: null, spent: { USD: 1000 }, remaining: { USD: 0 } });
    const v = await t.http.post('/v1/codes/validate').set(acct.auth).send({ code: 'SMALLPOT', customer: { id: 'cus_z' }, planId: 'pro-monthly' });
    expect(v.body).toMatchObject({ valid: false, error: { code: 'budget_exhausted' } });
    const h = await t.http.post('/v1/holds').set(acct.auth).send({ code: 'SMALLPOT', customer: { id: 'cus_z' }, currency: 'USD' });
    expect([h.status, h.body.error.code]).toEqual([422, 'budget_exhausted']);
    const r = await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody('SMALLPOT', { customer: { id: 'cus_z' }, subscriptionId: 'p-sub-3' }));
    expect([r.status, r.body.error.code]).toEqual([422, 'budget_exhausted']);
    // in another currency the budget caps nothing
    const eur = await t.http.post('/v1/codes/validate').set(acct.auth).send({ code: 'SMALLPOT', customer: { id: 'cus_z' }, currency: 'EUR' });
    expect(eur.body.valid).toBe(true);
    // code_exhausted comes first
    await t.http.patch(`/v1/coupons/${coupon.id}`).set(acct.auth).send({ limits: { maxRedemptions: 2 } });
    const both = await t.http.post('/v1/codes/validate').set(acct.auth).send({ code: 'SMALLPOT', customer: { id: 'cus_z' }, planId: 'pro-monthly' });
    expect(both.body.error.code).toBe('code_exhausted');
    // raising the budget opens it again
    await t.http.patch(`/v1/coupons/${coupon.id}`).set(acct.auth).send({ limits: { maxRedemptions: null, budget: { amounts: { USD: 1200 } } } });
    expect((await t.http.post('/v1/codes/validate').set(acct.auth).send({ code: 'SMALLPOT', customer: { id: 'cus_z' }, planId: 'pro-monthly' })).body.valid).toBe(true);
  });

  test('a holder\'s redemption is not refused for a spent budget', async () => {
    clock.set('2026-12-15T12:00:00.000Z');
    const coupon = await createCoupon(t, acct, {
      code: 'HOLDPOT', discount: { type: 'percentage', basisPoints: 5000 }, duration: { type: 'forever' }, limits: { budget: { amounts: { USD: 100 } } },
    });
    const held = await t.http.post('/v1/holds').set(acct.auth).send({ code: 'HOLDPOT', customer: { id: 'cus_hp' }, planId: 'pro-monthly' });
    await redeem('HOLDPOT', 'hp-sub-1');
    await invoice('hp-in-1', 'hp-sub-1', '2026-12-01T05:00:00Z', [{ id: 'l1', amount: 2000 }]);
    const mine = await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody('HOLDPOT', { customer: { id: 'cus_hp' }, subscriptionId: 'hp-sub-2', holdId: held.body.hold.id }));
    expect(mine.status).toBe(201);
    // …it just gets no discount while the budget is spent
    expect((await invoice('hp-in-2', 'hp-sub-2', '2026-12-02T05:00:00Z', [{ id: 'l1', amount: 2000 }])).body.discountTotal).toBe(0);
    expect(coupon.limits.budget).toEqual({ amounts: { USD: 100 } });
  });

  test('budget edits are terms changes: a new version and an audit record of the budget\'s fields', async () => {
    const coupon = await createCoupon(t, acct, { limits: { maxRedemptions: 5 } });
    const res = await t.http.patch(`/v1/coupons/${coupon.id}`).set(acct.auth).set('X-Request-Id', 'budget-edit-1').send({ limits: { budget: { amounts: { USD: 900 }, period: 'week' } } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ version: 2, limits: { maxRedemptions: 5, perCustomer: null, budget: { amounts: { USD: 900 }, period: 'week' } } });
    const log = (await t.http.get(`/v1/audit-log?targetId=${coupon.id}&action=coupon.updated`).set(acct.auth)).body.data;
    expect(log[0].changes).toEqual({ 'limits.budget.amounts.USD': { from: null, to: 900 }, 'limits.budget.period': { from: null, to: 'week' } });
    // limits merge key by key: an edit of maxRedemptions keeps the budget
    const kept = await t.http.patch(`/v1/coupons/${coupon.id}`).set(acct.auth).send({ limits: { maxRedemptions: 6 } });
    expect(kept.body.limits).toEqual({ maxRedemptions: 6, perCustomer: null, budget: { amounts: { USD: 900 }, period: 'week' } });
    const cleared = await t.http.patch(`/v1/coupons/${coupon.id}`).set(acct.auth).send({ limits: { budget: null } });
    expect(cleared.body).toMatchObject({ version: 4, limits: { maxRedemptions: 6, perCustomer: null } });
    expect(cleared.body.limits.budget).toBeUndefined();
    const bad = await t.http.post('/v1/coupons').set(acct.auth).send({ name: 'bad budget', discount: { type: 'percentage', basisPoints: 100 }, limits: { budget: { amounts: { usd: 5 } } } });
    expect([bad.status, bad.body.error.field]).toEqual([400, 'limits.budget.amounts.usd']);
    const empty = await t.http.post('/v1/coupons').set(acct.auth).send({ name: 'empty budget', discount: { type: 'percentage', basisPoints: 100 }, limits: { budget: { amounts: {} } } });
    expect([empty.status, empty.body.error.field]).toEqual([400, 'limits.budget.amounts']);
  });
});

describe('minimum amounts', () => {
  test('validate and redeem below the minimum are minimum_not_met (after currency_mismatch); invoices below it get nothing and count the cycle', async () => {
    const coupon = await createCoupon(t, acct, {
      code: 'BIGCART', discount: { type: 'percentage', basisPoints: 1000 }, duration: { type: 'repeating', cycles: 3 },
      appliesTo: { plans: 'all', lineKinds: ['recurring'], minimumAmounts: { USD: 2500 } },
    });
    expect(coupon.appliesTo.minimumAmounts).toEqual({ USD: 2500 });
    const v = await t.http.post('/v1/codes/validate').set(acct.auth).send({ code: 'BIGCART', customer: { id: 'cus_m' }, planId: 'pro-monthly' });
    expect(v.body).toMatchObject({ valid: false, error: { code: 'minimum_not_met' } });
    const r = await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody('BIGCART', { customer: { id: 'cus_m' }, subscriptionId: 'm-sub-1' }));
    expect([r.status, r.body.error.code]).toEqual([422, 'minimum_not_met']);
    await putPlan(t, acct, 'pro-big', { name: 'Pro big', kind: 'recurring', interval: { unit: 'month', count: 1 }, currency: 'USD', price: 3000 });
    const ok = await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody('BIGCART', { customer: { id: 'cus_m' }, subscriptionId: 'm-sub-1', planId: 'pro-big' }));
    expect(ok.status).toBe(201);
    // the setup fee is out of scope: 2,000 of recurring lines < 2,500
    const low = await invoice('m-in-1', 'm-sub-1', '2026-12-01T05:00:00Z', [{ id: 'l1', amount: 2000 }, { id: 's', amount: 900, kind: 'setup_fee' }]);
    expect([low.body.discountTotal, low.body.applied]).toEqual([0, [expect.objectContaining({ amount: 0, cycle: 1 })]]);
    const high = await invoice('m-in-2', 'm-sub-1', '2027-01-01T05:00:00Z', [{ id: 'l1', amount: 2500 }]);
    expect([high.body.discountTotal, high.body.applied[0].cycle]).toEqual([250, 2]);
    // currency_mismatch comes first
    const fixed = await createCoupon(t, acct, { code: 'EURMIN', discount: { type: 'fixed_amount', amounts: { EUR: 100 } }, appliesTo: { plans: 'all', minimumAmounts: { USD: 99999 } } });
    const mismatch = await t.http.post('/v1/codes/validate').set(acct.auth).send({ code: 'EURMIN', customer: { id: 'cus_m' }, planId: 'pro-monthly' });
    expect([mismatch.body.error.code, fixed.appliesTo.minimumAmounts]).toEqual(['currency_mismatch', { USD: 99999 }]);
  });
});
