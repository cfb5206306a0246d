import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Pool } from 'pg';
import { procStat } from './cpu';
import { openBenchServer, type BenchServer } from './server';
import { RAW_CLIENTS } from './stats';
import { dropDatabase } from '../src/db/orm';
import { freePort } from '../src/free-port';
import { stopChild } from '../src/stop-child';
import { deleteQueueKeys } from '../src/queues/connection';
import { loadConfig, type Config } from '../config';
import { createLogger } from '../src/logger';
import { start, type Running } from '../src/server';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** How long API processes forked for WEB_CONCURRENCY are given to start once the port answers. */
const API_START_MS = 3000;
const TUNABLES = ['DATABASE_POOL_MAX', 'REDEMPTION_CONCURRENCY', 'INVOICE_CONCURRENCY', 'INVOICE_GROUP_MAX', 'REDIS_AUTO_PIPELINING', 'REDEMPTION_GROUP_MAX'];

export interface WorkerProc {
  child: ChildProcess;
  /** Peak resident memory (VmHWM) in bytes, read from /proc. */
  peakRss(): number;
  stop(): Promise<void>;
}

export interface BenchEnv {
  tag: string;
  server: BenchServer;
  env: Record<string, string>;
  config: Config;
  api: Running;
  url: string;
  pool: Pool;
  workers: WorkerProc[];
  startWorkers(n: number, extra?: Record<string, string>): Promise<WorkerProc[]>;
  /**
   * The API as `processes` processes of its own (WEB_CONCURRENCY) on a free port, beside the one
   * in this process: its URL and how to stop it.
   */
  startApis(processes: number): Promise<{ url: string; stop(): Promise<void> }>;
  stopWorkers(): Promise<void>;
  account(): Promise<{ id: string; apiKey: string }>;
  close(): Promise<void>;
}

/**
 * A service process of the product (`node dist/src/main.js`) with the run's environment and the
 * given role and log level, resolved once `ready` answers true (polled every 100 ms).
 */
function spawnService(env: Record<string, string>, role: 'worker' | 'api', logLevel: string, ready: (output: string, pid: number | undefined) => boolean | Promise<boolean>): Promise<WorkerProc> {
  const main = path.join(__dirname, '../src/main.js');
  // BENCH_CPU_PROF=<dir>: each service process (an API's forked processes too) writes a V8 CPU profile there when it stops
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  // BENCH_NODE_FLAGS: Node or V8 flags for every service process (space-separated), to compare settings
  const flags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...flags, ...prof, main], { env: { ...process.env, ...env, ROLE: role, LOG_LEVEL: logLevel }, stdio: ['ignore', 'pipe', 'inherit'] });
  // the output until it is ready (for its start-up line, or the error why not); later lines are dropped
  let out = '';
  let started = false;
  child.stdout!.on('data', (d) => {
    if (!started) out += d;
  });
  const proc: WorkerProc = {
    child,
    peakRss() {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        return m ? Number(m[1]) * 1024 : 0;
      } catch {
        return 0;
      }
    },
    stop: () => stopChild(child, 20_000),
  };
  return (async () => {
    const deadline = Date.now() + 90_000;
    while (!(await ready(out, child.pid))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await proc.stop();
        throw new Error(`${role} did not start: ${out}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    started = true;
    out = '';
    return proc;
  })();
}

/** A worker process of the product with the run's environment, once it logged that it runs. */
export function spawnWorker(env: Record<string, string>): Promise<WorkerProc> {
  return spawnService(env, 'worker', 'info', (out) => out.includes('worker running'));
}

/** The child processes of a process (from /proc). */
function childrenOf(pid: number | undefined): number[] {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number).filter((n) => procStat(n)?.ppid === pid);
}

/** A fresh database and queue prefix, the API in this process, workers as child processes. */
export async function openBenchEnv(): Promise<BenchEnv> {
  const tag = `${Date.now().toString(36)}_${process.pid}`;
  const dbName = `cf_bench_${tag}`;
  const prefix = `cfb_${tag}`;
  const server = await openBenchServer();
  const env: Record<string, string> = {
    DATABASE_URL: server.databaseUrl(dbName),
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'error',
    JOB_WAIT_TIMEOUT_MS: '60000',
    RATE_LIMIT_PER_KEY: '100000000',
  };
  // the product's defaults are what is measured, unless a run sets these (for A/B comparisons)
  for (const k of TUNABLES) if (process.env[k]) env[k] = process.env[k]!;
  const config = loadConfig({ ...env, ROLE: 'api', PORT: '0' });
  const api = await start(config, { port: 0, logger: createLogger('error') }).catch(async (err: unknown) => {
    await server.close();
    throw err;
  });
  const pool = new Pool({ connectionString: env.DATABASE_URL, max: RAW_CLIENTS });
  // an idle client's connection ended by the server (the database dropped at close) is not a bench failure
  pool.on('error', () => undefined);
  const workers: WorkerProc[] = [];
  const self: BenchEnv = {
    tag, server, env, config, api, url: api.url!, pool, workers,
    async startWorkers(n, extra = {}) {
      const started = await Promise.all(Array.from({ length: n }, () => spawnWorker({ ...env, ...extra })));
      workers.push(...started);
      return started;
    },
    async startApis(processes) {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      // at the run's log level, as the API in this process (at info each request writes a line):
      // ready once the port answers and the supervisor has forked every process, plus their start
      let forked: number | null = null;
      const proc = await spawnService({ ...env, WEB_CONCURRENCY: String(processes), PORT: String(port) }, 'api', env.LOG_LEVEL!, async (_out, pid) => {
        if (forked !== null) return Date.now() - forked > API_START_MS;
        const answered = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
        if (answered && childrenOf(pid).length >= processes) forked = Date.now();
        return false;
      });
      return { url, stop: () => proc.stop() };
    },
    async stopWorkers() {
      await Promise.all(workers.splice(0).map((w) => w.stop()));
    },
    async account() {
      const res = await fetch(`${api.url}/v1/accounts`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${config.platformAdminToken}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: `bench ${tag}` }),
      });
      const body = (await res.json()) as { account: { id: string }; apiKey: string };
      return { id: body.account.id, apiKey: body.apiKey };
    },
    async close() {
      await self.stopWorkers();
      await api.close();
      await pool.end();
      // the queue keys first: a failure dropping the database leaves no keys behind in Redis
      await deleteQueueKeys(REDIS_URL, prefix);
      await dropDatabase(env.DATABASE_URL);
      await server.close();
    },
  };
  return self;
}

export async function api(env: BenchEnv, key: string, method: string, route: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${env.url}${route}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const agent = new (require('node:http').Agent)({ keepAlive: true, maxSockets: 256 });

/** POST over a keep-alive agent capped at 256 sockets: thousands of concurrent calls queue at the agent, not in the kernel's backlog. */
export function post(env: BenchEnv, key: string, route: string, body: unknown): Promise<{ status: number; body: any }> {
  const http = require('node:http') as typeof import('node:http');
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(`${env.url}${route}`, {
      method: 'POST', agent,
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}
