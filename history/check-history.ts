import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { check } from './checks';
import { injectFaults } from './faults';
import { probeFeed } from './feed-probe';
import { FeedPoller, JobWatcher, readDatabase, readFeed, readInvoices, waitForQueues } from './final-state';
import { Client } from './http';
import type { Fault, History, Violation } from './model';
import { summary } from './report';
import { freePort, PrivatePostgres, PrivateRedis, ServiceProcess, sleep } from './services';
import { PrivateRedisCluster } from './redis-cluster';
import { type Recorder, setUp, Workload } from './workload';

export interface HistoryOptions {
  seed: number;
  /** seconds of operations */
  durationSec: number;
  faults: boolean;
  /** operations in flight at once */
  clients: number;
  workers: number;
  /** an answer slower than this is a violation */
  hangMs: number;
  /** keep the run's directory (logs, history.json) even when no rule broke */
  keep: boolean;
  /**
   * Run on a private Redis Cluster (3 masters, 3 replicas; REDIS_CLUSTER=true) instead of one
   * redis-server. Its faults are workers killed (a master killed is the cluster test's: its
   * failover takes longer than the 3 s a single Redis outage is answered within).
   */
  redisCluster: boolean;
  log: (line: string) => void;
}

export const DEFAULTS: HistoryOptions = {
  seed: 1, durationSec: 60, faults: true, clients: 24, workers: 2, hangMs: 15_000, keep: false, redisCluster: false, log: (l) => process.stderr.write(`${l}\n`),
};

export interface HistoryResult {
  history: History;
  violations: Violation[];
  summary: string;
  /** the run's directory (service logs, history.json), removed when the run passed unless `keep` */
  dir: string;
}

const PLATFORM_TOKEN = 'history-platform-token';
const PREFIX = 'cfh';
/** The client gives up on an answer after this long (the request then counts as unanswered). */
const CLIENT_TIMEOUT_MS = 30_000;

/**
 * One history run: private PostgreSQL and Redis, the service as one api and `workers` worker
 * processes, seeded concurrent operations while faults are injected, then (faults over) the
 * queues drained, the final state read and the history checked.
 */
