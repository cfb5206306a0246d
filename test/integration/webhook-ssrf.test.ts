import { loadConfig } from '../../config';
import { startTestApp, type TestApp } from '../helpers/harness';
import { createCoupon } from '../helpers/api';
import { eventually, startReceiver, type Receiver } from '../helpers/webhook-receiver';
import { createAgents, postWebhook } from '../../src/services/webhook-http';

let t: TestApp;
let rx: Receiver;

beforeAll(async () => {
  rx = await startReceiver();
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
  await rx?.close();
});

describe('private destinations', () => {
  test.each([
    'https://127.0.0.1/hook', 'https://localhost/hook', 'https://[::1]/hook', 'https://10.1.2.3/hook', 'https://192.168.0.10/hook',
    'https://169.254.169.254/latest', 'https://[fd00::1]/hook', 'https://[::ffff:127.0.0.1]/hook', 'https://2130706433/hook', 'http://example.com/hook',
    'https://[64:ff9b:1::a9fe:a9fe]/latest', 'https://[64:ff9b::a9fe:a9fe]/latest', 'https://[::ffff:0:127.0.0.1]/hook',
    'https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook',
  ])('%s is refused at create with 400 on url', async (url) => {
    const a = await t.createAccount();
    const res = await t.http.post('/v1/webhook-endpoints').set(a.auth).send({ url });
    expect([res.status, res.body.error?.code, res.body.error?.field]).toEqual([400, 'validation_failed', 'url']);
  });

  test.each([
    'https://[64:ff9b:1::808:808]/hook', 'https://[64:ff9b::101:101]/hook', 'https://[::ffff:0:8.8.8.8]/hook', 'https://[2001:0:4136:e378:8000:63bf:f7f7:f7f7]/hook',
  ])('%s carries a public IPv4 address: created', async (url) => {
    const a = await t.createAccount();
    const res = await t.http.post('/v1/webhook-endpoints').set(a.auth).send({ url });
    expect(res.status).toBe(201);
  });

  test('a refusal at connect time is stored naming the host, never the address it resolved to', async () => {
    const a = await t.createAccount();
    const created = await t.http.post('/v1/webhook-endpoints').set(a.auth).send({ url: 'https://hooks.example.invalid/x' });
    expect(created.status).toBe(201);
    // the endpoint's host now answers with a loopback address, as a rebound name would
    const port = new URL(rx.url).port;
    await t.running.ctx.orm.em.fork().execute('update webhook_endpoints set url = ? where id = ?', [`https://localhost:${port}/x`, created.body.id]);
    await createCoupon(t, a);
    const list = async () => (await t.http.get(`/v1/webhook-endpoints/${created.body.id}/deliveries`).set(a.auth)).body.data as any[];
    const [d] = await eventually(list, (ds) => ds[0]?.attempts >= 1);
    const detail = (await t.http.get(`/v1/webhook-deliveries/${d.id}`).set(a.auth)).body;
    const message = 'localhost resolves to a private, loopback or link-local address';
    expect([d.lastStatusCode, d.lastError, detail.attemptLog[0].statusCode, detail.attemptLog[0].error]).toEqual([null, message, null, message]);
    expect(JSON.stringify([d, detail])).not.toMatch(/127\.0\.0\.1|::1\b/);
    expect(rx.received).toHaveLength(0);
  });

  test('an edit to a private URL is refused too', async () => {
    const a = await t.createAccount();
    const created = await t.http.post('/v1/webhook-endpoints').set(a.auth).send({ url: 'https://hooks.example.invalid/x' });
    expect(created.status).toBe(201);
    const res = await t.http.patch(`/v1/webhook-endpoints/${created.body.id}`).set(a.auth).send({ url: 'https://127.0.0.1/x' });
    expect([res.status, res.body.error.field]).toEqual([400, 'url']);
  });

  test('at connect time: the address a name resolves to is checked (DNS rebinding), and IP literals before connecting', async () => {
    const agents = createAgents(false);
    try {
      const port = new URL(rx.url).port;
      const byName = await postWebhook(agents, `https://localhost:${port}/x`, {}, '{}', { timeoutMs: 2000, allowPrivate: false });
      expect(byName.statusCode).toBeNull();
      expect(byName.error).toBe('localhost resolves to a private, loopback or link-local address');
      const literal = await postWebhook(agents, `https://127.0.0.1:${port}/x`, {}, '{}', { timeoutMs: 2000, allowPrivate: false });
      expect(literal.error).toBe('127.0.0.1 resolves to a private, loopback or link-local address');
      const nat64 = await postWebhook(agents, `https://[64:ff9b:1::a9fe:a9fe]:${port}/x`, {}, '{}', { timeoutMs: 2000, allowPrivate: false });
      expect(nat64.error).toBe('[64:ff9b:1::a9fe:a9fe] resolves to a private, loopback or link-local address');
      expect(rx.received).toHaveLength(0);
    } finally {
      agents.close();
    }
    const open = createAgents(true);
    try {
      const ok = await postWebhook(open, `${rx.url.replace('127.0.0.1', 'localhost')}/x`, {}, '{}', { timeoutMs: 2000, allowPrivate: true });
      expect(ok.statusCode).toBe(200);
    } finally {
      open.close();
    }
  });

  test('production refuses WEBHOOK_ALLOW_PRIVATE=true', () => {
    const prod = { NODE_ENV: 'production', PLATFORM_ADMIN_TOKEN: 't', ADMIN_USER: 'u', ADMIN_PASSWORD: 'p' };
    expect(() => loadConfig({ ...prod, WEBHOOK_ALLOW_PRIVATE: 'true' })).toThrow('WEBHOOK_ALLOW_PRIVATE: may not be true when NODE_ENV=production');
    expect(loadConfig({ ...prod, WEBHOOK_ALLOW_PRIVATE: 'false' }).webhooks.allowPrivate).toBe(false);
    expect(loadConfig({ WEBHOOK_ALLOW_PRIVATE: 'true' }).webhooks.allowPrivate).toBe(true);
    expect(() => loadConfig({ WEBHOOK_ALLOW_PRIVATE: 'yes' })).toThrow('WEBHOOK_ALLOW_PRIVATE');
    expect(loadConfig({ WEBHOOK_RETRY_SCHEDULE_MS: '100, 200,300' }).webhooks.retryScheduleMs).toEqual([100, 200, 300]);
    expect(loadConfig({}).webhooks).toEqual({
      timeoutMs: 10000, retryScheduleMs: [5000, 300000, 1800000, 7200000, 18000000, 36000000, 50400000, 72000000, 86400000], allowPrivate: false,
      concurrency: 16, endpointConcurrency: 4, relayEveryMs: 250, sweepEveryMs: 60000,
    });
    expect(() => loadConfig({ WEBHOOK_RETRY_SCHEDULE_MS: '100,x' })).toThrow('WEBHOOK_RETRY_SCHEDULE_MS');
  });
});
