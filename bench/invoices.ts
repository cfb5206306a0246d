import IORedis from 'ioredis';
import { createInvoiceQueue, enqueueInvoices, type InvoiceInput } from '../src/producer';
import { foldPending } from './drivers';
import { describeCpu } from './cpu';
import { api, type BenchEnv } from './env';
import { rawLoop } from './raw';
import { rawInvoiceFloor, rawInvoiceSameWork } from './raw-work';
import { PLAN } from './redemptions';
import { interleaved, RAW_CLIENTS, RUNS, SECONDS } from './stats';
import { fmt, type Row } from './table';

const SUBS = Number(process.env.BENCH_INVOICE_SUBS ?? 5_000);
/** Invoices per subscription in each run (one per billing period). */
const PER_RUN = 3;
/** The job states a run's invoices pass through before they are completed (or failed). */
const OUTSTANDING = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'] as const;
const TERMS = { discount: { type: 'percentage', basisPoints: 1000 }, duration: { type: 'forever' }, appliesTo: { plans: 'all' }, eligibility: {}, overflow: 'cap', stackable: false, timeZone: 'UTC' };

async function seedRedemptions(env: BenchEnv, accountId: string, couponId: string, codeId: number, prefix: string): Promise<void> {
  await env.pool.query(
    `insert into subscriptions (account_id, id, customer_id) select $1, $2 || g, 'cus' || g from generate_series(1, $3) g`,
    [accountId, prefix, SUBS],
  );
  await env.pool.query(
    `insert into redemptions (account_id, coupon_id, coupon_version, code_id, code, customer_id, subscription_id, plan_id, action, terms, stackable)
     select $1, $2, 1, $3, 'INVBENCH', 'cus' || g, $4 || g, 'pro', 'new_subscription', $5::jsonb, false from generate_series(1, $6) g`,
    [accountId, couponId, codeId, prefix, JSON.stringify(TERMS), SUBS],
  );
}

/** Row 4: invoice jobs through the exported producer until all completed, against the raw same work and floor. */
export async function benchInvoices(env: BenchEnv): Promise<Row> {
  const acct = await env.account();
  await api(env, acct.apiKey, 'PUT', '/v1/plans/pro', PLAN);
  const coupon = await api(env, acct.apiKey, 'POST', '/v1/coupons', { name: 'bench invoices', discount: { type: 'percentage', basisPoints: 1000 }, duration: { type: 'forever' }, code: 'INVBENCH' });
  const codeId = Number((await env.pool.query(`select id from codes where code = 'INVBENCH' and account_id = $1`, [acct.id])).rows[0].id);
  await seedRedemptions(env, acct.id, coupon.body.id, codeId, 'sub');
  await seedRedemptions(env, acct.id, coupon.body.id, codeId, 'rawsub');
  await seedRedemptions(env, acct.id, coupon.body.id, codeId, 'floorsub');
  await env.pool.query('vacuum analyze subscriptions, redemptions');

  const connection = new IORedis(env.env.REDIS_URL, { maxRetriesPerRequest: null });
  const queue = createInvoiceQueue({ connection, prefix: env.env.QUEUE_PREFIX });
  let total = 0;
  const ours = async (run: number) => {
    const invoices: InvoiceInput[] = [];
    for (let k = 1; k <= PER_RUN; k++) {
      const period = run * PER_RUN + k;
      for (let s = 1; s <= SUBS; s++) {
        invoices.push({
          invoiceId: `in-${s}-${period}`, subscriptionId: `sub${s}`, customerId: `cus${s}`, currency: 'USD',
          periodStart: `2026-${String(period).padStart(2, '0')}-01T00:00:00Z`, lines: [{ id: 'l1', kind: 'recurring', planId: 'pro', amount: 2000 }],
        });
      }
    }
    total += invoices.length;
    const t0 = performance.now();
    for (let i = 0; i < invoices.length; i += 1000) await enqueueInvoices(queue, acct.id, invoices.slice(i, i + 1000));
    // done when the queue holds none of the run's jobs: a few Redis counters per poll (counting
    // the account's invoices in Postgres instead took 10–40 ms per poll as the table grew, on the
    // cores the run is measured on); the invoices are then counted once
    while (Object.values(await queue.getJobCounts(...OUTSTANDING)).some((n) => n > 0)) {
      await new Promise((r) => setTimeout(r, 100));
      if (performance.now() - t0 > 300_000) throw new Error(`invoices: jobs still outstanding after 300 s`);
    }
    const ms = performance.now() - t0;
    const done = Number((await env.pool.query(`select count(*) from invoices where account_id = $1 and subscription_id like 'sub%'`, [acct.id])).rows[0].count);
    if (done !== total) throw new Error(`invoices: ${done} of ${total} written once the queue was empty`);
    return { rate: invoices.length / (ms / 1000), ms, count: invoices.length };
  };
  const inv = await interleaved({
    ours,
    same: (run) => rawLoop(env.pool, RAW_CLIENTS, SECONDS, (c, i) =>
      rawInvoiceSameWork(c, acct.id, `rawsub${(i % SUBS) + 1}`, `raw-${run}-${i}`, `2026-01-01T00:00:00Z`)),
    floor: (run) => rawLoop(env.pool, RAW_CLIENTS, SECONDS / 2, (c, i) =>
      rawInvoiceFloor(c, acct.id, coupon.body.id, codeId, `floorsub${(i % SUBS) + 1}`, `floor-${run}-${i}`)),
  }, { before: () => foldPending(env) });
  await queue.close();
  connection.disconnect();
  const failed = await env.api.ctx.queues.invoices.getFailedCount();
  const ratio = inv.ours.median / inv.same.median;
  return {
    row: 4, name: `Invoices: ${(SUBS * PER_RUN).toLocaleString('en-US')} jobs via addBulk, ${SUBS.toLocaleString('en-US')} subs (median of ${RUNS})`,
    ours: `${fmt.spread(inv.ours)}, ${failed} failed, ${describeCpu(inv.ours.cpu)}`,
    raw: `${fmt.spread(inv.same)} same work, ${describeCpu(inv.same.cpu)}; floor ${fmt.spread(inv.floor)}`,
    ratio, target: 'ratio ≥ 0.80', met: ratio >= 0.8 && failed === 0,
    details: { ours: inv.ours, rawSameWork: inv.same, rawFloor: inv.floor, ratioToFloor: inv.ours.median / inv.floor.median, failed },
  };
}
