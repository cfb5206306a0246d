import { Client } from 'pg';
import { Webhook } from 'standardwebhooks';
import { startTestApp, type TestAccount, type TestApp } from '../helpers/harness';
import { createCoupon } from '../helpers/api';
import { TestClock } from '../helpers/clock';
import { eventually, startReceiver, type Receiver } from '../helpers/webhook-receiver';
import { deliverBatch, deliveryJobId, enqueueDeliveries } from '../../src/services/webhook-delivery';
import { deliveryBatchJobId } from '../../src/queues/catalogue';
import { RELAY_LOCK } from '../../src/repositories/webhook-relay';
import { insertTestDelivery, listAttempts, recordAttempts, type AttemptRecord } from '../../src/repositories/webhook-deliveries';
import { testMessage } from '../../src/domain';

let t: TestApp;
let rx: Receiver;

/** The attempt timeout is a minute: a held answer must not time out while this process is stalled. */
const ENV = {
  WEBHOOK_ALLOW_PRIVATE: 'true',
  WEBHOOK_RETRY_SCHEDULE_MS: '50,50,50',
  WEBHOOK_RELAY_EVERY_MS: '20',
  WEBHOOK_TIMEOUT_MS: '60000',
  WEBHOOK_CONCURRENCY: '4',
  WEBHOOK_ENDPOINT_CONCURRENCY: '1',
};

beforeAll(async () => {
  rx = await startReceiver();
  t = await startTestApp(ENV);
});
afterAll(async () => {
  await t?.close();
  await rx?.close();
});

async function endpoint(a: TestAccount, path: string, extra: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const res = await t.http.post('/v1/webhook-endpoints').set(a.auth).send({ url: rx.url + path, ...extra });
  expect(res.status).toBe(201);
  return res.body;
}

async function deliveries(a: TestAccount, endpointId: string, query = ''): Promise<any[]> {
  const res = await t.http.get(`/v1/webhook-endpoints/${endpointId}/deliveries${query}`).set(a.auth);
  expect(res.status).toBe(200);
  return res.body.data;
}

async function events(a: TestAccount): Promise<any[]> {
  return (await t.http.get('/v1/events?limit=500').set(a.auth)).body.data;
}

/** The relay's cursor: every event up to it has its deliveries. */
const relayCursor = async (): Promise<bigint> =>
  BigInt((await t.running.ctx.orm.em.fork().execute('select last_event_id from webhook_relay where id = 1'))[0].last_event_id);

/** Waits until the relay has passed every event of the account so far: every delivery they make exists. */
async function relayedAll(a: TestAccount): Promise<void> {
  const last = (await events(a)).reduce((m, e) => (BigInt(e.id) > m ? BigInt(e.id) : m), 0n);
  await eventually(relayCursor, (c) => c >= last);
}

/** Holds the relay's lock, so no relay step runs until the answered function lets go. */
async function holdRelay(): Promise<() => Promise<void>> {
  const c = new Client({ connectionString: t.env.databaseUrl });
  await c.connect();
  await c.query('select pg_advisory_lock($1, $2)', [...RELAY_LOCK]);
  return () => c.end();
}

/** The id of the account's `coupon.created` event for a coupon. */
async function createdEventId(a: TestAccount, couponId: string): Promise<string> {
  const [ev] = (await events(a)).filter((x) => x.type === 'coupon.created' && x.data.couponId === couponId);
  return ev.id;
}

/** Waits until a delivery's job (of a round) has finished, and answers its state: no attempt of it follows. */
async function jobFinished(deliveryId: string, round = 0): Promise<string> {
  const queue = t.running.ctx.queues.webhooks;
  return eventually(() => queue.getJobState(deliveryJobId(deliveryId, round)), (s) => s === 'completed' || s === 'failed');
}

const headersOf = (r: { headers: Record<string, unknown> }) => ({
  'webhook-id': String(r.headers['webhook-id']),
  'webhook-timestamp': String(r.headers['webhook-timestamp']),
  'webhook-signature': String(r.headers['webhook-signature']),
});

