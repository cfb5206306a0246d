import { Client, Pool } from 'pg';
import { startTestApp, type TestAccount, type TestApp } from '../helpers/harness';
import { addCode, createCoupon, putPlan, redeemBody } from '../helpers/api';

/**
 * The counting write locks the coupon, then the code, and re-checks on those locked rows that
 * both are still redeemable. A transaction that holds the coupon's row (as archiving does) and
 * changes it makes the waiting redemption decide again on what it committed.
 */
let t: TestApp;
let acct: TestAccount;
let pool: Pool;

beforeAll(async () => {
  t = await startTestApp({ REDEMPTION_CONCURRENCY: '8' });
  pool = new Pool({ connectionString: t.env.databaseUrl, max: 2 });
  acct = await t.createAccount();
  await putPlan(t, acct, 'pro-monthly');
});
afterAll(async () => {
  await pool?.end();
  await t?.close();
});

const one = async <T extends object = Record<string, unknown>>(q: string, p: unknown[] = []): Promise<T> => (await pool.query<T>(q, p)).rows[0]!;

/** Holds a row lock in its own transaction; `change` runs SQL in it, `commit` ends it. */
async function holdLock(lockSql: string, params: unknown[]) {
  const c = new Client({ connectionString: t.env.databaseUrl });
  await c.connect();
  await c.query('begin');
  await c.query(lockSql, params);
  return {
    change: (q: string, p: unknown[]) => c.query(q, p),
    commit: async () => {
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

test('archiving under 200 concurrent redemptions over 10 codes: no deadlock, every answer is 201 or coupon_archived, counts agree', async () => {
  const coupon = await createCoupon(t, acct);
  for (let c = 0; c < 10; c++) await addCode(t, acct, coupon.id, `ARCHRACE${c}`);
  const bodies = Array.from({ length: 200 }, (_, i) => redeemBody(`ARCHRACE${i % 10}`, { subscriptionId: `ar-sub-${i}`, customer: { id: `ar-cus-${i}` } }));
  const answers = bodies.map((b) => post(b));
  await new Promise((res) => setTimeout(res, 150));
  const archived = await t.http.post(`/v1/coupons/${coupon.id}/archive`).set(acct.auth).send({});
  expect(archived.status).toBe(200);
  const results = await Promise.all(answers);
  const tally: Record<string, number> = {};
  for (const r of results) {
    const k = r.status === 201 ? 'created' : `${r.status} ${r.body.error?.code}`;
    tally[k] = (tally[k] ?? 0) + 1;
  }
  expect(Object.keys(tally).filter((k) => k !== 'created' && k !== '422 coupon_archived')).toEqual([]);
  const created = tally.created ?? 0;
  expect(created + (tally['422 coupon_archived'] ?? 0)).toBe(200);
  const c = await counts(coupon.id, null);
  const codesSum = await one<{ n: number }>(`select sum(times_redeemed)::int as n from codes where coupon_id = $1`, [coupon.id]);
  expect({ coupon: c.coupon, redemptions: c.redemptions, codes: codesSum.n }).toEqual({ coupon: created, redemptions: created, codes: created });
});
