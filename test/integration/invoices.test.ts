import IORedis from 'ioredis';
import { startTestApp, REDIS_URL, type TestAccount, type TestApp } from '../helpers/harness';
import { createCoupon, putPlan, redeemBody } from '../helpers/api';
import { createInvoiceQueue, enqueueInvoice, enqueueInvoices } from '../../src/producer';

let t: TestApp;
let acct: TestAccount;
let seq = 0;

beforeAll(async () => {
  t = await startTestApp();
  acct = await t.createAccount();
  await putPlan(t, acct, 'pro-monthly');
});
afterAll(async () => {
  await t?.close();
});

const sql = (q: string, p: unknown[] = []) => t.running.ctx.orm.em.fork().execute(q, p);

async function redeemOn(sub: string, coupon: Record<string, unknown>, customer = 'cus_inv'): Promise<string> {
  const code = `INV${++seq}X${Date.now() % 100000}`;
  await createCoupon(t, acct, { code, ...coupon });
  const res = await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody(code, { subscriptionId: sub, customer: { id: customer } }));
  if (res.status !== 201) throw new Error(JSON.stringify(res.body));
  return res.body.redemption.id;
}

function invoice(sub: string, id: string, periodStart: string, extra: Record<string, unknown> = {}) {
  return {
    invoiceId: `${sub}-${id}`, subscriptionId: sub, customerId: 'cus_inv', currency: 'USD', periodStart,
    lines: [{ id: 'l1', kind: 'recurring', planId: 'pro-monthly', amount: 2000 }],
    ...extra,
  };
}

/** Six invoices: a trial, cycle 1, a mid-period allocation, then three more counted invoices. */
function sixInvoices(sub: string) {
  return [
    invoice(sub, 'trial', '2026-01-01T00:00:00Z', { trial: true, lines: [{ id: 'l1', kind: 'recurring', planId: 'pro-monthly', amount: 0 }] }),
    invoice(sub, 'c1', '2026-01-15T00:00:00Z'),
    invoice(sub, 'mid', '2026-01-20T00:00:00Z', { midPeriod: true, lines: [{ id: 'l1', kind: 'component', amount: 1000 }] }),
    invoice(sub, 'c2', '2026-02-15T00:00:00Z'),
    invoice(sub, 'c3', '2026-03-15T00:00:00Z'),
    invoice(sub, 'c4', '2026-04-15T00:00:00Z'),
  ];
}

async function post(inv: Record<string, unknown>) {
  const res = await t.http.post('/v1/invoices').set(acct.auth).send(inv);
  expect(res.status).toBe(200);
  return res.body;
}

describe('durations over six invoices with a trial and a mid-period invoice', () => {
  test.each([
    ['once', { type: 'once' }, [[0, null], [200, 1], [100, null], [0, null], [0, null], [0, null]], 'ended'],
    ['repeating 3', { type: 'repeating', cycles: 3 }, [[0, null], [200, 1], [100, null], [200, 2], [200, 3], [0, null]], 'ended'],
    ['forever', { type: 'forever' }, [[0, null], [200, 1], [100, null], [200, 2], [200, 3], [200, 4]], 'active'],
    ['months 2', { type: 'months', months: 2 }, [[0, null], [200, 1], [100, null], [200, 2], [0, null], [0, null]], 'ended'],
    ['until 2026-02-20', { type: 'until', date: '2026-02-20' }, [[0, null], [200, 1], [100, null], [200, 2], [0, null], [0, null]], 'ended'],
  ])('%s', async (_name, duration, expected, finalStatus) => {
    const sub = `sub-dur-${++seq}`;
    const redemptionId = await redeemOn(sub, { duration, discount: { type: 'percentage', basisPoints: 1000 }, appliesTo: { plans: 'all', lineKinds: ['recurring', 'component'] } });
    const got: [number, number | null][] = [];
    for (const inv of sixInvoices(sub)) {
      const r = await post(inv);
      const mine = r.applied.find((a: { redemptionId: string }) => a.redemptionId === redemptionId);
      got.push([r.discountTotal, mine && r.discountTotal > 0 ? mine.cycle : null]);
    }
    expect(got).toEqual(expected);
    const red = await sql(`select status from redemptions where id = ?`, [redemptionId]);
    expect(red[0].status).toBe(finalStatus);
    const ledger = await sql(`select count(*)::int as n from invoice_discounts where redemption_id = ? and amount > 0`, [redemptionId]);
    expect(ledger[0].n).toBe(expected.filter(([d]) => (d ?? 0) > 0).length);
  });
});

