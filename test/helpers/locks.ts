import { Client } from 'pg';

/** A transaction of its own that holds a lock; `change` runs SQL in it, `commit` ends it. */
export interface HeldLock {
  change(q: string, p?: unknown[]): Promise<unknown>;
  commit(): Promise<void>;
}

/** Opens a transaction on `databaseUrl`, runs `lockSql` in it and keeps it open. */
export async function holdLock(databaseUrl: string, lockSql: string | { text: string; values?: unknown[] }, params: unknown[] = []): Promise<HeldLock> {
  const c = new Client({ connectionString: databaseUrl });
  await c.connect();
  await c.query('begin');
  if (typeof lockSql === 'string') await c.query(lockSql, params);
  else await c.query(lockSql.text, lockSql.values);
  return {
    change: (q, p = []) => c.query(q, p),
    commit: async () => {
      await c.query('commit');
      await c.end();
    },
  };
}

/** Waits until some session of the database waits for a lock (a statement queued behind a held one). */
export async function untilWaitingOnLock(databaseUrl: string, timeoutMs = 20_000): Promise<void> {
  const c = new Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const { rows } = await c.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
      );
      if (rows[0].n > 0) return;
      await new Promise((res) => setTimeout(res, 20));
    }
    throw new Error('nothing ever waited for the held lock');
  } finally {
    await c.end();
  }
}
