import IORedis from 'ioredis';
import { Client } from 'pg';
import type { Config } from '../config';
import { redactUrl } from './health';

/** How long each service may take to answer at start. */
export const PREFLIGHT_TIMEOUT_MS = 4000;

function reason(err: unknown): string {
  const e = err as { code?: string; message?: string; errors?: { code?: string }[] };
  return e?.code ?? (Array.isArray(e?.errors) ? e.errors[0]?.code : undefined) ?? e?.message ?? String(err);
}

async function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((_, reject) => { timer = setTimeout(() => reject(Object.assign(new Error('no answer'), { code: `no answer within ${ms / 1000} s` })), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

async function checkPostgres(url: string): Promise<string | null> {
  // The server's maintenance database: the application database is created at start if missing.
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString(), connectionTimeoutMillis: PREFLIGHT_TIMEOUT_MS });
  client.on('error', () => undefined);
  try {
    await within(client.connect().then(() => client.query('select 1')), PREFLIGHT_TIMEOUT_MS);
    return null;
  } catch (err) {
    return `PostgreSQL is not reachable at ${redactUrl(url)} (${reason(err)}): start it with \`docker compose up -d\`, or set DATABASE_URL to a running server`;
  } finally {
    client.end().catch(() => undefined);
  }
}

async function checkRedis(url: string, cluster: boolean): Promise<string | null> {
  if (cluster) {
    // a cluster is there when any node it lists answers (the client learns the rest from it)
    const answers = await Promise.all(url.split(',').map((u) => checkRedis(u, false)));
    if (answers.some((a) => a === null)) return null;
    return `Redis Cluster: no node answers at ${redactUrl(url)}: start it, or set REDIS_URL to its nodes`;
  }
  const redis = new IORedis(url, {
    lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: PREFLIGHT_TIMEOUT_MS,
    retryStrategy: () => null,
  });
  let last: unknown;
  redis.on('error', (err) => (last = err));
  try {
    await within(redis.connect().then(() => redis.ping()), PREFLIGHT_TIMEOUT_MS);
    return null;
  } catch (err) {
    return `Redis is not reachable at ${redactUrl(url)} (${reason(last ?? err)}): start it with \`docker compose up -d\`, or set REDIS_URL to a running server`;
  } finally {
    redis.disconnect();
  }
}

type Checked = Pick<Config, 'databaseUrl' | 'redisUrl'> & Partial<Pick<Config, 'redisCluster'>>;

/** For each service, null when it answers, else the line saying where and how to get it. */
export async function checkEachService(config: Checked): Promise<{ database: string | null; redis: string | null }> {
  const [database, redis] = await Promise.all([checkPostgres(config.databaseUrl), checkRedis(config.redisUrl, config.redisCluster ?? false)]);
  return { database, redis };
}

/** One line per service the process cannot reach, saying where and how to get it; empty when both answer. */
export async function checkServices(config: Checked): Promise<string[]> {
  const found = await checkEachService(config);
  return [found.database, found.redis].filter((l): l is string => l !== null);
}