describe('invoice results', () => {
  test('15 % of $34.90 with a setup fee outside the scope; lines add up', async () => {
    const sub = `sub-res-${++seq}`;
    const redemptionId = await redeemOn(sub, { discount: { type: 'percentage', basisPoints: 1500 }, appliesTo: { plans: 'all', lineKinds: ['recurring'] } });
    const r = await post({ ...invoice(sub, 'a', '2026-05-01T00:00:00Z'), lines: [
      { id: 'l1', kind: 'recurring', planId: 'pro-monthly', amount: 3490 },
      { id: 'l2', kind: 'setup_fee', amount: 500 },
    ] });
    expect(r).toEqual({
      invoiceId: `${sub}-a`, currency: 'USD', subtotal: 3990, discountTotal: 524, total: 3466, credit: 0, paid: false,
      lines: [{ id: 'l1', amount: 3490, discount: 524, total: 2966 }, { id: 'l2', amount: 500, discount: 0, total: 500 }],
      applied: [{ redemptionId, couponId: expect.any(String), code: expect.any(String), cycle: 1, amount: 524 }],
    });
    const stored = await t.http.get(`/v1/invoices/${sub}-a`).set(acct.auth);
    expect(stored.body).toEqual(r);
  });

  test('$100 fixed with credit overflow on $30 gives $70 credit', async () => {
    const sub = `sub-credit-${++seq}`;
    await redeemOn(sub, { discount: { type: 'fixed_amount', amounts: { USD: 10000 } }, overflow: 'credit' });
    const r = await post({ ...invoice(sub, 'a', '2026-05-01T00:00:00Z'), lines: [{ id: 'l1', kind: 'recurring', planId: 'pro-monthly', amount: 3000 }] });
    expect([r.discountTotal, r.total, r.credit]).toEqual([3000, 0, 7000]);
  });

  test('a replay changes nothing; the same id with other content is 409', async () => {
    const sub = `sub-replay-${++seq}`;
    const redemptionId = await redeemOn(sub, { duration: { type: 'repeating', cycles: 2 } });
    const inv = invoice(sub, 'a', '2026-05-01T00:00:00Z');
    const first = await post(inv);
    const again = await post(inv);
    expect(again).toEqual(first);
    await t.running.ctx.queues.invoices.obliterate({ force: true });
    expect(await post(inv)).toEqual(first);
    const red = await sql(`select cycles_applied from redemptions where id = ?`, [redemptionId]);
    expect(red[0].cycles_applied).toBe(1);
    const ledger = await sql(`select count(*)::int as n from invoice_discounts where redemption_id = ?`, [redemptionId]);
    expect(ledger[0].n).toBe(1);
    const changed = await t.http.post('/v1/invoices').set(acct.auth).send({ ...inv, lines: [{ id: 'l1', kind: 'recurring', planId: 'pro-monthly', amount: 9999 }] });
    expect(changed.status).toBe(409);
    expect(changed.body.error.code).toBe('conflict');
  });

  test('five invoices of one subscription enqueued at once get cycles 1, 2, 3 exactly once', async () => {
    const sub = `sub-race-${++seq}`;
    const redemptionId = await redeemOn(sub, { duration: { type: 'repeating', cycles: 3 } });
    const invs = [1, 2, 3, 4, 5].map((i) => invoice(sub, `r${i}`, `2026-0${i}-01T00:00:00Z`));
    const results = await Promise.all(invs.map((inv) => t.http.post('/v1/invoices').set(acct.auth).send(inv)));
    const cycles = results.flatMap((r) => r.body.applied.filter((a: { amount: number }) => a.amount > 0).map((a: { cycle: number }) => a.cycle)).sort();
    expect(cycles).toEqual([1, 2, 3]);
    const ledger = await sql(`select cycle from invoice_discounts where redemption_id = ? order by cycle`, [redemptionId]);
    expect(ledger.map((r) => r.cycle)).toEqual([1, 2, 3]);
    const red = await sql(`select status, cycles_applied from redemptions where id = ?`, [redemptionId]);
    expect(red[0]).toEqual({ status: 'ended', cycles_applied: 3 });
  });

  test('the exported producer gets the same result as HTTP', async () => {
    const subA = `sub-prodA-${++seq}`;
    const subB = `sub-prodB-${seq}`;
    await redeemOn(subA, { discount: { type: 'percentage', basisPoints: 3333 } });
    await redeemOn(subB, { discount: { type: 'percentage', basisPoints: 3333 } });
    const over = { lines: [{ id: 'l1', kind: 'recurring', planId: 'pro-monthly', amount: 1234 }] };
    const viaHttp = await post({ ...invoice(subA, 'x', '2026-05-01T00:00:00Z'), ...over });
    const connection = new IORedis(REDIS_URL, { maxRetriesPerRequest: null });
    const queue = createInvoiceQueue({ connection, prefix: t.config.queuePrefix });
    try {
      const job = await enqueueInvoice(queue, acct.id, { ...invoice(subB, 'x', '2026-05-01T00:00:00Z'), ...over } as never);
      const outcome = await t.running.ctx.waiter.wait(queue, job.id!, 10_000);
      expect(outcome.state).toBe('completed');
      const result = (outcome as { result: { ok: boolean; body: Record<string, unknown> } }).result;
      expect(result.ok).toBe(true);
      const strip = (r: Record<string, any>) => ({ ...r, invoiceId: undefined, applied: r.applied.map((a: Record<string, unknown>) => ({ cycle: a.cycle, amount: a.amount })) });
      expect(strip(result.body)).toEqual(strip(viaHttp));
      const bulk = await enqueueInvoices(queue, acct.id, [invoice(subB, 'y', '2026-06-01T00:00:00Z') as never]);
      const bulkOutcome = await t.running.ctx.waiter.wait(queue, bulk[0].id!, 10_000);
      expect(bulkOutcome.state).toBe('completed');
    } finally {
      await queue.close();
      connection.disconnect();
    }
  });

  test('paid invoices make the customer existing; /paid marks one later', async () => {
    const sub = `sub-paid-${++seq}`;
    await post({ ...invoice(sub, 'a', '2026-05-01T00:00:00Z'), customerId: 'cus_paid_later' });
    let c = await sql(`select has_paid_subscription from customers where id = 'cus_paid_later'`);
    expect(c).toEqual([]);
    const paid = await t.http.post(`/v1/invoices/${sub}-a/paid`).set(acct.auth);
    expect(paid.status).toBe(200);
    expect(paid.body.paid).toBe(true);
    c = await sql(`select has_paid_subscription from customers where id = 'cus_paid_later'`);
    expect(c[0].has_paid_subscription).toBe(true);
    const missing = await t.http.post('/v1/invoices/nope/paid').set(acct.auth);
    expect(missing.status).toBe(404);
  });

  test('a paid trial invoice leaves its customer new, marked paid later or recorded paid; a paid counted invoice does not', async () => {
    const newOnly = `INVNEW${++seq}X${Date.now() % 100000}`;
    await createCoupon(t, acct, { code: newOnly, eligibility: { customers: 'new' } });
    const paidFlag = (customer: string) => sql(`select has_paid_subscription from customers where account_id = ? and id = ?`, [acct.id, customer]);
    const redeemNewOnly = (customer: string) =>
      t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody(newOnly, { subscriptionId: `sub-newonly-${customer}`, customer: { id: customer } }));

    const sub = `sub-trial-paid-${++seq}`;
    const later = `cus_trial_later_${seq}`;
    const trialBody = await post({ ...invoice(sub, 'trial', '2026-05-01T00:00:00Z', { trial: true }), customerId: later });
    expect(trialBody.paid).toBe(false);
    const paid = await t.http.post(`/v1/invoices/${sub}-trial/paid`).set(acct.auth);
    expect(paid.status).toBe(200);
    expect(paid.body).toEqual({ ...trialBody, paid: true });
    expect(await paidFlag(later)).toEqual([]);
    const stillNew = await redeemNewOnly(later);
    expect(stillNew.status).toBe(201);
    expect(await paidFlag(later)).toEqual([{ has_paid_subscription: false }]);

    const recordedPaid = `cus_trial_recorded_${seq}`;
    expect((await post({ ...invoice(`${sub}-r`, 'trial', '2026-05-01T00:00:00Z', { trial: true, paid: true }), customerId: recordedPaid })).paid).toBe(true);
    expect(await paidFlag(recordedPaid)).toEqual([]);
    expect((await redeemNewOnly(recordedPaid)).status).toBe(201);

    const counted = `cus_counted_${seq}`;
    await post({ ...invoice(`${sub}-c`, 'c1', '2026-05-01T00:00:00Z'), customerId: counted });
    expect((await t.http.post(`/v1/invoices/${sub}-c-c1/paid`).set(acct.auth)).status).toBe(200);
    expect(await paidFlag(counted)).toEqual([{ has_paid_subscription: true }]);
    const refused = await redeemNewOnly(counted);
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('new_customers_only');
  });

  test('a subtotal above 2^53 − 1 is 400 validation_failed on lines, by HTTP and by the producer; 2^53 − 1 itself is exact', async () => {
    const MAX = Number.MAX_SAFE_INTEGER;
    const big = (n: number, amount = MAX) => Array.from({ length: n }, (_, i) => ({ id: `l${i}`, kind: 'setup_fee', amount }));
    const over = { ...invoice('sub-big', 'a', '2026-05-01T00:00:00Z'), lines: big(3) };
    const res = await t.http.post('/v1/invoices').set(acct.auth).send(over);
    expect([res.status, res.body.error?.code, res.body.error?.field]).toEqual([400, 'validation_failed', 'lines']);
    expect(res.body.error.message).toContain('27021597764222973');
    expect(await sql(`select count(*)::int as n from invoices where account_id = ? and id = ?`, [acct.id, over.invoiceId])).toEqual([{ n: 0 }]);

    const connection = new IORedis(REDIS_URL, { maxRetriesPerRequest: null });
    const queue = createInvoiceQueue({ connection, prefix: t.config.queuePrefix });
    try {
      const job = await enqueueInvoice(queue, acct.id, { ...over, invoiceId: 'sub-big-b' } as never);
      const outcome = await t.running.ctx.waiter.wait(queue, job.id!, 10_000);
      const result = (outcome as { result: { ok: boolean; error: Record<string, unknown> } }).result;
      expect([outcome.state, result.ok, result.error.code, result.error.field]).toEqual(['completed', false, 'validation_failed', 'lines']);
    } finally {
      await queue.close();
      connection.disconnect();
    }

    const edge = await post({ ...invoice('sub-big', 'c', '2026-05-01T00:00:00Z'), lines: [{ id: 'a', kind: 'setup_fee', amount: 2 ** 52 }, { id: 'b', kind: 'setup_fee', amount: 2 ** 52 - 1 }] });
    expect([edge.subtotal, edge.discountTotal, edge.total]).toEqual([MAX, 0, MAX]);
  });

  test('an invoice line naming an unknown plan is 400 naming the line', async () => {
    const res = await t.http.post('/v1/invoices').set(acct.auth).send({ ...invoice('sub-unknown', 'a', '2026-05-01T00:00:00Z'), lines: [{ id: 'l1', kind: 'recurring', planId: 'ghost', amount: 100 }] });
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe('lines[0].planId');
  });
});
