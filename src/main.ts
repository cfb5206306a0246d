import { ConfigError, loadConfig, type Config } from '../config';
import { createLogger, errorFields } from './logger';
import { start } from './server';

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
  const logger = createLogger(config.logLevel, { service: 'couponflow' });
  let running: Awaited<ReturnType<typeof start>>;
  try {
    running = await start(config, { logger });
  } catch (err) {
    logger.error('start-up failed', errorFields(err));
    process.exit(1);
  }
  const roles = config.role === 'all' ? ['api', 'worker'] : [config.role];
  logger.info(running.url ? `couponflow listening on ${running.url}` : 'couponflow worker running', {
    roles,
    port: running.url ? Number(new URL(running.url).port) : null,
    queuePrefix: config.queuePrefix,
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('draining', { signal, deadlineMs: config.shutdownTimeoutMs });
    running
      .close()
      .then(() => {
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