describe('webhook endpoints', () => {
  test('create shows the secret once; read, list, edit and delete never show it', async () => {
    const a = await t.createAccount();
    const created = await endpoint(a, '/crud', { eventTypes: ['coupon.created'], description: 'billing' });
    expect(created).toEqual({
      id: expect.any(String), url: rx.url + '/crud', eventTypes: ['coupon.created'], description: 'billing', status: 'enabled',
      createdAt: expect.stringMatching(/Z$/), updatedAt: expect.stringMatching(/Z$/), secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
    });
    expect(Buffer.from(created.secret.slice(6), 'base64')).toHaveLength(32);
    const { secret, ...view } = created;
    expect((await t.http.get(`/v1/webhook-endpoints/${created.id}`).set(a.auth)).body).toEqual(view);
    expect((await t.http.get('/v1/webhook-endpoints').set(a.auth)).body).toEqual({ data: [view], nextCursor: null });
    const patched = await t.http.patch(`/v1/webhook-endpoints/${created.id}`).set(a.auth).send({ eventTypes: [], description: null, status: 'disabled' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ eventTypes: [], description: null, status: 'disabled' });
    expect(patched.body.secret).toBeUndefined();
    const other = await t.createAccount();
    expect((await t.http.get(`/v1/webhook-endpoints/${created.id}`).set(other.auth)).status).toBe(404);
    await t.http.delete(`/v1/webhook-endpoints/${created.id}`).set(a.auth).expect(204);
    expect((await t.http.get(`/v1/webhook-endpoints/${created.id}`).set(a.auth)).status).toBe(404);
    expect((await t.http.delete(`/v1/webhook-endpoints/${created.id}`).set(a.auth)).status).toBe(404);
  });

  test.each([
    [{ url: 'ftp://example.com/x' }, 'url'],
    [{ url: 'not a url' }, 'url'],
    [{ url: 'https://u:p@example.com/x' }, 'url'],
    [{ url: 'https://example.com/x', eventTypes: ['coupon.nope'] }, 'eventTypes[0]'],
    [{ url: 'https://example.com/x', eventTypes: ['webhook.test'] }, 'eventTypes[0]'],
    [{ url: 'https://example.com/x', extra: 1 }, 'extra'],
  ])('bad endpoint %j is 400 on %s', async (body, field) => {
    const a = await t.createAccount();
    const res = await t.http.post('/v1/webhook-endpoints').set(a.auth).send(body);
    expect([res.status, res.body.error.code, res.body.error.field]).toEqual([400, 'validation_failed', field]);
  });

  test('rotate-secret bounds: 0..604800', async () => {
    const a = await t.createAccount();
    const e = await endpoint(a, '/bounds');
    for (const [v, status] of [[-1, 400], [604801, 400], [0, 200], [604800, 200]] as const) {
      const res = await t.http.post(`/v1/webhook-endpoints/${e.id}/rotate-secret`).set(a.auth).send({ expiresInSeconds: v });
      expect([v, res.status]).toEqual([v, status]);
    }
    const res = await t.http.post(`/v1/webhook-endpoints/${e.id}/rotate-secret`).set(a.auth);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/) });
  });
});

