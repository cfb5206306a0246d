import request from 'supertest';
import { createApp } from '../../src/http/app';
import { defineRoute } from '../../src/http/route';
import { createLogger } from '../../src/logger';
import { z } from '../../src/contracts/zod';
import { startTestApp, type TestAccount, type TestApp } from '../helpers/harness';

/**
 * Every answer carries X-Request-Id: the caller's when it is 1–200 characters of letters,
 * digits and `._:-`, else a new UUID; the same id is in the request's audit records and in every
 * log line written while serving it.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
let t: TestApp;
let acct: TestAccount;

beforeAll(async () => {
  t = await startTestApp();
  acct = await t.createAccount();
});
afterAll(async () => {
  await t?.close();
});

describe('X-Request-Id', () => {
  test.each([
    ['letters, digits and ._:-', 'req_01.AB:cd-9'],
    ['one character', 'x'],
    ['200 characters', 'a'.repeat(200)],
  ])('a valid one is echoed: %s', async (_what, id) => {
    const res = await t.http.get('/v1/account').set(acct.auth).set('X-Request-Id', id);
    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).toBe(id);
  });

  test.each([
    ['201 characters', 'a'.repeat(201)],
    ['a space', 'req 1'],
    ['a slash', 'req/1'],
    ['a comma (two headers joined)', 'a, b'],
    ['non-ASCII', 'reqé'],
    ['empty', ''],
  ])('an invalid one is replaced by a new UUID: %s', async (_what, id) => {
    const res = await t.http.get('/v1/account').set(acct.auth).set('X-Request-Id', id);
    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).toMatch(UUID);
  });

  test('without one, each answer gets its own UUID, errors and non-/v1 answers included', async () => {
    const answers = [
      await t.http.get('/v1/account').set(acct.auth),
      await t.http.get('/v1/account'),
      await t.http.post('/v1/coupons').set(acct.auth).set('Content-Type', 'application/json').send('{bad'),
      await t.http.get('/v1/nowhere').set(acct.auth),
      await t.http.get('/healthz'),
      await t.http.get('/openapi.json'),
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 401, 400, 404, 200, 200]);
    const ids = answers.map((r) => r.headers['x-request-id']);
    for (const id of ids) expect(id).toMatch(UUID);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('the id answered (given or made) is the one in the audit record', async () => {
    const given = await t.http.patch('/v1/account').set(acct.auth).set('X-Request-Id', 'rename-1').send({ name: 'Renamed once' });
    const made = await t.http.patch('/v1/account').set(acct.auth).set('X-Request-Id', 'not valid!').send({ name: 'Renamed twice' });
    const madeId = made.headers['x-request-id'];
    expect(madeId).toMatch(UUID);
    const log = (await t.http.get('/v1/audit-log?action=account.updated').set(acct.auth)).body.data;
    expect(log.map((r: { requestId: string; changes: { name: { to: string } } }) => [r.requestId, r.changes.name.to])).toEqual([
      [madeId, 'Renamed twice'],
      ['rename-1', 'Renamed once'],
    ]);
    expect(given.headers['x-request-id']).toBe('rename-1');
  });
});

describe('log lines', () => {
  test('every line written while serving a request carries its id: in the handler after a JSON body and a query, on error, and the request line', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('debug', {}, (l) => lines.push(JSON.parse(l)));
    const ctx = { ...t.running.ctx, logger };
    const probe = defineRoute<{ n: number }>({
      method: 'post',
      path: '/v1/probe',
      auth: 'account',
      scope: 'any',
      summary: 'probe',
      body: z.object({ n: z.number(), pad: z.string().optional() }),
      responses: { 200: { description: 'ok' } },
      handler: async ({ ctx: c, body }) => {
        c.logger.info('before the query', { n: body.n });
        await c.orm.em.fork().execute('select 1');
        await new Promise((r) => setImmediate(r));
        c.logger.info('after the query');
        if (body.n < 0) throw new Error('negative');
        return { status: 200, body: { n: body.n } };
      },
    });
    const app = createApp(ctx, [probe]);
    // a body large enough to arrive in several chunks, after the first middleware ran
    const ok = await request(app).post('/v1/probe').set(acct.auth).set('X-Request-Id', 'probe-ok').send({ n: 1, pad: 'x'.repeat(512 * 1024) });
    expect(ok.status).toBe(200);
    const failed = await request(app).post('/v1/probe').set(acct.auth).set('X-Request-Id', 'probe-fail').send({ n: -1 });
    expect(failed.status).toBe(500);
    expect(failed.headers['x-request-id']).toBe('probe-fail');
    const summary = lines.map((l) => [l.msg, l.requestId]);
    expect(summary).toEqual([
      ['before the query', 'probe-ok'],
      ['after the query', 'probe-ok'],
      ['request', 'probe-ok'],
      ['before the query', 'probe-fail'],
      ['after the query', 'probe-fail'],
      ['unhandled error', 'probe-fail'],
      ['request', 'probe-fail'],
    ]);
    expect(lines[2]).toEqual({ time: expect.any(String), level: 'info', msg: 'request', requestId: 'probe-ok', method: 'POST', path: '/v1/probe', status: 200, ms: expect.any(Number) });
    expect(lines[6]).toMatchObject({ msg: 'request', status: 500 });
  });

  test('a line written outside any request has no requestId', () => {
    const lines: string[] = [];
    createLogger('info', {}, (l) => lines.push(l)).info('startup');
    expect(JSON.parse(lines[0])).toEqual({ time: expect.any(String), level: 'info', msg: 'startup' });
  });
});
