import { Client, type Pool } from 'pg';
import { startTestApp, testPool, type TestAccount, type TestApp } from '../helpers/harness';
import { addCode, createCoupon, putPlan, redeemBody } from '../helpers/api';
import { pgPool } from '../../src/db/pg-client';
import type { RedemptionJobData } from '../../src/queues/payloads';

/**
 * The counting write locks the coupon, then the code, and re-checks on those locked rows that
 * both are still redeemable. A transaction that holds the coupon's row (as archiving does) and
 * changes it makes the waiting redemption decide again on what it committed.
 */
let t: TestApp;
let acct: TestAccount;
let pool: Pool;

beforeAll(async () => {
  // a pool with room for every running redemption and an archive beside them
  // each running redemption in a transaction of its own, so each queues on a locked row by itself
  // (redemptions counted in groups: redemption-groups.test.ts)
  t = await startTestApp({ REDEMPTION_CONCURRENCY: '8', DATABASE_POOL_MAX: '12', REDEMPTION_GROUP_MAX: '1' });
  pool = testPool(t.env.databaseUrl, 2);
  acct = await t.createAccount();
  await putPlan(t, acct, 'pro-monthly');
});
afterAll(async () => {
  await pool?.end();
  await t?.close();
});

const one = async <T extends object = Record<string, unknown>>(q: string, p: unknown[] = []): Promise<T> => (await pool.query<T>(q, p)).rows[0]!;

/** Holds a row lock in its own transaction; `change` runs SQL in it, `commit` ends it (once). */
async function holdLock(lockSql: string, params: unknown[]) {
  const c = new Client({ connectionString: t.env.databaseUrl });
  await c.connect();
  await c.query('begin');
  await c.query(lockSql, params);
  let open = true;
  return {
    change: (q: string, p: unknown[]) => c.query(q, p),
    commit: async () => {
      if (!open) return;
      open = false;
      await c.query('commit');
      await c.end();
    },
  };
}

/** Waits until some session of this database waits for a row lock (the redemption's counting flight). */
async function untilWaitingOnLock(): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const r = await one<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
    );
    if (r.n > 0) return;
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error('no redemption ever waited for the row lock');
}

async function counts(couponId: string, code: string | null) {
  const coupon = await one<{ times_redeemed: number }>(`select times_redeemed from coupons where id = $1`, [couponId]);
  const reds = await one<{ n: number }>(`select count(*)::int as n from redemptions where coupon_id = $1`, [couponId]);
  const codeRow = code ? await one<{ times_redeemed: number }>(`select times_redeemed from codes where code = $1`, [code]) : null;
  return { coupon: coupon.times_redeemed, redemptions: reds.n, code: codeRow?.times_redeemed ?? null };
}

const post = (body: Record<string, unknown>) => t.http.post('/v1/redemptions').set(acct.auth).send(body).then((r) => r);


/** Redeems while another transaction holds the coupon's row, changes it (`changes`) and commits; answers the redemption's response. */
async function redeemWhileChanged(couponId: string, body: Record<string, unknown>, changes: [string, unknown[]][]) {
  const lock = await holdLock('select 1 from coupons where id = $1 for update', [couponId]);
  const pending = post(body);
  await untilWaitingOnLock();
  for (const [q, p] of changes) await lock.change(q, p);
  await lock.commit();
  return pending;
}

const refusedWith = (res: { status: number; body: Record<string, any> }) => ({ status: res.status, code: res.body.error?.code });

test('a coupon archived while the redemption waits for its row: refused coupon_archived, nothing counted', async () => {
  const coupon = await createCoupon(t, acct);
  await addCode(t, acct, coupon.id, 'LOCKARCH');
  const res = await redeemWhileChanged(coupon.id, redeemBody('LOCKARCH', { subscriptionId: 'la-sub', customer: { id: 'la-cus' } }), [
    [`update coupons set state = 'archived' where id = $1`, [coupon.id]],
    [`update codes set state = 'archived' where coupon_id = $1`, [coupon.id]],
  ]);
  expect(refusedWith(res)).toEqual({ status: 422, code: 'coupon_archived' });
  expect(await counts(coupon.id, 'LOCKARCH')).toEqual({ coupon: 0, redemptions: 0, code: 0 });
});

test('a code disabled while the redemption waits for the coupon: refused code_disabled', async () => {
  const coupon = await createCoupon(t, acct);
  await addCode(t, acct, coupon.id, 'LOCKDIS');
  const res = await redeemWhileChanged(coupon.id, redeemBody('LOCKDIS', { subscriptionId: 'ld-sub', customer: { id: 'ld-cus' } }), [
    [`update codes set state = 'disabled' where code = $1`, ['LOCKDIS']],
  ]);
  expect(refusedWith(res)).toEqual({ status: 422, code: 'code_disabled' });
  expect(await counts(coupon.id, 'LOCKDIS')).toEqual({ coupon: 0, redemptions: 0, code: 0 });
});