describe('deliveries', () => {
  test('an event is POSTed as Standard Webhooks, verified by the standardwebhooks package', async () => {
    const a = await t.createAccount();
    const e = await endpoint(a, '/signed');
    const coupon = await createCoupon(t, a);
    const [got] = await rx.waitFor('/signed', 1);
    const [ev] = (await events(a)).filter((x) => x.type === 'coupon.created');
    expect(ev.data).toEqual({ couponId: coupon.id });
    const verified = new Webhook(e.secret).verify(got.body, headersOf(got));
    expect(verified).toEqual({ id: `evt_${ev.id}`, type: 'coupon.created', createdAt: ev.createdAt, sequence: Number(ev.id), data: { couponId: coupon.id } });
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['webhook-id']).toBe(`evt_${ev.id}`);
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(got.body, headersOf(got))).toThrow();
    const [d] = await eventually(() => deliveries(a, e.id), (ds) => ds[0]?.status === 'succeeded');
    expect(d).toEqual({
      id: expect.any(String), endpointId: e.id, eventId: ev.id, eventType: 'coupon.created', webhookId: `evt_${ev.id}`, status: 'succeeded',
      attempts: 1, lastStatusCode: 200, lastError: null, nextAttemptAt: null, createdAt: expect.stringMatching(/Z$/), deliveredAt: expect.stringMatching(/Z$/),
    });
  });

  test('500, 500, 200: one success after 3 attempts, one webhook-id, the attempt log in order', async () => {
    const a = await t.createAccount();
    rx.on('/flaky', [{ status: 500, body: 'boom' }, { status: 500 }, { status: 200, body: 'ok' }]);
    const e = await endpoint(a, '/flaky');
    await createCoupon(t, a);
    const got = await rx.waitFor('/flaky', 3);
    expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(new Set(got.map((r) => r.body)).size).toBe(1);
    const [d] = await eventually(() => deliveries(a, e.id), (ds) => ds[0]?.status === 'succeeded');
    expect(d).toMatchObject({ attempts: 3, lastStatusCode: 200, lastError: null, webhookId: got[0].headers['webhook-id'] });
    const detail = (await t.http.get(`/v1/webhook-deliveries/${d.id}`).set(a.auth)).body;
    expect(detail.attemptLog.map((x: any) => [x.statusCode, x.error, x.responseBody])).toEqual([[500, 'HTTP 500', 'boom'], [500, 'HTTP 500', ''], [200, null, 'ok']]);
    expect(detail.attemptLog.every((x: any) => Number.isInteger(x.durationMs) && x.durationMs >= 0)).toBe(true);
    expect(await jobFinished(d.id)).toBe('completed');
    expect(rx.at('/flaky')).toHaveLength(3);
  });

  test('always failing: N delays → N + 1 attempts, then failed', async () => {
    const a = await t.createAccount();
    rx.on('/down', [{ status: 503 }]);
    const e = await endpoint(a, '/down');
    await createCoupon(t, a);
    const [d] = await eventually(() => deliveries(a, e.id), (ds) => ds[0]?.status === 'failed');
    expect(d).toMatchObject({ attempts: 4, lastStatusCode: 503, lastError: 'HTTP 503', nextAttemptAt: null, deliveredAt: null });
    expect(await jobFinished(d.id)).toBe('completed');
    expect(rx.at('/down')).toHaveLength(4);
  });

  test('410 disables the endpoint with a webhook_endpoint.disabled event; the delivery fails, not retried', async () => {
    const a = await t.createAccount();
    rx.on('/gone', [{ status: 410 }]);
    const e = await endpoint(a, '/gone');
    await createCoupon(t, a);
    await eventually(async () => (await t.http.get(`/v1/webhook-endpoints/${e.id}`).set(a.auth)).body.status, (s) => s === 'disabled');
    const [d] = await deliveries(a, e.id);
    expect(d).toMatchObject({ status: 'failed', attempts: 1, lastStatusCode: 410 });
    const disabled = (await events(a)).filter((x) => x.type === 'webhook_endpoint.disabled');
    expect(disabled.map((x) => x.data)).toEqual([{ endpointId: e.id, url: rx.url + '/gone', reason: 'gone', deliveryId: d.id }]);
    await createCoupon(t, a);
    await relayedAll(a);
    expect(await jobFinished(d.id)).toBe('completed');
    expect(await deliveries(a, e.id)).toHaveLength(1);
    expect(rx.at('/gone')).toHaveLength(1);
  });

  test('redirects are failures and are not followed; Retry-After is honoured; long bodies are cut at 4 KB', async () => {
    const a = await t.createAccount();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    rx.on('/moved', [{ status: 302, headers: { location: rx.url + '/elsewhere' } }, { status: 503, headers: { 'retry-after': '1' }, body: 'x'.repeat(10_000) }, { status: 200, hold: held }]);
    const e = await endpoint(a, '/moved');
    await createCoupon(t, a);
    // the third attempt is in flight (its answer held): the delivery shows what the 503 scheduled
    await rx.waitFor('/moved', 3);
    const [pending] = await deliveries(a, e.id);
    const before = (await t.http.get(`/v1/webhook-deliveries/${pending.id}`).set(a.auth)).body;
    expect([before.status, before.attempts, before.attemptLog.length]).toEqual(['pending', 2, 2]);
    const second = before.attemptLog[1];
    // Retry-After: 1 → the next attempt 1,000 ms after the 503 attempt ended, not the schedule's 50 ms
    expect(before.nextAttemptAt).toBe(new Date(Date.parse(second.at) + second.durationMs + 1000).toISOString());
    release();
    const [d] = await eventually(() => deliveries(a, e.id), (ds) => ds[0]?.status === 'succeeded');
    const log = (await t.http.get(`/v1/webhook-deliveries/${d.id}`).set(a.auth)).body.attemptLog;
    expect(log.map((x: any) => [x.statusCode, x.error])).toEqual([[302, `HTTP 302: redirects are not followed (to ${rx.url}/elsewhere)`], [503, 'HTTP 503'], [200, null]]);
    expect(log[1].responseBody).toBe('x'.repeat(4096));
    expect(rx.at('/elsewhere')).toHaveLength(0);
  });

  test('rotation: both signatures during the overlap, never more than two', async () => {
    const a = await t.createAccount();
    const e = await endpoint(a, '/rotated');
    const second = (await t.http.post(`/v1/webhook-endpoints/${e.id}/rotate-secret`).set(a.auth).send({ expiresInSeconds: 3600 })).body.secret;
    await createCoupon(t, a);
    const [one] = await rx.waitFor('/rotated', 1);
    const sigs = String(one.headers['webhook-signature']).split(' ');
    expect(sigs).toHaveLength(2);
    expect(sigs.every((s) => s.startsWith('v1,'))).toBe(true);
    // each secret alone verifies the message
    expect(new Webhook(second).verify(one.body, headersOf(one))).toBeTruthy();
    expect(new Webhook(e.secret).verify(one.body, headersOf(one))).toBeTruthy();
    const third = (await t.http.post(`/v1/webhook-endpoints/${e.id}/rotate-secret`).set(a.auth).send({ expiresInSeconds: 3600 })).body.secret;
    await createCoupon(t, a);
    const [, two] = await rx.waitFor('/rotated', 2);
    expect(String(two.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(new Webhook(third).verify(two.body, headersOf(two))).toBeTruthy();
    expect(new Webhook(second).verify(two.body, headersOf(two))).toBeTruthy();
    expect(() => new Webhook(e.secret).verify(two.body, headersOf(two))).toThrow();
    await t.http.post(`/v1/webhook-endpoints/${e.id}/rotate-secret`).set(a.auth).send({ expiresInSeconds: 0 }).expect(200);
    await createCoupon(t, a);
    const [, , three] = await rx.waitFor('/rotated', 3);
    expect(String(three.headers['webhook-signature']).split(' ')).toHaveLength(1);
  });

  test('event types filter; only events after creation; nothing for events while disabled', async () => {
    const a = await t.createAccount();
    const before = await createCoupon(t, a);
    const filtered = await endpoint(a, '/filtered', { eventTypes: ['coupon.archived'] });
    const all = await endpoint(a, '/all');
    await t.http.post(`/v1/coupons/${before.id}/archive`).set(a.auth).expect(200);
    await rx.waitFor('/filtered', 1);
    await rx.waitFor('/all', 1);
    await t.http.patch(`/v1/webhook-endpoints/${all.id}`).set(a.auth).send({ status: 'disabled' }).expect(200);
    const during = await createCoupon(t, a);
    await t.http.patch(`/v1/webhook-endpoints/${all.id}`).set(a.auth).send({ status: 'enabled' }).expect(200);
    const after = await createCoupon(t, a);
    // every delivery the events make exists once the relay passed them; each is sent once it succeeded
    await relayedAll(a);
    for (const e of [filtered, all]) await eventually(() => deliveries(a, e.id), (ds) => ds.every((d) => d.status === 'succeeded'));
    const typesData = (path: string) => rx.at(path).map((r) => { const b = JSON.parse(r.body); return [b.type, b.data.couponId]; });
    expect(typesData('/filtered')).toEqual([['coupon.archived', before.id]]);
    expect(typesData('/all')).toEqual([['coupon.archived', before.id], ['coupon.created', after.id]]);
    expect(during.id).not.toBe(after.id);
    expect((await events(a)).filter((x) => x.type.startsWith('webhook'))).toEqual([]);
  });

  test('an event that occurred while the endpoint was enabled reaches it, though it was disabled before the relay got there', async () => {
    const a = await t.createAccount();
    const e = await endpoint(a, '/late');
    const release = await holdRelay();
    let coupon: Record<string, any>;
    try {
      coupon = await createCoupon(t, a);
      await t.http.patch(`/v1/webhook-endpoints/${e.id}`).set(a.auth).send({ status: 'disabled' }).expect(200);
      expect(await relayCursor()).toBeLessThan(BigInt(await createdEventId(a, coupon.id)));
    } finally {
      await release();
    }
    await relayedAll(a);
    const eventId = await createdEventId(a, coupon.id);
    expect((await deliveries(a, e.id)).map((d) => d.eventId)).toEqual([eventId]);
    const [d] = await eventually(() => deliveries(a, e.id), (ds) => ds[0].status !== 'pending');
    expect(d).toMatchObject({ eventId, status: 'succeeded', attempts: 1, lastStatusCode: 200 });
    const [got] = rx.at('/late');
    expect(new Webhook(e.secret).verify(got.body, headersOf(got))).toMatchObject({ id: `evt_${eventId}`, type: 'coupon.created', data: { couponId: coupon.id } });
    expect((await t.http.get(`/v1/webhook-endpoints/${e.id}`).set(a.auth)).body.status).toBe('disabled');
  });

  test('disabled and enabled again before the relay runs: the events while enabled are delivered, the one while disabled never', async () => {
    const a = await t.createAccount();
    const e = await endpoint(a, '/toggled');
    const release = await holdRelay();
    const coupons: Record<string, any>[] = [];
    try {
      coupons.push(await createCoupon(t, a));
      await t.http.patch(`/v1/webhook-endpoints/${e.id}`).set(a.auth).send({ status: 'disabled' }).expect(200);
      coupons.push(await createCoupon(t, a));
      await t.http.patch(`/v1/webhook-endpoints/${e.id}`).set(a.auth).send({ status: 'enabled' }).expect(200);
      coupons.push(await createCoupon(t, a));
      expect(await relayCursor()).toBeLessThan(BigInt(await createdEventId(a, coupons[0].id)));
    } finally {
      await release();
    }
    await relayedAll(a);
    const [before, during, after] = await Promise.all(coupons.map((c) => createdEventId(a, c.id)));
    expect((await deliveries(a, e.id)).map((d) => d.eventId).sort()).toEqual([before, after].sort());
    await eventually(() => deliveries(a, e.id), (ds) => ds.every((d) => d.status === 'succeeded'));
    const sent = rx.at('/toggled').map((r) => JSON.parse(r.body).id).sort();
    expect(sent).toEqual([`evt_${before}`, `evt_${after}`].sort());
    expect(sent).not.toContain(`evt_${during}`);
  });

  test('a test sent to a disabled endpoint fails without a request', async () => {
    const a = await t.createAccount();
    const e = await endpoint(a, '/off-test');
    await t.http.patch(`/v1/webhook-endpoints/${e.id}`).set(a.auth).send({ status: 'disabled' }).expect(200);
    const res = await t.http.post(`/v1/webhook-endpoints/${e.id}/test`).set(a.auth);
    expect(res.status).toBe(202);
    const d = await eventually(async () => (await t.http.get(`/v1/webhook-deliveries/${res.body.id}`).set(a.auth)).body, (x: any) => x.status !== 'pending');
    expect(d).toMatchObject({ status: 'failed', attempts: 0, lastError: 'the endpoint is disabled', attemptLog: [] });
    expect(await jobFinished(res.body.id)).toBe('completed');
    expect(rx.at('/off-test')).toHaveLength(0);
  });

  test('test event: to that endpoint only, whatever its types, id evt_test_<uuid>, sequence null, not an account event', async () => {
    const a = await t.createAccount();
    const e = await endpoint(a, '/tested', { eventTypes: ['batch.failed'] });
    const bystander = await endpoint(a, '/bystander');
    const res = await t.http.post(`/v1/webhook-endpoints/${e.id}/test`).set(a.auth);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ endpointId: e.id, eventType: 'webhook.test', status: 'pending', webhookId: expect.stringMatching(/^evt_test_[0-9a-f-]{36}$/) });
    const [got] = await rx.waitFor('/tested', 1);
    const body = new Webhook(e.secret).verify(got.body, headersOf(got)) as any;
    expect(body).toEqual({ id: res.body.webhookId, type: 'webhook.test', createdAt: expect.stringMatching(/Z$/), sequence: null, data: { endpointId: e.id } });
    expect(got.headers['webhook-id']).toBe(res.body.webhookId);
    expect(await events(a)).toEqual([]);
    // no account event, so the relay makes no delivery; the test delivery is the endpoint's only one
    expect((await deliveries(a, e.id)).map((d) => d.webhookId)).toEqual([res.body.webhookId]);
    expect(await deliveries(a, bystander.id)).toEqual([]);
    expect(rx.at('/bystander')).toHaveLength(0);
    expect((await t.http.post('/v1/webhook-endpoints/00000000-0000-4000-8000-000000000000/test').set(a.auth)).status).toBe(404);
  });

  test('redeliver: one more attempt of the same event with the same webhook-id; status filter and cursor', async () => {
    const a = await t.createAccount();
    const e = await endpoint(a, '/again');
    await createCoupon(t, a);
    await createCoupon(t, a);
    const ds = await eventually(() => deliveries(a, e.id, '?status=succeeded'), (x) => x.length === 2);
    expect(ds[0].createdAt >= ds[1].createdAt).toBe(true);
    const page1 = (await t.http.get(`/v1/webhook-endpoints/${e.id}/deliveries?limit=1`).set(a.auth)).body;
    const page2 = (await t.http.get(`/v1/webhook-endpoints/${e.id}/deliveries?limit=1&cursor=${page1.nextCursor}`).set(a.auth)).body;
    expect([...page1.data, ...page2.data].map((d: any) => d.id)).toEqual(ds.map((d) => d.id));
    expect(page2.nextCursor).toBeNull();
    expect(await deliveries(a, e.id, '?status=failed')).toEqual([]);
    const target = ds[1];
    const res = await t.http.post(`/v1/webhook-deliveries/${target.id}/redeliver`).set(a.auth);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ id: target.id, status: 'pending' });
    await eventually(async () => (await t.http.get(`/v1/webhook-deliveries/${target.id}`).set(a.auth)).body, (d: any) => d.status === 'succeeded' && d.attempts === 2);
    const same = rx.at('/again').filter((r) => r.headers['webhook-id'] === target.webhookId);
    expect(same).toHaveLength(2);
    expect(same[0].body).toBe(same[1].body);
    expect((await t.http.post('/v1/webhook-deliveries/nope/redeliver').set(a.auth)).status).toBe(404);
    expect((await t.http.get(`/v1/webhook-deliveries/${target.id}`).set((await t.createAccount()).auth)).status).toBe(404);
  });

  test('attempts of several deliveries in one statement: each moves only while pending in its round with the attempts it was read with, once', async () => {
    const a = await t.createAccount();
    const e = await endpoint(a, '/batched');
    const em = t.running.ctx.orm.em.fork();
    // rows without jobs: no worker attempts them while the test writes their attempts
    const [d1, d2, d3] = await Promise.all([0, 1, 2].map((i) => insertTestDelivery(em, {
      accountId: a.id, endpointId: e.id, message: testMessage(`00000000-0000-4000-8000-00000000000${i}`, e.id, '2026-03-01T00:00:00.000Z'), attemptsAllowed: 3,
    })));
    const at = '2026-03-01T10:00:00.000Z';
    const ok: AttemptRecord = { at, statusCode: 200, error: null, durationMs: 12, responseBody: 'fine', status: 'succeeded', nextAttemptAt: null };
    const retry: AttemptRecord = { at, statusCode: 503, error: 'HTTP 503', durationMs: 7, responseBody: null, status: 'pending', nextAttemptAt: '2026-03-01T10:00:05.000Z' };
    expect(await recordAttempts(em, [
      { deliveryId: d1.id, round: 0, attemptsBefore: 0, attempt: ok },
      { deliveryId: d2.id, round: 1, attemptsBefore: 0, attempt: ok }, // another round: nothing recorded
      { deliveryId: d1.id, round: 0, attemptsBefore: 0, attempt: retry }, // named twice: moved once
      { deliveryId: d3.id, round: 0, attemptsBefore: 0, attempt: retry },
    ])).toEqual([1, null, null, 1]);
    const view = async (id: string) => (await t.http.get(`/v1/webhook-deliveries/${id}`).set(a.auth)).body;
    expect(await view(d1.id)).toMatchObject({ status: 'succeeded', attempts: 1, lastStatusCode: 200, deliveredAt: at, nextAttemptAt: null, attemptLog: [{ at, statusCode: 200, error: null, durationMs: 12 }] });
    expect(await view(d2.id)).toMatchObject({ status: 'pending', attempts: 0, attemptLog: [] });
    expect(await view(d3.id)).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: 503, lastError: 'HTTP 503', nextAttemptAt: '2026-03-01T10:00:05.000Z', deliveredAt: null });
    expect(await listAttempts(em, d3.id)).toEqual([{ at, statusCode: 503, error: 'HTTP 503', durationMs: 7, responseBody: null }]);
    // a finished delivery takes no more attempts
    expect(await recordAttempts(em, [{ deliveryId: d1.id, round: 0, attemptsBefore: 1, attempt: retry }])).toEqual([null]);
    // a second copy of d3's first attempt (read at 0 attempts, as the first was) records nothing; its real second attempt does
    expect(await recordAttempts(em, [{ deliveryId: d3.id, round: 0, attemptsBefore: 0, attempt: retry }])).toEqual([null]);
    expect(await listAttempts(em, d3.id)).toHaveLength(1);
    expect(await recordAttempts(em, [{ deliveryId: d3.id, round: 0, attemptsBefore: 1, attempt: ok }])).toEqual([2]);
    expect(await view(d3.id)).toMatchObject({ status: 'succeeded', attempts: 2, lastStatusCode: 200 });
  });

  test('a slow endpoint holds at most its share: the others are delivered meanwhile', async () => {
    const a = await t.createAccount();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    rx.on('/slow', [{ status: 200, hold: held }]);
    const slow = await endpoint(a, '/slow');
    const fast = await endpoint(a, '/fast');
    for (let i = 0; i < 8; i++) await createCoupon(t, a);
    // WEBHOOK_CONCURRENCY=4, one slot per endpoint: the fast endpoint gets all 8 while the slow one holds its first
    await rx.waitFor('/fast', 8);
    expect(rx.at('/slow')).toHaveLength(1);
    release();
    await rx.waitFor('/slow', 8);
    const done = await eventually(() => deliveries(a, slow.id, '?status=succeeded'), (x) => x.length === 8);
    expect(done).toHaveLength(8);
    expect(await deliveries(a, fast.id, '?status=succeeded')).toHaveLength(8);
  });

  test('the webhooks queue is in Bull Board and its jobs carry ids derived from the delivery', async () => {
    const res = await t.http.get('/admin/queues/api/queues').auth('admin', 'admin');
    expect(res.status).toBe(200);
    expect(res.body.queues.map((q: any) => q.name)).toContain('webhooks');
    const jobs = await t.running.ctx.queues.webhooks.getJobs(['completed'], 0, 5);
    expect(jobs.length).toBeGreaterThan(0);
    for (const j of jobs) expect(j.id).toMatch(/^(whd-[0-9a-f-]{36}-\d+|whb-[0-9a-f-]{36}-[0-9a-f-]{36})$/);
  });
});


