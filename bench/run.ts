import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openBenchEnv, type BenchEnv } from './env';
import { benchBatch, type BatchOutcome } from './batches';
import { benchGrowth } from './growth';
import { benchInvoices } from './invoices';
import { benchTuning } from './tuning';
import { benchReports, seedReportData, type ReportSeed } from './reports';
import { benchRedemptions, benchValidate, type RedemptionBaseline } from './redemptions';
import { benchWebhooks } from './webhooks';
import { benchGrowthReports } from './growth-reports';
import { benchCheckout } from './checkout';
import { benchGuard } from './guard';
import { benchSoak } from './soak';
import { fmt, renderTable, type Row } from './table';

const README_START = '<!-- bench table:';
const README_END = '<!-- end of bench table -->';

/** What one group hands to later ones. */
export interface BenchState {
  redemptionBaseline?: RedemptionBaseline;
  batch?: BatchOutcome;
  reportSeed?: ReportSeed;
}

/**
 * One entry per group of rows, run in this order. `rows` are the row numbers it produces,
 * `needs` rows of earlier groups whose state it uses (asking for a row runs what it needs),
 * `workers` how many worker processes it wants (default 2), `freshWorkers` whether they must be
 * new processes (so their peak RSS is this group's).
 */
interface Group {
  rows: number[];
  needs?: number[];
  workers?: number;
  freshWorkers?: boolean;
  run(env: BenchEnv, state: BenchState): Promise<Row[]>;
}

const GROUPS: Group[] = [
  { rows: [2, 7, 8, 3], run: (env, state) => benchRedemptions(env, state) },
  { rows: [6, 9], run: (env) => benchValidate(env) },
  { rows: [13], run: (env) => benchTuning(env) },
  { rows: [4], run: async (env) => [await benchInvoices(env)] },
  {
    rows: [1, 11], workers: 1, freshWorkers: true,
    run: async (env, state) => {
      state.batch = await benchBatch(env);
      return state.batch.rows;
    },
  },
  {
    rows: [5], needs: [1],
    run: async (env, state) => {
      const b = state.batch!;
      const em = env.api.ctx.orm.em.fork();
      state.reportSeed = await seedReportData(em, { codes: Number(process.env.BENCH_BATCH_COUNT ?? 1_000_000), redemptions: 100_000, existing: b });
      await env.pool.query('checkpoint');
      const ms = await benchReports(em, b.accountId, b.couponId, 5);
      return [{
        row: 5, name: 'Reports: coupon stats, 1M codes, 100k redemptions', ours: `${fmt.ms(ms)} per call (median of 5)`, raw: '—',
        ratio: null, target: '< 1,000 ms', met: ms < 1000, details: { ms },
      }];
    },
  },
  {
    rows: [10], needs: [7, 5],
    run: async (env, state) => [await benchGrowth(env, state.redemptionBaseline!, { apiKey: state.batch!.apiKey, ...state.reportSeed! })],
  },
  { rows: [12], run: async (env) => [await benchGrowthReports(env)] },
  // Its own API, worker and receivers on a separate database (the other groups' workers stay idle).
  { rows: [14], run: async (env) => [await benchWebhooks(env.server)] },
  { rows: [15, 16], run: (env) => benchCheckout(env) },
  { rows: [17], run: async (env) => [await benchGuard(env)] },
  // Last: it takes row 7's rate when row 7 ran; asked alone it measures the raw same work itself.
  { rows: [18], run: async (env, state) => [await benchSoak(env, state)] },
];

/** The groups to run for the asked rows (all when none), with every group they need; every row they measure is reported. */
function selectGroups(only: number[]): Group[] {
  const wanted = new Set(only.length ? only : GROUPS.flatMap((g) => g.rows));
  const chosen = new Set<Group>();
  for (const g of [...GROUPS].reverse()) {
    if (!g.rows.some((r) => wanted.has(r)) && ![...chosen].some((c) => c.needs?.some((n) => g.rows.includes(n)))) continue;
    chosen.add(g);
  }
  return GROUPS.filter((g) => chosen.has(g));
}

/** `npm run bench [row ...]`: every hot path against the raw limit measured in the same run. */
async function main(): Promise<void> {
  const only = process.argv.slice(2).map(Number);
  const groups = selectGroups(only);
  const env = await openBenchEnv();
  const rows: Row[] = [];
  const state: BenchState = {};
  const started = Date.now();
  try {
    for (const g of groups) {
      const workers = g.workers ?? 2;
      if (g.freshWorkers || env.workers.length !== workers) {
        await env.stopWorkers();
        await env.startWorkers(workers);
      }
      // Each group starts from a quiet database: the previous group's writes are checkpointed
      // first, so no row pays for another's dirty buffers (and neither does its raw baseline).
      await env.pool.query('checkpoint');
      for (const r of await g.run(env, state)) {
        rows.push(r);
        process.stdout.write(`row ${r.row} ${r.name}: ${r.ours} | raw ${r.raw} | ratio ${r.ratio === null ? '—' : r.ratio.toFixed(2)} | ${r.met ? 'met' : 'NOT met'}\n`);
      }
    }
  } finally {
    await env.close();
  }
  rows.sort((a, b) => a.row - b.row);
  const table = renderTable(rows);
  const seconds = Math.round((Date.now() - started) / 1000);
  process.stdout.write(`\n${table}\n\ntotal ${seconds} s\n`);
  // a run of chosen rows does not replace the full table
  const out = path.join(__dirname, `../../bench/results/${only.length ? 'partial' : 'latest'}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), machine: { cpus: require('node:os').cpus().length }, server: env.server.what, seconds, rows, table }, null, 2) + '\n');
  if (only.length === 0) writeReadmeTable(table, seconds, env.server.what);
}

/** A full run puts its table in the README, between the markers of the Performance section. */
function writeReadmeTable(table: string, seconds: number, server: string): void {
  const readme = path.join(__dirname, '../../README.md');
  const text = readFileSync(readme, 'utf8');
  const start = text.indexOf(README_START);
  const end = text.indexOf(README_END);
  if (start < 0 || end < start) return;
  const load = require('node:os').loadavg()[0].toFixed(1);
  const body = `Latest run (${new Date().toISOString().slice(0, 10)}, ${require('node:os').cpus().length} cores, ${server}, ${seconds} s, load average ${load} at the end):\n\n${table}\n`;
  const lineEnd = text.indexOf('\n', start) + 1;
  writeFileSync(readme, text.slice(0, lineEnd) + body + text.slice(end));
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}${err?.cause ? `\ncause: ${String(err.cause)}` : ''}\n`);
  process.exit(1);
});
