import { startTestApp, type TestAccount, type TestApp } from '../helpers/harness';
import { createCoupon } from '../helpers/api';
import { runService, type Proc } from '../helpers/processes';
import { eventually, startReceiver, type Receiver } from '../helpers/webhook-receiver';
import { Client } from 'pg';
import { RELAY_LOCK } from '../../src/repositories/webhook-relay';

let t: TestApp;
let rx: Receiver;
const procs: Proc[] = [];

/**
 * The sweeper (which re-enqueues a pending delivery whose job is gone or finished) runs every 2 s
 * here rather than every minute. In one full run on a loaded machine three deliveries made before
 * the kill stayed pending, never attempted, for the whole 40 s wait: their jobs did not come back
 * through the stalled-job check, and a sweep a minute apart comes only after the wait.
 *
 * The attempt timeout is a minute, so the held request is still in flight when its worker is
 * killed: with 3 s, a full run that stalled this process for 3 s between the held request's
 * arrival and the kill saw the first worker time the attempt out and count it (attempts 2).
 */
const WEBHOOK_ENV = {
  WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_SCHEDULE_MS: '100,100', WEBHOOK_RELAY_EVERY_MS: '50', WEBHOOK_TIMEOUT_MS: '60000',
  WEBHOOK_SWEEP_EVERY_MS: '2000', JOB_LOCK_DURATION_MS: '2000', JOB_STALLED_INTERVAL_MS: '1000',
};

beforeAll(async () => {
  rx = await startReceiver();
  t = await startTestApp({ ROLE: 'api', ...WEBHOOK_ENV });
});
afterAll(async () => {
  for (const p of procs) await p.stop();
  await t?.close();
  await rx?.close();
});

function worker(): Proc {
  const p = runService({ ...t.env.env, ...WEBHOOK_ENV, ROLE: 'worker', LOG_LEVEL: 'info' });
  procs.push(p);
  return p;
}

/**
 * An account whose endpoint at `route` holds its first request unanswered (and answers 200
 * after), and a worker running.
 */
async function heldEndpoint(route: string): Promise<{ a: TestAccount; endpointId: string; first: Proc }> {
  const a = await t.createAccount();
  rx.on(route, [{ status: 200, hold: new Promise<void>(() => undefined) }, { status: 200 }]);
  const e = (await t.http.post('/v1/webhook-endpoints').set(a.auth).send({ url: rx.url + route }).expect(201)).body;
  const first = worker();
  await first.waitFor('worker running');
  return { a, endpointId: e.id, first };
}

/**
 * Kills `first` (while it holds a delivery unanswered), starts another worker, and waits
 * until the endpoint's deliveries of the account's `n` events have all succeeded.
 */
async function killAndRecover(first: Proc, a: TestAccount, endpointId: string, n: number): Promise<{ events: any[]; ds: any[] }> {
  first.child.kill('SIGKILL');
  await first.exited;
  const second = worker();
  await second.waitFor('worker running');
  const events = (await t.http.get('/v1/events').set(a.auth)).body.data;
  expect(events).toHaveLength(n);
  const ds = await eventually(
    async () => (await t.http.get(`/v1/webhook-endpoints/${endpointId}/deliveries`).set(a.auth)).body.data as any[],
    (x) => x.length === n && x.every((d) => d.status === 'succeeded'),
    40_000,
  );
  return { events, ds };
}

describe('a worker killed mid-delivery', () => {
  test('the delivery is made by another worker with the same webhook-id; no delivery row is lost', async () => {
    const { a, endpointId, first } = await heldEndpoint('/crash');
    for (let i = 0; i < 6; i++) await createCoupon(t, a);
    const [held] = await rx.waitFor('/crash', 1);
    const { events, ds } = await killAndRecover(first, a, endpointId, 6);
    expect(ds.map((d) => d.eventId).sort()).toEqual(events.map((ev: any) => ev.id).sort());
    const again = rx.at('/crash').filter((r) => r.headers['webhook-id'] === held.headers['webhook-id']);
    expect(again.length).toBeGreaterThanOrEqual(2);
    expect(again.every((r) => r.body === held.body)).toBe(true);
    const webhookIds = new Set(rx.at('/crash').map((r) => r.headers['webhook-id']));
    expect([...webhookIds].sort()).toEqual(events.map((ev: any) => `evt_${ev.id}`).sort());
  }, 90_000);
});

describe('a worker killed mid-batch', () => {
  test('another worker sends what the batch had not sent; every delivery succeeds with one attempt counted', async () => {
    const { a, endpointId, first } = await heldEndpoint('/crash-batch');
    // the relay held while the events are written: one step, one batch job of all four
    const relay = new Client({ connectionString: t.env.databaseUrl });
    await relay.connect();
    await relay.query('select pg_advisory_lock($1, $2)', [...RELAY_LOCK]);
    try {
      for (let i = 0; i < 4; i++) await createCoupon(t, a);
    } finally {
      await relay.end();
    }
    const [held] = await rx.waitFor('/crash-batch', 1);
    const { events, ds } = await killAndRecover(first, a, endpointId, 4);
    expect(ds.map((d) => d.attempts)).toEqual([1, 1, 1, 1]);
    expect(rx.at('/crash-batch').filter((r) => r.headers['webhook-id'] === held.headers['webhook-id']).length).toBeGreaterThanOrEqual(2);
    expect([...new Set(rx.at('/crash-batch').map((r) => r.headers['webhook-id']))].sort()).toEqual(events.map((ev: any) => `evt_${ev.id}`).sort());
  }, 90_000);
});
