import { startTestApp, type TestAccount, type TestApp } from '../helpers/harness';
import { addCode, createCoupon, putPlan, redeemBody } from '../helpers/api';
import { runService, type Proc } from '../helpers/processes';
import { runExpirySweep } from '../../src/services/expiry';
import { Prng } from '../../history/prng';

/**
 * Holds count like redemptions under the same locks, across two worker processes: exact limits
 * whatever the concurrency, and never a limit passed while holds, releases, expiries and
 * redemptions (with and without a hold) interleave.
 */
let t: TestApp;
let acct: TestAccount;
const workers: Proc[] = [];

beforeAll(async () => {
  t = await startTestApp({ ROLE: 'api', JOB_WAIT_TIMEOUT_MS: '120000', EXPIRY_EVERY_MS: '86400000' });
  for (let i = 0; i < 2; i++) workers.push(runService({ ...t.env.env, ROLE: 'worker', LOG_LEVEL: 'info', REDEMPTION_CONCURRENCY: '16', EXPIRY_EVERY_MS: '86400000' }));
  await Promise.all(workers.map((w) => w.waitFor('running')));
  acct = await t.createAccount();
  await putPlan(t, acct, 'pro-monthly');
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await t?.close();
});

const sql = (q: string, p: unknown[] = []) => t.running.ctx.orm.em.fork().execute(q, p);
const tallyOf = (results: { status: number; body: any }[]) => {
  const tally: Record<string, number> = {};
  for (const r of results) {
    const key = r.status === 201 ? 'created' : `${r.status} ${r.body.error?.code}`;
    tally[key] = (tally[key] ?? 0) + 1;
  }
  return tally;
};

test('1,000 concurrent holds on a code limited to 100: exactly 100 held', async () => {
  const coupon = await createCoupon(t, acct, {});
  await addCode(t, acct, coupon.id, 'HOLD100', { maxRedemptions: 100 });
  const results = await Promise.all(Array.from({ length: 1000 }, (_, i) =>
    t.http.post('/v1/holds').set(acct.auth).send({ code: 'HOLD100', customer: { id: `h-cus-${i}` }, planId: 'pro-monthly' })));
  expect(tallyOf(results)).toEqual({ created: 100, '422 code_exhausted': 900 });
  const [code] = await sql(`select times_redeemed, held from codes where account_id = ? and code = 'HOLD100'`, [acct.id]);
  expect(code).toEqual({ times_redeemed: 0, held: 100 });
  const [rows] = await sql(`select count(*)::int as n, count(distinct customer_id)::int as customers from holds where coupon_id = ? and status = 'active'`, [coupon.id]);
  expect(rows).toEqual({ n: 100, customers: 100 });
});

test('50 concurrent holds and redemptions of one customer on perCustomer 2: exactly 2 taken', async () => {
  const coupon = await createCoupon(t, acct, { limits: { perCustomer: 2 } });
  await addCode(t, acct, coupon.id, 'HOLDPC2');
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) =>
    i % 2 === 0
      ? t.http.post('/v1/holds').set(acct.auth).send({ code: 'HOLDPC2', customer: { id: 'pc-one' } })
      : t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody('HOLDPC2', { customer: { id: 'pc-one' }, subscriptionId: `pc-sub-${i}` }))));
  expect(tallyOf(results)).toEqual({ created: 2, '422 customer_limit_reached': 48 });
  const [n] = await sql(
    `select (select count(*) from holds where coupon_id = ? and status = 'active')::int + (select count(*) from redemptions where coupon_id = ?)::int as taken`,
    [coupon.id, coupon.id],
  );
  expect(n.taken).toBe(2);
});

