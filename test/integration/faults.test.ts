import request from 'supertest';
import { loadConfig } from '../../config';
import { createLogger } from '../../src/logger';
import { start, type Running } from '../../src/server';
import { PrivatePostgres, PrivateRedis } from '../helpers/private-services';
import { MONTHLY, redeemBody } from '../helpers/api';
import { runService } from '../helpers/processes';

/**
 * Outages of PostgreSQL and Redis under a running process, on private servers this file starts
 * and stops (never the shared ones): API.md "Failure answers". The times measured are printed.
 */

let pg: PrivatePostgres;
let redis: PrivateRedis;
let running: Running;
let http: ReturnType<typeof request>;
let auth: { Authorization: string };
let couponId: string;
const logs: { level: string; msg: string }[] = [];
const figures: Record<string, number> = {};

const logged = (text: string) => logs.filter((l) => l.msg.startsWith(text)).length;

/** Calls `attempt` every 100 ms until it answers true; answers the milliseconds it took. */
async function until(what: string, attempt: () => Promise<boolean>, ms: number): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await attempt().catch(() => false)) return Date.now() - t0;
    if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One request, with how long it took. */
async function timed<T>(p: PromiseLike<T>): Promise<{ res: T; ms: number }> {
  const t0 = Date.now();
  const res = await p;
  return { res, ms: Date.now() - t0 };
}

beforeAll(async () => {
  [pg, redis] = await Promise.all([PrivatePostgres.create(), PrivateRedis.create()]);
  const config = loadConfig({
    DATABASE_URL: pg.url('couponflow_faults'), REDIS_URL: redis.url, QUEUE_PREFIX: 'cf_faults', JOB_WAIT_TIMEOUT_MS: '5000',
    JOB_STALLED_INTERVAL_MS: '2000', JOB_LOCK_DURATION_MS: '4000',
  });
  const logger = createLogger('info', {}, (line) => logs.push(JSON.parse(line)));
  running = await start(config, { port: 0, logger });
  http = request(running.url!);
  const acct = await http.post('/v1/accounts').set('Authorization', `Bearer ${config.platformAdminToken}`).send({ name: 'Faults' });
  auth = { Authorization: `Bearer ${acct.body.apiKey}` };
  await http.put('/v1/plans/pro-monthly').set(auth).send(MONTHLY).expect(200);
  couponId = (await http.post('/v1/coupons').set(auth).send({ name: 'F', code: 'FAULTS', discount: { type: 'percentage', basisPoints: 1000 } }).expect(201)).body.id;
}, 120_000);

afterAll(async () => {
  await running?.close();
  await redis?.destroy();
  await pg?.destroy();
  process.stdout.write(`fault figures (ms): ${JSON.stringify(figures)}\n`);
});

const redeem = (sub: string, extra: Record<string, unknown> = {}) =>
  http.post('/v1/redemptions').set(auth).send(redeemBody('FAULTS', { subscriptionId: sub, customer: { id: `c_${sub}` }, ...extra }));
const invoice = (id: string) =>
  http.post('/v1/invoices').set(auth).send({ invoiceId: id, subscriptionId: `s_${id}`, currency: 'USD', periodStart: '2026-12-01T00:00:00Z', lines: [{ id: 'l1', kind: 'recurring', planId: 'pro-monthly', amount: 2000 }] });

describe('Redis unreachable', () => {
  test('every route that enqueues or counts guesses answers 503 queue_unavailable within 3 s; the outage is logged once; all recover without a restart', async () => {
    expect((await redeem('r_before')).status).toBe(201);
    await redis.stop();

    const first = await timed(redeem('r_during'));
    figures.redisDownFirst503 = first.ms;
    expect(first.res.status).toBe(503);
    expect(first.res.body.error.code).toBe('queue_unavailable');
    expect(first.ms).toBeLessThan(3000);

    const answers = await Promise.all([
      timed(redeem('r_during2', { idempotencyKey: 'k-during' })),
      timed(http.post('/v1/codes/validate').set(auth).send({ code: 'FAULTS', customer: { id: 'c1' }, planId: 'pro-monthly' })),
      timed(invoice('inv_redis_down')),
      timed(http.post(`/v1/coupons/${couponId}/batches`).set(auth).send({ count: 10 })),
      timed(http.get('/readyz')),
    ]);
    for (const a of answers) expect(a.ms).toBeLessThan(3000);
    expect(answers.map((a) => a.res.status)).toEqual([503, 503, 503, 503, 503]);
    expect(answers.slice(0, 4).map((a) => a.res.body.error.code)).toEqual(['queue_unavailable', 'queue_unavailable', 'queue_unavailable', 'queue_unavailable']);
    expect(answers[4].res.body.checks).toEqual({ postgres: 'ok', redis: 'unreachable' });
    // reads that need only PostgreSQL still work
    expect((await http.get(`/v1/coupons/${couponId}`).set(auth)).status).toBe(200);
    // nothing half-written: the refused batch left no row
    expect((await http.get(`/v1/batches?couponId=${couponId}`).set(auth)).body.data).toEqual([]);

    await new Promise((r) => setTimeout(r, 1500)); // reconnect attempts go on meanwhile
    await redis.start();
    figures.redisRecovery = await until('redeem after Redis is back', async () => (await redeem('r_after')).status === 201, 30_000);
    expect((await http.get('/readyz')).status).toBe(200);
    expect(logged('Redis unreachable')).toBe(1);
    expect(logged('Redis reachable again')).toBe(1);
    expect(logs.filter((l) => /redis error|ECONNREFUSED/i.test(l.msg))).toEqual([]);
  }, 60_000);
});

