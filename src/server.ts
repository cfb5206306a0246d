import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Config } from '../config';
import type { AppContext } from './context';
import { openDatabase } from './db/orm';
import { createApp } from './http/app';
import { routes } from './http/routes';
import { mountOps } from './http/routes/ops';
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
}

/** Builds the context and starts the roles the config asks for. */
export async function start(config: Config, opts: StartOptions = {}): Promise<Running> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const orm = await openDatabase({ databaseUrl: config.databaseUrl, poolMax: config.databasePoolMax });
  const redis = createRedis(config.redisUrl, 'producer');
  redis.on('error', (err) => logger.warn('redis error', { err: err.message }));
  await new Promise<void>((resolve, reject) => {
    if (redis.status === 'ready') return resolve();
    const t = setTimeout(() => reject(new Error(`REDIS_URL: Redis did not answer at ${config.redisUrl}`)), 10_000);
    redis.once('ready', () => { clearTimeout(t); resolve(); });
  });
  const queues = createQueues(redis, config.queuePrefix);
  const waiter = new JobWaiter(redis, config.queuePrefix);
  const limiter = new GuessLimiter(redis, config.queuePrefix, config.rateLimit);
  const ctx: AppContext = { config, logger, orm, redis, queues, waiter, limiter };

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
    await Promise.all([QUEUES.redemptions, QUEUES.invoices].map((q) => waiter.watch(q)));
    app = createApp(ctx, routes, (a) => mountOps(ctx, a));
    server = await new Promise<Server>((resolve) => {
      const s = app!.listen(opts.port ?? config.port, () => resolve(s));
    });
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
      await waiter.close();
      await closeQueues(queues);
      redis.disconnect();
      await orm.close(true);
    })());

  return { ctx, app, server, url, workers, close };
}
