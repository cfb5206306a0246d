import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import type { BenchServer } from './server';
import { loadConfig } from '../config';
import { dropDatabase } from '../src/db/orm';
import { eventMessage } from '../src/domain';
import { createLogger } from '../src/logger';
import { deleteQueueKeys } from '../src/queues/connection';
import { start } from '../src/server';
import { signedHeaders } from '../src/services/webhook-signing';
import { cpuPerRequest, cpuSnapshot, machineBusy } from './cpu';
import { spawnWorker } from './env';
import { fmt, type Row } from './table';

/**
 * Row 14 (self-contained: its own database, queue prefix, API and worker processes): 10,000
 * events to 3 endpoints on 127.0.0.1 receivers answering 200, from the first event written to the
 * last delivery received, against the same signed POSTs sent straight from this process (the
 * raw limit: keep-alive, 16 in flight per receiver).
 */

const EVENTS = Number(process.env.BENCH_WEBHOOK_EVENTS ?? 10_000);
const ENDPOINTS = 3;
const RAW_IN_FLIGHT = 16;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Receiver {
  url: string;
  count: number;
  server: http.Server;
}

async function receiver(onRequest: () => void): Promise<Receiver> {
  const r = { url: '', count: 0 } as Receiver;
  r.server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200).end();
      r.count++;
      onRequest();
    });
  });
  r.server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => r.server.listen(0, '127.0.0.1', () => resolve()));
  r.url = `http://127.0.0.1:${(r.server.address() as AddressInfo).port}/hook`;
  return r;
}

/** The same signed POSTs straight from one process: answers deliveries per second. */
async function rawLimit(targets: { url: string; secret: string }[], events: { id: string; createdAt: string }[]): Promise<number> {
  const agent = new http.Agent({ keepAlive: true });
  const post = (url: string, headers: Record<string, string>, body: string) =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
  const started = performance.now();
  await Promise.all(
    targets.map(async (t) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: RAW_IN_FLIGHT }, async () => {
          while (next < events.length) {
            const e = events[next++];
            const body = JSON.stringify(eventMessage({ id: e.id, type: 'coupon.updated', createdAt: e.createdAt, data: { seq: Number(e.id) } }));
            await post(t.url, signedHeaders([t.secret], `evt_${e.id}`, Math.floor(Date.now() / 1000), body), body);
          }
        }),
      );
    }),
  );
  const ms = performance.now() - started;
  agent.destroy();
  return (targets.length * events.length) / (ms / 1000);
}

