import { availableParallelism } from 'node:os';
import { api, post, type BenchEnv } from './env';
import { closedLoop, describeOpenLoop, foldPending, openLoop, openLoopClean, type OpenLoopRun } from './drivers';
import { startHttpFloor, type FloorOptions } from './http-floor';
import { freePort } from '../src/free-port';
import { demand, describeCpu } from './cpu';
import type { OpenLoopResult } from './openloop';
import { rawLoop } from './raw';
import { rawRedeemFloor, rawRedeemSameWork, rawValidateFloor, rawValidateSameWork, type RawCode } from './raw-work';
import { interleaved, RAW_CLIENTS, RUNS, SECONDS } from './stats';
import { fmt, type Row } from './table';
import { describeSweep, sweepShares, type SweepRung } from './sweep';

/** The monthly plan `pro` the bench accounts redeem and invoice on. */
export const PLAN = { name: 'Pro', kind: 'recurring', interval: { unit: 'month', count: 1 }, currency: 'USD', price: 2000 };
/** Seconds recorded by each open-loop row (after a 2 s warm-up on the same schedule). */
export const OPEN_SECONDS = Number(process.env.BENCH_OPEN_SECONDS ?? 15);

export async function couponWithCodes(env: BenchEnv, key: string, name: string, codes: string[], extra: Record<string, unknown> = {}): Promise<string> {
  const c = await api(env, key, 'POST', '/v1/coupons', { name, discount: { type: 'percentage', basisPoints: 1000 }, duration: { type: 'forever' }, ...extra });
  if (c.status !== 201) throw new Error(`coupon: ${JSON.stringify(c.body)}`);
  const csv = 'code\n' + codes.join('\n') + '\n';
  const res = await fetch(`${env.url}/v1/coupons/${c.body.id}/codes/import`, { method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'text/csv' }, body: csv });
  if (res.status !== 201) throw new Error(`import: ${res.status} ${await res.text()}`);
  return c.body.id as string;
}

/** A redemption body per request: a fresh customer and subscription each time, `prefix` keeping runs apart. */
export const redeemTemplate = (codePrefix: string, prefix: string) => ({
  code: `${codePrefix}{i%1000}`, customer: { id: `${prefix}c{i}` }, subscriptionId: `${prefix}s{i}`, planId: 'pro',
});

/** `openLoop` against a floor started for it (on the run's database, beside the product), stopped after. */
export async function openLoopOnFloor(
  env: BenchEnv, key: string, route: string, template: unknown, rate: number, seconds: number,
  floor: Pick<FloorOptions, 'processes' | 'work'>,
): Promise<OpenLoopRun> {
  const server = await startHttpFloor({ ...floor, databaseUrl: env.env.DATABASE_URL!, port: await freePort(), keepAliveTimeoutMs: env.config.keepAliveTimeoutMs });
  try {
    return await openLoop({ ...env, url: server.url }, key, route, template, rate, seconds);
  } finally {
    await server.stop();
  }
}

/** What later rows need from this group: the 50 % rate, and the empty database's latency at it (product and HTTP floor). */
export interface RedemptionBaseline {
  rate50: number;
  empty: OpenLoopResult;
  emptyFloor: OpenLoopResult;
}

/** The raw baselines' handle on a coupon's codes (ids in code order). */
export async function rawCodes(env: BenchEnv, accountId: string, couponId: string): Promise<RawCode> {
  const codes = (await env.pool.query(`select id, code from codes where coupon_id = $1 order by id`, [couponId])).rows;
  return { accountId, couponId, codes: codes.map((r) => ({ id: Number(r.id), code: r.code as string })) };
}

/** An account with the plan, 1,000 unlimited codes OPEN0… for HTTP and 1,000 RAW0000… for the raw baselines. */
export async function benchAccount(env: BenchEnv): Promise<{ key: string; raw: RawCode }> {
  const acct = await env.account();
  const key = acct.apiKey;
  await api(env, key, 'PUT', '/v1/plans/pro', PLAN);
  const codes = Array.from({ length: 1000 }, (_, i) => `OPEN${i}`);
  const rawCodeNames = Array.from({ length: 1000 }, (_, i) => `RAW${String(i).padStart(4, '0')}`);
  await couponWithCodes(env, key, 'bench unlimited', codes);
  const raw = await rawCodes(env, acct.id, await couponWithCodes(env, key, 'bench raw', rawCodeNames));
  return { key, raw };
}

