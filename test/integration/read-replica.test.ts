import { Client } from 'pg';
import request from 'supertest';
import { loadConfig } from '../../config';
import { createLogger } from '../../src/logger';
import { start, type Running } from '../../src/server';
import { PrivatePostgres } from '../helpers/private-services';
import { MONTHLY, redeemBody } from '../helpers/api';
import { REDIS_URL, deleteQueueKeys } from '../helpers/harness';

/**
 * DATABASE_READ_URL on a real streaming replica (a private primary and a `pg_basebackup -R` copy
 * of it, started here): stats, reports and exports read there, single objects on the primary; the
 * lag shows in /metrics; a replica that is stopped sends those reads to the primary.
 */

let primary: PrivatePostgres;
let replica: PrivatePostgres;
let running: Running;
let http: ReturnType<typeof request>;
let auth: { Authorization: string };
let couponId: string;
const prefix = `cf_replica_${process.pid}`;
const DB = 'couponflow_replica';
const logs: { level: string; msg: string }[] = [];
const figures: Record<string, number> = {};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${JSON.stringify(v)}`);
    await sleep(100);
  }
}

async function onReplica(sql: string): Promise<void> {
  const c = new Client({ connectionString: replica.url(DB) });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

const stats = async () => (await http.get(`/v1/coupons/${couponId}/stats`).set(auth)).body.redemptions?.total as number;
const metric = async (name: string) => {
  const text = (await http.get('/metrics')).text;
  const line = text.split('\n').find((l) => l.startsWith(`${name}{replica="127.0.0.1:${replica.port}/${DB}"}`));
  return line === undefined ? null : Number(line.split(' ').pop());
};
const redeem = (sub: string) => http.post('/v1/redemptions').set(auth).send(redeemBody('REPLICA', { subscriptionId: sub, customer: { id: `c_${sub}` } }));

beforeAll(async () => {
  const t0 = Date.now();
  primary = await PrivatePostgres.create();
  replica = await PrivatePostgres.replicaOf(primary);
  figures.primaryAndReplicaStartMs = Date.now() - t0;
  const config = loadConfig({ DATABASE_URL: primary.url(DB), DATABASE_READ_URL: replica.url(DB), REDIS_URL, QUEUE_PREFIX: prefix });
  running = await start(config, { port: 0, logger: createLogger('info', {}, (line) => logs.push(JSON.parse(line))) });
  http = request(running.url!);
  const acct = await http.post('/v1/accounts').set('Authorization', `Bearer ${config.platformAdminToken}`).send({ name: 'Replica' });
  auth = { Authorization: `Bearer ${acct.body.apiKey}` };
  await http.put('/v1/plans/pro-monthly').set(auth).send(MONTHLY).expect(200);
  couponId = (await http.post('/v1/coupons').set(auth).send({ name: 'R', code: 'REPLICA', discount: { type: 'percentage', basisPoints: 1000 } }).expect(201)).body.id;
}, 120_000);

afterAll(async () => {
  await running?.close();
  await replica?.destroy();
  await primary?.destroy();
  await deleteQueueKeys(prefix);
  process.stdout.write(`read replica figures (ms): ${JSON.stringify(figures)}\n`);
}, 60_000);

test('stats and exports read on the replica (they lag while its replay is paused), single objects on the primary; the lag shows in /metrics', async () => {
  expect((await redeem('s1')).status).toBe(201);
  figures.replicaCaughtUpMs = await (async () => { const t0 = Date.now(); await eventually(stats, (n) => n === 1); return Date.now() - t0; })();
  expect(await metric('couponflow_db_replica_up')).toBe(1);

  await onReplica('select pg_wal_replay_pause()');
  try {
    expect((await redeem('s2')).status).toBe(201);
    // the coupon itself comes from the primary: 2; its stats from the paused replica: still 1
    expect((await http.get(`/v1/coupons/${couponId}`).set(auth)).body.timesRedeemed).toBe(2);
    expect(await stats()).toBe(1);
    const csv = await http.get(`/v1/coupons/${couponId}/redemptions.csv`).set(auth).buffer(true);
    expect(csv.status).toBe(200);
    expect(csv.text.trim().split('\n').length).toBe(1 + 1);
    const lag = await eventually(() => metric('couponflow_db_replica_lag_seconds'), (v) => v !== null && v > 0.5, 5000);
    expect(lag).toBeGreaterThan(0.5);
  } finally {
    await onReplica('select pg_wal_replay_resume()');
  }
  await eventually(stats, (n) => n === 2);
  expect(await eventually(() => metric('couponflow_db_replica_lag_seconds'), (v) => v === 0)).toBe(0);
}, 60_000);

test('a stopped replica sends stats, reports and exports to the primary; it is used again once back', async () => {
  await onReplica('select pg_wal_replay_pause()');
  expect((await redeem('s3')).status).toBe(201);
  await replica.stop();
  const t0 = Date.now();
  // the first read meets the dead replica and is answered by the primary
  const first = await http.get(`/v1/coupons/${couponId}/stats`).set(auth);
  figures.firstStatsAfterReplicaStopMs = Date.now() - t0;
  expect(first.status).toBe(200);
  expect(first.body.redemptions.total).toBe(3);
  expect((await http.get('/v1/stats').set(auth)).status).toBe(200);
  expect((await http.get('/v1/reports/codes').set(auth)).status).toBe(200);
  const csv = await http.get(`/v1/coupons/${couponId}/redemptions.csv`).set(auth).buffer(true);
  expect(csv.status).toBe(200);
  expect(csv.text.trim().split('\n').length).toBe(1 + 3);
  expect(await metric('couponflow_db_replica_up')).toBe(0);
  expect(await metric('couponflow_db_replica_lag_seconds')).toBeNull();
  expect((await http.get('/readyz')).status).toBe(200);
  expect(logs.filter((l) => l.msg.startsWith('read replica unreachable')).length).toBe(1);

  await replica.start(); // replay resumes at start (a pause does not survive a restart)
  figures.replicaBackMs = await (async () => { const t1 = Date.now(); await eventually(() => metric('couponflow_db_replica_up'), (v) => v === 1); return Date.now() - t1; })();
  expect(logs.filter((l) => l.msg.startsWith('read replica reachable again')).length).toBe(1);
  expect(await eventually(stats, (n) => n === 3)).toBe(3);
}, 60_000);
