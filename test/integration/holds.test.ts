import { startTestApp, type TestAccount, type TestApp } from '../helpers/harness';
import { addCode, createCoupon, putPlan, redeemBody } from '../helpers/api';
import { TestClock } from '../helpers/clock';
import { runExpirySweep } from '../../src/services/expiry';
import { expiryJobId } from '../../src/queues/expiry-producer';

// Requests and jobs decide at the instant `clock` says. A hold's delayed expiry job is scheduled
// ttlSeconds ahead in real time, so none runs by itself: the tests move the clock and promote it.
const START = '2026-06-01T12:00:00.000Z';
const clock = new TestClock(START);
let t: TestApp;
let acct: TestAccount;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sql = (q: string, p: unknown[] = []) => t.running.ctx.orm.em.fork().execute(q, p);

const hold = (body: Record<string, unknown>) => t.http.post('/v1/holds').set(acct.auth).send(body);
const redeem = (body: Record<string, unknown>) => t.http.post('/v1/redemptions').set(acct.auth).send(body);
const validate = (body: Record<string, unknown>) => t.http.post('/v1/codes/validate').set(acct.auth).send(body);

async function counts(code: string): Promise<{ coupon: [number, number]; code: [number, number] }> {
  const [row] = await sql(
    `select k.times_redeemed as kt, k.held as kh, c.times_redeemed as ct, c.held as ch from codes c join coupons k on k.id = c.coupon_id
      where c.account_id = ? and c.code = ?`,
    [acct.id, code],
  );
  return { coupon: [row.kt, row.kh], code: [row.ct, row.ch] };
}

async function events(type: string): Promise<Record<string, unknown>[]> {
  const rows = await sql(`select data from events where account_id = ? and type = ? order by id`, [acct.id, type]);
  return rows.map((r) => r.data as Record<string, unknown>);
}

/** Runs the delayed job of the account's holds expiring at `expiresAt` now (as if its time had come); answers its return value. */
async function runExpiryJob(expiresAt: string): Promise<unknown> {
  const queue = t.running.ctx.queues.expiry;
  const id = expiryJobId('holds', acct.id, expiresAt);
  const job = await queue.getJob(id);
  if (!job) throw new Error(`no job ${id}`);
  expect(await job.getState()).toBe('delayed');
  await job.promote();
  for (let i = 0; i < 300; i++) {
    const j = await queue.getJob(id);
    if (j && (await j.isCompleted())) return j.returnvalue;
    await sleep(50);
  }
  throw new Error('the expiry job did not complete');
}

beforeAll(async () => {
  t = await startTestApp({ EXPIRY_EVERY_MS: '86400000' }, { clock });
});
// an account per test: the expiry jobs of one account's holds are its own
beforeEach(async () => {
  clock.set(START);
  acct = await t.createAccount();
  await putPlan(t, acct, 'pro-monthly');
});
afterAll(async () => {
  await t?.close();
});