/** A delivery as the recover tests read it. */
interface Delivery {
  id: string;
  eventId: string;
  webhookId: string;
  status: string;
  attempts: number;
}

/** The `coupon.created` event of a coupon. */
async function couponCreatedEvent(a: TestAccount, couponId: string): Promise<{ id: string; createdAt: string }> {
  return (await events(a)).find((e) => e.type === 'coupon.created' && e.data.couponId === couponId);
}

const byEvent = (ds: Delivery[]) => Object.fromEntries(ds.map((d) => [d.eventId, [d.status, d.attempts]]));

describe('POST /v1/webhook-endpoints/{id}/recover', () => {
  test('sends again every failed delivery of the endpoint whose event occurred at or after since, with the same webhook-id', async () => {
    const a = await t.createAccount();
    rx.on('/recover-outage', [{ status: 503 }]);
    rx.on('/recover-bystander', [{ status: 503 }]);
    const ep = (await endpoint(a, '/recover-outage')).id;
    const other = (await endpoint(a, '/recover-bystander')).id;

    const early = await createCoupon(t, a);
    await eventually(() => deliveries(a, ep), (ds) => ds.length === 1 && ds[0].status === 'failed');
    const late1 = await createCoupon(t, a);
    const late2 = await createCoupon(t, a);
    await eventually(() => deliveries(a, ep), (ds) => ds.length === 3 && ds.every((d) => d.status === 'failed'));
    await eventually(() => deliveries(a, other), (ds) => ds.length === 3 && ds.every((d) => d.status === 'failed'));
    // the receiver is back
    rx.on('/recover-outage', [{ status: 200 }]);
    const after = await createCoupon(t, a);
    const [e0, e1, e2, e3] = await Promise.all([early, late1, late2, after].map((c) => couponCreatedEvent(a, c.id)));
    await eventually(() => deliveries(a, ep), (ds) => ds.length === 4 && ds.some((d) => d.eventId === e3.id && d.status === 'succeeded'));
    expect(rx.at('/recover-outage')).toHaveLength(13);
    const before: Delivery[] = await deliveries(a, ep);

    const res = await t.http.post(`/v1/webhook-endpoints/${ep}/recover`).set(a.auth).send({ since: e1.createdAt });
    expect([res.status, res.body]).toEqual([202, { deliveries: 2 }]);
    const done = await eventually(() => deliveries(a, ep), (ds) => ds.filter((d) => d.status === 'succeeded').length === 3);
    expect(byEvent(done)).toEqual({ [e0.id]: ['failed', 4], [e1.id]: ['succeeded', 5], [e2.id]: ['succeeded', 5], [e3.id]: ['succeeded', 1] });
    const sentAgain = rx.at('/recover-outage').slice(13);
    const webhookIdOf = (eventId: string) => before.find((d) => d.eventId === eventId)!.webhookId;
    expect(sentAgain.map((r) => String(r.headers['webhook-id'])).sort()).toEqual([webhookIdOf(e1.id), webhookIdOf(e2.id)].sort());
    // the other endpoint's failures are its own
    const others = await eventually(() => deliveries(a, other), (ds) => ds.length === 4 && ds.every((d) => d.status === 'failed'));
    expect(byEvent(others)).toEqual({ [e0.id]: ['failed', 4], [e1.id]: ['failed', 4], [e2.id]: ['failed', 4], [e3.id]: ['failed', 4] });

    // nothing failed since then: nothing to send
    const again = await t.http.post(`/v1/webhook-endpoints/${ep}/recover`).set(a.auth).send({ since: e1.createdAt });
    expect([again.status, again.body]).toEqual([202, { deliveries: 0 }]);
    // an instant after the last failed event's leaves it out; one before the first takes it in
    const later = new Date(Date.parse(e0.createdAt) + 1).toISOString();
    const none = await t.http.post(`/v1/webhook-endpoints/${ep}/recover`).set(a.auth).send({ since: later });
    expect([none.status, none.body]).toEqual([202, { deliveries: 0 }]);
    const offset = new Date(Date.parse(e0.createdAt) - 3_600_000).toISOString().replace('Z', '+00:00');
    const all = await t.http.post(`/v1/webhook-endpoints/${ep}/recover`).set(a.auth).send({ since: offset });
    expect([all.status, all.body]).toEqual([202, { deliveries: 1 }]);
    await eventually(() => deliveries(a, ep), (ds) => ds.every((d) => d.status === 'succeeded'));
    expect(byEvent(await deliveries(a, ep))[e0.id]).toEqual(['succeeded', 5]);
  });

  test('a bad since is 400 naming it; an unknown or another account’s endpoint is 404', async () => {
    const a = await t.createAccount();
    const ep = (await endpoint(a, '/recover-quiet')).id;
    for (const body of [{}, { since: 'yesterday' }, { since: '2026-12-01T00:00:00' }, { since: '2026-12-01T00:00:00Z', extra: 1 }]) {
      const res = await t.http.post(`/v1/webhook-endpoints/${ep}/recover`).set(a.auth).send(body);
      expect([res.status, res.body.error.code, res.body.error.field]).toEqual([400, 'validation_failed', 'extra' in body ? 'extra' : 'since']);
    }
    const since = { since: '2026-12-01T00:00:00Z' };
    expect((await t.http.post('/v1/webhook-endpoints/00000000-0000-4000-8000-000000000000/recover').set(a.auth).send(since)).status).toBe(404);
    expect((await t.http.post('/v1/webhook-endpoints/nope/recover').set(a.auth).send(since)).status).toBe(404);
    expect((await t.http.post(`/v1/webhook-endpoints/${ep}/recover`).set((await t.createAccount()).auth).send(since)).status).toBe(404);
  });
});