export async function runHistory(options: Partial<HistoryOptions> = {}): Promise<HistoryResult> {
  const o = { ...DEFAULTS, ...options };
  const dir = mkdtempSync(path.join(tmpdir(), 'cf-history-'));
  const procs: ServiceProcess[] = [];
  let pg: PrivatePostgres | undefined;
  let redis: PrivateRedis | undefined;
  let cluster: PrivateRedisCluster | undefined;
  let passed = false;
  /** set when the run ends, however it ends: the fault loop stops at its next step */
  const over = { value: false };
  /** what stops the loops started (the fault injector, the job watcher, the feed poller) */
  const stops: (() => Promise<unknown>)[] = [];
  try {
    if (o.redisCluster) [pg, cluster] = await Promise.all([PrivatePostgres.create(dir), PrivateRedisCluster.create({ dir: path.join(dir, 'redis-cluster') })]);
    else [pg, redis] = await Promise.all([PrivatePostgres.create(dir), PrivateRedis.create(dir)]);
    const redisUrl = cluster ? cluster.url : redis!.url;
    const port = await freePort();
    const env: Record<string, string> = {
      NODE_ENV: 'development',
      DATABASE_URL: pg.url('couponflow_history'),
      REDIS_URL: redisUrl,
      REDIS_CLUSTER: String(o.redisCluster),
      QUEUE_PREFIX: PREFIX,
      PLATFORM_ADMIN_TOKEN: PLATFORM_TOKEN,
      LOG_LEVEL: 'info',
      // the default: a synchronous call waiting for its job through an outage shows
      JOB_WAIT_TIMEOUT_MS: '10000',
      JOB_LOCK_DURATION_MS: '2000',
      JOB_STALLED_INTERVAL_MS: '1000',
      RATE_LIMIT_PER_CUSTOMER: '1000000',
      RATE_LIMIT_PER_KEY: '100000000',
      // holds past their expiry whose delayed job was lost (a Redis outage) are expired by the sweep within seconds
      EXPIRY_EVERY_MS: '5000',
    };
    const api = new ServiceProcess('api', { ...env, ROLE: 'api', PORT: String(port) }, path.join(dir, 'api.log'));
    procs.push(api);
    await api.waitFor('listening on');
    let workerCount = 0;
    const startWorker = async (): Promise<ServiceProcess> => {
      for (let attempt = 1; ; attempt++) {
        workerCount += 1;
        const w = new ServiceProcess(`worker-${workerCount}`, { ...env, ROLE: 'worker' }, path.join(dir, `worker-${workerCount}.log`));
        procs.push(w);
        try {
          await w.waitFor('worker running');
          return w;
        } catch (err) {
          await w.kill();
          if (attempt >= 5) throw err;
          await sleep(1000);
        }
      }
    };
    const workers: ServiceProcess[] = [];
    for (let i = 0; i < o.workers; i++) workers.push(await startWorker());

    const client = new Client(`http://127.0.0.1:${port}`, CLIENT_TIMEOUT_MS);
    const setup = await setUp(client, PLATFORM_TOKEN);
    const t0 = Date.now();
    const until = o.durationSec * 1000;
    o.log(`history run: seed ${o.seed}, ${o.durationSec} s, ${o.clients} clients, ${o.workers} workers, faults ${o.faults ? 'on' : 'off'}, ${o.redisCluster ? 'Redis Cluster' : 'one Redis'}, directory ${dir}`);
    const watcher = new JobWatcher(new Client(`http://127.0.0.1:${port}`, CLIENT_TIMEOUT_MS), setup.token, t0);
    watcher.start();
    stops.push(() => watcher.stop());
    const rec: Recorder = { t0, ops: [], onAnswer: (op) => watcher.watch(op) };
    const poller = new FeedPoller(new Client(`http://127.0.0.1:${port}`, CLIENT_TIMEOUT_MS), setup.token, t0);
    poller.start();
    stops.push(() => poller.stop());
    const faults: Promise<Fault[]> = o.faults
      ? injectFaults({ pg, redis: redis ?? { stop: async () => undefined, start: async () => undefined }, workers, startWorker }, {
        seed: o.seed, t0, from: Math.min(5000, until / 4), until: until - 3000, over, log: o.log,
        weights: o.redisCluster ? { 'kill-worker': 100 } : undefined,
      })
      : Promise.resolve([]);
    stops.push(() => faults);
    await new Workload(client, rec, setup, { seed: o.seed, clients: o.clients, until }).run();
    const opsEnd = Date.now() - t0;
    const injected = await faults;
    o.log(`operations done (${rec.ops.length}); settling`);

    let left = await waitForQueues(redisUrl, PREFIX, 90_000, o.redisCluster);
    if (Object.keys(left).length) o.log(`queues not drained after 90 s: ${JSON.stringify(left)}`);
    const probes = await probeFeed(client, rec, setup, env.DATABASE_URL, o.log);
    if (!Object.keys(left).length) left = await waitForQueues(redisUrl, PREFIX, 30_000, o.redisCluster);
    const jobs = await watcher.finish();
    const readAt = new Date().toISOString();
    const db = await readDatabase(env.DATABASE_URL, setup.accountId);
    await poller.stopAfter(db.events.length ? db.events[db.events.length - 1].id : 0, 40_000);
    const feed = await readFeed(client, setup.token);
    const invoiceReads = await readInvoices(client, setup.token, rec.ops);
    client.close();

    const history: History = { seed: o.seed, ops: rec.ops, polls: poller.polls, faults: injected, jobs, final: { ...db, feed, invoiceReads, readAt }, probes, opsEnd, hangMs: o.hangMs };
    const violations = check(history);
    if (Object.keys(left).length) violations.push({ rule: 'queues-not-drained', message: `jobs left after the run settled: ${JSON.stringify(left)}`, ops: [] });
    writeFileSync(path.join(dir, 'history.json'), JSON.stringify({ history, violations }));
    passed = violations.length === 0;
    return { history, violations, summary: summary(history, violations), dir };
  } finally {
    over.value = true;
    await Promise.allSettled(stops.map((stop) => stop()));
    await Promise.all(procs.map((p) => p.stop().catch(() => undefined)));
    await redis?.stop().catch(() => undefined);
    await cluster?.destroy().catch(() => undefined);
    await pg?.stop().catch(() => undefined);
    if (passed && !o.keep) rmSync(dir, { recursive: true, force: true });
    else rmSync(path.join(dir, 'pg', 'data'), { recursive: true, force: true });
  }
}