describe('PostgreSQL unreachable', () => {
  test('every /v1 route answers 503 database_unavailable within 3 s, job routes enqueue nothing, /readyz 503; recovery without a restart', async () => {
    const before = await running.ctx.queues.redemptions.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed');
    await pg.stop();

    const first = await timed(http.get('/v1/coupons').set(auth));
    figures.postgresDownFirst503 = first.ms;
    expect(first.res.status).toBe(503);
    expect(first.res.body.error.code).toBe('database_unavailable');
    expect(first.ms).toBeLessThan(3000);

    // once the outage is known, cached-auth routes and job routes answer 503 too
    await until('outage noticed', async () => !running.ctx.health.databaseUp, 3000);
    const answers = await Promise.all([
      timed(http.get('/v1/account').set(auth)),
      timed(redeem('r_db_down')),
      timed(invoice('inv_db_down')),
      timed(http.post('/v1/codes/validate').set(auth).send({ code: 'FAULTS', customer: { id: 'c1' } })),
      timed(http.get(`/v1/coupons/${couponId}/codes`).set(auth)),
      timed(http.get('/readyz')),
    ]);
    for (const a of answers) expect(a.ms).toBeLessThan(3000);
    expect(answers.map((a) => a.res.status)).toEqual([503, 503, 503, 503, 503, 503]);
    expect(answers.slice(0, 5).map((a) => a.res.body.error.code)).toEqual(Array(5).fill('database_unavailable'));
    figures.readyzWhileDbDown = answers[5].ms;
    const during = await running.ctx.queues.redemptions.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed');
    expect(during).toEqual(before);

    await pg.start();
    // the first request after the server is back goes through: it looks again itself rather
    // than waiting for the next timed probe
    const back = await timed(http.get('/v1/coupons').set(auth));
    figures.postgresRecovery = back.ms;
    expect(back.res.status).toBe(200);
    expect((await redeem('r_db_after')).status).toBe(201);
    expect((await http.get('/readyz')).status).toBe(200);
    expect(logged('PostgreSQL unreachable')).toBe(1);
    expect(logged('PostgreSQL reachable again')).toBe(1);
  }, 90_000);

  test('a job accepted before the outage completes after it, counted once', async () => {
    const queue = running.ctx.queues.redemptions;
    await queue.pause();
    const accepted = await redeem('r_across', { idempotencyKey: 'k-across' }).set('Prefer', 'respond-async');
    expect(accepted.status).toBe(202);
    const timesBefore = (await http.get(`/v1/coupons/${couponId}`).set(auth)).body.timesRedeemed;
    await pg.stop();
    await queue.resume(); // the job now runs against a stopped database: it is put back, not failed
    await new Promise((r) => setTimeout(r, 3000));
    const job = await running.ctx.queues.redemptions.getJob(accepted.body.job.id);
    expect(['delayed', 'waiting', 'active']).toContain(await job!.getState());
    expect(job!.attemptsMade).toBe(0);
    await pg.start();
    figures.jobAcrossOutage = await until('job completed', async () => (await job!.getState()) === 'completed', 30_000);
    const after = await http.get(`/v1/coupons/${couponId}`).set(auth);
    expect(after.status).toBe(200);
    expect(after.body.timesRedeemed).toBe(timesBefore + 1);
    const list = await http.get('/v1/redemptions?subscriptionId=r_across').set(auth);
    expect(list.body.data).toHaveLength(1);
  }, 90_000);

  test('the server killed right after a redemption: the next redemption answers 503 database_unavailable within 3 s and enqueues nothing; 201 once it is back', async () => {
    expect((await redeem('r_kill_before')).status).toBe(201);
    const before = await running.ctx.queues.redemptions.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed');
    const outagesBefore = logged('PostgreSQL unreachable');
    await pg.stop(); // `-m immediate`: every connection, pooled ones included, is cut at once

    const next = await timed(redeem('r_kill_during'));
    figures.redeemAfterKill503 = next.ms;
    expect([next.res.status, next.res.body.error?.code]).toEqual([503, 'database_unavailable']);
    expect(next.ms).toBeLessThanOrEqual(3000);
    expect(await running.ctx.queues.redemptions.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed')).toEqual(before);

    await pg.start();
    const back = await timed(redeem('r_kill_after'));
    figures.redeemAfterKillRecovery = back.ms;
    expect(back.res.status).toBe(201);
    expect(back.ms).toBeLessThanOrEqual(30_000);
    expect((await http.get('/v1/redemptions?subscriptionId=r_kill_during').set(auth)).body.data).toEqual([]);
    expect(logged('PostgreSQL unreachable')).toBe(outagesBefore + 1);
  }, 90_000);
});

describe('requests in flight when an outage begins', () => {
  /** A synchronous redemption waiting for its (paused) job when `outage` begins: its answer, how long after, and the job. */
  async function inFlightThrough(sub: string, outage: () => Promise<void>) {
    const queue = running.ctx.queues.redemptions;
    await queue.pause();
    const pending = timed(redeem(sub));
    await until('the request is waiting for its job', async () => running.ctx.waiter.waitingCount > 0, 5000);
    const t0 = Date.now();
    await outage();
    const { res } = await pending;
    return { res, afterOutageMs: Date.now() - t0, queue };
  }

  test('PostgreSQL going down answers a waiting request 202 at once (not after JOB_WAIT_TIMEOUT_MS); its job completes once after the outage', async () => {
    const { res, afterOutageMs, queue } = await inFlightThrough('r_inflight_pg', () => pg.stop());
    figures.inFlightPostgres202 = afterOutageMs;
    expect(res.status).toBe(202);
    expect(afterOutageMs).toBeLessThanOrEqual(3000);
    await pg.start();
    await queue.resume();
    const job = await queue.getJob(res.body.job.id);
    await until('job completed', async () => (await job!.getState()) === 'completed', 30_000);
    const list = await http.get('/v1/redemptions?subscriptionId=r_inflight_pg').set(auth);
    expect(list.body.data).toHaveLength(1);
  }, 60_000);

  test('Redis going down answers a waiting request 202 at once; its job completes once after the outage', async () => {
    const { res, afterOutageMs, queue } = await inFlightThrough('r_inflight_redis', () => redis.stop());
    figures.inFlightRedis202 = afterOutageMs;
    expect(res.status).toBe(202);
    expect(afterOutageMs).toBeLessThanOrEqual(3000);
    await redis.start();
    await until('Redis back', async () => running.ctx.redis.status === 'ready', 30_000);
    await queue.resume();
    await until('job completed', async () => (await queue.getJobState(res.body.job.id)) === 'completed', 30_000);
    const list = await http.get('/v1/redemptions?subscriptionId=r_inflight_redis').set(auth);
    expect(list.body.data).toHaveLength(1);
  }, 60_000);
});

describe('start-up without the services', () => {
  test('says in one line each what is missing, where, and how to get it; exits 1 within 10 s without a stack trace', async () => {
    await redis.stop();
    await pg.stop();
    try {
      const t0 = Date.now();
      const proc = runService({ DATABASE_URL: pg.url('couponflow'), REDIS_URL: redis.url, PORT: '0' });
      const code = await proc.exited;
      figures.startupExit = Date.now() - t0;
      expect(code).toBe(1);
      expect(figures.startupExit).toBeLessThan(10_000);
      const lines = proc.err().trim().split('\n');
      expect(lines).toEqual([
        `couponflow: PostgreSQL is not reachable at ${pg.url('couponflow')} (ECONNREFUSED): start it with \`docker compose up -d\`, or set DATABASE_URL to a running server`,
        `couponflow: Redis is not reachable at ${redis.url} (ECONNREFUSED): start it with \`docker compose up -d\`, or set REDIS_URL to a running server`,
      ]);
      expect(proc.out()).toBe('');
    } finally {
      await Promise.all([redis.start(), pg.start()]);
    }
  }, 30_000);
});