/** Rows 2, 7, 8, 3: redemption throughput, open-loop latency at 50 % and 80 %, the hot code. */
export async function benchRedemptions(env: BenchEnv, state: { redemptionBaseline?: RedemptionBaseline }): Promise<Row[]> {
  const { key, raw } = await benchAccount(env);
  const rows: Row[] = [];

  // Row 2: redemption throughput, closed loop, against the raw same work and the raw floor.
  const red = await interleaved({
    ours: (run) => closedLoop(env, key, '/v1/redemptions', redeemTemplate('OPEN', `t${run}`), 64, SECONDS),
    same: (run) => rawLoop(env.pool, RAW_CLIENTS, SECONDS, (c, i) => rawRedeemSameWork(c, raw, i, `t${run}`)),
    floor: (run) => rawLoop(env.pool, RAW_CLIENTS, SECONDS / 2, (c, i) => rawRedeemFloor(c, raw, i, `t${run}`)),
  }, { before: () => foldPending(env) });
  const redFailed = red.ours.details.reduce((n, d) => n + d.non2xx + d.errors, 0);
  const redRatio = red.ours.median / red.same.median;
  rows.push({
    row: 2,
    name: `Redemptions over HTTP, throughput (64 conns, ${SECONDS} s, median of ${RUNS})`,
    ours: `${fmt.spread(red.ours)}, ${redFailed} errors, ${describeCpu(red.ours.cpu)}`,
    raw: `${fmt.spread(red.same)} same work, ${describeCpu(red.same.cpu)}; floor ${fmt.spread(red.floor)}`,
    ratio: redRatio,
    target: 'ratio ≥ 0.60',
    met: redRatio >= 0.6 && redFailed === 0,
    details: { ours: red.ours, rawSameWork: red.same, rawFloor: red.floor, ratioToFloor: red.ours.median / red.floor.median },
  });

  // Rows 7 and 8: open loop at 50 % and 80 % of the raw same-work maximum.
  const rate50 = Math.max(1, Math.round(red.same.median * 0.5));
  const rate80 = Math.max(1, Math.round(red.same.median * 0.8));
  const open50 = await openLoop(env, key, '/v1/redemptions', redeemTemplate('OPEN', 'o50'), rate50, OPEN_SECONDS);
  // the same schedule against the HTTP floor: the raw same work answered over HTTP in one process, no queue
  const floor50 = await openLoopOnFloor(env, key, '/v1/redemptions', redeemTemplate('OPEN', 'f50'), rate50, OPEN_SECONDS, { processes: 1, work: { kind: 'redeem', raw } });
  rows.push({
    row: 7, name: `Redemptions, open loop at 50 % of raw max (${rate50}/s, ${OPEN_SECONDS} s)`,
    ours: describeOpenLoop(open50),
    raw: `raw same-work max ${fmt.rate(red.same.median)}; ${demand(rate50, red.ours.cpu, 2)}; HTTP floor (node:http and the raw same work, 1 process, no queue): ${describeOpenLoop(floor50)}`,
    ratio: null,
    target: 'p99 ≤ 50 ms', met: open50.p99 <= 50 && openLoopClean(open50), details: { ...open50, httpFloor: floor50 },
  });
  state.redemptionBaseline = { rate50, empty: open50, emptyFloor: floor50 };
  const open80 = await openLoop(env, key, '/v1/redemptions', redeemTemplate('OPEN', 'o80'), rate80, OPEN_SECONDS);
  rows.push({
    row: 8, name: `Redemptions, open loop at 80 % of raw max (${rate80}/s, ${OPEN_SECONDS} s)`,
    ours: describeOpenLoop(open80), raw: `raw same-work max ${fmt.rate(red.same.median)}; ${demand(rate80, red.ours.cpu, 2)}`, ratio: null,
    target: 'p99 ≤ 150 ms', met: open80.p99 <= 150 && openLoopClean(open80), details: { ...open80 },
  });

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
  return rows;
}

/**
 * API processes of their own for the validate rows (`BENCH_WEB_CONCURRENCY=n`, WEB_CONCURRENCY of
 * n), one per core unless told: a validate is all API work, which one process serves on one core
 * (README, "Three full runs of this version"). 0 asks the API in the benchmark's process, as
 * every other row does.
 */
const VALIDATE_APIS = Number(process.env.BENCH_WEB_CONCURRENCY ?? availableParallelism());

const SWEEP = sweepShares(process.env.BENCH_VALIDATE_SWEEP);