test('a coupon expired by an edit meanwhile: refused code_expired; a direct coupon disabled meanwhile: code_disabled', async () => {
  const coupon = await createCoupon(t, acct);
  await addCode(t, acct, coupon.id, 'LOCKEXP');
  const expired = await redeemWhileChanged(coupon.id, redeemBody('LOCKEXP', { subscriptionId: 'le-sub', customer: { id: 'le-cus' } }), [
    [`update coupons set expires_at = now() - interval '1 minute' where id = $1`, [coupon.id]],
  ]);
  expect(refusedWith(expired)).toEqual({ status: 422, code: 'code_expired' });

  const direct = await createCoupon(t, acct);
  const disabled = await redeemWhileChanged(direct.id, { couponId: direct.id, customer: { id: 'ldd-cus' }, subscriptionId: 'ldd-sub', planId: 'pro-monthly' }, [
    [`update coupons set state = 'disabled' where id = $1`, [direct.id]],
  ]);
  expect(refusedWith(disabled)).toEqual({ status: 422, code: 'code_disabled' });
  expect(await counts(direct.id, null)).toEqual({ coupon: 0, redemptions: 0, code: null });
});

test("a limit used up meanwhile: refused code_exhausted; the limit events follow the locked row's limit", async () => {
  const coupon = await createCoupon(t, acct, { limits: { maxRedemptions: 100 } });
  await addCode(t, acct, coupon.id, 'LOCKLIM');
  const res = await redeemWhileChanged(coupon.id, redeemBody('LOCKLIM', { subscriptionId: 'll-sub', customer: { id: 'll-cus' } }), [
    [`update coupons set times_redeemed = 100 where id = $1`, [coupon.id]],
  ]);
  expect(refusedWith(res)).toEqual({ status: 422, code: 'code_exhausted' });
  expect(await counts(coupon.id, 'LOCKLIM')).toEqual({ coupon: 100, redemptions: 0, code: 0 });

  // decided against a limit of 100 at 0 used; the locked row says 8 of 10: this 9th reaches 90 % of it
  const edited = await createCoupon(t, acct, { limits: { maxRedemptions: 100 } });
  await addCode(t, acct, edited.id, 'LOCKEDIT');
  const counted = await redeemWhileChanged(edited.id, redeemBody('LOCKEDIT', { subscriptionId: 'le2-sub', customer: { id: 'le2-cus' } }), [
    [`update coupons set max_redemptions = 10, times_redeemed = 8 where id = $1`, [edited.id]],
  ]);
  expect(counted.status).toBe(201);
  const events = await one<{ types: string[] }>(
    `select coalesce(array_agg(type order by id), '{}') as types from events where data->>'couponId' = $1`, [edited.id],
  );
  expect(events.types).toEqual(['coupon.created', 'code.created', 'redemption.created', 'coupon.nearly_exhausted']);
});

/**
 * pg_stat_database.deadlocks of the test database. A backend publishes its counts when it next
 * goes idle (a backend that detected a deadlock has waited deadlock_timeout, so its rollback
 * publishes at once; a throttled or contended flush would wait up to 10 s): every idle session of
 * the service's pool is made to flush now (pg_stat_force_next_flush, which acts on its own
 * session only), and the read drops any cached statistics snapshot first (pg_stat_clear_snapshot).
 */
async function deadlocks(): Promise<number> {
  const appPool = await pgPool(t.running.ctx.orm);
  const idle = await Promise.all(Array.from({ length: appPool.idleCount }, () => appPool.connect()));
  try {
    await Promise.all(idle.map((c) => c.query('select pg_stat_force_next_flush()')));
  } finally {
    for (const c of idle) c.release();
  }
  const c = await pool.connect();
  try {
    await c.query('select pg_stat_clear_snapshot()');
    return (await c.query<{ n: number }>('select deadlocks::int as n from pg_stat_database where datname = current_database()')).rows[0]!.n;
  } finally {
    c.release();
  }
}

test('the deadlock count this file reads sees a deadlock between two sessions of the service', async () => {
  const before = await deadlocks();
  const appPool = await pgPool(t.running.ctx.orm);
  const [a, b] = [await appPool.connect(), await appPool.connect()];
  try {
    const rows = [await createCoupon(t, acct), await createCoupon(t, acct)].map((c) => c.id);
    await a.query('begin');
    await b.query('begin');
    await a.query('select 1 from coupons where id = $1 for update', [rows[0]]);
    await b.query('select 1 from coupons where id = $1 for update', [rows[1]]);
    const outcomes = await Promise.all([
      a.query('select 1 from coupons where id = $1 for update', [rows[1]]).then(() => 'locked', (e) => e.code),
      b.query('select 1 from coupons where id = $1 for update', [rows[0]]).then(() => 'locked', (e) => e.code),
    ].map((p, i) => p.then(async (r) => { await [a, b][i].query('rollback'); return r; })));
    expect(outcomes.sort()).toEqual(['40P01', 'locked']);
  } finally {
    a.release();
    b.release();
  }
  expect(await deadlocks()).toBe(before + 1);
});

