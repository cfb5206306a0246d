import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts the built service (npm run build first) on its own database and BullMQ prefix; the
 * returned function stops it and removes both. Tests read CONSOLE_URL and PLATFORM_TOKEN.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const tag = `${process.pid}_${randomBytes(4).toString('hex')}`;
  const databaseUrl = `postgres://postgres@127.0.0.1:5432/cf_browser_${tag}`;
  const queuePrefix = `cfb_${tag}`;
  const port = await freePort();
  const token = `browser-${randomBytes(8).toString('hex')}`;
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/src/main.js')], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      REDIS_URL,
      QUEUE_PREFIX: queuePrefix,
      PLATFORM_ADMIN_TOKEN: token,
      LOG_LEVEL: 'warn',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_RETRY_SCHEDULE_MS: '1000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const base = `http://127.0.0.1:${port}`;
  const end = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the service exited (${child.exitCode}): ${out}`);
    try {
      const res = await fetch(`${base}/readyz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > end) throw new Error(`the service did not become ready: ${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  process.env.CONSOLE_URL = base;
  process.env.PLATFORM_TOKEN = token;

  return async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    const { dropDatabase } = require(path.join(ROOT, 'dist/src/db/orm.js')) as { dropDatabase(url: string): Promise<void> };
    const { deleteQueueKeys } = require(path.join(ROOT, 'dist/src/queues/connection.js')) as { deleteQueueKeys(redisUrl: string, prefix: string): Promise<void> };
    await dropDatabase(databaseUrl);
    await deleteQueueKeys(REDIS_URL, queuePrefix);
  };
}
