import { readFileSync } from 'node:fs';
import { machineBusy, machineCpu, type MachineCpu } from './cpu';
import type { BenchEnv } from './env';
import { describeOpenLoop, openLoopClean, openLoopNow, settleDatabase } from './drivers';
import { rawLoop } from './raw';
import { rawRedeemSameWork } from './raw-work';
import { benchAccount, redeemTemplate, type RedemptionBaseline } from './redemptions';
import { RAW_CLIENTS, SECONDS } from './stats';
import { fmt, type Row } from './table';

/**
 * Row 18, the soak: redemptions open loop at 50 % of the raw same-work maximum for
 * `BENCH_SOAK_SECONDS` (default 600), with p99 per minute (from the load generator's per-window
 * histograms) and the resident memory of every process of the service (the API, in the bench
 * process, and each worker) read every second: its peak in each minute, and its value at the
 * minute's end. Met when neither the p99 nor any process's peak RSS grows more than 20 % from the
 * first minute to the last, with nothing dropped or failed. A worker's RSS follows V8's heap,
 * which climbs between full collections (about every 25 s under this load) and drops at each, so
 * a sample at a minute's end lands anywhere on that sawtooth (161 to 351 MB in consecutive
 * minutes of one run); the minute's peak is the top of the sawtooth, which a leak raises. The
 * rate is row 7's when that ran in the same bench run; otherwise the raw same work is measured
 * first (one `BENCH_SECONDS` run). The recorded minutes follow `BENCH_SOAK_WARMUP_SECONDS`
 * (default 60) of the same schedule, unrecorded: a worker whose heap V8 gave back in the idle
 * seconds before the row grows it again over its first minute or two under load, which is not
 * the growth the row looks for.
 */

const SOAK_SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? 600);
const GROWTH_ALLOWED = 1.2;
const WARMUP_SECONDS = Number(process.env.BENCH_SOAK_WARMUP_SECONDS ?? 60);

/** The tables every redemption rewrites a row of, whose dead row versions the soak samples. */
const REWRITTEN = ['codes', 'coupons', 'report_codes', 'report_dirty'];
/**
 * The tables every redemption adds a row to: autovacuum visits them too once enough rows were
 * inserted (to set their pages all-visible and freeze them), writing WAL and full-page images.
 */
const INSERTED = ['redemptions', 'events', 'redemption_requests'];

interface TableSample { dead: number; live: number; autovacuums: number; autoanalyzes: number }

/** Dead and live row versions of the rewritten and the inserted tables, and how often autovacuum visited them (the statistics lag by up to 0.5 s). */
async function tableSample(env: BenchEnv): Promise<Record<string, TableSample>> {
  const { rows } = await env.pool.query<{ relname: string; dead: number; live: number; autovacuums: number; autoanalyzes: number }>(
    `select relname, n_dead_tup::int as dead, n_live_tup::int as live, autovacuum_count::int as autovacuums, autoanalyze_count::int as autoanalyzes
       from pg_stat_user_tables where relname = any($1::text[])`,
    [[...REWRITTEN, ...INSERTED]],
  );
  return Object.fromEntries(rows.map(({ relname, ...t }) => [relname, t]));
}

interface ServerSample { checkpoints: number; walBytes: number; walFullPages: number }

/**
 * The server's checkpoints so far (timed and requested) and the WAL it has written, full-page
 * images among it: a checkpoint makes the first change of every page after it write the whole
 * page, so a minute after one writes more WAL and waits longer on its flushes.
 */
async function serverSample(env: BenchEnv): Promise<ServerSample> {
  const { rows } = await env.pool.query<{ checkpoints: string; wal_bytes: string; wal_fpi: string }>(
    `select (select checkpoints_timed + checkpoints_req from pg_stat_bgwriter) as checkpoints, wal_bytes::text, wal_fpi::text from pg_stat_wal`,
  );
  return { checkpoints: Number(rows[0]!.checkpoints), walBytes: Number(rows[0]!.wal_bytes), walFullPages: Number(rows[0]!.wal_fpi) };
}

