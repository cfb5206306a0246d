import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { api, post, type BenchEnv } from './env';
import { rawLoop } from './raw';
import { fmt, type Row } from './table';

const PLAN = { name: 'Pro', kind: 'recurring', interval: { unit: 'month', count: 1 }, currency: 'USD', price: 2000 };

async function couponWithCodes(env: BenchEnv, key: string, name: string, codes: string[], extra: Record<string, unknown> = {}): Promise<string> {
  const c = await api(env, key, 'POST', '/v1/coupons', { name, discount: { type: 'percentage', basisPoints: 1000 }, duration: { type: 'forever' }, ...extra });
  if (c.status !== 201) throw new Error(`coupon: ${JSON.stringify(c.body)}`);
  const csv = 'code\n' + codes.join('\n') + '\n';
  const res = await fetch(`${env.url}/v1/coupons/${c.body.id}/codes/import`, { method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'text/csv' }, body: csv });
  if (res.status !== 201) throw new Error(`import: ${res.status} ${await res.text()}`);
  return c.body.id as string;
}

interface LoadResult { rps: number; total: number; p50: number; p99: number; non2xx: number; errors: number; timeouts: number }

/** Runs the load generator (bench/load.ts) in its own process. */
function cannon(env: BenchEnv, key: string, path: string, template: unknown, connections: number, seconds: number): Promise<LoadResult> {
  const opts = JSON.stringify({ url: env.url, path, key, connections, seconds, template });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, 'load.js'), opts], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`load generator exited ${code}`))));
  });
}

/** Rows 2, 3 and 6: redemptions over HTTP, the hot code, validate. */
export async function benchRedemptions(env: BenchEnv): Promise<Row[]> {
  const acct = await env.account();
  const key = acct.apiKey;
  await api(env, key, 'PUT', '/v1/plans/pro', PLAN);
  const codes = Array.from({ length: 1000 }, (_, i) => `OPEN${i}`);
  const rawCodes = Array.from({ length: 1000 }, (_, i) => `RAW${String(i).padStart(4, '0')}`);
  await couponWithCodes(env, key, 'bench unlimited', codes);
  const rawCouponId = await couponWithCodes(env, key, 'bench raw', rawCodes);
  const rawCodeIds = (await env.pool.query(`select id from codes where coupon_id = $1 order by id`, [rawCouponId])).rows.map((r) => Number(r.id));

  // Row 2: POST /v1/redemptions, 64 connections, 10 s.
  const ours = await cannon(env, key, '/v1/redemptions', {
    code: 'OPEN{i%1000}', customer: { id: 'c{i}' }, subscriptionId: 's{i}', planId: 'pro',
  }, 64, 10);
  const raw = await rawLoop(env.pool, 32, 10, async (c, i) => {
    await c.query('begin');
    const code = await c.query(`update codes set times_redeemed = times_redeemed + 1 where id = $1 and (max_redemptions is null or times_redeemed < max_redemptions) returning id`, [rawCodeIds[i % rawCodeIds.length]]);
    if (code.rowCount === 1) {
      await c.query(`update coupons set times_redeemed = times_redeemed + 1 where id = $1 and (max_redemptions is null or times_redeemed < max_redemptions)`, [rawCouponId]);
      await c.query(
        `insert into redemptions (account_id, coupon_id, coupon_version, code_id, code, customer_id, subscription_id, plan_id, action, terms)
         values ($1, $2, 1, $3, 'RAW', $4, $4, 'pro', 'new_subscription', '{}')`,
        [acct.id, rawCouponId, rawCodeIds[i % rawCodeIds.length], `raw${i}`],
      );
    }
    await c.query('commit');
  });
  const ourRate = ours.rps;
  const redemptionRatio = ourRate / raw.rate;
  const rows: Row[] = [{
    row: 2,
    name: 'Redemptions over HTTP (64 conns, 10 s)',
    ours: `${fmt.rate(ourRate)}, p50 ${ours.p50} ms, p99 ${ours.p99} ms, ${ours.non2xx + ours.errors} errors`,
    raw: `${fmt.rate(raw.rate)} (SQL tx, 32 clients)`,
    ratio: redemptionRatio,
    target: 'ratio ≥ 0.60, p99 ≤ 50 ms',
    met: redemptionRatio >= 0.6 && ours.p99 <= 50 && ours.non2xx + ours.errors === 0,
    details: { ours: { rps: ourRate, p50: ours.p50, p99: ours.p99, non2xx: ours.non2xx, errors: ours.errors, total: ours.total }, raw },
  }];

  // Row 3: 5,000 concurrent attempts on one code limited to 1,000.
  const hotCoupon = await api(env, key, 'POST', '/v1/coupons', { name: 'bench hot', discount: { type: 'percentage', basisPoints: 500 }, duration: { type: 'once' } });
  await api(env, key, 'POST', `/v1/coupons/${hotCoupon.body.id}/codes`, { code: 'HOTCODE', maxRedemptions: 1000 });
  const t0 = performance.now();
  const attempts = await Promise.all(Array.from({ length: 5000 }, (_, i) =>
    post(env, key, '/v1/redemptions', { code: 'HOTCODE', customer: { id: `h${i}` }, subscriptionId: `hs${i}`, planId: 'pro' })));
  const hotMs = performance.now() - t0;
  const created = attempts.filter((a) => a.status === 201).length;
  const exhausted = attempts.filter((a) => a.status === 422 && a.body?.error?.code === 'code_exhausted').length;
  if (created !== 1000 || exhausted !== 4000) {
    throw new Error(`HOT CODE LIMIT BROKEN: ${created} redemptions and ${exhausted} code_exhausted (expected 1000 and 4000)`);
  }
  rows.push({
    row: 3, name: 'Hot code: 5,000 concurrent on a limit of 1,000', ours: `${created} redeemed, ${exhausted} exhausted in ${fmt.ms(hotMs)}`,
    raw: '—', ratio: null, target: 'exactly 1,000', met: true, details: { created, exhausted, ms: hotMs },
  });

  // Row 6: POST /v1/codes/validate.
  const v = await cannon(env, key, '/v1/codes/validate', { code: 'OPEN{i%1000}', customer: { id: 'v{i%5000}' }, planId: 'pro' }, 64, 10);
  const rawRead = await rawLoop(env.pool, 32, 5, async (c, i) => {
    await c.query(`select c.*, k.* from codes c join coupons k on k.id = c.coupon_id where c.account_id = $1 and c.code = $2 and c.deleted_at is null`, [acct.id, codes[i % codes.length]]);
  });
  const validateRatio = v.rps / rawRead.rate;
  rows.push({
    row: 6, name: 'Validate (64 conns, 10 s)',
    ours: `${fmt.rate(v.rps)}, p50 ${v.p50} ms, p99 ${v.p99} ms, ${v.non2xx + v.errors} errors`,
    raw: `${fmt.rate(rawRead.rate)} (code lookup, 32 clients)`, ratio: validateRatio, target: 'p99 ≤ 50 ms',
    met: v.p99 <= 50 && v.non2xx + v.errors === 0,
    details: { rps: v.rps, p50: v.p50, p99: v.p99, non2xx: v.non2xx, errors: v.errors, rawRead },
  });
  return rows;
}
