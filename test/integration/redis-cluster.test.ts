import IORedis, { Cluster } from 'ioredis';
import request from 'supertest';
import { PrivateRedisCluster } from '../../history/redis-cluster';
import { createInvoiceQueue, enqueueInvoice } from '../../src/producer';
import { startTestApp, type TestAccount, type TestApp } from '../helpers/harness';
import { MONTHLY, addCode, createCoupon, putPlan, redeemBody } from '../helpers/api';
import { startReceiver, type Receiver } from '../helpers/webhook-receiver';

/**
 * The service on a real Redis Cluster (3 masters, 3 replicas, started here on free ports):
 * API.md "Running past one machine". Redemptions with exact limits, invoices (HTTP and the
 * typed producer), a batch, expiry, webhooks, the guessing defence and queue admission, every
 * key hash-tagged; then a master is killed: requests answer 503 (never 500) during the failover,
 * 201 again within 30 s, and jobs accepted before it complete once. Figures are printed.
 */

let cluster: PrivateRedisCluster;
let t: TestApp;
let rx: Receiver;
let acct: TestAccount;
const figures: Record<string, number | string> = {};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${JSON.stringify(v)}`);
    await sleep(100);
  }
}

beforeAll(async () => {
  const t0 = Date.now();
  [cluster, rx] = await Promise.all([PrivateRedisCluster.create(), startReceiver()]);
  figures.clusterStartMs = Date.now() - t0;
  t = await startTestApp({
    REDIS_CLUSTER: 'true', REDIS_URL: cluster.url, WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RELAY_EVERY_MS: '50',
    RATE_LIMIT_PER_CUSTOMER: '3', JOB_WAIT_TIMEOUT_MS: '5000', JOB_LOCK_DURATION_MS: '4000', JOB_STALLED_INTERVAL_MS: '2000',
  });
  acct = await t.createAccount();
  await putPlan(t, acct, 'pro-monthly', MONTHLY);
}, 120_000);

afterAll(async () => {
  await t?.close();
  await rx?.close();
  await cluster?.destroy();
  process.stdout.write(`redis cluster figures: ${JSON.stringify(figures)}\n`);
}, 60_000);

const redeem = (code: string, sub: string, extra: Record<string, unknown> = {}) =>
  t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody(code, { subscriptionId: sub, customer: { id: `c_${sub}` }, ...extra }));

/** Every key on every master of the cluster. */
async function allKeys(): Promise<string[]> {
  const keys: string[] = [];
  for (const port of cluster.ports) {
    const r = new IORedis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    try {
      if ((await r.info('replication')).includes('role:master')) keys.push(...(await r.keys('*')));
    } finally {
      r.disconnect();
    }
  }
  return keys;
}

describe('on a Redis Cluster', () => {
  test('redemptions keep an exact limit under 12 concurrent requests', async () => {
    const created = await createCoupon(t, acct, { code: 'CLUSTER5', limits: { maxRedemptions: 5 } });
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => redeem('CLUSTER5', `lim_${i}`)));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([201, 201, 201, 201, 201, 422, 422, 422, 422, 422, 422, 422]);
    const rows = await t.running.ctx.orm.em.fork().execute('select count(*)::int as n from redemptions where coupon_id = ?', [created.id]);
    expect(rows).toEqual([{ n: 5 }]);
  });

  test('invoices over HTTP and through the typed producer on a Cluster connection', async () => {
    await createCoupon(t, acct, { code: 'INV10' });
    expect((await redeem('INV10', 'inv_sub')).status).toBe(201);
    const invoice = (id: string) => ({
      invoiceId: id, subscriptionId: 'inv_sub', customerId: 'c_inv_sub', currency: 'USD', periodStart: '2026-12-01T00:00:00Z',
      lines: [{ id: 'l1', kind: 'recurring', planId: 'pro-monthly', amount: 2000 }],
    });
    const viaHttp = await t.http.post('/v1/invoices').set(acct.auth).send(invoice('in_http'));
    expect(viaHttp.status).toBe(200);
    expect({ discountTotal: viaHttp.body.discountTotal, total: viaHttp.body.total }).toEqual({ discountTotal: 200, total: 1800 });

    const { nodes } = { nodes: cluster.ports.map((port) => ({ host: '127.0.0.1', port })) };
    const connection = new Cluster(nodes, { redisOptions: { maxRetriesPerRequest: null } });
    const queue = createInvoiceQueue({ connection, prefix: t.env.queuePrefix });
    try {
      expect(queue.opts.prefix).toBe(`{${t.env.queuePrefix}:invoice-discounts}`);
      await enqueueInvoice(queue, acct.id, invoice('in_producer') as never);
      const stored = await eventually(() => t.http.get('/v1/invoices/in_producer').set(acct.auth), (r) => r.status === 200);
      expect({ discountTotal: stored.body.discountTotal, total: stored.body.total }).toEqual({ discountTotal: 0, total: 2000 });
    } finally {
      await queue.close();
      connection.disconnect();
    }
  });

  test('a batch of 2,000 codes is generated', async () => {
    const coupon = await createCoupon(t, acct);
    const res = await t.http.post(`/v1/coupons/${coupon.id}/batches`).set(acct.auth).send({ count: 2000 });
    expect(res.status).toBe(202);
    const done = await eventually(() => t.http.get(`/v1/batches/${res.body.batch.id}`).set(acct.auth), (r) => r.body.status === 'completed', 30_000);
    expect(done.body.generated).toBe(2000);
  });

  test('a coupon expires at its instant (delayed expire-at job)', async () => {
    const expiresAt = new Date(Date.now() + 2500).toISOString();
    const coupon = await createCoupon(t, acct, { code: 'SOON', expiresAt });
    expect(coupon.status).toBe('active');
    const after = await eventually(() => t.http.get(`/v1/coupons/${coupon.id}`).set(acct.auth), (r) => r.body.status === 'expired', 20_000);
    expect(after.body.status).toBe('expired');
  });

  test('webhooks are delivered', async () => {
    const ep = await t.http.post('/v1/webhook-endpoints').set(acct.auth).send({ url: `${rx.url}/hook`, eventTypes: ['coupon.created'] });
    expect(ep.status).toBe(201);
    const coupon = await createCoupon(t, acct, { name: 'hooked' });
    const got = await rx.waitFor('/hook', 1, 20_000);
    expect(JSON.parse(got[0].body)).toMatchObject({ type: 'coupon.created', data: { couponId: coupon.id } });
  });

  test('the guessing defence counts unknown codes per customer (limit 3, then 429)', async () => {
    const answers = [];
    for (let i = 0; i < 4; i += 1) answers.push((await t.http.post('/v1/codes/validate').set(acct.auth).send({ code: `NOPE${i}`, customer: { id: 'guesser' }, planId: 'pro-monthly' })).status);
    expect(answers).toEqual([200, 200, 200, 429]);
    expect((await redeem('ANYTHING', 'guess_sub', { customer: { id: 'guesser' } })).status).toBe(429);
  });

  test('Bull Board lists the five queues and their jobs', async () => {
    const res = await t.http.get('/admin/queues/api/queues').auth('admin', 'admin');
    expect(res.status).toBe(200);
    const queues = res.body.queues as { name: string; counts: Record<string, number> }[];
    expect(queues.map((q) => q.name).sort()).toEqual(['code-batches', 'expiry', 'invoice-discounts', 'redemptions', 'webhooks']);
    expect(queues.find((q) => q.name === 'redemptions')!.counts.completed).toBeGreaterThanOrEqual(5);
  });

  test('every key the service wrote carries a hash tag of its prefix', async () => {
    const keys = await allKeys();
    const ours = keys.filter((k) => k.includes(t.env.queuePrefix));
    expect(ours.length).toBeGreaterThan(20);
    expect(ours.filter((k) => !k.startsWith(`{${t.env.queuePrefix}:`))).toEqual([]);
    const tags = new Set(ours.map((k) => k.slice(0, k.indexOf('}') + 1)));
    for (const q of ['redemptions', 'invoice-discounts', 'code-batches', 'expiry', 'webhooks']) expect(tags).toContain(`{${t.env.queuePrefix}:${q}}`);
    expect(tags).toContain(`{${t.env.queuePrefix}:guess:${acct.id}}`);
  });

  test('queue admission (QUEUE_MAX_WAITING=2) on the cluster: 2 accepted, the rest 503 queue_full', async () => {
    const api = await startTestApp({ REDIS_CLUSTER: 'true', REDIS_URL: cluster.url, ROLE: 'api', QUEUE_MAX_WAITING: '2' });
    try {
      const a = await api.createAccount();
      const answers = await Promise.all(Array.from({ length: 5 }, (_, i) =>
        api.http.post('/v1/invoices').set(a.auth).set('Prefer', 'respond-async')
          .send({ invoiceId: `qf${i}`, subscriptionId: 's1', currency: 'USD', periodStart: '2026-12-01T00:00:00Z', lines: [{ id: 'l1', kind: 'recurring', amount: 100 }] })));
      expect(answers.map((x) => x.status).sort()).toEqual([202, 202, 503, 503, 503]);
      expect(answers.filter((x) => x.status === 503).map((x) => x.body.error.code)).toEqual(['queue_full', 'queue_full', 'queue_full']);
    } finally {
      await api.close();
    }
  });
});

describe('a Redis master is killed', () => {
  test('requests answer 503 (never 500) during the failover, 201 again within 30 s; jobs accepted before complete once', async () => {
    await createCoupon(t, acct, { code: 'FAILOVER' });
    const victim = await cluster.masterOf(`{${t.env.queuePrefix}:redemptions}:redemptions:wait`);
    figures.killedMaster = victim;

    // accepted just before the kill, answered later through /v1/jobs
    const accepted = await Promise.all(Array.from({ length: 5 }, (_, i) =>
      t.http.post('/v1/redemptions').set(acct.auth).set('Prefer', 'respond-async').send(redeemBody('FAILOVER', { subscriptionId: `pre_${i}`, customer: { id: `pre_${i}` } }))));
    expect(accepted.map((a) => a.status)).toEqual([202, 202, 202, 202, 202]);
    // Redis replicates asynchronously (README, "Running past one machine"): a job the master
    // acknowledged in the instant before it died may be lost with it (one run lost one of these
    // five). What is tested is the ride through the failover, so the kill comes once the replica
    // has acknowledged everything written so far: a write of this connection in the queue's slot,
    // then WAIT (which answers once the replica's offset passes it, and so every earlier write)
    const direct = new IORedis(victim, '127.0.0.1', { maxRetriesPerRequest: 1 });
    try {
      await direct.set(`{${t.env.queuePrefix}:redemptions}:replicated`, '1', 'PX', 60_000);
      expect(await direct.call('wait', '1', '5000')).toBe(1);
    } finally {
      direct.disconnect();
    }

    await cluster.kill(victim);
    const t0 = Date.now();
    // the replica's promotion, seen from the nodes left: the queue's slot served by another master
    let promotedMs = -1;
    const promotion = (async () => {
      while (Date.now() - t0 < 30_000) {
        if ((await cluster.masterOf(`{${t.env.queuePrefix}:redemptions}:redemptions:wait`).catch(() => victim)) !== victim) {
          promotedMs = Date.now() - t0;
          return;
        }
        await sleep(100);
      }
    })();
    const seen: Record<number, number> = {};
    let recoveredMs = -1;
    let slowest = 0;
    for (let i = 0; Date.now() - t0 < 30_000; i += 1) {
      const t1 = Date.now();
      const promotedBefore = promotedMs >= 0;
      const res = await redeem('FAILOVER', `during_${i}`);
      slowest = Math.max(slowest, Date.now() - t1);
      seen[res.status] = (seen[res.status] ?? 0) + 1;
      if (res.status === 503) expect(['queue_unavailable', 'database_unavailable']).toContain(res.body.error.code);
      if (res.status === 201 && promotedBefore) {
        recoveredMs = Date.now() - t0;
        break;
      }
      await sleep(100);
    }
    await promotion;
    figures.replicaPromotedMs = promotedMs;
    figures.failover201AfterMs = recoveredMs;
    figures.failoverSlowestAnswerMs = slowest;
    figures.failoverAnswers = JSON.stringify(seen);
    expect(Object.keys(seen).filter((s) => s !== '201' && s !== '503' && s !== '202')).toEqual([]);
    expect(promotedMs).toBeGreaterThan(0);
    expect(recoveredMs).toBeGreaterThan(0);
    expect(recoveredMs).toBeLessThan(30_000);

    // each job accepted before the kill completed, with one redemption each
    for (const a of accepted) {
      const job = await eventually(() => t.http.get(a.headers.location).set(acct.auth), (r) => r.body.status === 'completed', 30_000);
      expect(job.body.result.redemption.subscriptionId).toMatch(/^pre_/);
    }
    const rows = await t.running.ctx.orm.em.fork().execute(
      `select subscription_id, count(*)::int as n from redemptions where account_id = ? and subscription_id like 'pre_%' group by 1 order by 1`, [acct.id]);
    expect(rows).toEqual(Array.from({ length: 5 }, (_, i) => ({ subscription_id: `pre_${i}`, n: 1 })));
    expect((await request(t.running.url!).get('/readyz')).status).toBe(200);
  }, 90_000);
});
