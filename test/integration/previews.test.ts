import { startTestApp, type TestAccount, type TestApp } from '../helpers/harness';
import { addCode, createCoupon, putPlan, redeemBody } from '../helpers/api';
import { TestClock } from '../helpers/clock';

const START = '2026-11-20T15:00:00.000Z';
const clock = new TestClock(START);
let t: TestApp;
const sql = (q: string, p: unknown[] = []) => t.running.ctx.orm.em.fork().execute(q, p);

async function account(body: Record<string, unknown> = {}): Promise<TestAccount> {
  const acct = await t.createAccount(body);
  await putPlan(t, acct, 'pro-monthly');
  return acct;
}

function invoice(acct: TestAccount, id: string, sub: string, periodStart: string, amount: number) {
  return t.http.post('/v1/invoices').set(acct.auth).send({
    invoiceId: id, subscriptionId: sub, currency: 'USD', periodStart, lines: [{ id: 'plan', kind: 'recurring', planId: 'pro-monthly', amount }],
  });
}

beforeAll(async () => {
  t = await startTestApp({}, { clock });
});
beforeEach(() => clock.set(START));
afterAll(async () => {
  await t?.close();
});

describe('rounding', () => {
  test('PATCH /v1/account sets the mode; each redemption pins the mode in force when it is made', async () => {
    const acct = await account();
    expect((await t.http.get('/v1/account').set(acct.auth)).body.rounding).toBe('half_up');
    await putPlan(t, acct, 'odd', { name: 'Odd', kind: 'recurring', interval: { unit: 'month', count: 1 }, currency: 'USD', price: 1030 });
    await createCoupon(t, acct, { code: 'FIFTEEN', discount: { type: 'percentage', basisPoints: 1500 }, duration: { type: 'forever' } });
    const down = await t.http.patch('/v1/account').set(acct.auth).send({ rounding: 'down' });
    expect(down.body.rounding).toBe('down');
    const r1 = await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody('FIFTEEN', { customer: { id: 'c1' }, subscriptionId: 's1', planId: 'odd' }));
    expect(r1.body.redemption.terms.rounding).toBe('down');
    await t.http.patch('/v1/account').set(acct.auth).send({ rounding: 'half_even' });
    const r2 = await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody('FIFTEEN', { customer: { id: 'c2' }, subscriptionId: 's2', planId: 'odd' }));
    expect(r2.body.redemption.terms.rounding).toBe('half_even');
    await t.http.patch('/v1/account').set(acct.auth).send({ rounding: 'up' });
    // 15 % of 1,030 = 154.5; of 1,010 = 151.5
    expect((await invoice(acct, 'i1', 's1', '2026-12-01T00:00:00Z', 1030)).body.discountTotal).toBe(154);
    expect((await invoice(acct, 'i2', 's2', '2026-12-01T00:00:00Z', 1030)).body.discountTotal).toBe(154);
    expect((await invoice(acct, 'i3', 's2', '2027-01-01T00:00:00Z', 1010)).body.discountTotal).toBe(152);
    // the mode now (up) applies to the next redemption only
    const r3 = await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody('FIFTEEN', { customer: { id: 'c3' }, subscriptionId: 's3', planId: 'odd' }));
    expect(r3.body.redemption.terms.rounding).toBe('up');
    expect((await invoice(acct, 'i4', 's3', '2026-12-01T00:00:00Z', 1010)).body.discountTotal).toBe(152);
    expect((await invoice(acct, 'i5', 's3', '2027-01-01T00:00:00Z', 1001)).body.discountTotal).toBe(151);
    const bad = await t.http.patch('/v1/account').set(acct.auth).send({ rounding: 'half_down' });
    expect([bad.status, bad.body.error.field]).toEqual([400, 'rounding']);
  });
});

