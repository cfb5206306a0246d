import { Client, type Pool, type PoolClient } from 'pg';
import type { Logger } from '../logger';
import { isDatabaseUnavailable } from '../faults';
import { createOrm, type DbTimeouts, type Em, type Orm } from './orm';
import { pgPool } from './pg-client';

/**
 * Streaming replicas (`DATABASE_READ_URL`) for stats, reports and exports. Each replica has a
 * pool of its own and is probed every second on a connection of its own: whether it answers,
 * and how far its replay lags the primary (0 when it has replayed all it received). A replica
 * that does not answer — at a probe, or under a read — is left aside until a probe finds it
 * again, and the read runs on the primary. Without replicas every read runs on the primary.
 */

export const REPLICA_PROBE_EVERY_MS = 1000;
const PROBE_TIMEOUT_MS = 1500;

/** A read the replica refused because replay had to remove rows it still needed: the primary answers it. */
const RECOVERY_CONFLICT = '40001';

export interface ReplicaState {
  /** host:port/database of the replica (no credentials). */
  name: string;
  up: boolean;
  /** Seconds its replay lags behind what it received (null while it does not answer). */
  lagSeconds: number | null;
}

interface Replica {
  name: string;
  url: string;
  orm: Orm;
  up: boolean;
  lagSeconds: number | null;
  probe: Client | null;
}

function nameOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return 'replica';
  }
}

const fallsBack = (err: unknown) => isDatabaseUnavailable(err) || (err as { code?: string })?.code === RECOVERY_CONFLICT;

/** The lag query: 0 when every received change is replayed, else seconds since the last replayed commit. */
const LAG_SQL = `select case when not pg_is_in_recovery() or pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() then 0
  else coalesce(extract(epoch from now() - pg_last_xact_replay_timestamp()), 0) end::float8 as lag`;

export class ReadReplicas {
  private readonly replicas: Replica[];
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  private constructor(private readonly primary: Orm, replicas: Replica[], private readonly logger: Logger) {
    this.replicas = replicas;
  }

  /** Pools for each replica URL (connecting lazily, so a replica down at start does not stop it). */
  static async open(primary: Orm, urls: string[], opts: { poolMax: number; timeouts: DbTimeouts; logger: Logger }): Promise<ReadReplicas> {
    const replicas = await Promise.all(urls.map(async (url) => ({
      name: nameOf(url), url, orm: await createOrm({ databaseUrl: url, poolMax: opts.poolMax, timeouts: opts.timeouts }),
      up: true, lagSeconds: null, probe: null,
    })));
    const r = new ReadReplicas(primary, replicas, opts.logger);
    if (replicas.length > 0) {
      await Promise.all(replicas.map((x) => r.probeOne(x)));
      r.start();
    }
    return r;
  }

  get count(): number {
    return this.replicas.length;
  }

  states(): ReplicaState[] {
    return this.replicas.map((r) => ({ name: r.name, up: r.up, lagSeconds: r.lagSeconds }));
  }

  /** The next replica that answers (round robin), or null: then the primary. */
  private pick(): Replica | null {
    for (let i = 0; i < this.replicas.length; i += 1) {
      const r = this.replicas[(this.next + i) % this.replicas.length];
      if (r.up) {
        this.next = (this.next + i + 1) % this.replicas.length;
        return r;
      }
    }
    return null;
  }

  /**
   * Runs a read on a replica, or on the primary when none answers. A replica that fails under it
   * with a connection error (or a recovery conflict) is left aside and the read runs again on the
   * primary, so the caller sees an answer whenever the primary gives one.
   */
  async run<T>(read: (em: Em) => Promise<T>): Promise<T> {
    const r = this.pick();
    if (!r) return read(this.primary.em.fork());
    try {
      return await read(r.orm.em.fork());
    } catch (err) {
      if (!fallsBack(err)) throw err;
      if (isDatabaseUnavailable(err)) this.setUp(r, false, err);
      return read(this.primary.em.fork());
    }
  }

  /** A pooled client for a streamed export: from a replica when one answers, else from the primary. */
  async connect(): Promise<{ client: PoolClient; replica: string | null }> {
    const r = this.pick();
    if (r) {
      try {
        return { client: await (await pgPool(r.orm)).connect(), replica: r.name };
      } catch (err) {
        if (!fallsBack(err)) throw err;
        this.setUp(r, false, err);
      }
    }
    const pool: Pool = await pgPool(this.primary);
    return { client: await pool.connect(), replica: null };
  }

  private start(): void {
    const tick = () => {
      if (this.stopped) return;
      void Promise.all(this.replicas.map((r) => this.probeOne(r))).finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, REPLICA_PROBE_EVERY_MS).unref();
      });
    };
    this.timer = setTimeout(tick, REPLICA_PROBE_EVERY_MS).unref();
  }

  private async probeOne(r: Replica): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const lag = await Promise.race([
        (async () => {
          if (!r.probe) {
            const client = new Client({ connectionString: r.url, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
            client.on('error', () => undefined);
            client.on('end', () => {
              if (r.probe === client) r.probe = null;
            });
            r.probe = client;
            await client.connect();
          }
          const res = await r.probe.query(LAG_SQL);
          return Number(res.rows[0].lag);
        })(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(Object.assign(new Error('probe timed out'), { code: 'ETIMEDOUT' })), PROBE_TIMEOUT_MS);
        }),
      ]);
      r.lagSeconds = lag;
      this.setUp(r, true);
    } catch (err) {
      const client = r.probe;
      r.probe = null;
      client?.end().catch(() => undefined);
      r.lagSeconds = null;
      this.setUp(r, false, err);
    } finally {
      clearTimeout(timer);
    }
  }

  private setUp(r: Replica, up: boolean, err?: unknown): void {
    if (!up) r.lagSeconds = null;
    if (this.stopped || r.up === up) return;
    r.up = up;
    if (!up) {
      const e = err as { code?: string; message?: string } | undefined;
      this.logger.warn('read replica unreachable; stats, reports and exports read from the primary', { replica: r.name, reason: e?.code ?? e?.message ?? 'unknown' });
    } else {
      this.logger.info('read replica reachable again', { replica: r.name });
    }
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await Promise.all(this.replicas.map(async (r) => {
      await r.probe?.end().catch(() => undefined);
      await r.orm.close(true).catch(() => undefined);
    }));
  }
}
