import { once } from 'node:events';
import { Client } from 'pg';
import { createOrm, dropDatabase, ensureDatabase, openDatabase, type Orm } from '../../src/db/orm';
import { migrationsList } from '../../src/db/migrations';
import { pgPool, withPgClient } from '../../src/db/pg-client';
import { withPipeline } from '../../src/db/pipeline';
import { startTestApp, testEnv, type TestAccount, type TestApp } from '../helpers/harness';
import { insertCoupon, waitForBatch } from '../helpers/batch-fixtures';
import { eventually } from '../helpers/webhook-receiver';

/**
 * Server-side bounds on the service's connections (API.md "Exactness at the seams": no
 * transaction of the service stays open longer than 30 s). This app runs with short ones so
 * the server's own enforcement can be watched; the migrations at its start run under them too.
 */

let t: TestApp;
let acct: TestAccount;

beforeAll(async () => {
  t = await startTestApp({ DATABASE_STATEMENT_TIMEOUT_MS: '1000', DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '300' });
  acct = await t.createAccount();
});
afterAll(async () => {
  await t?.close();
});

const orm = () => t.running.ctx.orm;
const SHOW = ['show statement_timeout', 'show idle_in_transaction_session_timeout'];

/** Rejects after `ms`, naming what did not happen. */
const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms).unref())]);

describe('every connection of the pool is bounded', () => {
  test('the EntityManager, raw clients and pipelined clients all carry the configured timeouts', async () => {
    const em = orm().em.fork();
    expect([(await em.execute(SHOW[0]))[0], (await em.execute(SHOW[1]))[0]]).toEqual([
      { statement_timeout: '1s' },
      { idle_in_transaction_session_timeout: '300ms' },
    ]);
    const raw = await withPgClient(orm(), async (c) => [(await c.query(SHOW[0])).rows[0], (await c.query(SHOW[1])).rows[0]]);
    expect(raw).toEqual([{ statement_timeout: '1s' }, { idle_in_transaction_session_timeout: '300ms' }]);
    const piped = await withPipeline(orm(), async (p) => (await p.flight(SHOW)).map((r) => r.rows[0]));
    expect(piped).toEqual([{ statement_timeout: '1s' }, { idle_in_transaction_session_timeout: '300ms' }]);
  });

  test('without configuration: 15 s per statement, 5 s idle in a transaction', async () => {
    let other: Orm | undefined;
    try {
      other = await createOrm({ databaseUrl: t.env.databaseUrl, poolMax: 1 });
      const em = other.em.fork();
      expect([(await em.execute(SHOW[0]))[0], (await em.execute(SHOW[1]))[0]]).toEqual([
        { statement_timeout: '15s' },
        { idle_in_transaction_session_timeout: '5s' },
      ]);
    } finally {
      await other?.close();
    }
  });

  test('an event-writing transaction left idle is ended by the server, rolled back, and the feed moves on', async () => {
    const pool = await pgPool(orm());
    const client = await pool.connect();
    let ended: Error | undefined;
    try {
      const errored = once(client, 'error');
      await client.query('begin');
      const { rows } = await client.query(`insert into events (account_id, type, data) values ($1, 'coupon.updated', '{}') returning id`, [acct.id]);
      [ended] = (await within(errored, 5000, 'the idle transaction ended')) as [Error];
      expect((ended as Error & { code?: string }).code).toBe('25P03');
      const left = await t.running.ctx.orm.em.fork().execute('select count(*)::int as n from events where id = ?', [rows[0].id]);
      expect(left[0].n).toBe(0);
    } finally {
      client.release(ended ?? true);
    }
    const made = await t.http.post('/v1/coupons').set(acct.auth).send({ name: 'after the idle one', discount: { type: 'none' } });
    expect(made.status).toBe(201);
    const feed = await t.http.get('/v1/events').set(acct.auth);
    expect(feed.body.data.map((e: any) => [e.type, e.data])).toEqual([['coupon.created', { couponId: made.body.id }]]);
  });

  test('a statement running past the statement timeout is cancelled by the server', async () => {
    const started = Date.now();
    const err = await withPgClient(orm(), (c) => c.query('select pg_sleep(10)')).catch((e) => e);
    expect([err.code, err.message]).toEqual(['57014', 'canceling statement due to statement timeout']);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('migrations', () => {
  test('a starter waiting for another one’s migrations waits on past the statement timeout', async () => {
    const { databaseUrl } = testEnv();
    await ensureDatabase(databaseUrl);
    const holder = new Client({ connectionString: databaseUrl });
    await holder.connect();
    let opened: Orm | undefined;
    try {
      // stands for another process that is migrating this database
      await holder.query('select pg_advisory_lock(7212021)');
      const opening = openDatabase({ databaseUrl, poolMax: 2, timeouts: { statementMs: 300, idleInTransactionMs: 300 } }).then((o) => (opened = o));
      opening.catch(() => undefined);
      const waitingSince = `select count(*)::int as n from pg_locks l join pg_stat_activity a on a.pid = l.pid
                             where l.locktype = 'advisory' and not l.granted and l.objid = 7212021 and a.query_start < now() - interval '1 second'`;
      await eventually(async () => (await holder.query(waitingSince)).rows[0].n, (n) => n === 1, 10_000);
      await holder.query('select pg_advisory_unlock(7212021)');
      await within(opening, 10_000, 'migrated');
      const applied = await opened!.em.fork().execute('select count(*)::int as n from mikro_orm_migrations');
      expect(applied[0].n).toBe(migrationsList.length);
    } finally {
      await holder.end();
      await opened?.close();
      await dropDatabase(databaseUrl);
    }
  }, 30_000);
});

describe('batches under the statement timeout', () => {
  test('a run waiting for another run of its batch waits on past the timeout, without failing an attempt', async () => {
    const couponId = await insertCoupon(t, acct.id);
    const holder = new Client({ connectionString: t.env.databaseUrl });
    await holder.connect();
    const queue = t.running.ctx.queues.batches;
    await queue.pause();
    try {
      const res = await t.http.post(`/v1/coupons/${couponId}/batches`).set(acct.auth).send({ count: 10 });
      expect(res.status).toBe(202);
      const batchId: string = res.body.batch.id;
      // stands for another run of the same job that holds the batch's generation lock
      await holder.query('select pg_advisory_lock(7212008, hashtext($1))', [batchId]);
      await queue.resume();
      const waiter = `select a.pid, a.query_start from pg_locks l join pg_stat_activity a on a.pid = l.pid
                       where l.locktype = 'advisory' and not l.granted and l.classid = 7212008 and l.objsubid = 2`;
      const first = await eventually(() => orm().em.fork().execute(waiter), (r) => r.length === 1, 10_000);
      // the same session waits again after the server cancelled its first wait
      await eventually(
        () => orm().em.fork().execute(waiter),
        (r) => r.length === 1 && r[0].pid === first[0].pid && new Date(r[0].query_start) > new Date(first[0].query_start),
        10_000,
      );
      await holder.query('select pg_advisory_unlock(7212008, hashtext($1))', [batchId]);
      const done = await waitForBatch(t, acct.auth, batchId, 30_000);
      expect(done).toMatchObject({ status: 'completed', count: 10, generated: 10, error: null });
      const job = await queue.getJob(`batch-${batchId}`);
      expect([job!.failedReason ?? null, job!.stacktrace]).toEqual([null, []]);
    } finally {
      await queue.resume();
      await holder.end();
    }
  }, 30_000);
});
