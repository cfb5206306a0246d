/**
 * Open-loop HTTP load generator, run as its own process: `node dist/bench/openloop.js <json>`
 * prints an OpenLoopResult as JSON on stdout.
 *
 * Request i is due at t0 + i / rate, whatever is still outstanding: a slow server does not slow
 * the sender down (no coordinated omission). Each latency is measured from the request's
 * scheduled time, not from when it actually left, so time a request spent waiting to be sent
 * (generator behind, sockets busy) counts against the server, as a client would see it. The
 * latencies go into an HDR histogram (microseconds, 3 significant digits).
 *
 * Reported besides the percentiles: `late` sends (left more than `lateMs` after their due
 * time: the generator itself could not keep the schedule, so the run measured less than the
 * asked rate), `dropped` sends (not sent because `maxOutstanding` requests were already in
 * flight), `timeouts` (no answer `drainMs` after the last send), non-2xx answers and errors.
 * The first `warmupSeconds` are sent on the same schedule but not recorded.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';
import { ownCpuMs } from './cpu';
import { fill } from './template';

export interface OpenLoopOptions {
  url: string;
  path: string;
  key: string;
  /** requests per second */
  rate: number;
  /** recorded seconds, after the warm-up */
  seconds: number;
  template: unknown;
  warmupSeconds?: number;
  maxOutstanding?: number;
  lateMs?: number;
  drainMs?: number;
  sockets?: number;
  /** Also report figures per window of this many recorded seconds (by each request's due time). */
  windowSeconds?: number;
}

/** One window's figures (`windowSeconds`): requests due in [startSecond, startSecond + windowSeconds). */
export interface OpenLoopWindow {
  startSecond: number;
  ok: number;
  failed: number;
  p50: number;
  p99: number;
  max: number;
}

export interface OpenLoopResult {
  rate: number;
  seconds: number;
  /** recorded (post warm-up) requests scheduled, sent and answered 2xx */
  scheduled: number;
  sent: number;
  ok: number;
  non2xx: number;
  errors: number;
  /** the errors by their code (ECONNRESET, …): a request that got no answer at all */
  errorCodes: Record<string, number>;
  dropped: number;
  timeouts: number;
  late: number;
  maxLateMs: number;
  /** answered requests per second over the recorded window */
  achievedRate: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  statuses: Record<string, number>;
  windows?: OpenLoopWindow[];
  /** every request sent, the warm-up's included */
  sentAll: number;
  /** this generator's own CPU time (ms) */
  cpuMs: number;
}

export async function runOpenLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  const warmup = o.warmupSeconds ?? 2;
  const maxOutstanding = o.maxOutstanding ?? 2000;
  const lateMs = o.lateMs ?? 10;
  const drainMs = o.drainMs ?? 15_000;
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.sockets ?? 256 });
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
  const target = new URL(o.path, o.url);
  const headers = { Authorization: `Bearer ${o.key}`, 'Content-Type': 'application/json' };
  const interval = 1000 / o.rate;
  const warmCount = Math.round(warmup * o.rate);
  const total = warmCount + Math.round(o.seconds * o.rate);
  const stats = { scheduled: 0, sent: 0, ok: 0, non2xx: 0, errors: 0, dropped: 0, late: 0, maxLateMs: 0 };
  const statuses: Record<string, number> = {};
  const errorCodes: Record<string, number> = {};
  const windowMs = o.windowSeconds ? o.windowSeconds * 1000 : 0;
  const windows: { ok: number; failed: number; histogram: hdr.Histogram }[] = [];
  /** The window a recorded request belongs to, by its due time. */
  const windowOf = (due: number) => {
    const w = Math.floor(Math.max(0, due - firstRecorded) / windowMs);
    while (windows.length <= w) {
      windows.push({ ok: 0, failed: 0, histogram: hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 }) });
    }
    return windows[w];
  };
  let outstanding = 0;
  let sentAll = 0;
  let lastAnswer = 0;
  let firstRecorded = 0;

  const send = (i: number, due: number, now: number) => {
    const recorded = i >= warmCount;
    if (recorded) {
      stats.scheduled++;
      const lateBy = now - due;
      if (lateBy > lateMs) stats.late++;
      if (lateBy > stats.maxLateMs) stats.maxLateMs = lateBy;
    }
    if (outstanding >= maxOutstanding) {
      if (recorded) stats.dropped++;
      return;
    }
    outstanding++;
    sentAll++;
    if (recorded) stats.sent++;
    const body = JSON.stringify(fill(o.template, i));
    const req = http.request(target, { method: 'POST', agent, headers: { ...headers, 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => {
        outstanding--;
        const done = performance.now();
        if (!recorded) return;
        lastAnswer = done;
        const status = res.statusCode ?? 0;
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status >= 200 && status < 300) stats.ok++;
        else stats.non2xx++;
        const us = Math.max(1, Math.round((done - due) * 1000));
        histogram.recordValue(us);
        if (windowMs) {
          const w = windowOf(due);
          if (status >= 200 && status < 300) w.ok++;
          else w.failed++;
          w.histogram.recordValue(us);
        }
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      outstanding--;
      if (!recorded) return;
      stats.errors++;
      const code = err.code ?? err.message;
      errorCodes[code] = (errorCodes[code] ?? 0) + 1;
      if (windowMs) windowOf(due).failed++;
    });
    req.end(body);
  };

  const t0 = performance.now() + 20;
  firstRecorded = t0 + warmCount * interval;
  await new Promise<void>((resolve) => {
    let i = 0;
    const tick = () => {
      const now = performance.now();
      while (i < total && t0 + i * interval <= now) {
        send(i, t0 + i * interval, now);
        i++;
      }
      if (i >= total) return resolve();
      setTimeout(tick, Math.max(0, Math.min(1, t0 + i * interval - performance.now())));
    };
    setTimeout(tick, 20);
  });
  const lastDue = t0 + (total - 1) * interval;
  const deadline = performance.now() + drainMs;
  while (outstanding > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const timeouts = outstanding;
  agent.destroy();
  const ms = (v: number) => Math.round(v / 10) / 100;
  const window = Math.max(lastAnswer, lastDue) - firstRecorded;
  return {
    rate: o.rate, seconds: o.seconds, ...stats, timeouts,
    maxLateMs: Math.round(stats.maxLateMs * 100) / 100,
    achievedRate: window > 0 ? stats.ok / (window / 1000) : 0,
    p50: ms(histogram.getValueAtPercentile(50)),
    p90: ms(histogram.getValueAtPercentile(90)),
    p99: ms(histogram.getValueAtPercentile(99)),
    p999: ms(histogram.getValueAtPercentile(99.9)),
    max: ms(histogram.maxValue),
    statuses,
    errorCodes,
    sentAll,
    cpuMs: ownCpuMs(),
    ...(windowMs
      ? {
          windows: windows.map((w, i) => ({
            startSecond: i * (o.windowSeconds as number), ok: w.ok, failed: w.failed,
            p50: ms(w.histogram.getValueAtPercentile(50)), p99: ms(w.histogram.getValueAtPercentile(99)), max: ms(w.histogram.maxValue),
          })),
        }
      : {}),
  };
}

if (require.main === module) {
  runOpenLoop(JSON.parse(process.argv[2]) as OpenLoopOptions)
    .then((r) => process.stdout.write(JSON.stringify(r)))
    .catch((err) => {
      process.stderr.write(`open loop failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    });
}