describe('the injected clock', () => {
  test('an attempt is stamped, signed and scheduled at the instant the clock says, not the wall clock', async () => {
    // a whole second a day behind the wall clock
    const instant = new Date(Math.floor(Date.now() / 1000) * 1000 - 86_400_000).toISOString();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const app = await startTestApp(ENV, { clock: new TestClock(instant) });
    try {
      const a = await app.createAccount();
      rx.on('/clocked', [{ status: 500 }, { status: 200, hold: held }]);
      const created = await app.http.post('/v1/webhook-endpoints').set(a.auth).send({ url: rx.url + '/clocked' });
      expect(created.status).toBe(201);
      await createCoupon(app, a);
      await rx.waitFor('/clocked', 2);
      const [pending] = (await app.http.get(`/v1/webhook-endpoints/${created.body.id}/deliveries`).set(a.auth)).body.data;
      const first = (await app.http.get(`/v1/webhook-deliveries/${pending.id}`).set(a.auth)).body;
      expect(first.attemptLog.map((x: any) => [x.at, x.statusCode])).toEqual([[instant, 500]]);
      expect(first.nextAttemptAt).toBe(new Date(Date.parse(instant) + first.attemptLog[0].durationMs + 50).toISOString());
      release();
      const done = await eventually(async () => (await app.http.get(`/v1/webhook-deliveries/${pending.id}`).set(a.auth)).body, (d: any) => d.status === 'succeeded');
      expect(done.attemptLog.map((x: any) => [x.at, x.statusCode])).toEqual([[instant, 500], [instant, 200]]);
      expect(done.deliveredAt).toBe(instant);
      expect(rx.at('/clocked').map((r) => r.headers['webhook-timestamp'])).toEqual([String(Date.parse(instant) / 1000), String(Date.parse(instant) / 1000)]);
    } finally {
      release();
      await app.close();
    }
  });
});

