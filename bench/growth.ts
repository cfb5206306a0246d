import { api, type BenchEnv } from './env';
import { describeOpenLoop, openLoop, openLoopClean } from './drivers';
import { couponWithCodes, OPEN_SECONDS, redeemTemplate, type RedemptionBaseline } from './redemptions';
import type { Row } from './table';

/**
 * Row 10: redemption latency at the 50 % rate in an account that already holds a million codes
 * and 100,000 redemptions (the batch and report rows' data), against the same rate on the
 * nearly empty database of row 7. Both start from a settled database (settleDatabase): the
 * measurement is of the data's size, not of the maintenance a freshly bulk-loaded million rows
 * still owe (autovacuum's analyze of `codes`, the checkpoint of the load's WAL).
 */
export async function benchGrowth(env: BenchEnv, baseline: RedemptionBaseline, grown: { apiKey: string; codes: number; redemptions: number }): Promise<Row> {
  const key = grown.apiKey;
  await api(env, key, 'PUT', '/v1/plans/pro', { name: 'Pro', kind: 'recurring', interval: { unit: 'month', count: 1 }, currency: 'USD', price: 2000 });
  await couponWithCodes(env, key, 'bench growth', Array.from({ length: 1000 }, (_, i) => `GROW${i}`));
  const r = await openLoop(env, key, '/v1/redemptions', redeemTemplate('GROW', 'g'), baseline.rate50, OPEN_SECONDS);
  const growth = r.p99 / baseline.empty.p99;
  return {
    row: 10,
    name: `Growth: redemption p99 at ${baseline.rate50}/s, ${grown.codes.toLocaleString('en-US')} codes + ${grown.redemptions.toLocaleString('en-US')} redemptions vs empty`,
    ours: `${describeOpenLoop(r)} (empty: p99 ${Math.round(baseline.empty.p99)} ms)`, raw: '—',
    ratio: baseline.empty.p99 / r.p99, target: 'p99 ≤ 1.2 × empty', met: growth <= 1.2 && openLoopClean(r),
    details: { grown: r, empty: baseline.empty, growth },
  };
}
