import { startTestApp, type TestApp } from '../helpers/harness';
import { createCoupon } from '../helpers/api';
import { runService, type Proc } from '../helpers/processes';
import { EXPIRY_SCHEDULER_ID, REPORT_FOLD_SCHEDULER_ID } from '../../src/schedulers';

// Needs `npm run build` first: the workers are separate processes running dist/src/main.js.
let t: TestApp;
const procs: Proc[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Polls `check` until it holds; fails after `ms`. A bound, not a wait: the test goes on as soon as it holds. */
async function until(check: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(100);
  }
}
const sql = (q: string, p: unknown[] = []) => t.running.ctx.orm.em.fork().execute(q, p);

beforeAll(async () => {
  // this process only serves HTTP; the two spawned processes are the only workers
  t = await startTestApp({ ROLE: 'api' });
});
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await t?.close();
});

test('two worker processes running the scheduler write each event once; one scheduler of each exists', async () => {
  const acct = await t.createAccount();
  const ids: string[] = [];
  for (let i = 0; i < 12; i++) ids.push((await createCoupon(t, acct, { limits: { maxRedemptions: 5 } })).id);
  // the window closed (at a fixed past instant: the worker processes read the system clock) and
  // the limit was reached without a delayed job (as if written before this release)
  await sql(`update coupons set expires_at = '2026-01-01T00:00:00Z' where id = any(?::uuid[])`, [`{${ids.slice(0, 8).join(',')}}`]);
  await sql(`update coupons set times_redeemed = 5 where id = any(?::uuid[])`, [`{${ids.slice(4).join(',')}}`]);

  const env = { ...t.env.env, ROLE: 'worker', EXPIRY_EVERY_MS: '1000', LOG_LEVEL: 'info' };
  procs.push(runService(env), runService(env));
  await Promise.all(procs.map((p) => p.waitFor('worker running', 90_000)));
  const schedulers = await t.running.ctx.queues.expiry.getJobSchedulers();
  expect(schedulers.map((s) => [s.key, s.name, s.every]).sort()).toEqual([
    [EXPIRY_SCHEDULER_ID, 'sweep', 1000],
    [REPORT_FOLD_SCHEDULER_ID, 'fold-reports', 1000],
  ]);

  const counts = async () => {
    const rows = await sql(`select type, count(*)::int as n, count(distinct data->>'couponId')::int as d from events where account_id = ? and type <> 'coupon.created' group by type order by type`, [acct.id]);
    return Object.fromEntries(rows.map((r) => [r.type, [r.n, r.d]]));
  };
  const want = { 'coupon.exhausted': [8, 8], 'coupon.expired': [8, 8], 'coupon.nearly_exhausted': [8, 8] };
  const sweepsDone = async () => (await t.running.ctx.queues.expiry.getJobs(['completed'])).filter((j) => j.name === 'sweep').length;
  await until(async () => JSON.stringify(await counts()) === JSON.stringify(want), 15_000);
  // three more completed sweeps (counted, not timed) change nothing
  const done = await sweepsDone();
  await until(async () => (await sweepsDone()) >= done + 3, 15_000);
  expect(await counts()).toEqual(want);
  expect(await t.running.ctx.queues.expiry.getJobSchedulersCount()).toBe(2);

  await Promise.all(procs.map((p) => p.stop()));
  expect(procs.map((p) => p.child.exitCode)).toEqual([0, 0]);
  // stopping the workers leaves the schedulers for the others
  expect(await t.running.ctx.queues.expiry.getJobSchedulersCount()).toBe(2);
}, 180_000);
