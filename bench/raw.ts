import type { Pool, PoolClient } from 'pg';

export interface RawResult {
  count: number;
  seconds: number;
  rate: number;
  p50: number;
  p99: number;
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Runs `tx` on `clients` connections in a loop for `seconds`; answers the rate and latencies. */
export async function rawLoop(pool: Pool, clients: number, seconds: number, tx: (c: PoolClient, i: number) => Promise<void>): Promise<RawResult> {
  const latencies: number[] = [];
  let next = 0;
  const end = Date.now() + seconds * 1000;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      const c = await pool.connect();
      try {
        while (Date.now() < end) {
          const t0 = performance.now();
          await tx(c, next++);
          latencies.push(performance.now() - t0);
        }
      } finally {
        c.release();
      }
    }),
  );
  const elapsed = (Date.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { count: latencies.length, seconds: elapsed, rate: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}
