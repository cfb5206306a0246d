import { readFileSync } from 'node:fs';
/** A throughput figure over several runs: the median, with the smallest and largest. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

export function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor((sorted.length - 1) / 2)], min: sorted[0], max: sorted[sorted.length - 1], runs: values };
}

/** How many times each throughput figure is measured (median of 3 unless BENCH_RUNS says). */
export const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** Seconds of each closed-loop HTTP run and each same-work raw run; floors run half as long. */
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

/**
 * Runs each measurement `RUNS` times, interleaved (a, b, c, a, b, c, ...), so a noisy moment on
 * a shared machine touches every figure alike; answers each one's spread and its runs' details.
 * `before` runs ahead of every measurement, unmeasured: it settles what the one before left
 * (the growth report marks its writes left, which the worker's fold would otherwise take on
 * during the next measurement, whichever it is).
 */
export async function interleaved<F extends Record<string, { rate: number }>>(
  fns: { [K in keyof F]: (run: number) => Promise<F[K]> },
  opts: { before?: () => Promise<unknown> } = {},
): Promise<{ [K in keyof F]: Spread & { details: F[K][] } }> {
  const keys = Object.keys(fns) as (keyof F & string)[];
  const details: Record<string, { rate: number }[]> = Object.fromEntries(keys.map((k) => [k, []]));
  for (let run = 0; run < RUNS; run++) {
    for (const k of keys) {
      await opts.before?.();
      details[k].push(await fns[k](run));
    }
  }
  return Object.fromEntries(keys.map((k) => [k, { ...spread(details[k].map((d) => d.rate)), details: details[k] }])) as never;
}

/** Connections of the raw baselines: 16 keep two cores busy (more only queue in Postgres). */
export const RAW_CLIENTS = Number(process.env.BENCH_RAW_CLIENTS ?? 16);

/** The machine's CPU time so far, all cores (/proc/stat): busy and total, in ms. */
export interface MachineCpu {
  busyMs: number;
  totalMs: number;
}

export function machineCpu(): MachineCpu {
  // cpu  user nice system idle iowait irq softirq steal ... (in clock ticks of 10 ms)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const totalMs = (user! + nice! + system! + idle! + iowait! + irq! + softirq! + steal!) * 10;
  return { busyMs: totalMs - (idle! + iowait!) * 10, totalMs };
}

/** Between two samples: the CPU time all processes used (ms) and the share of every core it was. */
export function machineBusy(before: MachineCpu, after: MachineCpu): { busyMs: number; share: number } {
  const busyMs = after.busyMs - before.busyMs;
  return { busyMs, share: busyMs / Math.max(1, after.totalMs - before.totalMs) };
}
