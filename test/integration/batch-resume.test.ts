import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { startTestApp, type TestAccount, type TestApp } from '../helpers/harness';
import { insertCoupon, sql } from '../helpers/batch-fixtures';
import { BATCH_JOB_ATTEMPTS, batchJobId } from '../../src/queues/catalogue';

const MAIN = path.join(__dirname, '../../dist/src/main.js');
const COUNT = 200_000;

let t: TestApp;
let acct: TestAccount;
const children: ChildProcess[] = [];

/**
 * A real worker process (no HTTP), with a short BullMQ lock so a killed one's job is retried soon.
 * Its database sessions carry `name` as application_name (libpq's PGAPPNAME, read by node-postgres).
 */
function startWorker(name = 'worker'): { child: ChildProcess; exited: Promise<number | null>; output: () => string } {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, ...t.env.env, ROLE: 'worker', LOG_LEVEL: 'warn', JOB_LOCK_DURATION_MS: '2000', JOB_STALLED_INTERVAL_MS: '1000', PGAPPNAME: name },
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

/** The batch's codes as committed, read straight from the table: code → row id. */
async function codesOf(batchId: string): Promise<Map<string, string>> {
  const rows = await sql(t, `select id, code from codes where batch_id = ?`, [batchId]);
  return new Map(rows.map((r) => [r.code as string, String(r.id)]));
}

/** Every code (with its row id) captured earlier is still there, unchanged. */
function missingFrom(before: Map<string, string>, after: Map<string, string>): number {
  let missing = 0;
  for (const [code, id] of before) if (after.get(code) !== id) missing += 1;
  return missing;
}

interface Chunk {
  app: string;
  /** When the chunk's transaction began, and when it advanced `generated` (just before its commit). */
  began: number;
  wrote: number;
  from: number;
  to: number;
}

/** Committed advances of a batch's `generated` (one per chunk), in commit order. */
async function chunkHistory(batchId: string): Promise<Chunk[]> {
  const rows = await sql(
    t,
    `select app, extract(epoch from began) * 1000 as began, extract(epoch from wrote) * 1000 as wrote, from_generated, to_generated
       from test_chunk_history where batch_id = ? order by to_generated`,
    [batchId],
  );
  return rows.map((r) => ({ app: r.app as string, began: Number(r.began), wrote: Number(r.wrote), from: Number(r.from_generated), to: Number(r.to_generated) }));
}

