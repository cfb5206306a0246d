import http from 'node:http';
import { Worker } from 'bullmq';
import { startTestApp, type TestAccount, type TestApp } from '../helpers/harness';
import { MONTHLY, putPlan, redeemBody } from '../helpers/api';
import { QUEUES } from '../../src/queues/names';
import { duplicateBlocking } from '../../src/queues/connection';

/**
 * Bad text, lists' query parameters and cursors, job status, and queue admission. The process
 * runs the api role only, so jobs stay waiting: QUEUE_MAX_WAITING=3 is reached exactly.
 */

let t: TestApp;
let acct: TestAccount;
let couponId: string;

beforeAll(async () => {
  t = await startTestApp({ ROLE: 'api', QUEUE_MAX_WAITING: '3' });
  acct = await t.createAccount();
  await putPlan(t, acct, 'pro-monthly');
  const coupon = await t.http.post('/v1/coupons').set(acct.auth).send({ name: 'Hardening', code: 'HARD1', discount: { type: 'percentage', basisPoints: 1000 } });
  couponId = coupon.body.id;
});
afterAll(async () => {
  await t?.close();
});

const NUL = '\u0000';
const cursorOf = (k: string, v: unknown[]) => Buffer.from(JSON.stringify({ k, v })).toString('base64url');

describe('text PostgreSQL cannot store is 400 validation_failed naming the field, on every route family', () => {
  const cases: [string, () => any, string][] = [
    ['accounts: POST /v1/accounts', () => t.http.post('/v1/accounts').set('Authorization', `Bearer ${t.config.platformAdminToken}`).send({ name: `A${NUL}` }), 'name'],
    ['accounts: PATCH /v1/account', () => t.http.patch('/v1/account').set(acct.auth).send({ name: `A${NUL}` }), 'name'],
    ['plans: PUT /v1/plans/{id}', () => t.http.put('/v1/plans/p1').set(acct.auth).send({ ...MONTHLY, family: `f${NUL}` }), 'family'],
    ['customers: PUT /v1/customers/{id}', () => t.http.put('/v1/customers/c1').set(acct.auth).send({ postalCode: `10${NUL}` }), 'postalCode'],
    ['coupons: POST /v1/coupons', () => t.http.post('/v1/coupons').set(acct.auth).send({ name: 'N', description: `d${NUL}`, discount: { type: 'none' } }), 'description'],
    ['coupons: PATCH /v1/coupons/{id}', () => t.http.patch(`/v1/coupons/${couponId}`).set(acct.auth).send({ description: `x${NUL}y` }), 'description'],
    ['coupons: metadata value, deep in jsonb', () => t.http.patch(`/v1/coupons/${couponId}`).set(acct.auth).send({ metadata: { note: { deep: ['ok', `b${NUL}`] } } }), 'metadata.note.deep[1]'],
    ['coupons: a lone surrogate', () => t.http.post('/v1/coupons').set(acct.auth).send({ name: 'x\ud800', discount: { type: 'none' } }), 'name'],
    ['codes: POST /v1/coupons/{id}/codes, a metadata key', () => t.http.post(`/v1/coupons/${couponId}/codes`).set(acct.auth).send({ code: 'HARD2', metadata: { [`k${NUL}`]: 'v' } }), 'metadata.k\\u0000'],
    ['codes: PATCH /v1/codes/{code}', () => t.http.patch('/v1/codes/HARD1').set(acct.auth).send({ customerId: `c${NUL}` }), 'customerId'],
    ['codes: a path parameter', () => t.http.get('/v1/codes/HA%00RD1').set(acct.auth), 'code'],
    ['validate: POST /v1/codes/validate', () => t.http.post('/v1/codes/validate').set(acct.auth).send({ code: 'HARD1', customer: { id: 'c1' }, planId: `pro${NUL}` }), 'planId'],
    ['redemptions: POST /v1/redemptions', () => t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody('HARD1', { subscriptionId: `s${NUL}` })), 'subscriptionId'],
    ['redemptions: a nested customer field', () => t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody('HARD1', { customer: { id: `c${NUL}` } })), 'customer.id'],
    ['redemptions: a query parameter', () => t.http.get('/v1/redemptions?customerId=a%00b').set(acct.auth), 'customerId'],
    ['invoices: POST /v1/invoices', () => t.http.post('/v1/invoices').set(acct.auth).send({ invoiceId: 'i1', subscriptionId: 's1', currency: 'USD', periodStart: '2026-12-01T00:00:00Z', lines: [{ id: `l${NUL}`, kind: 'recurring', amount: 100 }] }), 'lines[0].id'],
    ['batches: POST /v1/coupons/{id}/batches', () => t.http.post(`/v1/coupons/${couponId}/batches`).set(acct.auth).send({ count: 5, prefix: `P${NUL}` }), 'prefix'],
    ['CSV import', () => t.http.post(`/v1/coupons/${couponId}/codes/import`).set(acct.auth).set('Content-Type', 'text/csv').send(`code\nIMP1\nIM${NUL}P2\n`), 'body'],
  ];
  test.each(cases)('%s', async (_name, call, field) => {
    const res = await call();
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.field).toBe(field);
  });

  test('the CSV answer names the line; nothing was imported', async () => {
    const res = await t.http.post(`/v1/coupons/${couponId}/codes/import`).set(acct.auth).set('Content-Type', 'text/csv').send(`code\nIMP1\nIM${NUL}P2\n`);
    expect(res.body.error.message).toBe('body: line 3 must not contain a NUL character (\\u0000)');
    expect((await t.http.get('/v1/codes/IMP1').set(acct.auth)).status).toBe(404);
  });

  test('bytes that are not UTF-8 in a CSV are 400', async () => {
    const res = await t.http.post(`/v1/coupons/${couponId}/codes/import`).set(acct.auth).set('Content-Type', 'text/csv')
      .send(Buffer.concat([Buffer.from('code\nAB'), Buffer.from([0xff, 0xfe]), Buffer.from('C\n')]));
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'validation_failed', field: 'body', message: 'body: is not valid UTF-8 text' });
  });
});

