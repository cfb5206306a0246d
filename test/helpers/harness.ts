import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import request from 'supertest';
import { loadConfig, type Config } from '../../config';
import { createLogger } from '../../src/logger';
import { start, type Running } from '../../src/server';
import type { Clock } from '../../src/clock';
import { dropDatabase as dropDb } from '../../src/db/orm';
import { deleteQueueKeys as deleteKeys } from '../../src/queues/connection';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestEnv {
  dbName: string;
  databaseUrl: string;
  queuePrefix: string;
  env: Record<string, string>;
}

/** A fresh database name and queue prefix for one test file. */
export function testEnv(extra: Record<string, string> = {}): TestEnv {
  const tag = `${process.pid}_${randomBytes(4).toString('hex')}`;
  const dbName = `cf_test_${tag}`;
  const databaseUrl = `postgres://postgres@127.0.0.1:5432/${dbName}`;
  const queuePrefix = `cft_${tag}`;
  return {
    dbName,
    databaseUrl,
    queuePrefix,
    env: { DATABASE_URL: databaseUrl, REDIS_URL, QUEUE_PREFIX: queuePrefix, LOG_LEVEL: 'error', ...extra },
  };
}

/** Removes a test database (by name) and a test queue prefix. */
export const dropDatabase = (dbName: string) => dropDb(`postgres://postgres@127.0.0.1:5432/${dbName}`);
export const deleteQueueKeys = (prefix: string) => deleteKeys(REDIS_URL, prefix);

/**
 * A pool of plain connections to a test database, for a test's own SQL. `pool.end()` resolves
 * before the server has seen every connection go, so the database's drop (`with (force)`) can
 * still end one of them (57P01); such an error reaches only idle clients, which no test is
 * using, and is dropped here rather than raised as an unhandled error. A query's own errors still
 * reject the query.
 */
export function testPool(databaseUrl: string, max: number): Pool {
  const pool = new Pool({ connectionString: databaseUrl, max });
  pool.on('error', () => {});
  return pool;
}

export interface TestAccount {
  id: string;
  apiKey: string;
  auth: { Authorization: string };
}

export interface TestApp {
  env: TestEnv;
  config: Config;
  running: Running;
  http: ReturnType<typeof request>;
  createAccount(body?: Record<string, unknown>): Promise<TestAccount>;
  close(): Promise<void>;
}

/**
 * Starts Couponflow (all roles unless ROLE is given) on a private database and queue prefix;
 * requests and jobs read `clock` when given (see test/helpers/clock.ts), else the system clock.
 */
export async function startTestApp(extraEnv: Record<string, string> = {}, opts: { clock?: Clock } = {}): Promise<TestApp> {
  const env = testEnv(extraEnv);
  const config = loadConfig(env.env);
  const running = await start(config, { port: 0, logger: createLogger('error'), clock: opts.clock });
  const http = request(running.url ?? 'http://127.0.0.1:1');
  let closed = false;
  return {
    env,
    config,
    running,
    http,
    async createAccount(body = {}) {
      const res = await http
        .post('/v1/accounts')
        .set('Authorization', `Bearer ${config.platformAdminToken}`)
        .send({ name: `acct-${randomBytes(3).toString('hex')}`, ...body });
      if (res.status !== 201) throw new Error(`account creation failed: ${res.status} ${JSON.stringify(res.body)}`);
      return { id: res.body.account.id, apiKey: res.body.apiKey, auth: { Authorization: `Bearer ${res.body.apiKey}` } };
    },
    async close() {
      if (closed) return;
      closed = true;
      await running.close();
      await dropDatabase(env.dbName);
      await deleteQueueKeys(env.queuePrefix);
    },
  };
}