test('holds, releases, expiries and redemptions interleaved never pass a limit, and the counters equal the rows', async () => {
  const coupon = await createCoupon(t, acct, { limits: { maxRedemptions: 60, perCustomer: 3 }, stackable: true });
  await addCode(t, acct, coupon.id, 'MIX-A', { maxRedemptions: 20 });
  await addCode(t, acct, coupon.id, 'MIX-B');
  const customers = Array.from({ length: 40 }, (_, i) => `mix-${i}`);
  const prng = new Prng(20261210);
  const rand = (n: number) => prng.int(0, n - 1);

  // a monitor reads the rows all along: no moment passes a limit
  const seen: string[] = [];
  let monitoring = true;
  const monitor = (async () => {
    let polls = 0;
    while (monitoring) {
      const [k] = await sql(`select times_redeemed + held as taken from coupons where id = ?`, [coupon.id]);
      const [a] = await sql(`select times_redeemed + held as taken from codes where account_id = ? and code = 'MIX-A'`, [acct.id]);
      const per = await sql(
        `select customer_id, count(*)::int as n from (select customer_id from redemptions where coupon_id = ? and status <> 'voided'
          union all select customer_id from holds where coupon_id = ? and status = 'active') u group by customer_id having count(*) > 3`,
        [coupon.id, coupon.id],
      );
      if (k.taken > 60) seen.push(`coupon taken ${k.taken}`);
      if (a.taken > 20) seen.push(`MIX-A taken ${a.taken}`);
      for (const p of per) seen.push(`${p.customer_id} holds ${p.n}`);
      polls += 1;
    }
    return polls;
  })();

  const ops: Promise<void>[] = [];
  const outcomes: Record<string, number> = {};
  const note = (what: string, status: number, body: any) => {
    const k = `${what} ${status === 201 || status === 204 ? 'ok' : `${status} ${body?.error?.code}`}`;
    outcomes[k] = (outcomes[k] ?? 0) + 1;
  };
  // each operation starts at its own moment within the first 1.5 s, so they interleave (the
  // limits are such that holds and redemptions still compete for the last slots near the end)
  const at = (ms: number, op: () => Promise<void>) => ops.push(new Promise((r) => setTimeout(r, ms)).then(op));
  for (let i = 0; i < 400; i++) {
    const code = rand(2) === 0 ? 'MIX-A' : 'MIX-B';
    const customer = customers[rand(customers.length)]!;
    const choice = rand(100);
    const when = rand(1500);
    // the sweeps come once holds exist
    const sweepAt = 400 + rand(1100);
    if (choice < 50) {
      // a hold, then (by turns) consumed by a redemption, released, or left to expire
      const then = rand(3);
      at(when, async () => {
        const h = await t.http.post('/v1/holds').set(acct.auth).send({ code, customer: { id: customer } });
        note('hold', h.status, h.body);
        if (h.status !== 201) return;
        if (then === 0) {
          const r = await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody(code, { customer: { id: customer }, subscriptionId: `mix-h-${i}`, holdId: h.body.hold.id }));
          note('consume', r.status, r.body);
        } else if (then === 1) {
          const d = await t.http.delete(`/v1/holds/${h.body.hold.id}`).set(acct.auth);
          note('release', d.status, d.body);
        }
      });
    } else if (choice < 78) {
      at(when, async () => {
        const r = await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody(code, { customer: { id: customer }, subscriptionId: `mix-r-${i}` }));
        note('redeem', r.status, r.body);
      });
    } else if (choice < 80) {
      // every active hold expires at an instant an hour ahead (the sweep's now is its argument)
      at(sweepAt, async () => {
        const swept = await runExpirySweep(t.running.ctx.orm.em.fork(), new Date(Date.now() + 3_600_000).toISOString());
        note(`sweep ${swept.holdsExpired > 0 ? 'expired' : 'none'}`, 201, null);
      });
    } else {
      at(when, async () => {
        const r = await t.http.post('/v1/codes/validate').set(acct.auth).send({ code, customer: { id: customer } });
        note('validate', r.status === 200 ? 201 : r.status, r.body);
      });
    }
  }
  await Promise.all(ops);
  monitoring = false;
  const polls = await monitor;
  expect({ seen, pollsAtLeast: polls >= 5 }).toEqual({ seen: [], pollsAtLeast: true });
  // every kind of operation happened and some were refused for a limit
  for (const k of ['hold ok', 'consume ok', 'release ok', 'redeem ok', 'sweep expired ok']) expect([k, (outcomes[k] ?? 0) > 0]).toEqual([k, true]);
  expect(Object.keys(outcomes).some((k) => /code_exhausted|customer_limit_reached/.test(k))).toBe(true);
  // a holder's redemption is never refused for a limit
  expect(Object.keys(outcomes).filter((k) => k.startsWith('consume ') && k !== 'consume ok' && k !== 'consume 422 hold_not_active')).toEqual([]);

  // counters equal the rows; every limit holds at the end
  const [k] = await sql(
    `select k.times_redeemed, k.held, (select count(*) from redemptions r where r.coupon_id = k.id)::int as redemptions,
            (select count(*) from holds h where h.coupon_id = k.id and h.status = 'active')::int as active
       from coupons k where k.id = ?`,
    [coupon.id],
  );
  expect([k.times_redeemed, k.held]).toEqual([k.redemptions, k.active]);
  expect(k.times_redeemed + k.held).toBeLessThanOrEqual(60);
  const codes = await sql(
    `select c.code, c.max_redemptions, c.times_redeemed, c.held, (select count(*) from redemptions r where r.code_id = c.id)::int as redemptions,
            (select count(*) from holds h where h.code_id = c.id and h.status = 'active')::int as active
       from codes c where c.coupon_id = ? order by c.code`,
    [coupon.id],
  );
  for (const c of codes) {
    expect([c.code, c.times_redeemed, c.held]).toEqual([c.code, c.redemptions, c.active]);
    if (c.max_redemptions !== null) expect(c.times_redeemed + c.held).toBeLessThanOrEqual(c.max_redemptions);
  }
  // every consumed hold is its redemption's
  const [bad] = await sql(
    `select count(*)::int as n from holds h left join redemptions r on r.id = h.redemption_id
      where h.coupon_id = ? and h.status = 'consumed' and (r.id is null or r.customer_id <> h.customer_id or r.code_id is distinct from h.code_id)`,
    [coupon.id],
  );
  expect(bad.n).toBe(0);
}, 60_000);
