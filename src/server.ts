import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Config } from '../config';
import type { AppContext } from './context';
import { openDatabase } from './db/orm';
import { pgPool } from './db/pg-client';
import { ReadReplicas } from './db/read-replicas';
import { createApp } from './http/app';
import { routes } from './http/routes';
import { mountOps } from './http/routes/ops';
import { mountConsole } from './http/console';
import { createLogger, type Logger } from './logger';
import { createRedis } from './queues/connection';
import { JobWaiter } from './queues/job-waiter';
import { closeQueues, createQueues } from './queues/producers';
import { QUEUES } from './queues/names';
import { startWorkers, type Workers } from './worker';
import { startSchedulers } from './schedulers';
import { startWebhookRelay } from './services/webhook-relay';
import { closeWebhookRuntime } from './services/webhook-delivery';
import { GuessLimiter } from './rate-limit';
import { ServiceHealth } from './health';
import { systemClock, type Clock } from './clock';

export interface Running {
  ctx: AppContext;
  app?: Express;
  server?: Server;
  url?: string;
  workers?: Workers;
  /** Stops taking work, lets running jobs finish (up to the deadline), closes connections. */
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** Listen on this port instead of config.port (0 = any free port). */
  port?: number;
  /** Where requests and jobs read the time (default: the system clock). */
  clock?: Clock;
}

async function bounded(p: Promise<unknown>, ms: number, what: string, logger: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), ms); });
  const outcome = await Promise.race([p.then(() => 'done', () => 'done'), late]);
  clearTimeout(timer);
  if (outcome === 'late') logger.warn('shutdown: gave up waiting', { what, ms });
}

/** Builds the context and starts the roles the config asks for. */
export async function start(config: Config, opts: StartOptions = {}): Promise<Running> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const orm = await openDatabase({ databaseUrl: config.databaseUrl, poolMax: config.databasePoolMax, timeouts: config.databaseTimeouts });
  const redis = createRedis({ url: config.redisUrl, cluster: config.redisCluster }, 'producer', { autoPipelining: config.redisAutoPipelining });
  const health = new ServiceHealth(logger, { databaseUrl: config.databaseUrl, redisUrl: config.redisUrl });
  health.watchRedis(redis);
  // an idle pooled connection that the server closed is news of an outage before any probe
  (await pgPool(orm)).on('error', () => health.connectionLost());
  // The guessing defence's reads and counts go through a connection of their own with
  // auto-pipelining: what concurrent requests send in one turn of the event loop leaves in one
  // write. No BullMQ command goes through it.
  const guessRedis = createRedis({ url: config.redisUrl, cluster: config.redisCluster }, 'producer', { autoPipelining: true });
  guessRedis.on('error', () => {});
  const ready = (r: typeof redis) => new Promise<void>((resolve, reject) => {
    if (r.status === 'ready') return resolve();
    const t = setTimeout(() => reject(new Error(`REDIS_URL: Redis did not answer at ${config.redisUrl}`)), 10_000);
    r.once('ready', () => { clearTimeout(t); resolve(); });
  });
  await Promise.all([ready(redis), ready(guessRedis)]);
  const queues = createQueues(redis, config.queuePrefix, config.redisCluster);
  const waiter = new JobWaiter(redis, config.queuePrefix, config.redisCluster);
  // requests waiting for jobs answer 202 as soon as an outage begins, not after it
  health.onOutage(() => waiter.releaseAll());
  const limiter = new GuessLimiter(guessRedis, config.queuePrefix, config.rateLimit, config.redisCluster);
  const reads = await ReadReplicas.open(orm, config.databaseReadUrls, { poolMax: config.databasePoolMax, timeouts: config.databaseTimeouts, logger });
  const ctx: AppContext = { config, logger, orm, reads, redis, queues, waiter, limiter, health, clock: opts.clock ?? systemClock };
  health.start();

  const runApi = config.role === 'all' || config.role === 'api';
  const runWorker = config.role === 'all' || config.role === 'worker';

  let app: Express | undefined;
  let server: Server | undefined;
  let url: string | undefined;
  let workers: Workers | undefined;
  let stopSchedulers: (() => Promise<void>) | undefined;
  let stopRelay: (() => Promise<void>) | undefined;

  if (runWorker) {
    workers = await startWorkers(ctx);
    stopSchedulers = await startSchedulers(ctx);
    stopRelay = startWebhookRelay(ctx);
  }
  if (runApi) {
    // every synchronous redemption waits, so that queue is watched from the start; the others
    // (invoices mostly come through the producer, unwatched) from their first synchronous call
    await waiter.watch(QUEUES.redemptions);
    app = createApp(ctx, routes, (a) => {
      mountOps(ctx, a);
      mountConsole(a);
    });
    server = await new Promise<Server>((resolve) => {
      const s = app!.listen(opts.port ?? config.port, () => resolve(s));
    });
    server.keepAliveTimeout = config.keepAliveTimeoutMs;
    const addr = server.address() as AddressInfo;
    url = `http://127.0.0.1:${addr.port}`;
  }

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, config.shutdownTimeoutMs).unref());
      const graceful = (async () => {
        if (server) {
          const s = server;
          await new Promise<void>((resolve) => s.close(() => resolve()));
        }
        await stopSchedulers?.();
        await stopRelay?.();
        await workers?.close();
        closeWebhookRuntime(ctx);
      })();
      server?.closeIdleConnections();
      await Promise.race([graceful, deadline]);
      server?.closeAllConnections();
      await health.stop();
      // Each step bounded: after an outage a connection may never answer its close.
      await bounded(waiter.close(), 5000, 'job waiter', logger);
      await bounded(closeQueues(queues), 5000, 'queues', logger);
      redis.disconnect();
      guessRedis.disconnect();
      await bounded(reads.close(), 5000, 'read replica pools', logger);
      await bounded(orm.close(true), 5000, 'database pool', logger);
    })());

  return { ctx, app, server, url, workers, close };
}
