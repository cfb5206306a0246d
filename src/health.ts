import { Client } from 'pg';
import type { RedisConnection } from './queues/connection';
import type { Logger } from './logger';
import type { HealthView } from './faults';

/** How often PostgreSQL is probed, and how long one probe may take. */
export const DB_PROBE_EVERY_MS = 1000;
export const DB_PROBE_TIMEOUT_MS = 1500;

/** A URL without its password, for log lines and messages. */
export function redactUrl(url: string): string {
  if (url.includes(',')) return url.split(',').map(redactUrl).join(',');
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/**
 * While PostgreSQL counts as down, a request may start a probe of its own (one at a time, at
 * most one per this many milliseconds) and wait for it up to RECHECK_WAIT_MS: the first
 * request after the server is back finds it back, instead of waiting for the next timed probe.
 */
export const RECHECK_EVERY_MS = 100;
export const RECHECK_WAIT_MS = 250;

/** Probes in a row without an answer in time before PostgreSQL counts as down. */
export const SLOW_PROBES_FOR_OUTAGE = 3;

/** Waits for `p` to settle, or `ms` at most. */
async function waitAtMost(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([p, new Promise((resolve) => { timer = setTimeout(resolve, ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

function isTimeout(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === 'ETIMEDOUT' || /timeout|timed out/i.test(e?.message ?? '');
}

function reason(err: unknown): string {
  const e = err as { code?: string; message?: string; errors?: { code?: string; message?: string }[] };
  const inner = Array.isArray(e?.errors) ? e.errors[0] : undefined;
  return e?.code ?? inner?.code ?? e?.message ?? inner?.message ?? String(err);
}

/**
 * Whether PostgreSQL and Redis can be reached right now, as this process sees them. An outage is
 * logged once when it starts and once when it ends, whatever the number of failing requests,
 * jobs and reconnect attempts in between. PostgreSQL is probed every second on a connection of its
 * own (outside the pool, so a busy pool is not an outage); Redis is followed through the
 * producer connection's events (ioredis reconnects by itself).
 */
export class ServiceHealth implements HealthView {
  private dbUp = true;
  private redisIsUp = true;
  private redisReason = '';
  private probeClient: Client | null = null;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private downSince = { database: 0, redis: 0 };

  private readonly outageListeners: (() => void)[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly urls: { databaseUrl: string; redisUrl: string },
    /** How long a request's look may take (RECHECK_WAIT_MS unless a test says otherwise). */
    private readonly recheckWaitMs = RECHECK_WAIT_MS,
  ) {}

  /** Calls `listener` each time PostgreSQL or Redis starts counting as down. */
  onOutage(listener: () => void): void {
    this.outageListeners.push(listener);
  }

  private outageBegan(): void {
    for (const l of this.outageListeners) l();
  }

  get databaseUp(): boolean {
    return this.dbUp;
  }

  get redisUp(): boolean {
    return this.redisIsUp;
  }

  /** Starts probing PostgreSQL. */
  start(): void {
    const tick = () => {
      if (this.stopped) return;
      void this.probeDatabase().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, DB_PROBE_EVERY_MS).unref();
      });
    };
    this.timer = setTimeout(tick, DB_PROBE_EVERY_MS).unref();
  }

  /** Follows a Redis connection: its errors are not logged one by one, only the outage. */
  watchRedis(connection: RedisConnection): void {
    connection.on('error', (err: Error) => {
      this.redisReason = reason(err);
    });
    connection.on('close', () => this.setRedis(false));
    connection.on('end', () => this.setRedis(false));
    connection.on('ready', () => this.setRedis(true));
  }

  private probing: Promise<boolean> | null = null;
  private lastProbeEnd = 0;

  /**
   * Whether PostgreSQL is up, looking again when it counts as down, for up to RECHECK_WAIT_MS:
   * joins the probe under way or starts one (at most one per RECHECK_EVERY_MS, waiting for that
   * gap when the last probe ended less than it ago), and looks again while time is left. A probe
   * that ended just before the server came back, or one that started while it was still starting
   * up and then failed, does not answer for the server as it is now.
   */
  async recheckDatabase(): Promise<boolean> {
    const deadline = Date.now() + this.recheckWaitMs;
    while (!this.dbUp && !this.stopped) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      if (!this.probing) {
        const gap = this.lastProbeEnd + RECHECK_EVERY_MS - Date.now();
        if (gap >= left) break;
        if (gap > 0) {
          await new Promise((r) => setTimeout(r, gap));
          continue;
        }
      }
      await waitAtMost(this.probeDatabase(), left);
    }
    return this.dbUp;
  }

  /**
   * Whether PostgreSQL may be used for work that cannot be taken back (a job route's enqueue):
   * waits for the probe under way, if any (one started because a connection was just lost, say),
   * up to RECHECK_WAIT_MS, and looks again when it counts as down.
   */
  async databaseAvailable(): Promise<boolean> {
    if (this.probing) await waitAtMost(this.probing, this.recheckWaitMs);
    return this.dbUp || this.recheckDatabase();
  }

  /**
   * A connection to PostgreSQL ended without being asked to (the server stopped or crashed, or
   * the network dropped it): look at once, so the outage counts from now rather than from the
   * next timed probe, and no request meanwhile enqueues work that would only wait for it.
   */
  connectionLost(): void {
    if (!this.stopped) void this.probeDatabase();
  }

  /** Probes in a row that got no answer in time (a busy machine, not yet an outage). */
  private slowProbes = 0;

  /** One probe (joined by callers while it runs): `select 1` on the probe connection, made anew after a failure. */
  probeDatabase(): Promise<boolean> {
    this.probing ??= this.probeOnce().finally(() => {
      this.probing = null;
      this.lastProbeEnd = Date.now();
    });
    return this.probing;
  }

  private async probeOnce(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        (async () => {
          if (!this.probeClient) {
            const client = new Client({ connectionString: this.urls.databaseUrl, connectionTimeoutMillis: DB_PROBE_TIMEOUT_MS });
            client.on('error', () => undefined);
            // the probe connection closed under us (a failed probe drops it first)
            client.on('end', () => {
              if (this.probeClient !== client) return;
              this.probeClient = null;
              this.connectionLost();
            });
            this.probeClient = client;
            await client.connect();
          }
          await this.probeClient.query('select 1');
        })(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(Object.assign(new Error('probe timed out'), { code: 'ETIMEDOUT' })), DB_PROBE_TIMEOUT_MS);
        }),
      ]);
      this.slowProbes = 0;
      this.setDatabase(true);
      return true;
    } catch (err) {
      const client = this.probeClient;
      this.probeClient = null;
      client?.end().catch(() => undefined);
      // A refusal or a dropped connection is an outage at once; no answer in time only after
      // SLOW_PROBES_FOR_OUTAGE probes in a row (a loaded server or machine answers late).
      const slow = isTimeout(err);
      this.slowProbes = slow ? this.slowProbes + 1 : 0;
      if (!slow || this.slowProbes >= SLOW_PROBES_FOR_OUTAGE) this.setDatabase(false, reason(err));
      return this.dbUp;
    } finally {
      clearTimeout(timer);
    }
  }

  private setDatabase(up: boolean, why = ''): void {
    if (this.stopped || up === this.dbUp) return;
    this.dbUp = up;
    if (!up) {
      this.downSince.database = Date.now();
      this.outageBegan();
      this.logger.error('PostgreSQL unreachable; /v1 answers 503 database_unavailable until it is back', { url: redactUrl(this.urls.databaseUrl), reason: why });
    } else {
      this.logger.info('PostgreSQL reachable again', { url: redactUrl(this.urls.databaseUrl), downMs: Date.now() - this.downSince.database });
    }
  }

  private setRedis(up: boolean): void {
    if (this.stopped || up === this.redisIsUp) return;
    this.redisIsUp = up;
    if (!up) {
      this.downSince.redis = Date.now();
      this.outageBegan();
      this.logger.error('Redis unreachable; routes that enqueue answer 503 queue_unavailable until it is back', { url: redactUrl(this.urls.redisUrl), reason: this.redisReason || 'connection closed' });
    } else {
      this.logger.info('Redis reachable again', { url: redactUrl(this.urls.redisUrl), downMs: Date.now() - this.downSince.redis });
    }
  }

  /** Stops probing and logging (at shutdown, closing connections is not an outage). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const client = this.probeClient;
    this.probeClient = null;
    await client?.end().catch(() => undefined);
  }
}