describe('holds', () => {
  test('a hold takes the last use: others are refused at validate, hold and redeem; the holder redeems with it', async () => {
    const coupon = await createCoupon(t, acct, {});
    await addCode(t, acct, coupon.id, 'LASTONE', { maxRedemptions: 1 });
    const held = await hold({ code: 'lastone', customer: { id: 'cus_a' }, planId: 'pro-monthly' });
    expect(held.status).toBe(201);
    expect(held.body).toEqual({
      hold: {
        id: expect.stringMatching(/^[0-9a-f-]{36}$/), code: 'LASTONE', couponId: coupon.id, customerId: 'cus_a', status: 'active',
        expiresAt: '2026-06-01T12:15:00.000Z', planId: 'pro-monthly', currency: null, action: 'new_subscription', redemptionId: null,
        createdAt: START, endedAt: null,
      },
    });
    const holdId = held.body.hold.id;
    expect(await counts('LASTONE')).toEqual({ coupon: [0, 1], code: [0, 1] });
    expect((await validate({ code: 'LASTONE', customer: { id: 'cus_b' }, planId: 'pro-monthly' })).body).toMatchObject({ valid: false, error: { code: 'code_exhausted' } });
    expect((await hold({ code: 'LASTONE', customer: { id: 'cus_b' } })).body.error.code).toBe('code_exhausted');
    const other = await redeem(redeemBody('LASTONE', { customer: { id: 'cus_b' }, subscriptionId: 'sub_b' }));
    expect([other.status, other.body.error.code]).toEqual([422, 'code_exhausted']);
    // the holder without the hold takes a new slot: none left
    expect((await redeem(redeemBody('LASTONE', { customer: { id: 'cus_a' }, subscriptionId: 'sub_a' }))).body.error.code).toBe('code_exhausted');

    clock.advance(60_000);
    const mine = await redeem(redeemBody('LASTONE', { customer: { id: 'cus_a' }, subscriptionId: 'sub_a', holdId }));
    expect(mine.status).toBe(201);
    expect(mine.body.redemption).toMatchObject({ code: 'LASTONE', customerId: 'cus_a', status: 'active' });
    expect(await counts('LASTONE')).toEqual({ coupon: [1, 0], code: [1, 0] });
    const got = await t.http.get(`/v1/holds/${holdId}`).set(acct.auth);
    expect(got.body.hold).toMatchObject({ status: 'consumed', redemptionId: mine.body.redemption.id, endedAt: '2026-06-01T12:01:00.000Z' });
    // a consumed hold is used up
    const again = await redeem(redeemBody('LASTONE', { customer: { id: 'cus_a' }, subscriptionId: 'sub_a2', holdId }));
    expect([again.status, again.body.error.code]).toEqual([422, 'hold_not_active']);
    const created = (await events('redemption.created')).filter((e) => e.code === 'LASTONE');
    expect(created).toEqual([expect.objectContaining({ holdId, customerId: 'cus_a' })]);
    // the expiry job of that second then finds nothing to do
    clock.set('2026-06-01T12:15:00.000Z');
    expect(await runExpiryJob('2026-06-01T12:15:00.000Z')).toEqual({ holdsExpired: 0 });
  });

  test('a hold counts against perCustomer; its own redemption does not count twice', async () => {
    const coupon = await createCoupon(t, acct, { limits: { perCustomer: 1 } });
    await addCode(t, acct, coupon.id, 'ONEEACH');
    const held = await hold({ code: 'ONEEACH', customer: { id: 'cus_p' } });
    expect(held.status).toBe(201);
    expect((await hold({ code: 'ONEEACH', customer: { id: 'cus_p' } })).body.error.code).toBe('customer_limit_reached');
    expect((await redeem(redeemBody('ONEEACH', { customer: { id: 'cus_p' }, subscriptionId: 'sub_p1' }))).body.error.code).toBe('customer_limit_reached');
    expect((await hold({ code: 'ONEEACH', customer: { id: 'cus_q' } })).status).toBe(201);
    const ok = await redeem(redeemBody('ONEEACH', { customer: { id: 'cus_p' }, subscriptionId: 'sub_p1', holdId: held.body.hold.id }));
    expect(ok.status).toBe(201);
    // lowering the limit below what is held or used is refused
    const patch = await t.http.patch(`/v1/coupons/${coupon.id}`).set(acct.auth).send({ limits: { maxRedemptions: 1 } });
    expect([patch.status, patch.body.error.field]).toEqual([409, 'limits.maxRedemptions']);
    expect((await t.http.patch(`/v1/coupons/${coupon.id}`).set(acct.auth).send({ limits: { maxRedemptions: 2 } })).status).toBe(200);
  });

  test('a redemption naming another customer\'s, another code\'s or an expired hold is 422 hold_not_active', async () => {
    const coupon = await createCoupon(t, acct, {});
    await addCode(t, acct, coupon.id, 'MISMATCH-A');
    await addCode(t, acct, coupon.id, 'MISMATCH-B');
    const held = (await hold({ code: 'MISMATCH-A', customer: { id: 'cus_m' }, ttlSeconds: 60 })).body.hold;
    const refused = async (body: Record<string, unknown>) => {
      const r = await redeem(body);
      return [r.status, r.body.error?.code];
    };
    expect(await refused(redeemBody('MISMATCH-A', { customer: { id: 'cus_n' }, subscriptionId: 'sub_m1', holdId: held.id }))).toEqual([422, 'hold_not_active']);
    expect(await refused(redeemBody('MISMATCH-B', { customer: { id: 'cus_m' }, subscriptionId: 'sub_m2', holdId: held.id }))).toEqual([422, 'hold_not_active']);
    expect(await refused(redeemBody('NO-SUCH-CODE', { customer: { id: 'cus_m' }, subscriptionId: 'sub_m3', holdId: held.id }))).toEqual([422, 'hold_not_active']);
    expect(await refused(redeemBody('MISMATCH-A', { customer: { id: 'cus_m' }, subscriptionId: 'sub_m4', holdId: '00000000-0000-4000-8000-000000000000' }))).toEqual([422, 'hold_not_active']);
    expect(await refused(redeemBody('MISMATCH-A', { customer: { id: 'cus_m' }, subscriptionId: 'sub_m5', holdId: 'not-a-uuid' }))).toEqual([400, 'validation_failed']);
    clock.advance(60_000);
    expect(await refused(redeemBody('MISMATCH-A', { customer: { id: 'cus_m' }, subscriptionId: 'sub_m6', holdId: held.id }))).toEqual([422, 'hold_not_active']);
    // shown expired before its job ran; the slot is given back by the job
    expect((await t.http.get(`/v1/holds/${held.id}`).set(acct.auth)).body.hold.status).toBe('expired');
    expect(await counts('MISMATCH-A')).toEqual({ coupon: [0, 1], code: [0, 1] });
  });

  test('release: 204, the use is free again; releasing again, or another customer\'s, is 422; an unknown hold 404', async () => {
    const coupon = await createCoupon(t, acct, { limits: { maxRedemptions: 1 } });
    const held = (await hold({ couponId: coupon.id, customer: { id: 'cus_r' } })).body.hold;
    expect(held).toMatchObject({ code: null, couponId: coupon.id });
    expect((await hold({ couponId: coupon.id, customer: { id: 'cus_s' } })).body.error.code).toBe('code_exhausted');
    const wrong = await t.http.delete(`/v1/holds/${held.id}?customerId=cus_s`).set(acct.auth);
    expect([wrong.status, wrong.body.error.code]).toEqual([422, 'hold_not_active']);
    clock.advance(1000);
    const released = await t.http.delete(`/v1/holds/${held.id}?customerId=cus_r`).set(acct.auth);
    expect(released.status).toBe(204);
    const twice = await t.http.delete(`/v1/holds/${held.id}`).set(acct.auth);
    expect([twice.status, twice.body.error.code]).toEqual([422, 'hold_not_active']);
    expect((await t.http.delete('/v1/holds/00000000-0000-4000-8000-000000000000').set(acct.auth)).status).toBe(404);
    expect((await t.http.get(`/v1/holds/${held.id}`).set(acct.auth)).body.hold).toMatchObject({ status: 'released', endedAt: '2026-06-01T12:00:01.000Z' });
    const [k] = await sql(`select times_redeemed, held from coupons where id = ?`, [coupon.id]);
    expect(k).toEqual({ times_redeemed: 0, held: 0 });
    expect(await events('hold.released')).toContainEqual({ holdId: held.id, couponId: coupon.id, code: null, customerId: 'cus_r' });
    expect((await hold({ couponId: coupon.id, customer: { id: 'cus_s' } })).status).toBe(201);
  });

  test('at expiresAt the delayed job of that second releases it (expired, hold.expired once); the sweep covers a job that was missed', async () => {
    const coupon = await createCoupon(t, acct, {});
    await addCode(t, acct, coupon.id, 'SHORTHOLD', { maxRedemptions: 2 });
    const a = (await hold({ code: 'SHORTHOLD', customer: { id: 'cus_e1' }, ttlSeconds: 60 })).body.hold;
    clock.advance(250);
    // expiries are whole seconds: 12:00:00.250 + 120 s → 12:02:01
    const b = (await hold({ code: 'SHORTHOLD', customer: { id: 'cus_e2' }, ttlSeconds: 120 })).body.hold;
    expect([a.expiresAt, b.expiresAt]).toEqual(['2026-06-01T12:01:00.000Z', '2026-06-01T12:02:01.000Z']);
    clock.set('2026-06-01T12:00:59.999Z');
    expect(await counts('SHORTHOLD')).toEqual({ coupon: [0, 2], code: [0, 2] });
    clock.set('2026-06-01T12:01:00.000Z');
    expect(await runExpiryJob(a.expiresAt)).toEqual({ holdsExpired: 1 });
    expect(await counts('SHORTHOLD')).toEqual({ coupon: [0, 1], code: [0, 1] });
    expect(await events('hold.expired')).toContainEqual({ holdId: a.id, couponId: coupon.id, code: 'SHORTHOLD', customerId: 'cus_e1', expiresAt: a.expiresAt });
    // the sweep at 12:02:01 expires b (as if its job were lost) and nothing twice; a sweep just
    // before takes whatever else of this file is due by then, so the one at 12:02:01 sees b alone
    await runExpirySweep(t.running.ctx.orm.em.fork(), '2026-06-01T12:02:00.999Z');
    expect(await counts('SHORTHOLD')).toEqual({ coupon: [0, 1], code: [0, 1] });
    const swept = await runExpirySweep(t.running.ctx.orm.em.fork(), '2026-06-01T12:02:01.000Z');
    expect(swept.holdsExpired).toBe(1);
    expect((await runExpirySweep(t.running.ctx.orm.em.fork(), '2026-06-01T12:03:00.000Z')).holdsExpired).toBe(0);
    expect(await counts('SHORTHOLD')).toEqual({ coupon: [0, 0], code: [0, 0] });
    expect((await events('hold.expired')).filter((e) => e.code === 'SHORTHOLD').map((e) => e.holdId)).toEqual([a.id, b.id]);
    clock.set('2026-06-01T12:02:01.000Z');
    expect(await runExpiryJob(b.expiresAt)).toEqual({ holdsExpired: 0 });
  });

  test('idempotency: the same key and body answers the same hold; another body 409; a 400 pins nothing', async () => {
    const coupon = await createCoupon(t, acct, {});
    await addCode(t, acct, coupon.id, 'KEYED');
    const bad = await hold({ code: 'KEYED', customer: { id: 'cus_k' }, planId: 'no-such-plan', idempotencyKey: 'hk-1' });
    expect([bad.status, bad.body.error.field]).toEqual([400, 'planId']);
    const first = await hold({ code: 'KEYED', customer: { id: 'cus_k' }, idempotencyKey: 'hk-1' });
    expect(first.status).toBe(201);
    clock.advance(5000);
    const replay = await hold({ code: 'KEYED', customer: { id: 'cus_k' }, idempotencyKey: 'hk-1' });
    expect(replay.body).toEqual(first.body);
    const other = await hold({ code: 'KEYED', customer: { id: 'cus_other' }, idempotencyKey: 'hk-1' });
    expect([other.status, other.body.error.code]).toEqual([409, 'idempotency_conflict']);
    // the key spaces of holds and redemptions are apart
    const red = await redeem(redeemBody('KEYED', { customer: { id: 'cus_k2' }, subscriptionId: 'sub_k', idempotencyKey: 'hk-1' }));
    expect(red.status).toBe(201);
    expect(await counts('KEYED')).toEqual({ coupon: [1, 1], code: [1, 1] });
  });

  test('refusals of a hold are the redemption\'s: unknown code, disabled, an unknown coupon; bad ttl is 400', async () => {
    const unknown = await hold({ code: 'NOPE-NOPE', customer: { id: 'cus_x' } });
    expect([unknown.status, unknown.body.error.code]).toEqual([422, 'code_not_found']);
    const direct = await hold({ couponId: '00000000-0000-4000-8000-000000000000', customer: { id: 'cus_x' } });
    expect([direct.status, direct.body.error.code]).toEqual([422, 'coupon_not_found']);
    const ttl = await hold({ code: 'NOPE-NOPE', customer: { id: 'cus_x' }, ttlSeconds: 59 });
    expect([ttl.status, ttl.body.error.field]).toEqual([400, 'ttlSeconds']);
    const both = await hold({ code: 'NOPE-NOPE', couponId: '00000000-0000-4000-8000-000000000000', customer: { id: 'cus_x' } });
    expect(both.status).toBe(400);
    const coupon = await createCoupon(t, acct, { code: 'OFFHOLD' });
    await t.http.post(`/v1/coupons/${coupon.id}/disable`).set(acct.auth);
    expect((await hold({ code: 'OFFHOLD', customer: { id: 'cus_x' } })).body.error.code).toBe('code_disabled');
  });

  test('a hold of the last coupon-wide slot through one code keeps it from every code of the coupon', async () => {
    const coupon = await createCoupon(t, acct, { limits: { maxRedemptions: 1 } });
    await addCode(t, acct, coupon.id, 'WIDE-1');
    await addCode(t, acct, coupon.id, 'WIDE-2');
    const held = (await hold({ code: 'WIDE-1', customer: { id: 'cus_w' } })).body.hold;
    expect((await redeem(redeemBody('WIDE-2', { customer: { id: 'cus_v' }, subscriptionId: 'sub_w1' }))).body.error.code).toBe('code_exhausted');
    expect((await redeem(redeemBody('WIDE-1', { customer: { id: 'cus_w' }, subscriptionId: 'sub_w2', holdId: held.id }))).status).toBe(201);
  });
});

