import { performance } from 'node:perf_hooks';
import type { Em } from '../src/db/orm';
import { foldPending } from './drivers';
import { api, type BenchEnv } from './env';
import { fmt, type Row } from './table';

/**
 * Growth reports row: one account with one coupon holding `codes` codes and `redemptions`
 * redemptions spread over 2026 (one per code, a tenth voided, a tenth of the subscriptions
 * cancelled, attribution on a third of the codes), each with one invoice (two thirds paid,
 * a third in EUR) and its ledger row; a second account with a tenth of that history, so a plan
 * that scanned a table would read another account's rows. Seeded straight in SQL.
 */
export async function seedGrowthReports(em: Em, accountId: string, n: number): Promise<string> {
  const [coupon] = await em.execute(
    `insert into coupons (account_id, name, state, discount, duration, applies_to, eligibility, overflow, time_zone, times_redeemed, channel)
     values (?, 'growth bench ' || ?, 'active', '{"type":"percentage","basisPoints":1000}', '{"type":"forever"}', '{"plans":"all"}',
             '{"customers":"any"}', 'cap', 'UTC', ?, 'email') returning id`,
    [accountId, accountId, n],
  );
  const couponId = coupon.id as string;
  await em.execute(
    `insert into codes (account_id, coupon_id, code, times_redeemed, partner)
     select ?, ?, 'GR' || substr(?::text, 1, 4) || lpad(g::text, 7, '0'), 1, case when g % 3 = 0 then 'partner-' || (g % 20) end
       from generate_series(1, ?) g`,
    [accountId, couponId, accountId, n],
  );
  await em.execute(
    `insert into subscriptions (account_id, id, customer_id, status, cancelled_at)
     select ?, 'gsub_' || g, 'gcus_' || (g % 40000), case when g % 10 = 3 then 'cancelled' else 'active' end,
            case when g % 10 = 3 then timestamptz '2026-12-31' end
       from generate_series(1, ?) g`,
    [accountId, n],
  );
  await em.execute(
    `insert into redemptions (account_id, coupon_id, coupon_version, code_id, code, customer_id, subscription_id, plan_id, action, status, terms,
                              created_at, channel, partner)
     select ?, ?, 1, k.id, k.code, 'gcus_' || (k.n % 40000), 'gsub_' || k.n, 'pro', 'new_subscription',
            case when k.n % 10 = 0 then 'voided' else 'active' end, '{}',
            timestamptz '2026-01-01' + ((k.n * 314.159) || ' seconds')::interval, 'email', k.partner
       from (select id, code, partner, row_number() over (order by id) as n from codes where coupon_id = ?) k`,
    [accountId, couponId, couponId],
  );
  await em.execute(
    `insert into invoices (account_id, id, subscription_id, customer_id, currency, period_start, paid, request_hash, subtotal, discount_total, total, credit, result, created_at)
     select r.account_id, 'gin_' || r.subscription_id, r.subscription_id, r.customer_id, case when s.g % 3 = 0 then 'EUR' else 'USD' end,
            r.created_at + interval '1 day', s.g % 3 <> 1, '', 2000 + (s.g % 7) * 100, 200, 1800 + (s.g % 7) * 100, 0, '{}', r.created_at + interval '1 day'
       from redemptions r cross join lateral (select substr(r.subscription_id, 6)::int as g) s
      where r.coupon_id = ?`,
    [couponId],
  );
  await em.execute(
    `insert into invoice_discounts (account_id, invoice_id, redemption_id, coupon_id, code_id, cycle, currency, amount, invoice_total, lines)
     select i.account_id, i.id, r.id, r.coupon_id, r.code_id, 1, i.currency, 200, i.total, '[]'
       from redemptions r join invoices i on i.account_id = r.account_id and i.id = 'gin_' || r.subscription_id
      where r.coupon_id = ?`,
    [couponId],
  );
  return couponId;
}

async function median(runs: number, fn: () => Promise<void>): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await fn();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Row 12: GET /v1/reports/codes?sort=-revenue over 100,000 codes and GET /v1/reports/timeseries over 2026 by day, over HTTP. */
export async function benchGrowthReports(env: BenchEnv, opts: { codes?: number; runs?: number } = {}): Promise<Row> {
  const n = opts.codes ?? 100_000;
  const runs = opts.runs ?? 5;
  const main = await env.account();
  const other = await env.account();
  const em = env.api.ctx.orm.em.fork();
  const couponId = await seedGrowthReports(em, main.id, n);
  await seedGrowthReports(em, other.id, Math.round(n / 10));
  // the seed's marks folded into the rollups, as the worker's fold would have done by now
  const folded = await foldPending(env);
  await em.execute(`vacuum (analyze) coupons, codes, subscriptions, redemptions, invoices, invoice_discounts, report_dirty, report_contributions, report_days`);
  await env.pool.query('checkpoint');

  const codesPath = `/v1/reports/codes?couponId=${couponId}&sort=-revenue&currency=USD&limit=50`;
  const seriesPath = '/v1/reports/timeseries?from=2026-01-01&to=2026-12-31&interval=day';
  let first: { codes?: unknown; series?: unknown } = {};
  const codesMs = await median(runs, async () => {
    const res = await api(env, main.apiKey, 'GET', codesPath);
    if (res.status !== 200 || res.body.data.length !== 50) throw new Error(`codes report: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
    first.codes ??= res.body.data[0];
  });
  const seriesMs = await median(runs, async () => {
    const res = await api(env, main.apiKey, 'GET', seriesPath);
    if (res.status !== 200 || res.body.data.length !== 365) throw new Error(`timeseries: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
    first.series ??= res.body.data[100];
  });
  const met = codesMs < 100 && seriesMs < 100;
  return {
    row: 12,
    name: 'Growth reports: codes by revenue (100k codes) · timeseries (365 days)',
    ours: `${fmt.ms(codesMs)} · ${fmt.ms(seriesMs)} per call (median of ${runs})`,
    raw: '—',
    ratio: null,
    target: '< 100 ms each',
    met,
    details: { codesMs, seriesMs, codes: n, folded, sample: first },
  };
}