describe('qualifications', () => {
  test('direct coupons and the given codes the customer could redeem now, largest discount on the plan\'s price first; writes nothing', async () => {
    const acct = await account();
    // one second apart, so their creation order is the tie-break
    const make = async (body: Record<string, unknown>) => {
      clock.advance(1000);
      return createCoupon(t, acct, body);
    };
    const pct = await make({ name: 'Direct 10 %', discount: { type: 'percentage', basisPoints: 1000 } });
    const fixed = await make({ name: 'Direct 5 USD', discount: { type: 'fixed_amount', amounts: { USD: 500 } } });
    await make({ name: 'Direct draft', status: 'draft', discount: { type: 'percentage', basisPoints: 9000 } });
    const newOnly = await make({ name: 'Direct new only', eligibility: { customers: 'new' }, discount: { type: 'percentage', basisPoints: 8000 } });
    const code = await make({ name: 'Code 30 %', code: 'THIRTY', discount: { type: 'percentage', basisPoints: 3000 } });
    await make({ name: 'Not asked', code: 'NOTASKED', discount: { type: 'percentage', basisPoints: 5000 } });
    const full = await make({ name: 'Full', discount: { type: 'percentage', basisPoints: 5000 } });
    await addCode(t, acct, full.id, 'USEDUP', { maxRedemptions: 1 });
    const held = await t.http.post('/v1/holds').set(acct.auth).send({ code: 'USEDUP', customer: { id: 'someone' } });
    expect(held.status).toBe(201);
    // 40 % of 2,000 is 800, the budget has 600
    const budgeted = await make({ name: 'Budgeted', code: 'POT', discount: { type: 'percentage', basisPoints: 4000 }, limits: { budget: { amounts: { USD: 600 } } } });

    const res = await t.http.post('/v1/qualifications').set(acct.auth).send({
      customer: { id: 'q-cus', hasPaidSubscription: true }, planId: 'pro-monthly', codes: ['thirty', 'USEDUP', 'POT', 'NOPE-NOPE'],
    });
    expect(res.status).toBe(200);
    // 600 and 600 (the older coupon first), 500, 200; the draft, the new-customers-only, the held and the unasked are not offered
    expect(res.body.data.map((q: any) => [q.coupon.name, q.code, q.discount])).toEqual([
      ['Code 30 %', 'THIRTY', { amount: 600, currency: 'USD' }],
      ['Budgeted', 'POT', { amount: 600, currency: 'USD' }],
      ['Direct 5 USD', null, { amount: 500, currency: 'USD' }],
      ['Direct 10 %', null, { amount: 200, currency: 'USD' }],
    ]);
    expect(res.body.data[1].coupon).toMatchObject({ id: budgeted.id, status: 'active', code: 'POT' });
    expect(res.body.data.map((q: any) => q.coupon.id)).not.toContain(newOnly.id);
    expect([pct.id, fixed.id, code.id].every((id) => res.body.data.some((q: any) => q.coupon.id === id))).toBe(true);
    // nothing written: the customer does not exist
    expect(await sql(`select id from customers where account_id = ? and id = 'q-cus'`, [acct.id])).toEqual([]);
    // without a plan: no discount is known, the offers still listed
    const noPlan = await t.http.post('/v1/qualifications').set(acct.auth).send({ customer: { id: 'q-cus' }, codes: ['THIRTY'] });
    expect(noPlan.body.data.map((q: any) => [q.coupon.name, q.discount])).toEqual([
      ['Direct 10 %', null], ['Direct 5 USD', null], ['Direct new only', null], ['Code 30 %', null],
    ]);
    const badPlan = await t.http.post('/v1/qualifications').set(acct.auth).send({ customer: { id: 'q-cus' }, planId: 'nope' });
    expect([badPlan.status, badPlan.body.error.field]).toEqual([400, 'planId']);
  });

  test('per-customer counts and stacking on a subscription are honoured', async () => {
    const acct = await account();
    await createCoupon(t, acct, { name: 'Once each', code: 'ONCE-EACH', limits: { perCustomer: 1 }, stackable: true });
    await createCoupon(t, acct, { name: 'Alone', code: 'ALONE', stackable: false });
    expect((await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody('ONCE-EACH', { customer: { id: 'pc' }, subscriptionId: 'pc-sub' }))).status).toBe(201);
    const q = await t.http.post('/v1/qualifications').set(acct.auth).send({ customer: { id: 'pc' }, planId: 'pro-monthly', codes: ['ONCE-EACH', 'ALONE'] });
    expect(q.body.data.map((x: any) => x.code)).toEqual(['ALONE']);
    const onSub = await t.http.post('/v1/qualifications').set(acct.auth).send({ customer: { id: 'other' }, planId: 'pro-monthly', subscriptionId: 'pc-sub', codes: ['ONCE-EACH', 'ALONE'] });
    expect(onSub.body.data.map((x: any) => x.code)).toEqual(['ONCE-EACH']);
  });
});

