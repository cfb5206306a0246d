import IORedis from 'ioredis';
import { createInvoiceQueue, enqueueInvoices, type InvoiceInput } from '../src/producer';
import { api, type BenchEnv } from './env';
import { rawLoop } from './raw';
import { fmt, type Row } from './table';

const SUBS = Number(process.env.BENCH_INVOICE_SUBS ?? 10_000);
const PER_SUB = 5;
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

/** Row 4: 50,000 invoice jobs through the exported producer, until all completed. */
export async function benchInvoices(env: BenchEnv): Promise<Row> {
  const acct = await env.account();
  await api(env, acct.apiKey, 'PUT', '/v1/plans/pro', { name: 'Pro', kind: 'recurring', interval: { unit: 'month', count: 1 }, currency: 'USD', price: 2000 });
  const coupon = await api(env, acct.apiKey, 'POST', '/v1/coupons', { name: 'bench invoices', discount: { type: 'percentage', basisPoints: 1000 }, duration: { type: 'forever' }, code: 'INVBENCH' });
  const codeId = Number((await env.pool.query(`select id from codes where code = 'INVBENCH' and account_id = $1`, [acct.id])).rows[0].id);
  await seedRedemptions(env, acct.id, coupon.body.id, codeId, 'sub');
  await seedRedemptions(env, acct.id, coupon.body.id, codeId, 'rawsub');

  const invoices: InvoiceInput[] = [];
  for (let k = 1; k <= PER_SUB; k++) {
    for (let s = 1; s <= SUBS; s++) {
      invoices.push({
        invoiceId: `in-${s}-${k}`, subscriptionId: `sub${s}`, customerId: `cus${s}`, currency: 'USD',
        periodStart: `2026-0${k}-01T00:00:00Z`, lines: [{ id: 'l1', kind: 'recurring', planId: 'pro', amount: 2000 }],
      });
    }
  }
  const connection = new IORedis(env.env.REDIS_URL, { maxRetriesPerRequest: null });
  const queue = createInvoiceQueue({ connection, prefix: env.env.QUEUE_PREFIX });
  const t0 = performance.now();
  for (let i = 0; i < invoices.length; i += 1000) await enqueueInvoices(queue, acct.id, invoices.slice(i, i + 1000));
  let done = 0;
  while (done < invoices.length) {
    await new Promise((r) => setTimeout(r, 200));
    done = Number((await env.pool.query(`select count(*) from invoices where account_id = $1`, [acct.id])).rows[0].count);
    if (performance.now() - t0 > 300_000) throw new Error(`invoices: only ${done} done after 300 s`);
  }
  const ms = performance.now() - t0;
  await queue.close();
  connection.disconnect();
  const failed = await env.api.ctx.queues.invoices.getFailedCount();
  const ourRate = invoices.length / (ms / 1000);

  // Raw: the same writes as one SQL transaction per invoice, 32 clients.
  const raw = await rawLoop(env.pool, 32, 10, async (c, i) => {
    const s = (i % SUBS) + 1;
    const inv = `raw-${i}`;
    await c.query('begin');
    await c.query(`select 1 from subscriptions where account_id = $1 and id = $2 for update`, [acct.id, `rawsub${s}`]);
    const red = await c.query(`select id, cycles_applied from redemptions where account_id = $1 and subscription_id = $2 and status = 'active'`, [acct.id, `rawsub${s}`]);
    await c.query(
      `insert into invoices (account_id, id, subscription_id, currency, period_start, request_hash, subtotal, discount_total, total, credit, result)
       values ($1, $2, $3, 'USD', now(), 'h', 2000, 200, 1800, 0, '{}')`,
      [acct.id, inv, `rawsub${s}`],
    );
    await c.query(
      `insert into invoice_discounts (account_id, invoice_id, redemption_id, coupon_id, code_id, cycle, currency, amount, invoice_total, lines)
       values ($1, $2, $3, $4, $5, $6, 'USD', 200, 1800, '[]')`,
      [acct.id, inv, red.rows[0].id, coupon.body.id, codeId, Number(red.rows[0].cycles_applied) + 1],
    );
    await c.query(`update redemptions set cycles_applied = cycles_applied + 1 where id = $1`, [red.rows[0].id]);
    await c.query('commit');
  });
  const ratio = ourRate / raw.rate;
  return {
    row: 4, name: `Invoices: ${invoices.length.toLocaleString('en-US')} jobs via addBulk, ${SUBS.toLocaleString('en-US')} subs`,
    ours: `${fmt.rate(ourRate)} (${fmt.s(ms)}, ${failed} failed)`, raw: `${fmt.rate(raw.rate)} (SQL tx, 32 clients)`,
    ratio, target: 'ratio ≥ 0.80', met: ratio >= 0.8 && failed === 0,
    details: { ms, ourRate, failed, raw },
  };
}
