/**
 * The floor of a request over HTTP: what any server answering it on this machine must at least
 * do — read the request, do its database work, answer JSON — and nothing else: no framework, no
 * key check, no schema, no guessing defence, no queue, no rules engine.
 * - `validate`: the product's context read (its statement, through its pipelined reads:
 *   `src/db/pipelined-reads`), answered with the code and coupon rows;
 * - `redeem`: the raw same work of a redemption (`rawRedeemSameWork`: the product's statements
 *   in its two pipelined flights), in this process, answered 201 — a redemption without the
 *   queue's hop to a worker and back.
 *
 * Run as `node dist/bench/http-floor.js <json>` (FloorOptions); with `processes` > 1 it forks
 * that many processes sharing the port through node's cluster module, as the API does under
 * `WEB_CONCURRENCY`, and prints `ready` once every one listens. Rows 7 and 9 run it open loop at
 * their own rate, beside the product: what the machine leaves for the rest of the work.
 */
import cluster from 'node:cluster';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { Pool } from 'pg';
import { pipelinedRead } from '../src/db/pipelined-reads';
import { contextStatement } from '../src/repositories/redemption-context';
import { rawRedeemSameWork, type RawCode } from './raw-work';
import { stopChild } from '../src/stop-child';

export interface FloorOptions {
  databaseUrl: string;
  port: number;
  processes: number;
  work: { kind: 'validate'; accountId: string } | { kind: 'redeem'; raw: RawCode };
  /** The API's HTTP_KEEP_ALIVE_TIMEOUT_MS, so the generator's idle sockets are kept as the API keeps them. */
  keepAliveTimeoutMs: number;
}

function serve(o: FloorOptions, listening: () => void): void {
  const pool = new Pool({ connectionString: o.databaseUrl, max: 6 }); // the API's default DATABASE_POOL_MAX
  pool.on('error', () => undefined);
  const work = o.work;
  let n = 0;
  const answerOf = async (body: { code: string; planId: string; customer: { id: string } }): Promise<[number, unknown]> => {
    if (work.kind === 'validate') {
      const r = await pipelinedRead(pool, contextStatement(work.accountId, { code: body.code, planId: body.planId, customerId: body.customer.id, now: new Date().toISOString() }));
      const row = r.rows[0] as { code_row: unknown; coupon_row: unknown };
      return [200, { valid: true, coupon: row.coupon_row, code: row.code_row }];
    }
    const i = n++;
    const client = await pool.connect();
    try {
      await rawRedeemSameWork(client, work.raw, i, `f${process.pid}`);
    } finally {
      client.release();
    }
    return [201, { code: body.code, customerId: body.customer.id, n: i }];
  };
  const server = http.createServer({ keepAlive: true }, (req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (text += d));
    req.on('end', () => {
      answerOf(JSON.parse(text))
        .then(([status, body]) => {
          const answer = JSON.stringify(body);
          res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(answer) }).end(answer);
        })
        .catch((err: Error) => res.writeHead(500).end(err.message));
    });
  });
  server.keepAliveTimeout = o.keepAliveTimeoutMs;
  server.listen(o.port, '127.0.0.1', listening);
}

if (require.main === module) {
  const o = JSON.parse(process.argv[2] ?? process.env.FLOOR_OPTIONS!) as FloorOptions;
  if (cluster.isPrimary && o.processes > 1) {
    let listening = 0;
    for (let i = 0; i < o.processes; i++) {
      cluster.fork({ FLOOR_OPTIONS: JSON.stringify(o) }).on('message', (m) => {
        if (m === 'listening' && ++listening === o.processes) process.stdout.write('ready\n');
      });
    }
    // stopped once its processes are (their connections closed before the run drops its database)
    process.on('SIGTERM', () => {
      let running = o.processes;
      cluster.on('exit', () => --running === 0 && process.exit(0));
      for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
    });
  } else if (cluster.isPrimary) {
    serve(o, () => process.stdout.write('ready\n'));
  } else {
    serve(o, () => process.send!('listening'));
  }
}

/** Starts the floor as a process of its own (and its forks); resolves once every process listens. */
export function startHttpFloor(o: FloorOptions): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [__filename, JSON.stringify(o)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.on('exit', (code) => reject(new Error(`the HTTP floor exited (${code}) before it listened: ${out}`)));
    child.stdout!.on('data', (d) => {
      out += d;
      if (!out.includes('ready')) return;
      resolve({
        url: `http://127.0.0.1:${o.port}`,
        stop: () => stopChild(child, 20_000),
      });
    });
  });
}
