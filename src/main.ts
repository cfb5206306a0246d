import { ConfigError, loadConfig, type Config } from '../config';
import { createLogger, errorFields } from './logger';
import type { Running } from './server';
import { checkEachService } from './preflight';
import type { EmbeddedEngine } from './embedded';
import { isSupervisedProcess, superviseProcesses } from './processes';

/** MikroORM 7 needs this Node at least. */
const MIN_NODE = [22, 12];

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`couponflow: invalid configuration: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1])) {
    process.stderr.write(`couponflow: Node ${MIN_NODE.join('.')} or later is needed, this is ${process.version}: run it with \`npm start\` (which uses the pinned Node) or install a newer Node\n`);
    process.exit(1);
  }
  // a process forked for WEB_CONCURRENCY: its supervisor checked the services already
  const supervised = isSupervisedProcess();
  const logger = createLogger(config.logLevel, supervised ? { service: 'couponflow', pid: process.pid } : { service: 'couponflow' });
  let engines: EmbeddedEngine[] = [];
  if (!supervised) {
    const missing = await checkEachService(config);
    if (missing.database !== null || missing.redis !== null) {
      // what is missing and may be embedded (URL unset, not production) is started here
      const { embedMissing } = await import('./embedded.js');
      const embedded = await embedMissing(config, missing, logger);
      if (embedded.problems.length) {
        for (const line of embedded.problems) process.stderr.write(`couponflow: ${line}\n`);
        process.exit(1);
      }
      config = embedded.config;
      engines = embedded.engines;
      // processes forked for WEB_CONCURRENCY use the same engines
      process.env.DATABASE_URL = config.databaseUrl;
      process.env.REDIS_URL = config.redisUrl;
      logger.info(`embedded engines: ${engines.map((e) => e.name).join(' and ')}`, {
        engines: engines.map((e) => ({ engine: e.name, url: e.url, dataDir: e.dataDir })),
      });
    }
  }
  const stopEngines = () => Promise.all(engines.map((e) => e.stop().catch(() => undefined)));
  const roles = config.role === 'all' ? ['api', 'worker'] : [config.role];
  if (!supervised && config.webConcurrency > 1 && config.role !== 'worker') {
    const port = await superviseProcesses(config, logger, stopEngines).listening;
    logger.info(`couponflow listening on http://127.0.0.1:${port}`, { roles, port, processes: config.webConcurrency, queuePrefix: config.queuePrefix });
    return;
  }
  let running: Running;
  try {
    // Loaded only now: the preflight above answers within seconds, before the ORM and queues load.
    const { start } = await import('./server.js');
    running = await start(config, { logger });
  } catch (err) {
    // One line, no stack: start-up problems are configuration or environment, not bugs to debug here.
    const e = err as { code?: string; message?: string };
    process.stderr.write(`couponflow: start-up failed: ${e?.message ?? String(err)}${e?.code && !String(e.message).includes(e.code) ? ` (${e.code})` : ''}\n`);
    await stopEngines();
    process.exit(1);
  }
  const line = running.url ? (supervised ? 'api process listening' : `couponflow listening on ${running.url}`) : 'couponflow worker running';
  logger.info(line, {
    roles,
    port: running.url ? Number(new URL(running.url).port) : null,
    queuePrefix: config.queuePrefix,
  });
  // after the line: the supervisor's own "listening" line then follows every process's
  if (supervised) process.send?.({ couponflow: 'ready' });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('draining', { signal, deadlineMs: config.shutdownTimeoutMs });
    running
      .close()
      .then(async () => {
        await stopEngines();
        logger.info('stopped');
        process.exit(0);
      })
      .catch((err) => {
        logger.error('shutdown failed', errorFields(err));
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
