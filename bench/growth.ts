import { api, type BenchEnv } from './env';
import { closedLoop, describeOpenLoop, openLoop, openLoopClean } from './drivers';
import { couponWithCodes, OPEN_SECONDS, PLAN, openLoopOnFloor, rawCodes, redeemTemplate, type RedemptionBaseline } from './redemptions';
import { RUNS, SECONDS } from './stats';
import { fmt, type Row } from './table';

/**
 * Row 10: redemption latency at the 50 % rate in an account that already holds a million codes
 * and 100,000 redemptions (the batch and report rows' data), against the same rate on the
 * nearly empty database of row 7. Both start from a settled database (settleDatabase): the
 * measurement is of the data's size, not of the maintenance a freshly bulk-loaded million rows
 * still owe (autovacuum's analyze of `codes`, the checkpoint of the load's WAL). Its worker
 * processes are new (the batch rows before it run a worker of their own), where row 7's had served
 * row 2's closed-loop runs: so that the row compares data and not a cold process against a warm
 * one, the same closed-loop load (RUNS × SECONDS, 64 connections) is sent first, unrecorded.
 *
 * Beside it, the same schedule against the HTTP floor (bench/http-floor.ts: the raw same work
 * over `node:http`, no queue) in the grown account, against row 7's floor in the empty one: how
 * much of the growth the database work alone shows at this rate. The target is judged on the
 * product alone.
 */
export async function benchGrowth(env: BenchEnv, baseline: RedemptionBaseline, grown: { accountId: string; apiKey: string; codes: number; redemptions: number }): Promise<Row> {
  const key = grown.apiKey;
  await api(env, key, 'PUT', '/v1/plans/pro', PLAN);
  await couponWithCodes(env, key, 'bench growth', Array.from({ length: 1000 }, (_, i) => `GROW${i}`));
  const raw = await rawCodes(env, grown.accountId, await couponWithCodes(env, key, 'bench growth raw', Array.from({ length: 1000 }, (_, i) => `GRAW${i}`)));
  const warmup = await closedLoop(env, key, '/v1/redemptions', redeemTemplate('GROW', 'gw'), 64, RUNS * SECONDS);
  const r = await openLoop(env, key, '/v1/redemptions', redeemTemplate('GROW', 'g'), baseline.rate50, OPEN_SECONDS);
  const floor = await openLoopOnFloor(env, key, '/v1/redemptions', redeemTemplate('GRAW', 'gf'), baseline.rate50, OPEN_SECONDS, { processes: 1, work: { kind: 'redeem', raw } });
  const growth = r.p99 / baseline.empty.p99;
  const floorGrowth = floor.p99 / baseline.emptyFloor.p99;
  return {
    row: 10,
    name: `Growth: redemption p99 at ${baseline.rate50}/s, ${grown.codes.toLocaleString('en-US')} codes + ${grown.redemptions.toLocaleString('en-US')} redemptions vs empty`,
    ours: `${describeOpenLoop(r)} (empty: p99 ${fmt.ms(baseline.empty.p99)}, grown ÷ empty ${growth.toFixed(2)}; after ${RUNS * SECONDS} s of closed-loop warm-up at ${fmt.rate(warmup.rate)})`,
    raw: `HTTP floor (node:http and the raw same work, 1 process, no queue) in the grown account: ${describeOpenLoop(floor)}; empty: p99 ${fmt.ms(baseline.emptyFloor.p99)}, grown ÷ empty ${floorGrowth.toFixed(2)}`,
    ratio: baseline.empty.p99 / r.p99, target: 'p99 ≤ 1.2 × empty', met: growth <= 1.2 && openLoopClean(r),
    details: { warmup: { rate: warmup.rate, count: warmup.count }, grown: r, empty: baseline.empty, growth, httpFloor: { grown: floor, empty: baseline.emptyFloor, growth: floorGrowth } },
  };
}