describe('idle client connections', () => {
  /** One GET over `agent`: its status, Keep-Alive header and whether it reused an open connection. */
  const get = (agent: http.Agent, path: string) =>
    new Promise<{ status: number; keepAlive: string | undefined; reused: boolean }>((resolve, reject) => {
      const req = http.get(`${t.running.url}${path}`, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, keepAlive: res.headers['keep-alive'] as string | undefined, reused: req.reusedSocket }));
      });
      req.on('error', reject);
    });

  test('stay open 65 s by default (HTTP_KEEP_ALIVE_TIMEOUT_MS), past the 60 s idle timeout of common proxies, and the answer says so', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect(await get(agent, '/healthz')).toEqual({ status: 200, keepAlive: 'timeout=65', reused: false });
      expect(await get(agent, '/v1/account')).toEqual({ status: 401, keepAlive: 'timeout=65', reused: true });
      expect(t.config.keepAliveTimeoutMs).toBe(65_000);
    } finally {
      agent.destroy();
    }
  });
});

describe('lists', () => {
  const lists = () => [
    '/v1/coupons', `/v1/coupons/${couponId}/codes`, `/v1/coupons/${couponId}/versions`, '/v1/batches', '/v1/redemptions', '/v1/events', '/v1/stats',
    '/v1/plans', '/v1/holds',
  ];
  test('an unknown query parameter is 400 naming it, on every list', async () => {
    for (const path of lists()) {
      const res = await t.http.get(`${path}?bogus=1`).set(acct.auth);
      expect([path, res.status, res.body.error?.field]).toEqual([path, 400, 'bogus']);
    }
  });

  test('a forged cursor of the right kind is 400 on cursor, not 500', async () => {
    const forged: [string, string][] = [
      ['/v1/redemptions', cursorOf('redemptions', ['not a time', 'x'])],
      ['/v1/redemptions', cursorOf('redemptions', ['2026-12-01T00:00:00Z', 'not-a-uuid'])],
      ['/v1/coupons', cursorOf('coupons', ['2026-13-45 99:00:00+00', '00000000-0000-4000-8000-000000000000'])],
      ['/v1/batches', cursorOf('batches', ['yesterday', '00000000-0000-4000-8000-000000000000'])],
      ['/v1/holds', cursorOf('holds', ['yesterday', '00000000-0000-4000-8000-000000000000'])],
      ['/v1/holds', cursorOf('holds', ['2026-12-01T00:00:00Z', 'not-a-uuid'])],
      ['/v1/plans', cursorOf('plans', [1])],
      [`/v1/coupons/${couponId}/versions`, cursorOf('versions', ['1'])],
      [`/v1/coupons/${couponId}/codes`, cursorOf('codes', ['x'])],
    ];
    for (const [path, cursor] of forged) {
      const res = await t.http.get(path).query({ cursor }).set(acct.auth);
      expect([path, res.status, res.body.error?.field]).toEqual([path, 400, 'cursor']);
    }
  });
});

