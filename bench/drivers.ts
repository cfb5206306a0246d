import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { foldReportRollups, type ReportFoldResult } from '../src/services/report-rollups';
import type { BenchEnv } from './env';
import type { OpenLoopOptions, OpenLoopResult } from './openloop';
import { cpuPerRequest, cpuSnapshot, describeCpu, machineBusy, type CpuPerRequest } from './cpu';

export interface ClosedLoopResult { rate: number; count: number; p50: number; p99: number; non2xx: number; errors: number; timeouts: number; generatorCpuMs: number }

/** Runs a load generator script of bench/ in its own process and parses the JSON it prints. */
function child<T>(script: string, opts: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [join(__dirname, script), JSON.stringify(opts)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as T) : reject(new Error(`${script} exited ${code}`))));
  });
}

/** Closed loop (autocannon, bench/load.ts): `connections` keep one request each in flight for `seconds`. */
export async function closedLoop(env: BenchEnv, key: string, path: string, template: unknown, connections: number, seconds: number): Promise<ClosedLoopResult> {
  const { rps, total, cpuMs, ...r } = await child<Omit<ClosedLoopResult, 'rate' | 'count' | 'generatorCpuMs'> & { rps: number; total: number; cpuMs: number }>(
    'load.js', { url: env.url, path, key, connections, seconds, template },
  );
  return { ...r, rate: rps, count: total, generatorCpuMs: cpuMs };
}

/**
 * Brings the database to steady state before a latency row: VACUUM ANALYZE and a CHECKPOINT, so
 * the maintenance the previous row's load still owes (autovacuum of the rows a saturating
 * throughput run or a million-code batch just wrote, the checkpoint of their WAL) does not run
 * during the measurement and get counted as this row's latency.
 */
export async function settleDatabase(env: BenchEnv): Promise<void> {
  await foldPending(env);
  await env.pool.query('vacuum analyze');
  await env.pool.query('checkpoint').catch(() => undefined); // needs pg_checkpoint or a superuser
}

/**
 * Folds every growth report rollup mark not folded yet, as the worker's fold does within a second
 * of a change: a seed written in bulk leaves one mark per row, which a running system would have
 * folded long before.
 */
export async function foldPending(env: BenchEnv): Promise<ReportFoldResult> {
  const em = env.api.ctx.orm.em.fork();
  const total: ReportFoldResult = { rebuilt: 0, marks: 0, subscriptions: 0, busy: false };
  for (let step = await foldReportRollups(em); step.marks > 0 || step.rebuilt > 0; step = await foldReportRollups(em)) {
    total.rebuilt += step.rebuilt;
    total.marks += step.marks;
    total.subscriptions += step.subscriptions;
  }
  return total;
}

/** Open loop (bench/openloop.ts): `rate` requests a second on a fixed schedule, from a settled database. */
/** An open-loop run's figures, with how busy the machine's cores were and its CPU per request by process (warm-up included). */
export type OpenLoopRun = OpenLoopResult & { coresBusy: number; coresStolen: number; cpu: CpuPerRequest };

export async function openLoop(env: BenchEnv, key: string, path: string, template: unknown, rate: number, seconds: number, extra: Partial<OpenLoopOptions> = {}): Promise<OpenLoopRun> {
  await settleDatabase(env);
  return openLoopNow(env, key, path, template, rate, seconds, extra);
}

/** openLoop without settling first: the generator is spawned at once (for a caller that settled already). */
export async function openLoopNow(env: BenchEnv, key: string, path: string, template: unknown, rate: number, seconds: number, extra: Partial<OpenLoopOptions> = {}): Promise<OpenLoopRun> {
  const before = cpuSnapshot();
  const r = await child<OpenLoopResult>('openloop.js', { url: env.url, path, key, rate, seconds, template, ...extra } satisfies OpenLoopOptions);
  const after = cpuSnapshot();
  // how busy the machine's cores were over the run (warm-up included): every process, the generator's too
  const machine = machineBusy(before.machine, after.machine);
  return { ...r, coresBusy: machine.share, coresStolen: machine.stolen, cpu: cpuPerRequest(before, after, r.sentAll, r.cpuMs) };
}

/** What the failed requests got: "503 ×2, ECONNRESET ×1". */
function failures(r: OpenLoopResult): string {
  const non2xx = Object.entries(r.statuses).filter(([status]) => !status.startsWith('2'));
  return [...non2xx, ...Object.entries(r.errorCodes ?? {})].map(([what, n]) => `${what} ×${n}`).join(', ');
}

/** "p50 4.1 ms, p99 18 ms, p99.9 40 ms", plus whatever went wrong (late, dropped, failed). */
export function describeOpenLoop(r: OpenLoopResult & Partial<OpenLoopRun>): string {
  const ms = (v: number) => (v < 10 ? v.toFixed(1) : String(Math.round(v)));
  const bad = [
    r.late ? `${r.late} late` : '', r.dropped ? `${r.dropped} dropped` : '', r.timeouts ? `${r.timeouts} unanswered` : '',
    r.non2xx + r.errors ? `${r.non2xx + r.errors} failed (${failures(r)})` : '',
  ].filter(Boolean);
  const stolen = (r.coresStolen ?? 0) >= 0.01 ? `, ${Math.round(r.coresStolen! * 100)} % stolen` : '';
  const busy = r.coresBusy === undefined ? '' : `, cores ${Math.round(r.coresBusy * 100)} % busy${stolen}${r.cpu ? ` (${describeCpu(r.cpu)})` : ''}`;
  return `p50 ${ms(r.p50)} ms, p99 ${ms(r.p99)} ms, max ${ms(r.max)} ms${bad.length ? `, ${bad.join(', ')}` : ', none late or dropped'}${busy}`;
}

/**
 * An open-loop run counts only when every request was sent and answered 2xx. Late sends are
 * reported but allowed: their latency is measured from the due time, so they already count.
 */
export function openLoopClean(r: Pick<OpenLoopResult, 'dropped' | 'timeouts' | 'non2xx' | 'errors'>): boolean {
  return r.dropped === 0 && r.timeouts === 0 && r.non2xx === 0 && r.errors === 0;
}
