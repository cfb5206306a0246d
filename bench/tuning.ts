import type { BenchEnv } from './env';
import { closedLoop } from './drivers';
import { benchAccount, redeemTemplate } from './redemptions';
import { SECONDS } from './stats';
import { fmt, type Row } from './table';

/** Worker settings tried by row 13 (the API's stay as configured). */
const SETTINGS = [
  { REDEMPTION_CONCURRENCY: '2', DATABASE_POOL_MAX: '4' },
  { REDEMPTION_CONCURRENCY: '4', DATABASE_POOL_MAX: '6' },
  { REDEMPTION_CONCURRENCY: '8', DATABASE_POOL_MAX: '6' },
  { REDEMPTION_CONCURRENCY: '16', DATABASE_POOL_MAX: '6' },
  { REDEMPTION_CONCURRENCY: '16', DATABASE_POOL_MAX: '20' },
  { REDEMPTION_CONCURRENCY: '32', DATABASE_POOL_MAX: '6' },
];

/**
 * Row 13: redemption throughput with two worker processes at each setting above, one closed-loop
 * run each, so the defaults are chosen on figures from this machine. Informational: no target.
 */
export async function benchTuning(env: BenchEnv): Promise<Row[]> {
  const { key } = await benchAccount(env);
  const results: { settings: Record<string, string>; rate: number | null; error?: string }[] = [];
  for (const [n, settings] of SETTINGS.entries()) {
    try {
      await env.stopWorkers();
      await env.startWorkers(2, settings);
      const r = await closedLoop(env, key, '/v1/redemptions', redeemTemplate('OPEN', `tune${n}`), 64, SECONDS);
      results.push({ settings, rate: r.rate });
    } catch (err) {
      // e.g. more connections than a shared server allows: a result, not a reason to stop the run
      results.push({ settings, rate: null, error: err instanceof Error ? err.message : String(err) });
    }
  }
  await env.stopWorkers();
  return [{
    row: 13, name: `Worker settings: redemption throughput, 2 workers (64 conns, ${SECONDS} s each)`,
    ours: results.map((r) => `${r.settings.REDEMPTION_CONCURRENCY}/${r.settings.DATABASE_POOL_MAX}: ${r.rate === null ? 'failed' : fmt.rate(r.rate)}`).join(', '),
    raw: '—', ratio: null, target: 'concurrency/pool per worker (informational)', met: true, details: { results },
  }];
}