describe('job status', () => {
  test("a failed job's internal error text does not reach the client", async () => {
    const queue = t.running.ctx.queues.invoices;
    await queue.add('invoice', { accountId: acct.id, invoice: {} }, { jobId: 'inv-failing-one' });
    const connection = duplicateBlocking(t.running.ctx.redis);
    const worker = new Worker(QUEUES.invoices, async () => {
      throw new Error('duplicate key value violates unique constraint "invoices_pkey" at /srv/app/x.js:1');
    }, { connection, prefix: t.config.queuePrefix });
    try {
      for (let i = 0; i < 100 && (await queue.getJobState('inv-failing-one')) !== 'failed'; i += 1) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await worker.close();
      connection.disconnect();
    }
    const res = await t.http.get('/v1/jobs/invoice-discounts/inv-failing-one').set(acct.auth);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: 'inv-failing-one', queue: 'invoice-discounts', status: 'failed', error: 'the job could not be processed; retry later' });
  });
});

describe('queue admission (QUEUE_MAX_WAITING=3, no worker running)', () => {
  test('exactly 3 of 8 concurrent redemptions are accepted; the rest are 503 queue_full with Retry-After; other queues are counted apart', async () => {
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => t.http.post('/v1/redemptions').set(acct.auth).set('Prefer', 'respond-async').send(redeemBody('HARD1', { subscriptionId: `qf_${i}` }))),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([202, 202, 202, 503, 503, 503, 503, 503]);
    for (const a of answers.filter((x) => x.status === 503)) {
      expect(a.body.error.code).toBe('queue_full');
      expect(a.headers['retry-after']).toBe('5');
    }
    expect(await t.running.ctx.queues.redemptions.getWaitingCount()).toBe(3);

    // the invoice queue has its own count
    const inv = await t.http.post('/v1/invoices').set(acct.auth).set('Prefer', 'respond-async')
      .send({ invoiceId: 'qf-inv', subscriptionId: 's1', currency: 'USD', periodStart: '2026-12-01T00:00:00Z', lines: [{ id: 'l1', kind: 'recurring', amount: 100 }] });
    expect(inv.status).toBe(202);

    // one job leaves the queue: exactly one more is admitted
    const waiting = await t.running.ctx.queues.redemptions.getWaiting();
    await waiting[0].remove();
    const more = [];
    for (let i = 0; i < 2; i += 1) more.push((await t.http.post('/v1/redemptions').set(acct.auth).set('Prefer', 'respond-async').send(redeemBody('HARD1', { subscriptionId: `qf_more_${i}` }))).status);
    expect(more).toEqual([202, 503]);
  });
});