/** Rows 6, 9: validate throughput and open-loop latency at 50 %. */
export async function benchValidate(env: BenchEnv): Promise<Row[]> {
  const apis = VALIDATE_APIS > 0 ? await env.startApis(VALIDATE_APIS) : null;
  try {
    return await validateRows(apis ? { ...env, url: apis.url } : env, apis ? ` on ${VALIDATE_APIS} API processes` : '');
  } finally {
    await apis?.stop();
  }
}

async function validateRows(env: BenchEnv, where: string): Promise<Row[]> {
  const { key, raw } = await benchAccount(env);
  const rows: Row[] = [];

  // Row 6: validate throughput (5,000 returning customers), against the raw same work and floor.
  const validateTemplate = { code: 'OPEN{i%1000}', customer: { id: 'v{i%5000}' }, planId: 'pro' };
  // steady state: the 5,000 customers (HTTP's v…, raw's rv…) exist before anything is measured
  await env.pool.query(
    `insert into customers (account_id, id) select $1, p || g from generate_series(0, 4999) g cross join (values ('v'), ('rv')) as x(p)`,
    [raw.accountId],
  );
  const val = await interleaved({
    ours: () => closedLoop(env, key, '/v1/codes/validate', validateTemplate, 64, SECONDS),
    same: () => rawLoop(env.pool, RAW_CLIENTS, SECONDS / 2, (c, i) => rawValidateSameWork(c, raw, i)),
    floor: () => rawLoop(env.pool, RAW_CLIENTS, SECONDS / 2, (c, i) => rawValidateFloor(c, raw, i)),
  });
  const valFailed = val.ours.details.reduce((n, d) => n + d.non2xx + d.errors, 0);
  const valRatio = val.ours.median / val.same.median;
  rows.push({
    row: 6, name: `Validate, throughput (64 conns, ${SECONDS} s, median of ${RUNS})${where}`,
    ours: `${fmt.spread(val.ours)}, ${valFailed} errors, ${describeCpu(val.ours.cpu)}`,
    raw: `${fmt.spread(val.same)} same work, ${describeCpu(val.same.cpu)}; floor ${fmt.spread(val.floor)}`,
    ratio: valRatio, target: 'ratio ≥ 0.60', met: valRatio >= 0.6 && valFailed === 0,
    details: { ours: val.ours, rawSameWork: val.same, rawFloor: val.floor, ratioToFloor: val.ours.median / val.floor.median },
  });

  // Row 9: validate, open loop at 50 % of the raw same-work maximum.
  const vRate = Math.max(1, Math.round(val.same.median * 0.5));
  const vOpen = await openLoop(env, key, '/v1/codes/validate', validateTemplate, vRate, OPEN_SECONDS);
  // the same schedule against the HTTP floor (bench/http-floor.ts): what no validate server can undercut here
  const processes = Math.max(1, VALIDATE_APIS);
  const floorWork = { processes, work: { kind: 'validate', accountId: raw.accountId } } as const;
  const floorOpen = await openLoopOnFloor(env, key, '/v1/codes/validate', validateTemplate, vRate, OPEN_SECONDS, floorWork);
  // BENCH_VALIDATE_SWEEP: the product and the floor again at other shares of the raw maximum
  const sweep: SweepRung[] = [];
  for (const share of SWEEP) {
    const rate = Math.max(1, Math.round(val.same.median * share));
    const product = await openLoop(env, key, '/v1/codes/validate', validateTemplate, rate, OPEN_SECONDS);
    sweep.push({ share, rate, product, floor: await openLoopOnFloor(env, key, '/v1/codes/validate', validateTemplate, rate, OPEN_SECONDS, floorWork) });
  }
  rows.push({
    row: 9, name: `Validate, open loop at 50 % of raw max (${vRate}/s, ${OPEN_SECONDS} s)${where}`,
    ours: describeOpenLoop(vOpen),
    raw: `raw same-work max ${fmt.rate(val.same.median)}; ${demand(vRate, val.ours.cpu, 6)}; HTTP floor (node:http and the same read, ${processes} process${processes > 1 ? 'es' : ''}): ${describeOpenLoop(floorOpen)}${sweep.length ? `; sweep: ${describeSweep(sweep)}` : ''}`,
    ratio: null,
    target: 'p99 ≤ 25 ms', met: vOpen.p99 <= 25 && openLoopClean(vOpen), details: { ...vOpen, httpFloor: floorOpen, ...(sweep.length ? { sweep } : {}) },
  });
  return rows;
}
