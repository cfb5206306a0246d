import { startTestApp, type TestAccount, type TestApp } from '../helpers/harness';
import { createCoupon } from '../helpers/api';
import { eventually, startReceiver, type Receiver } from '../helpers/webhook-receiver';

let t: TestApp;
let rx: Receiver;

// one delay: two attempts, then failed
const ENV = { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_SCHEDULE_MS: '20', WEBHOOK_RELAY_EVERY_MS: '20', WEBHOOK_TIMEOUT_MS: '3000' };

beforeAll(async () => {
  rx = await startReceiver();
  t = await startTestApp(ENV);
});
afterAll(async () => {
  await t?.close();
  await rx?.close();
});

async function endpoint(a: TestAccount, path: string): Promise<string> {
  const res = await t.http.post('/v1/webhook-endpoints').set(a.auth).send({ url: rx.url + path });
  expect(res.status).toBe(201);
  return res.body.id;
}

interface Delivery {
  id: string;
  eventId: string;
  webhookId: string;
  status: string;
  attempts: number;
}

async function deliveries(a: TestAccount, endpointId: string): Promise<Delivery[]> {
  const res = await t.http.get(`/v1/webhook-endpoints/${endpointId}/deliveries`).set(a.auth);
  expect(res.status).toBe(200);
  return res.body.data;
}

/** The `coupon.created` event of a coupon. */
async function createdEvent(a: TestAccount, couponId: string): Promise<{ id: string; createdAt: string }> {
  const all = (await t.http.get('/v1/events?limit=500').set(a.auth)).body.data as { id: string; type: string; createdAt: string; data: { couponId?: string } }[];
  return all.find((e) => e.type === 'coupon.created' && e.data.couponId === couponId)!;
}

const byEvent = (ds: Delivery[]) => Object.fromEntries(ds.map((d) => [d.eventId, [d.status, d.attempts]]));

describe('POST /v1/webhook-endpoints/{id}/recover', () => {
  test('sends again every failed delivery of the endpoint whose event occurred at or after since, with the same webhook-id', async () => {
    const a = await t.createAccount();
    rx.on('/outage', [{ status: 503 }]);
    rx.on('/bystander', [{ status: 503 }]);
    const ep = await endpoint(a, '/outage');
    const other = await endpoint(a, '/bystander');

    const early = await createCoupon(t, a);
    await eventually(() => deliveries(a, ep), (ds) => ds.length === 1 && ds[0].status === 'failed');
    const late1 = await createCoupon(t, a);
    const late2 = await createCoupon(t, a);
    await eventually(() => deliveries(a, ep), (ds) => ds.length === 3 && ds.every((d) => d.status === 'failed'));
    await eventually(() => deliveries(a, other), (ds) => ds.length === 3 && ds.every((d) => d.status === 'failed'));
    // the receiver is back
    rx.on('/outage', [{ status: 200 }]);
    const after = await createCoupon(t, a);
    const [e0, e1, e2, e3] = await Promise.all([early, late1, late2, after].map((c) => createdEvent(a, c.id)));
    await eventually(() => deliveries(a, ep), (ds) => ds.length === 4 && ds.some((d) => d.eventId === e3.id && d.status === 'succeeded'));
    expect(rx.at('/outage')).toHaveLength(7);
    const before = await deliveries(a, ep);

    const res = await t.http.post(`/v1/webhook-endpoints/${ep}/recover`).set(a.auth).send({ since: e1.createdAt });
    expect([res.status, res.body]).toEqual([202, { deliveries: 2 }]);
    const done = await eventually(() => deliveries(a, ep), (ds) => ds.filter((d) => d.status === 'succeeded').length === 3);
    expect(byEvent(done)).toEqual({ [e0.id]: ['failed', 2], [e1.id]: ['succeeded', 3], [e2.id]: ['succeeded', 3], [e3.id]: ['succeeded', 1] });
    const sentAgain = rx.at('/outage').slice(7);
    const webhookIdOf = (eventId: string) => before.find((d) => d.eventId === eventId)!.webhookId;
    expect(sentAgain.map((r) => String(r.headers['webhook-id'])).sort()).toEqual([webhookIdOf(e1.id), webhookIdOf(e2.id)].sort());
    // the other endpoint's failures are its own
    const others = await eventually(() => deliveries(a, other), (ds) => ds.length === 4 && ds.every((d) => d.status === 'failed'));
    expect(byEvent(others)).toEqual({ [e0.id]: ['failed', 2], [e1.id]: ['failed', 2], [e2.id]: ['failed', 2], [e3.id]: ['failed', 2] });

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
    expect(byEvent(await deliveries(a, ep))[e0.id]).toEqual(['succeeded', 3]);
  });

  test('a bad since is 400 naming it; an unknown or another account’s endpoint is 404', async () => {
    const a = await t.createAccount();
    const ep = await endpoint(a, '/quiet');
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
