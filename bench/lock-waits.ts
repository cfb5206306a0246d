import type { Pool } from 'pg';

/**
 * How many of the database's client backends wait on a lock while a load runs: `pg_stat_activity`
 * read every `everyMs` on a connection of its own (its own backend left out). A row lock that
 * binds shows as backends waiting on `transactionid` (the row's locker) or `tuple` (queued
 * behind another waiter for the same row).
 */
export interface LockWaits {
  samples: number;
  /** Backends waiting on a lock, on average over the samples. */
  meanWaiting: number;
  /** Backends active (running a statement or waiting in one), on average. */
  meanActive: number;
  /** Share of the samples that saw at least one backend waiting on a lock. */
  shareWithWaiter: number;
  /** Lock waits seen, summed over the samples, by `wait_event` (`transactionid`, `tuple`, …). */
  byEvent: Record<string, number>;
  /** The same waits by the waiting statement's first 100 characters (whitespace folded). */
  byStatement: Record<string, number>;
}

const SAMPLE = `
  select wait_event_type, wait_event, state, case when wait_event_type = 'Lock' then left(regexp_replace(query, '\\s+', ' ', 'g'), 100) end as query
    from pg_stat_activity
   where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'`;

/** Starts sampling; `stop()` ends it and returns what it saw. */
export async function sampleLockWaits(pool: Pool, everyMs = 20): Promise<{ stop(): Promise<LockWaits> }> {
  const client = await pool.connect();
  const byEvent: Record<string, number> = {};
  const byStatement: Record<string, number> = {};
  let samples = 0;
  let waiting = 0;
  let active = 0;
  let withWaiter = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const started = Date.now();
      const { rows } = await client.query<{ wait_event_type: string | null; wait_event: string | null; state: string | null; query: string | null }>(SAMPLE);
      samples++;
      let w = 0;
      for (const r of rows) {
        if (r.state === 'active') active++;
        if (r.wait_event_type === 'Lock') {
          w++;
          const ev = r.wait_event ?? 'unknown';
          byEvent[ev] = (byEvent[ev] ?? 0) + 1;
          const q = r.query ?? '';
          byStatement[q] = (byStatement[q] ?? 0) + 1;
        }
      }
      waiting += w;
      if (w > 0) withWaiter++;
      await new Promise((r) => setTimeout(r, Math.max(0, everyMs - (Date.now() - started))));
    }
  })();
  return {
    async stop() {
      stopped = true;
      try {
        await loop;
      } finally {
        client.release();
      }
      const n = Math.max(1, samples);
      return { samples, meanWaiting: waiting / n, meanActive: active / n, shareWithWaiter: withWaiter / n, byEvent, byStatement };
    },
  };
}