describe('previews', () => {
  test('12 monthly cycles with a repeating coupon, then the invoices give exactly the previewed amounts', async () => {
    const acct = await account({ timeZone: 'America/New_York' });
    await createCoupon(t, acct, { code: 'THREE-MONTHS', discount: { type: 'percentage', basisPoints: 2500 }, duration: { type: 'repeating', cycles: 3 } });
    const body = { customer: { id: 'pv-cus' }, planId: 'pro-monthly', currency: 'USD', startsAt: '2027-01-31T09:00:00-05:00', cycles: 4, coupons: [{ code: 'THREE-MONTHS' }] };
    const res = await t.http.post('/v1/previews/invoices').set(acct.auth).send(body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      rounding: 'half_up',
      data: [
        ['2027-01-31T14:00:00.000Z', '2027-02-28T14:00:00.000Z', 500, [1]],
        ['2027-02-28T14:00:00.000Z', '2027-03-31T13:00:00.000Z', 500, [2]],
        ['2027-03-31T13:00:00.000Z', '2027-04-30T13:00:00.000Z', 500, [3]],
        ['2027-04-30T13:00:00.000Z', '2027-05-31T13:00:00.000Z', 0, []],
      ].map(([periodStart, periodEnd, discount, cycles], k) => ({
        cycle: k + 1, periodStart, periodEnd, subtotal: 2000, discountTotal: discount, total: 2000 - (discount as number), credit: 0,
        applied: (cycles as number[]).map((c) => ({ couponId: expect.any(String), code: 'THREE-MONTHS', cycle: c, amount: 500 })),
      })),
    });
    // nothing written
    expect(await sql(`select count(*)::int as n from redemptions where account_id = ?`, [acct.id])).toEqual([{ n: 0 }]);
    // the same subscription for real: redeemed, then the four invoices
    expect((await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody('THREE-MONTHS', { customer: { id: 'pv-cus' }, subscriptionId: 'pv-sub' }))).status).toBe(201);
    for (const [k, row] of res.body.data.entries()) {
      const inv = await t.http.post('/v1/invoices').set(acct.auth).send({
        invoiceId: `pv-${k}`, subscriptionId: 'pv-sub', currency: 'USD', periodStart: row.periodStart, periodEnd: row.periodEnd,
        lines: [{ id: 'plan', kind: 'recurring', planId: 'pro-monthly', amount: 2000 }],
      });
      expect([inv.body.discountTotal, inv.body.total, inv.body.applied.map((a: any) => [a.cycle, a.amount])]).toEqual([row.discountTotal, row.total, row.applied.map((a: any) => [a.cycle, a.amount])]);
    }
    // previewing that subscription now: its redemption used its 3 cycles (ended)
    const after = await t.http.post('/v1/previews/invoices').set(acct.auth).send({ ...body, coupons: [], subscriptionId: 'pv-sub', cycles: 1 });
    expect(after.body.data[0]).toMatchObject({ discountTotal: 0, applied: [] });
  });

  test('the subscription\'s redemptions continue from their state; listed coupons stack after them', async () => {
    const acct = await account();
    await createCoupon(t, acct, { code: 'BASE', discount: { type: 'percentage', basisPoints: 1000 }, duration: { type: 'repeating', cycles: 2 }, stackable: true });
    await createCoupon(t, acct, { code: 'EXTRA', discount: { type: 'fixed_amount', amounts: { USD: 300 } }, duration: { type: 'once' }, stackable: true });
    await createCoupon(t, acct, { code: 'LONER', stackable: false });
    await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody('BASE', { customer: { id: 'st' }, subscriptionId: 'st-sub' }));
    await invoice(acct, 'st-1', 'st-sub', '2026-12-01T00:00:00Z', 2000);
    const res = await t.http.post('/v1/previews/invoices').set(acct.auth).send({
      customer: { id: 'st' }, planId: 'pro-monthly', currency: 'USD', startsAt: '2027-01-01T00:00:00Z', cycles: 2, subscriptionId: 'st-sub', coupons: [{ code: 'EXTRA' }],
    });
    // cycle 2 of BASE (200), then EXTRA's 300 on what is left; then nothing
    expect(res.body.data.map((r: any) => [r.discountTotal, r.applied.map((a: any) => [a.code, a.cycle, a.amount])])).toEqual([
      [500, [['BASE', 2, 200], ['EXTRA', 1, 300]]],
      [0, []],
    ]);
    const refused = await t.http.post('/v1/previews/invoices').set(acct.auth).send({
      customer: { id: 'st' }, planId: 'pro-monthly', currency: 'USD', startsAt: '2027-01-01T00:00:00Z', cycles: 2, subscriptionId: 'st-sub', coupons: [{ code: 'EXTRA' }, { code: 'LONER' }],
    });
    expect([refused.status, refused.body.error.code, refused.body.error.field]).toEqual([422, 'already_discounted', 'coupons[1]']);
    const unknown = await t.http.post('/v1/previews/invoices').set(acct.auth).send({
      customer: { id: 'st' }, planId: 'pro-monthly', currency: 'USD', startsAt: '2027-01-01T00:00:00Z', cycles: 1, coupons: [{ couponId: '00000000-0000-4000-8000-000000000000' }],
    });
    expect([unknown.status, unknown.body.error.code, unknown.body.error.field]).toEqual([422, 'coupon_not_found', 'coupons[0]']);
  });

  test('bad input: 400 naming the field', async () => {
    const acct = await account();
    const base = { customer: { id: 'b' }, planId: 'pro-monthly', currency: 'USD', startsAt: '2027-01-01T00:00:00Z', cycles: 3 };
    const cases: [Record<string, unknown>, string][] = [
      [{ cycles: 37 }, 'cycles'],
      [{ cycles: 0 }, 'cycles'],
      [{ planId: 'nope' }, 'planId'],
      [{ startsAt: '2027-01-01' }, 'startsAt'],
      [{ lines: [{ id: 'a', kind: 'recurring', planId: 'nope', amount: 1 }] }, 'lines[0].planId'],
      [{ coupons: [{ code: 'A', couponId: 'b' }] }, 'coupons[0]'],
    ];
    for (const [over, field] of cases) {
      const res = await t.http.post('/v1/previews/invoices').set(acct.auth).send({ ...base, ...over });
      expect([over, res.status, res.body.error?.field]).toEqual([over, 400, field]);
    }
    await putPlan(t, acct, 'course', { name: 'Course', kind: 'one_time', interval: null, currency: 'USD', price: 5000 });
    const oneTime = await t.http.post('/v1/previews/invoices').set(acct.auth).send({ ...base, planId: 'course' });
    expect([oneTime.status, oneTime.body.error.field]).toEqual([400, 'cycles']);
    const once = await t.http.post('/v1/previews/invoices').set(acct.auth).send({ ...base, planId: 'course', cycles: 1 });
    expect(once.body.data).toEqual([{ cycle: 1, periodStart: '2027-01-01T00:00:00.000Z', periodEnd: null, subtotal: 5000, discountTotal: 0, total: 5000, credit: 0, applied: [] }]);
  });
});
