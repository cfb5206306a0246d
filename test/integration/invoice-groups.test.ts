import { startTestApp, type TestAccount, type TestApp } from '../helpers/harness';
import { createCoupon, putPlan, redeemBody } from '../helpers/api';
import { discountInvoice, discountInvoiceGroup, discountInvoiceJob } from '../../src/services/invoice-service';
import type { InvoiceInput } from '../../src/queues/payloads';
import type { JobOutcome } from '../../src/queues/outcomes';

/**
 * Group commit: the invoices a worker process has in flight share one transaction. A group
 * answers and writes exactly what each invoice alone would; a group that cannot share its
 * transaction writes nothing and its invoices run alone.
 */
let t: TestApp;
let acct: TestAccount;
const sql = (q: string, p: unknown[] = []) => t.running.ctx.orm.em.fork().execute(q, p);
let seq = 0;

beforeAll(async () => {
  t = await startTestApp();
  acct = await t.createAccount();
  await putPlan(t, acct, 'pro-monthly');
});
afterAll(async () => {
  await t?.close();
});

/** A coupon (10 % off forever unless told) redeemed by `n` new subscriptions; answers their ids. */
async function redeemed(tag: string, n: number, coupon: Record<string, unknown> = {}): Promise<{ couponId: string; subs: string[] }> {
  const c = await createCoupon(t, acct, { code: `G-${tag}`, discount: { type: 'percentage', basisPoints: 1000 }, duration: { type: 'forever' }, ...coupon });
  const subs = Array.from({ length: n }, (_, i) => `${tag}-sub-${i}`);
  for (const s of subs) {
    const res = await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody(`G-${tag}`, { subscriptionId: s, customer: { id: `${s}-cus` } }));
    if (res.status !== 201) throw new Error(`redeem: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return { couponId: c.id, subs };
}

const invoice = (id: string, sub: string, amount: number, periodStart = '2026-12-01T00:00:00Z', extra: Partial<InvoiceInput> = {}): InvoiceInput => ({
  invoiceId: id, subscriptionId: sub, customerId: `${sub}-cus`, currency: 'USD', periodStart,
  lines: [{ id: 'l1', kind: 'recurring', planId: 'pro-monthly', amount }], ...extra,
} as InvoiceInput);

const bodies = (outcomes: JobOutcome[]) => outcomes.map((o) => (o.ok ? o.body : undefined));

test('a group of five answers and writes what each alone would, in one transaction', async () => {
  const { subs } = await redeemed('five', 5);
  const invoices = subs.map((s, i) => invoice(`five-in-${i}`, s, 1000 * (i + 1)));
  // given out of subscription order: each answer still comes back in its job's place
  const order = [3, 0, 4, 1, 2];
  const outcomes = await discountInvoiceGroup(t.running.ctx, order.map((i) => ({ accountId: acct.id, invoice: invoices[i] })));
  expect(outcomes.map((o) => o.ok)).toEqual([true, true, true, true, true]);
  expect(bodies(outcomes).map((b) => [b!.invoiceId, b!.discountTotal, b!.total])).toEqual([
    ['five-in-3', 400, 3600], ['five-in-0', 100, 900], ['five-in-4', 500, 4500], ['five-in-1', 200, 1800], ['five-in-2', 300, 2700],
  ]);
  // one transaction wrote every invoice, ledger row and event of the group: the rows share their xmin
  // (the database-wide commit count would also count the app's own background passes)
  const writers = await sql(`
    select count(distinct x)::int as n from (
      select xmin::text as x from invoices where account_id = ? and id like 'five-in-%'
      union all select xmin::text from invoice_discounts where account_id = ? and invoice_id like 'five-in-%'
      union all select xmin::text from events where account_id = ? and type = 'invoice.discounted' and data->>'invoiceId' like 'five-in-%') w`, [acct.id, acct.id, acct.id]);
  expect(writers[0].n).toBe(1);
  const ledger = await sql(`select invoice_id, amount::int, cycle from invoice_discounts where account_id = ? and invoice_id like 'five-in-%' order by invoice_id`, [acct.id]);
  expect(ledger).toEqual([0, 1, 2, 3, 4].map((i) => ({ invoice_id: `five-in-${i}`, amount: 100 * (i + 1), cycle: 1 })));
  const events = await sql(`select count(*)::int as n from events where account_id = ? and type = 'invoice.discounted' and data->>'invoiceId' like 'five-in-%'`, [acct.id]);
  expect(events[0].n).toBe(5);
  // sent again, alone or grouped: the stored answers, nothing written twice
  const again = await discountInvoiceGroup(t.running.ctx, [0, 1].map((i) => ({ accountId: acct.id, invoice: invoices[i] })));
  expect(bodies(again).map((b) => b!.discountTotal)).toEqual([100, 200]);
  expect((await sql(`select count(*)::int as n from invoice_discounts where invoice_id like 'five-in-%'`))[0].n).toBe(5);
});

test('invoices of one budget in a group take from it in subscription order, as one after the other would', async () => {
  const { couponId, subs } = await redeemed('pot', 4, { limits: { budget: { amounts: { USD: 500 }, period: 'month' } } });
  // 200 each wanted from 500: 200, 200, 100, 0; the January invoice has a budget of its own
  const jobs = [
    invoice('pot-in-2', subs[2], 2000), invoice('pot-in-0', subs[0], 2000), invoice('pot-in-3', subs[3], 2000),
    invoice('pot-in-1', subs[1], 2000), invoice('pot-jan-0', `${subs[0]}`, 2000, '2027-01-05T00:00:00Z'),
  ];
  // two invoices of one subscription cannot share a group: its invoices run alone (nothing written by the group)
  await expect(discountInvoiceGroup(t.running.ctx, jobs.map((invoice) => ({ accountId: acct.id, invoice })))).rejects.toThrow('invoices of one subscription or id');
  expect((await sql(`select count(*)::int as n from invoices where id like 'pot-%'`))[0].n).toBe(0);
  const outcomes = await discountInvoiceGroup(t.running.ctx, jobs.slice(0, 4).map((invoice) => ({ accountId: acct.id, invoice })));
  expect(bodies(outcomes).map((b) => [b!.invoiceId, b!.discountTotal])).toEqual([['pot-in-2', 100], ['pot-in-0', 200], ['pot-in-3', 0], ['pot-in-1', 200]]);
  const jan = await discountInvoiceGroup(t.running.ctx, [jobs[4], invoice('pot-jan-1', subs[1], 6000, '2027-01-06T00:00:00Z')].map((invoice) => ({ accountId: acct.id, invoice })));
  expect(bodies(jan).map((b) => b!.discountTotal)).toEqual([200, 300]);
  const spend = await sql(`select to_char(period_start at time zone 'UTC', 'YYYY-MM') as month, spent::int, exhausted_event_at is not null as exhausted
                             from coupon_budget_spend where coupon_id = ? order by period_start`, [couponId]);
  expect(spend).toEqual([{ month: '2026-12', spent: 500, exhausted: true }, { month: '2027-01', spent: 500, exhausted: true }]);
  const exhausted = await sql(`select data->>'invoiceId' as invoice from events where account_id = ? and type = 'coupon.budget_exhausted' and data->>'couponId' = ? order by id`, [acct.id, couponId]);
  expect(exhausted).toEqual([{ invoice: 'pot-in-2' }, { invoice: 'pot-jan-1' }]);
});

test('a refusal that undoes its transaction sends the group back to run alone; each invoice then gets its own answer', async () => {
  const { subs } = await redeemed('mixed', 3);
  await discountInvoice(t.running.ctx, acct.id, invoice('mixed-in-0', subs[0], 1000));
  const conflicting = invoice('mixed-in-0', subs[0], 1500);
  await expect(discountInvoiceGroup(t.running.ctx, [conflicting, invoice('mixed-in-1', subs[1], 1000)].map((invoice) => ({ accountId: acct.id, invoice }))))
    .rejects.toThrow('a refusal undoes its transaction');
  expect((await sql(`select id from invoices where id like 'mixed-%' order by id`))).toEqual([{ id: 'mixed-in-0' }]);
  // through the job's door, in one turn of the event loop: grouped, sent back, each alone
  const outcomes = await Promise.all([
    discountInvoiceJob(t.running.ctx, acct.id, conflicting),
    discountInvoiceJob(t.running.ctx, acct.id, invoice('mixed-in-1', subs[1], 1000)),
    discountInvoiceJob(t.running.ctx, acct.id, invoice('mixed-in-2', subs[2], 3000, undefined, { paid: true })),
    discountInvoiceJob(t.running.ctx, acct.id, { ...invoice('mixed-in-3', 'mixed-new-sub', 1000), lines: [{ id: 'l1', kind: 'recurring', planId: 'no-such-plan', amount: 1000 }] } as InvoiceInput),
  ]);
  expect(outcomes.map((o) => (o.ok ? o.body.discountTotal : `${o.error.code} ${o.error.field}`))).toEqual(['conflict invoiceId', 100, 300, 'validation_failed lines[0].planId']);
  const paid = await sql(`select has_paid_subscription as paid from customers where account_id = ? and id = ?`, [acct.id, `${subs[2]}-cus`]);
  expect(paid).toEqual([{ paid: true }]);
});

test('groups racing over the same subscriptions in opposite orders neither deadlock nor count a cycle twice', async () => {
  const { subs } = await redeemed('race', 12);
  const deadlocks = async () => Number((await sql(`select deadlocks from pg_stat_database where datname = current_database()`))[0].deadlocks);
  const before = await deadlocks();
  // three rounds (periods) of 12 invoices each, given to four groups at once: two forward, two backward
  for (const month of [1, 2, 3]) {
    const periodStart = `2027-0${month}-01T00:00:00Z`;
    const all = subs.map((s) => invoice(`race-${s}-${month}`, s, 2000, periodStart));
    const groups = [all.slice(0, 6), all.slice(6), [...all.slice(6)].reverse(), [...all.slice(0, 6)].reverse()];
    const settled = await Promise.allSettled(groups.map((g) => discountInvoiceGroup(t.running.ctx, g.map((invoice) => ({ accountId: acct.id, invoice })))));
    // every group either wrote its invoices or answered them from what the other wrote first
    for (const s of settled) {
      expect(s.status).toBe('fulfilled');
      if (s.status === 'fulfilled') expect(bodies(s.value).map((b) => b!.discountTotal)).toEqual(Array(6).fill(200));
    }
  }
  expect(await deadlocks()).toBe(before);
  const cycles = await sql(`select cycle, count(*)::int as n from invoice_discounts where invoice_id like 'race-%' group by cycle order by cycle`);
  expect(cycles).toEqual([{ cycle: 1, n: 12 }, { cycle: 2, n: 12 }, { cycle: 3, n: 12 }]);
});