export async function benchWebhooks(server: BenchServer): Promise<Row> {
  const tag = `${Date.now().toString(36)}_${process.pid}`;
  const env: Record<string, string> = {
    DATABASE_URL: server.databaseUrl(`cf_bench_wh_${tag}`),
    REDIS_URL,
    QUEUE_PREFIX: `cfbw_${tag}`,
    LOG_LEVEL: 'error',
    DATABASE_POOL_MAX: '16',
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_CONCURRENCY: '32',
    WEBHOOK_ENDPOINT_CONCURRENCY: '16',
    WEBHOOK_RELAY_EVERY_MS: '50',
  };
  const total = EVENTS * ENDPOINTS;
  let lastAt = 0;
  let done!: () => void;
  const allDelivered = new Promise<void>((resolve) => (done = resolve));
  let received = 0;
  const onRequest = () => {
    received++;
    if (received === total) {
      lastAt = performance.now();
      done();
    }
  };
  const receivers = await Promise.all(Array.from({ length: ENDPOINTS }, () => receiver(onRequest)));
  const api = await start(loadConfig({ ...env, ROLE: 'api', PORT: '0' }), { port: 0, logger: createLogger('error') });
  const pool = new Pool({ connectionString: env.DATABASE_URL, max: 4 });
  const workers = await Promise.all([spawnWorker(env), spawnWorker(env)]);
  try {
    const call = async (route: string, key: string, body: unknown) => {
      const res = await fetch(`${api.url}${route}`, { method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      return (await res.json()) as any;
    };
    const acct = await call('/v1/accounts', api.ctx.config.platformAdminToken, { name: `bench webhooks ${tag}` });
    const targets: { url: string; secret: string }[] = [];
    for (const r of receivers) {
      const e = await call('/v1/webhook-endpoints', acct.apiKey, { url: r.url });
      targets.push({ url: r.url, secret: e.secret });
    }
    // the events: ten transactions of 1,000, as a busy account writes them
    const oursBefore = cpuSnapshot();
    const firstAt = performance.now();
    for (let i = 0; i < EVENTS; i += 1000) {
      await pool.query(
        `insert into events (account_id, type, data) select $1, 'coupon.updated', jsonb_build_object('seq', g) from generate_series($2::int, $3::int) g`,
        [acct.account.id, i + 1, Math.min(EVENTS, i + 1000)],
      );
    }
    const timeout = setTimeout(() => done(), 1_800_000);
    await allDelivered;
    clearTimeout(timeout);
    if (received < total) throw new Error(`only ${received} of ${total} deliveries arrived`);
    const oursMs = lastAt - firstAt;
    // every process's CPU over the run (workers, API, Postgres, Redis, receivers): the machine's cost per delivery, by process
    const oursAfter = cpuSnapshot();
    const oursMachine = machineBusy(oursBefore.machine, oursAfter.machine);
    const oursCpu = cpuPerRequest(oursBefore, oursAfter, total);
    // the workers' CPU per delivery: less noisy than the rate on a shared machine
    const workerCpuMs = oursCpu.workers * total;
    const ours = total / (oursMs / 1000);
    const { rows } = await pool.query(`select id::text, created_at from events where account_id = $1 order by id`, [acct.account.id]);
    const failed = await pool.query(`select count(*)::int as n from webhook_deliveries where status <> 'succeeded'`);
    for (const r of receivers) r.count = 0;
    received = -Infinity; // the raw run's requests are not deliveries
    const rawBefore = cpuSnapshot();
    const raw = await rawLimit(targets, rows.map((r) => ({ id: r.id, createdAt: new Date(r.created_at).toISOString() })));
    const rawAfter = cpuSnapshot();
    const rawMachine = machineBusy(rawBefore.machine, rawAfter.machine);
    const ratio = ours / raw;
    const perDelivery = (m: { busyMs: number }) => (m.busyMs / total).toFixed(2);
    return {
      row: 14,
      name: `Webhooks: ${EVENTS.toLocaleString('en-US')} events → 3 endpoints (127.0.0.1)`,
      ours: `${fmt.s(oursMs)} first event → last delivery, ${fmt.rate(ours)}, workers' CPU ${(workerCpuMs / total).toFixed(2)} ms/delivery; machine ${perDelivery(oursMachine)} ms/delivery, cores ${Math.round(oursMachine.share * 100)} % busy`,
      raw: `${fmt.rate(raw)} (same signed POSTs, one process); machine ${perDelivery(rawMachine)} ms/delivery, cores ${Math.round(rawMachine.share * 100)} % busy`,
      ratio,
      target: 'ratio ≥ 0.5',
      met: ratio >= 0.5,
      details: {
        events: EVENTS, endpoints: ENDPOINTS, deliveries: total, oursMs, oursPerSecond: ours, rawPerSecond: raw, workerCpuMs, notSucceeded: failed.rows[0].n,
        machine: { ours: oursMachine, raw: rawMachine },
        cpu: { ours: oursCpu, raw: cpuPerRequest(rawBefore, rawAfter, total) },
      },
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await api.close();
    await pool.end();
    for (const r of receivers) {
      r.server.closeAllConnections();
      r.server.close();
    }
    await dropDatabase(env.DATABASE_URL);
    await deleteQueueKeys(REDIS_URL, env.QUEUE_PREFIX);
  }
}