describe('GET /v1/holds and GET /v1/plans (the console lists them)', () => {
  test("a coupon's holds by status as shown now, soonest expiry first, paged", async () => {
    const coupon = await createCoupon(t, acct, { code: 'LISTED' });
    const other = await createCoupon(t, acct, { code: 'ELSEWHERE' });
    const a = (await hold({ code: 'LISTED', customer: { id: 'cus_a' }, ttlSeconds: 600 })).body.hold;
    const b = (await hold({ code: 'LISTED', customer: { id: 'cus_b' }, ttlSeconds: 300 })).body.hold;
    const c = (await hold({ code: 'LISTED', customer: { id: 'cus_c' }, ttlSeconds: 900 })).body.hold;
    await hold({ code: 'ELSEWHERE', customer: { id: 'cus_d' } });
    expect((await t.http.delete(`/v1/holds/${c.id}`).set(acct.auth)).status).toBe(204);
    const list = (q: Record<string, unknown>) => t.http.get('/v1/holds').query(q).set(acct.auth);
    const active = await list({ couponId: coupon.id, status: 'active' });
    expect(active.status).toBe(200);
    expect(active.body.data.map((h: { id: string }) => h.id)).toEqual([b.id, a.id]);
    expect(active.body.data[0]).toEqual({ ...b, status: 'active' });
    const first = await list({ couponId: coupon.id, limit: 2 });
    expect(first.body.data.map((h: { id: string }) => h.id)).toEqual([b.id, a.id]);
    const second = await list({ couponId: coupon.id, limit: 2, cursor: first.body.nextCursor });
    expect([second.body.data.map((h: { id: string; status: string }) => [h.id, h.status]), second.body.nextCursor]).toEqual([[[c.id, 'released']], null]);
    // past b's expiry (its job not yet run) b reads expired
    clock.set('2026-06-01T12:06:00.000Z');
    expect((await list({ couponId: coupon.id, status: 'active' })).body.data.map((h: { id: string }) => h.id)).toEqual([a.id]);
    expect((await list({ couponId: coupon.id, status: 'expired' })).body.data.map((h: { id: string; status: string }) => [h.id, h.status])).toEqual([[b.id, 'expired']]);
    expect((await list({ couponId: other.id })).body.data).toHaveLength(1);
    expect((await list({ couponId: 'not-a-coupon' })).body).toEqual({ data: [], nextCursor: null });
    expect((await list({ status: 'held' })).body.error.field).toBe('status');
    expect((await list({ cursor: 'bogus' })).body.error.field).toBe('cursor');
  });

  test('the account’s plans in id order, paged', async () => {
    await putPlan(t, acct, 'basic-yearly', { name: 'Basic', kind: 'recurring', interval: { unit: 'year', count: 1 }, currency: 'EUR', price: 9900, family: 'basic' });
    await putPlan(t, acct, 'addon', { name: 'Add-on', kind: 'one_time', currency: 'USD', price: 500 });
    const first = await t.http.get('/v1/plans').query({ limit: 2 }).set(acct.auth);
    expect(first.status).toBe(200);
    expect(first.body.data).toEqual([
      { id: 'addon', name: 'Add-on', kind: 'one_time', interval: null, currency: 'USD', price: 500, family: null, access: 'open' },
      { id: 'basic-yearly', name: 'Basic', kind: 'recurring', interval: { unit: 'year', count: 1 }, currency: 'EUR', price: 9900, family: 'basic', access: 'open' },
    ]);
    const second = await t.http.get('/v1/plans').query({ limit: 2, cursor: first.body.nextCursor }).set(acct.auth);
    expect([second.body.data.map((p: { id: string }) => p.id), second.body.nextCursor]).toEqual([['pro-monthly'], null]);
  });
});
