import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openBenchEnv } from './env';
import { benchBatch } from './batches';
import { benchInvoices } from './invoices';
import { benchReports, seedReportData } from './reports';
import { benchRedemptions } from './redemptions';
import { benchWebhooks } from './webhooks';
import { benchGrowthReports } from './growth-reports';
import { fmt, renderTable, type Row } from './table';

/** `npm run bench`: every hot path against the raw limit measured in the same run. */
async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const want = (n: number) => only.length === 0 || only.includes(String(n));
  const env = await openBenchEnv();
  const rows: Row[] = [];
  const started = Date.now();
  try {
    await env.startWorkers(2);
    const add = (r: Row) => {
      rows.push(r);
      process.stdout.write(`row ${r.row} ${r.name}: ${r.ours} | raw ${r.raw} | ratio ${r.ratio === null ? '—' : r.ratio.toFixed(2)}\n`);
    };
    // Each row starts from a quiet database: the previous row's writes are checkpointed first,
    // so no row pays for another's dirty buffers (and neither does its raw baseline).
    const settle = () => env.pool.query('checkpoint');
    if (want(2) || want(3) || want(6)) {
      await settle();
      (await benchRedemptions(env)).filter((r) => want(r.row)).forEach(add);
    }
    if (want(4)) {
      await settle();
      add(await benchInvoices(env));
    }
    if (want(1) || want(5)) {
      // a fresh worker process, so its peak RSS is the batch's and not the earlier rows'
      await env.stopWorkers();
      await env.startWorkers(1);
      await settle();
      const b = await benchBatch(env);
      if (want(1)) add(b.row);
      if (want(5)) {
        const em = env.api.ctx.orm.em.fork();
        await seedReportData(em, { codes: Number(process.env.BENCH_BATCH_COUNT ?? 1_000_000), redemptions: 100_000, existing: b });
        await settle();
        const ms = await benchReports(em, b.accountId, b.couponId, 5);
        add({
          row: 5, name: 'Reports: coupon stats, 1M codes, 100k redemptions', ours: `${fmt.ms(ms)} per call (median of 5)`, raw: '—',
          ratio: null, target: '< 1,000 ms', met: ms < 1000, details: { ms },
        });
      }
    }
    if (want(7)) add(await benchWebhooks());
    if (want(12)) {
      await settle();
      add(await benchGrowthReports(env));
    }
  } finally {
    await env.close();
  }
  rows.sort((a, b) => a.row - b.row);
  const table = renderTable(rows);
  process.stdout.write(`\n${table}\n\ntotal ${Math.round((Date.now() - started) / 1000)} s\n`);
  const out = path.join(__dirname, '../../bench/results/latest.json');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), machine: { cpus: require('node:os').cpus().length }, rows, table }, null, 2) + '\n');
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}${err?.cause ? `\ncause: ${String(err.cause)}` : ''}\n`);
  process.exit(1);
});