/** Resident memory of a process in bytes (VmRSS), 0 when it is gone. */
function rssOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export async function benchSoak(env: BenchEnv, state: { redemptionBaseline?: RedemptionBaseline }): Promise<Row> {
  const { key, raw } = await benchAccount(env);
  let rate = state.redemptionBaseline?.rate50;
  let rawRate: number | null = null;
  if (rate === undefined) {
    rawRate = (await rawLoop(env.pool, RAW_CLIENTS, SECONDS, (c, i) => rawRedeemSameWork(c, raw, i, 'soak'))).rate;
    rate = Math.max(1, Math.round(rawRate * 0.5));
  }
  const processes = [{ name: 'api', pid: process.pid }, ...env.workers.map((w, i) => ({ name: `worker ${i + 1}`, pid: w.child.pid }))];
  // a minute a window; a short soak (BENCH_SOAK_SECONDS < 120) still has a first and a last window
  const windowSeconds = Math.max(1, Math.min(60, Math.floor(SOAK_SECONDS / 2)));
  const rss: { second: number; bytes: Record<string, number> }[] = [];
  // each window's peak RSS by process, from a reading every second
  const rssPeak: { second: number; bytes: Record<string, number> }[] = [];
  let peak: Record<string, number> = {};
  let reader: NodeJS.Timeout | undefined;
  const readRss = (): Record<string, number> => Object.fromEntries(processes.map((p) => [p.name, rssOf(p.pid)]));
  const foldPeak = (bytes: Record<string, number>) => {
    for (const [name, b] of Object.entries(bytes)) peak[name] = Math.max(peak[name] ?? 0, b);
  };
  const sampled: Promise<{ second: number; tables: Record<string, TableSample> } | null>[] = [];
  // how busy the cores were (and how much the hypervisor took) in each window: a p99 that follows them is the machine's
  const cpuAt: MachineCpu[] = [];
  const serverAt: Promise<ServerSample | null>[] = [];
  const sampleServer = () => serverAt.push(serverSample(env).catch(() => null));
  // samples at the end of each window of the recorded run (the generator starts about 20 ms after it is spawned, then warms up)
  let sampler: NodeJS.Timeout | undefined;
  let starter: NodeJS.Timeout | undefined;
  const startSampling = () => {
    const t0 = Date.now() + WARMUP_SECONDS * 1000;
    let n = 1;
    starter = setTimeout(() => {
      cpuAt.push(machineCpu());
      sampleServer();
      peak = {};
      foldPeak(readRss());
      reader = setInterval(() => foldPeak(readRss()), 1000);
    }, Math.max(0, t0 - Date.now()));
    const next = () => {
      sampler = setTimeout(() => {
        const second = n * windowSeconds;
        cpuAt.push(machineCpu());
        sampleServer();
        const end = readRss();
        rss.push({ second, bytes: end });
        foldPeak(end);
        rssPeak.push({ second, bytes: peak });
        peak = {};
        sampled.push(tableSample(env).then((t) => ({ second, tables: t }), () => null));
        n++;
        if (n * windowSeconds <= SOAK_SECONDS) next();
      }, Math.max(0, t0 + n * windowSeconds * 1000 - Date.now()));
    };
    next();
  };
  let run;
  await settleDatabase(env);
  try {
    const running = openLoopNow(env, key, '/v1/redemptions', redeemTemplate('OPEN', 'soak'), rate, SOAK_SECONDS, { windowSeconds, warmupSeconds: WARMUP_SECONDS });
    startSampling();
    run = await running;
  } finally {
    clearTimeout(starter);
    clearTimeout(sampler);
    clearInterval(reader);
  }
  const tables = (await Promise.all(sampled)).filter((t) => t !== null);
  const cores = cpuAt.slice(1).map((c, i) => {
    const m = machineBusy(cpuAt[i]!, c);
    return { second: (i + 1) * windowSeconds, busy: m.share, stolen: m.stolen };
  });
  // each window's checkpoints begun and WAL written (MB, and full-page images)
  const serverSamples = await Promise.all(serverAt);
  const server = serverSamples.slice(1).map((b, i) => {
    const a = serverSamples[i];
    return a && b
      ? { second: (i + 1) * windowSeconds, checkpoints: b.checkpoints - a.checkpoints, walMB: (b.walBytes - a.walBytes) / 1048576, walFullPages: b.walFullPages - a.walFullPages }
      : null;
  });
  const pct = (v: number | undefined) => (v === undefined ? '—' : `${Math.round(v * 100)} %`);
  const windows = (run.windows ?? []).filter((w) => w.startSecond + windowSeconds <= SOAK_SECONDS);
  const first = windows[0];
  const last = windows.at(-1);
  const p99Growth = first && last && first.p99 > 0 ? last.p99 / first.p99 : null;
  const rssGrowth = Object.fromEntries(
    processes.map((p) => {
      const a = rssPeak[0]?.bytes[p.name] ?? 0;
      const b = rssPeak.at(-1)?.bytes[p.name] ?? 0;
      return [p.name, a > 0 ? b / a : null];
    }),
  ) as Record<string, number | null>;
  const worstRss = Math.max(...Object.values(rssGrowth).map((g) => g ?? Infinity));
  const met = p99Growth !== null && p99Growth <= GROWTH_ALLOWED && worstRss <= GROWTH_ALLOWED && openLoopClean(run) && windows.length >= 2;
  const minutes = windowSeconds === 60 ? 'minute' : `${windowSeconds} s`;
  const dead = (i: number) => REWRITTEN.reduce((n, t) => n + (tables.at(i)?.tables[t]?.dead ?? 0), 0);
  const rssText = processes.map((p) => `${p.name} ${fmt.mb(rssPeak[0]?.bytes[p.name] ?? 0)}→${fmt.mb(rssPeak.at(-1)?.bytes[p.name] ?? 0)}`).join(', ');
  return {
    row: 18,
    name: `Soak: redemptions open loop at 50 % of raw max (${rate}/s, ${fmt.s(SOAK_SECONDS * 1000)} after ${fmt.s(WARMUP_SECONDS * 1000)} unrecorded), first vs last ${minutes}`,
    ours: `p99 ${first ? fmt.ms(first.p99) : '—'} → ${last ? fmt.ms(last.p99) : '—'}; peak RSS ${rssText}; dead row versions ${dead(0).toLocaleString('en-US')}→${dead(-1).toLocaleString('en-US')}; cores busy ${pct(cores[0]?.busy)}→${pct(cores.at(-1)?.busy)}, stolen ${pct(cores[0]?.stolen)}→${pct(cores.at(-1)?.stolen)}`,
    raw: rawRate === null ? 'rate from row 7' : `same-work max ${fmt.rate(rawRate)}`,
    ratio: null,
    target: 'p99 and each peak RSS grow ≤ 20 %',
    met,
    details: { rate, seconds: SOAK_SECONDS, windowSeconds, p99Growth, rssGrowth, windows, rssPeak, rss, tables, cores, server, overall: describeOpenLoop(run), run: { ...run, windows: undefined } },
  };
}