beforeAll(async () => {
  // The test's own process serves HTTP only: the batch runs in the spawned workers.
  t = await startTestApp({ ROLE: 'api' });
  acct = await t.createAccount();
  // A log of every committed change of a batch's `generated` (a chunk), written in the chunk's own
  // transaction (so a chunk rolled back by a kill leaves no line), with the writing session's
  // application_name, its transaction's start (now()) and the moment of the write.
  await sql(t, `create table test_chunk_history (batch_id uuid, app text, began timestamptz, wrote timestamptz, from_generated int, to_generated int)`);
  await sql(
    t,
    `create function test_log_chunk() returns trigger language plpgsql as $$
     begin
       insert into test_chunk_history values (new.id, current_setting('application_name'), now(), clock_timestamp(), old.generated, new.generated);
       return new;
     end $$`,
  );
  await sql(t, `create trigger test_log_chunk after update of generated on batches for each row when (new.generated <> old.generated) execute function test_log_chunk()`);
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
  const written = await codesOf(batchId);
  expect(written.size).toBe(afterKill.codes);

  const second = startWorker();
  const done = await until(() => progress(batchId), (p) => p.status === 'completed' || p.status === 'failed', 150_000, 200);
  expect(done).toEqual({ status: 'completed', generated: COUNT, codes: COUNT, distinct: COUNT });
  // the codes written before the kill are all still there, with the same rows
  const final = await codesOf(batchId);
  expect(final.size).toBe(COUNT);
  expect(missingFrom(written, final)).toBe(0);

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

test('two workers started on one batch never write it at the same time; the survivor of a kill finishes it', async () => {
  const couponId = await insertCoupon(t, acct.id);
  const res = await t.http.post(`/v1/coupons/${couponId}/batches`).set(acct.auth).send({ count: COUNT, length: 10 });
  expect(res.status).toBe(202);
  const batchId = res.body.batch.id as string;
  // A second job for the same batch (as a duplicate enqueue or a stalled job's re-run would give).
  const queue = t.running.ctx.queues.batches;
  const again = `${batchJobId(batchId)}-again`;
  await queue.add('generate-batch', { accountId: acct.id, batchId }, { jobId: again, attempts: BATCH_JOB_ATTEMPTS });

  // Hold the coupon row so no chunk can be written until both workers are inside the batch.
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const holder = t.running.ctx.orm.em.fork().transactional(async (tx) => {
    // held while two worker processes start (seconds under load): past the pool's 5 s
    // idle-in-transaction bound, which would end this session and release the lock early
    await tx.execute(`select set_config('idle_in_transaction_session_timeout', '0', true)`);
    await tx.execute(`select 1 from coupons where id = ? for update`, [couponId]);
    locked();
    await released;
  });
  await isLocked;

  const workers = { 'worker-a': startWorker('worker-a'), 'worker-b': startWorker('worker-b') };
  // Both jobs taken, and each process has a database session waiting on a lock (a chunk on the
  // coupon row, or the batch's own lock): both are as far into the batch as they can get.
  await until(
    () => Promise.all([queue.getJobState(batchJobId(batchId)), queue.getJobState(again)]),
    (states) => states.every((s) => s === 'active'),
    120_000,
    200,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; worker-a: ${workers['worker-a'].output()}; worker-b: ${workers['worker-b'].output()}`);
  });
  const waiting = async () =>
    sql(
      t,
      `select application_name as app, count(*) filter (where wait_event_type = 'Lock')::int as n from pg_stat_activity
        where datname = current_database() and application_name in ('worker-a', 'worker-b') group by 1 order by 1`,
    );
  await until(waiting, (rows) => rows.length === 2 && rows.every((r) => Number(r.n) > 0), 60_000, 100);
  release();
  await holder;

  // Kill whichever wrote the first chunk, mid-batch.
  const started = await until(() => chunkHistory(batchId), (h) => h.length > 0, 90_000);
  const first = started[0]!.app as keyof typeof workers;
  const other = first === 'worker-a' ? 'worker-b' : 'worker-a';
  workers[first].child.kill('SIGKILL');
  await workers[first].exited;
  // The other worker may be writing already: read the codes, `generated` and the history's end in
  // one statement (one snapshot).
  const snap = await sql(
    t,
    `select c.id, c.code, b.generated, (select max(to_generated) from test_chunk_history h where h.batch_id = b.id) as chained
       from batches b left join codes c on c.batch_id = b.id where b.id = ?`,
    [batchId],
  );
  const written = new Map(snap.filter((r) => r.code !== null).map((r) => [r.code as string, String(r.id)]));
  expect(written.size).toBe(Number(snap[0]!.generated));
  expect(written.size).toBe(Number(snap[0]!.chained));
  expect(written.size).toBeLessThan(COUNT);

  const done = await until(() => progress(batchId), (p) => p.status === 'completed' || p.status === 'failed', 150_000, 200);
  expect(done).toEqual({ status: 'completed', generated: COUNT, codes: COUNT, distinct: COUNT });
  const final = await codesOf(batchId);
  expect(final.size).toBe(COUNT);
  expect(missingFrom(written, final)).toBe(0);

  // The history of committed chunks: one unbroken chain from 0 to COUNT, the killed worker's
  // chunks first, then the survivor's, and every one of the survivor's transactions began after
  // the killed worker's last write (two workers at once would begin theirs together, while the
  // coupon row was held, and commit in turns).
  const history = await chunkHistory(batchId);
  expect(history.map((c) => [c.from, c.to])).toEqual(history.map((c, i) => [i === 0 ? 0 : history[i - 1]!.to, c.to]));
  expect(history.at(-1)!.to).toBe(COUNT);
  const runs = history.map((c) => c.app).filter((app, i, apps) => i === 0 || apps[i - 1] !== app);
  expect(runs).toEqual([first, other]);
  const lastOfFirst = Math.max(...history.filter((c) => c.app === first).map((c) => c.wrote));
  const firstOfOther = Math.min(...history.filter((c) => c.app === other).map((c) => c.began));
  expect(firstOfOther).toBeGreaterThan(lastOfFirst);
  // the killed worker's chunks are all among the codes read after the kill, and all survived
  expect(history.filter((c) => c.app === first).reduce((n, c) => n + c.to - c.from, 0)).toBeLessThanOrEqual(written.size);

  const events = await sql(t, `select type, data from events where account_id = ? and type like 'batch.%' and data->>'batchId' = ?`, [acct.id, batchId]);
  expect(events).toEqual([{ type: 'batch.completed', data: { batchId, couponId, count: COUNT } }]);
  // Both jobs end completed with the same answer (the later one finds the batch done).
  const answer = { batchId, status: 'completed', count: COUNT, generated: COUNT };
  for (const id of [batchJobId(batchId), again]) {
    await until(() => queue.getJobState(id), (s) => s === 'completed', 60_000, 200);
    expect((await queue.getJob(id))!.returnvalue).toEqual(answer);
  }

  workers[other].child.kill('SIGTERM');
  expect(await workers[other].exited).toBe(0);
}, 400_000);
