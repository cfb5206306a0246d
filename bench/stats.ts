import { cpuPerRequest, cpuSnapshot, medianCpu, type CpuPerRequest } from './cpu';
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

/** What a measurement answers: its rate and how many requests it served (the load generator's own CPU if it ran one). */
export interface Measured {
  rate: number;
  count: number;
  generatorCpuMs?: number;
}

/**
 * Runs each measurement `RUNS` times, interleaved (a, b, c, a, b, c, ...), so a noisy moment on
 * a shared machine touches every figure alike; answers each one's spread, its runs' details and
 * the machine's CPU per request by process (bench/cpu.ts; `cpu` is the median of the runs').
 * `before` runs ahead of every measurement, unmeasured: it settles what the one before left
 * (the growth report marks its writes left, which the worker's fold would otherwise take on
 * during the next measurement, whichever it is).
 */
export async function interleaved<F extends Record<string, Measured>>(
  fns: { [K in keyof F]: (run: number) => Promise<F[K]> },
  opts: { before?: () => Promise<unknown> } = {},
): Promise<{ [K in keyof F]: Spread & { details: (F[K] & { cpu: CpuPerRequest })[]; cpu: CpuPerRequest } }> {
  const keys = Object.keys(fns) as (keyof F & string)[];
  const details: Record<string, (Measured & { cpu: CpuPerRequest })[]> = Object.fromEntries(keys.map((k) => [k, []]));
  for (let run = 0; run < RUNS; run++) {
    for (const k of keys) {
      await opts.before?.();
      const before = cpuSnapshot();
      const d = await fns[k](run);
      details[k].push({ ...d, cpu: cpuPerRequest(before, cpuSnapshot(), d.count, d.generatorCpuMs) });
    }
  }
  return Object.fromEntries(keys.map((k) => [k, {
    ...spread(details[k].map((d) => d.rate)), details: details[k], cpu: medianCpu(details[k].map((d) => d.cpu)),
  }])) as never;
}

/** Connections of the raw baselines: 16 keep two cores busy (more only queue in Postgres). */
export const RAW_CLIENTS = Number(process.env.BENCH_RAW_CLIENTS ?? 16);