describe('schema', () => {
  test('the webhook entities and the events trigger describe exactly what the migration made', async () => {
    const sql = await t.running.ctx.orm.schema.getUpdateSchemaSQL({ wrap: false });
    expect(sql.split('\n').filter((l) => /webhook|events_id_bound/.test(l))).toEqual([]);
  });
});

describe('batches of new deliveries', () => {
  /** An endpoint's deliveries, oldest event first. */
  const byEvent = async (a: TestAccount, endpointId: string) =>
    (await deliveries(a, endpointId)).sort((x, y) => String(x.eventId).localeCompare(String(y.eventId), 'en', { numeric: true }));

  test('one relay step’s deliveries to an endpoint go as one job; the one that failed leaves as a job of its own and is retried', async () => {
    const a = await t.createAccount();
    rx.on('/batch', [{ status: 200 }, { status: 500, body: 'later' }, { status: 200 }]);
    const e = await endpoint(a, '/batch', { eventTypes: ['coupon.created'] });
    const release = await holdRelay();
    try {
      for (let i = 0; i < 3; i++) await createCoupon(t, a);
    } finally {
      await release();
    }
    await rx.waitFor('/batch', 4);
    const ds = await eventually(() => byEvent(a, e.id), (x) => x.length === 3 && x.every((d) => d.status === 'succeeded'));
    expect(ds.map((d) => d.attempts)).toEqual([1, 2, 1]);
    const detail = (await t.http.get(`/v1/webhook-deliveries/${ds[1].id}`).set(a.auth)).body;
    expect(detail.attemptLog.map((x: any) => [x.statusCode, x.responseBody])).toEqual([[500, 'later'], [200, '']]);
    // WEBHOOK_ENDPOINT_CONCURRENCY=1: the batch sent in event order, then the retry
    expect(rx.at('/batch').map((r) => r.headers['webhook-id'])).toEqual([ds[0].webhookId, ds[1].webhookId, ds[2].webhookId, ds[1].webhookId]);
    const queue = t.running.ctx.queues.webhooks;
    // the batch is named by its endpoint and first delivery (the relay's order: by event)
    const batchId = deliveryBatchJobId(e.id, ds[0].id);
    const batch = await eventually(() => queue.getJob(batchId), (j) => j?.returnvalue != null);
    expect(batch?.name).toBe('deliver-batch');
    expect(batch?.data.deliveryIds).toEqual(ds.map((d) => d.id));
    expect(batch?.returnvalue).toEqual({ kind: 'sent', succeeded: 2, failed: 0, handedOn: 1, skipped: 0 });
    expect(await jobFinished(ds[1].id)).toBe('completed');
    expect(await queue.getJob(deliveryJobId(ds[0].id, 0))).toBeUndefined();
    expect(await queue.getJob(deliveryJobId(ds[2].id, 0))).toBeUndefined();
  });

  test('a batch sends only what was not sent; an old one leaves out deliveries given a job of their own; two batches per endpoint at a time', async () => {
    const a = await t.createAccount();
    const e = await endpoint(a, '/batch-again');
    const em = t.running.ctx.orm.em.fork();
    // rows without jobs, as a relay step makes them before its jobs are added
    const ds = await Promise.all([0, 1, 2].map((i) => insertTestDelivery(em, {
      accountId: a.id, endpointId: e.id, message: testMessage(`00000000-0000-4000-8000-00000000010${i}`, e.id, '2026-03-01T00:00:00.000Z'), attemptsAllowed: 4,
    })));
    const ctx = t.running.ctx;
    const queue = ctx.queues.webhooks;
    const data = { accountId: a.id, endpointId: e.id, deliveryIds: ds.map((d) => d.id) };
    // the sweeper gave the second a job of its own (due later, so it waits while the batch runs)
    await enqueueDeliveries(queue, [{ id: ds[1].id, accountId: a.id, round: 0, attemptsLeft: 4, delayMs: 600_000 }]);
    try {
      // enqueued longer ago than the sweeper's grace: the second is its own job's
      const old = Date.now() - ctx.config.webhooks.sweepEveryMs - 1;
      expect(await deliverBatch(ctx, data, 'test-old', old)).toEqual({ kind: 'sent', succeeded: 2, failed: 0, handedOn: 0, skipped: 1 });
      expect(rx.at('/batch-again').map((r) => r.headers['webhook-id'])).toEqual([ds[0].webhookId, ds[2].webhookId]);
      // the same batch again (a retry after a crash): only the second is left to send. A second batch of the endpoint
      // joins the first in this process (its one delivery was sent already); a third is paced
      const first = deliverBatch(ctx, data, 'test-again', Date.now());
      const second = deliverBatch(ctx, { ...data, deliveryIds: [ds[0].id] }, 'test-second', Date.now());
      const third = await deliverBatch(ctx, data, 'test-third', Date.now());
      expect(third).toMatchObject({ kind: 'paced' });
      expect(await first).toEqual({ kind: 'sent', succeeded: 1, failed: 0, handedOn: 0, skipped: 2 });
      expect(await second).toEqual({ kind: 'sent', succeeded: 0, failed: 0, handedOn: 0, skipped: 1 });
      expect(rx.at('/batch-again').map((r) => r.headers['webhook-id'])).toEqual([ds[0].webhookId, ds[2].webhookId, ds[1].webhookId]);
      expect((await byEvent(a, e.id)).map((d) => [d.status, d.attempts])).toEqual([['succeeded', 1], ['succeeded', 1], ['succeeded', 1]]);
    } finally {
      await (await queue.getJob(deliveryJobId(ds[1].id, 0)))?.remove();
    }
  });
});
