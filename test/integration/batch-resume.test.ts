import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { startTestApp, type TestAccount, type TestApp } from '../helpers/harness';
import { insertCoupon, sql } from '../helpers/batch-fixtures';

const MAIN = path.join(__dirname, '../../dist/src/main.js');
const COUNT = 200_000;

let t: TestApp;
let acct: TestAccount;
const children: ChildProcess[] = [];

/** A real worker process (no HTTP), with a short BullMQ lock so a killed one's job is retried soon. */
function startWorker(): { child: ChildProcess; exited: Promise<number | null>; output: () => string } {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, ...t.env.env, ROLE: 'worker', LOG_LEVEL: 'warn', JOB_LOCK_DURATION_MS: '2000', JOB_STALLED_INTERVAL_MS: '1000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => out };
}

async function progress(batchId: string): Promise<{ status: string; generated: number; codes: number; distinct: number }> {
  // One statement, one snapshot: the batch row and its codes as committed together.
  const [r] = await sql(
    t,
    `select b.status, b.generated, (select count(*) from codes where batch_id = b.id) as codes,
            (select count(distinct code) from codes where batch_id = b.id) as distinct_codes
       from batches b where b.id = ?`,
    [batchId],
  );
  return { status: r!.status as string, generated: Number(r!.generated), codes: Number(r!.codes), distinct: Number(r!.distinct_codes) };
}

async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, ms: number, pollMs = 20): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`timed out; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

beforeAll(async () => {
  // The test's own process serves HTTP only: the batch runs in the spawned workers.
  t = await startTestApp({ ROLE: 'api' });
  acct = await t.createAccount();
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await t?.close();
});

test('a worker killed mid-batch leaves a consistent batch that a new worker finishes exactly', async () => {
  const couponId = await insertCoupon(t, acct.id);
  const res = await t.http.post(`/v1/coupons/${couponId}/batches`).set(acct.auth).send({ count: COUNT, length: 10 });
  expect(res.status).toBe(202);
  const batchId = res.body.batch.id as string;

  const first = startWorker();
  const mid = await until(() => progress(batchId), (p) => p.generated > 0, 90_000);
  first.child.kill('SIGKILL');
  await first.exited;
  expect(mid.generated).toBeLessThan(COUNT);
  expect(mid.status).toBe('running');

  // Whatever the kill interrupted, every committed chunk is whole and counted.
  const afterKill = await progress(batchId);
  expect(afterKill.codes).toBe(afterKill.generated);
  expect(afterKill.distinct).toBe(afterKill.codes);
  expect(afterKill.generated).toBeLessThan(COUNT);

  const second = startWorker();
  const done = await until(() => progress(batchId), (p) => p.status === 'completed' || p.status === 'failed', 150_000, 200);
  expect(done).toEqual({ status: 'completed', generated: COUNT, codes: COUNT, distinct: COUNT });

  const bad = await sql(t, `select count(*) as n from codes where batch_id = ? and code !~ '^[A-HJ-NP-Z2-9]{10}$'`, [batchId]);
  expect(Number(bad[0]!.n)).toBe(0);
  const events = await sql(t, `select type, data from events where account_id = ? and type like 'batch.%'`, [acct.id]);
  expect(events).toEqual([{ type: 'batch.completed', data: { batchId, couponId, count: COUNT } }]);
  const queue = t.running.ctx.queues.batches;
  await until(() => queue.getJobState(`batch-${batchId}`), (s) => s === 'completed', 10_000, 100);
  expect((await queue.getJob(`batch-${batchId}`))!.returnvalue).toEqual({ batchId, status: 'completed', count: COUNT, generated: COUNT });

  const api = await t.http.get(`/v1/batches/${batchId}`).set(acct.auth);
  expect(api.body).toMatchObject({ status: 'completed', count: COUNT, generated: COUNT });

  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);
}, 240_000);