/** Waits until `sessions` sessions of this database run a statement containing `text` and wait for a lock. */
async function untilStatementWaits(text: string, sessions = 1): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    const r = await one<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and strpos(query, $1) > 0`, [text],
    );
    if (r.n >= sessions) return;
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error(`fewer than ${sessions} statements with ${text} waited for a lock`);
}

test('archiving while 200 concurrent redemptions over 10 codes are in flight: some counted, the rest coupon_archived; no deadlock, no job retried', async () => {
  const CONCURRENCY = 8; // REDEMPTION_CONCURRENCY of this file's service
  const coupon = await createCoupon(t, acct);
  for (let c = 0; c < 10; c++) await addCode(t, acct, coupon.id, `ARCHRACE${c}`);
  const bodies = Array.from({ length: 200 }, (_, i) => redeemBody(`ARCHRACE${i % 10}`, { subscriptionId: `ar-sub-${i}`, customer: { id: `ar-cus-${i}` } }));
  const deadlocksBefore = await deadlocks();
  const ARCHIVE_AFTER = 40;
  const inOrder: { status: number; body: Record<string, any> }[] = [];
  let reached!: () => void;
  const firstAnswered = new Promise<void>((r) => (reached = r));
  const answers = bodies.map((b) =>
    post(b).then((r) => {
      inOrder.push(r);
      if (inOrder.length === ARCHIVE_AFTER) reached();
      return r;
    }),
  );
  // Once the first 40 are answered, the test holds the coupon's row: every running redemption
  // (CONCURRENCY of them) reaches its counting write and queues on that row. Then the queue is paused
  // (none starts after them), the archive is sent, and the row let go once the archive queues there
  // too; the queue resumes when the archive is answered. So the archive races the running
  // redemptions for the coupon's row: those counted before and at most CONCURRENCY more are
  // counted, and every one that starts later is refused.
  await firstAnswered;
  const queue = t.running.ctx.queues.redemptions;
  const lock = await holdLock('select id from coupons where id = $1 for update', [coupon.id]);
  let countedBefore: number;
  try {
    await untilStatementWaits('select 1 from coupons where id = $1 for update', CONCURRENCY);
    await queue.pause();
    countedBefore = Number((await lock.change('select times_redeemed from coupons where id = $1', [coupon.id])).rows[0].times_redeemed);
    const archiving = t.http.post(`/v1/coupons/${coupon.id}/archive`).set(acct.auth).send({}).then((r) => r);
    await untilStatementWaits('for update of "c"');
    await lock.commit();
    expect((await archiving).status).toBe(200);
  } finally {
    await lock.commit();
    await queue.resume();
  }

  const results = await Promise.all(answers);
  const tally: Record<string, number> = {};
  for (const r of results) {
    const k = r.status === 201 ? 'created' : `${r.status} ${r.body.error?.code}`;
    tally[k] = (tally[k] ?? 0) + 1;
  }
  expect(Object.keys(tally).filter((k) => k !== 'created' && k !== '422 coupon_archived')).toEqual([]);
  const created = tally.created ?? 0;
  const refused = tally['422 coupon_archived'] ?? 0;
  // a real split, never 0/200: the first answers were all counted, then at most CONCURRENCY more
  expect(inOrder.slice(0, ARCHIVE_AFTER).map((r) => r.status)).toEqual(Array(ARCHIVE_AFTER).fill(201));
  expect(created + refused).toBe(200);
  expect(created).toBeGreaterThanOrEqual(countedBefore!);
  expect(created).toBeLessThanOrEqual(countedBefore! + CONCURRENCY);
  expect(refused).toBeGreaterThan(0);
  const c = await counts(coupon.id, null);
  const codesSum = await one<{ n: number }>(`select sum(times_redeemed)::int as n from codes where coupon_id = $1`, [coupon.id]);
  expect({ coupon: c.coupon, redemptions: c.redemptions, codes: codesSum.n }).toEqual({ coupon: created, redemptions: created, codes: created });
  // no deadlock anywhere in the database, and none hidden by a retry: each job ran once
  expect(await deadlocks()).toBe(deadlocksBefore);
  const jobs = (await t.running.ctx.queues.redemptions.getJobs(['completed', 'failed', 'delayed', 'waiting', 'active']))
    .filter((j) => String((j.data as RedemptionJobData).request.subscriptionId).startsWith('ar-sub-'));
  expect(await Promise.all(jobs.map(async (j) => [await j.getState(), j.attemptsStarted, j.attemptsMade]))).toEqual(Array(200).fill(['completed', 1, 1]));
});
