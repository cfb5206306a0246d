import { startTestApp, type TestAccount, type TestApp } from '../helpers/harness';
import { addCode, createCoupon, putPlan, redeemBody } from '../helpers/api';
import { TestClock } from '../helpers/clock';
import { expireOne, runExpirySweep, type SweepResult } from '../../src/services/expiry';
import { expiryJobId, scheduleExpiry } from '../../src/queues/expiry-producer';
import { EXPIRY_SCHEDULER_ID, REPORT_FOLD_SCHEDULER_ID, startSchedulers } from '../../src/schedulers';

// Every request and job of this file decides at the instant `clock` says; nothing waits for the
// wall clock. Delayed jobs are scheduled an hour or more ahead (real time), so none runs by
// itself during the test: the test moves the clock and runs the job at once.
const START = '2026-06-01T12:00:00.000Z';
const clock = new TestClock(START);
let t: TestApp;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sql = (q: string, p: unknown[] = []) => t.running.ctx.orm.em.fork().execute(q, p);
const iso = (msFromNow: number) => clock.plus(msFromNow);
const shift = (instant: string, ms: number) => new Date(Date.parse(instant) + ms).toISOString();
const HOUR = 3600_000;

/** Events of one type in one account, in order, as [data]. */
async function events(acct: TestAccount, type: string): Promise<Record<string, unknown>[]> {
  const rows = await sql(`select data from events where account_id = ? and type = ? order by id`, [acct.id, type]);
  return rows.map((r) => r.data as Record<string, unknown>);
}

async function waitUntil(check: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(50);
  }
}

/** Runs a delayed expiry job now (as if its time had come) and answers its outcome once it ran. */
async function runNow(jobId: string): Promise<{ state: string; returnvalue: unknown; attemptsMade: number }> {
  const queue = t.running.ctx.queues.expiry;
  const job = await queue.getJob(jobId);
  if (!job) throw new Error(`no job ${jobId}`);
  const attempts = job.attemptsMade;
  await job.promote();
  // ran: completed, or put back (delayed) after one more failed attempt
  await waitUntil(async () => {
    const j = await queue.getJob(jobId);
    return j !== undefined && ((await j.isCompleted()) || j.attemptsMade > attempts);
  }, 15_000);
  const j = (await queue.getJob(jobId))!;
  return { state: await j.getState(), returnvalue: j.returnvalue, attemptsMade: j.attemptsMade };
}

async function redeem(acct: TestAccount, code: string, sub: string): Promise<string> {
  const res = await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody(code, { subscriptionId: sub, customer: { id: `cus_${sub}` } }));
  if (res.status !== 201) throw new Error(`redeem ${code}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.redemption.id as string;
}

const sum = (a: SweepResult, b: SweepResult): SweepResult =>
  Object.fromEntries(Object.keys(a).map((k) => [k, a[k as keyof SweepResult] + b[k as keyof SweepResult]])) as unknown as SweepResult;

beforeAll(async () => {
  // the scheduled sweep only runs at start-up here: the tests choose `now` themselves
  t = await startTestApp({ EXPIRY_EVERY_MS: '86400000' }, { clock });
});
beforeEach(() => clock.set(START));
afterAll(async () => {
  await t?.close();
});

describe('delayed expiry jobs', () => {
  test('a coupon and a code get exactly one expired event from their delayed jobs, at their instant and not before', async () => {
    const acct = await t.createAccount();
    const expiresAt = iso(HOUR);
    const coupon = await createCoupon(t, acct, { expiresAt, code: 'SOON-COUPON' });
    await addCode(t, acct, coupon.id, 'SOON-CODE', { expiresAt });
    const [{ id: codeId }] = await sql(`select id from codes where account_id = ? and code = 'SOON-CODE'`, [acct.id]);
    const queue = t.running.ctx.queues.expiry;
    const couponJob = expiryJobId('coupon', coupon.id, expiresAt);
    const codeJob = expiryJobId('code', String(codeId), expiresAt);
    // scheduled for the instant, counted from the clock's now
    for (const id of [couponJob, codeJob]) {
      expect(await queue.getJobState(id)).toBe('delayed');
      expect((await queue.getJob(id))!.opts.delay).toBe(HOUR);
    }

    // run a millisecond early: nothing is written and the job is put back for a retry
    clock.set(shift(expiresAt, -1));
    expect(await runNow(couponJob)).toMatchObject({ state: 'delayed', attemptsMade: 1 });
    expect(await events(acct, 'coupon.expired')).toEqual([]);
    expect((await t.http.get(`/v1/coupons/${coupon.id}`).set(acct.auth)).body.status).toBe('active');

    clock.set(expiresAt);
    expect(await runNow(couponJob)).toEqual({ state: 'completed', returnvalue: 'expired', attemptsMade: 2 });
    expect(await runNow(codeJob)).toEqual({ state: 'completed', returnvalue: 'expired', attemptsMade: 1 });
    expect(await events(acct, 'coupon.expired')).toEqual([{ couponId: coupon.id }]);
    expect(await events(acct, 'code.expired')).toEqual([{ couponId: coupon.id, code: 'SOON-CODE' }]);
    expect((await t.http.get(`/v1/coupons/${coupon.id}`).set(acct.auth)).body.status).toBe('expired');
    // the sweep finds nothing left to do, then or later
    const again = await runExpirySweep(t.running.ctx.orm.em.fork(), clock.now());
    expect(again.couponsExpired + again.codesExpired).toBe(0);
    const later = await runExpirySweep(t.running.ctx.orm.em.fork(), iso(HOUR));
    expect(later.couponsExpired + later.codesExpired).toBe(0);
    expect(await events(acct, 'coupon.expired')).toHaveLength(1);
  });

  test('an edited expiry moves the transition: the old job does nothing, the new one fires', async () => {
    const acct = await t.createAccount();
    const first = iso(HOUR);
    const coupon = await createCoupon(t, acct, { expiresAt: first });
    const moved = iso(2 * HOUR);
    const res = await t.http.patch(`/v1/coupons/${coupon.id}`).set(acct.auth).send({ expiresAt: moved });
    expect(res.status).toBe(200);
    const oldId = expiryJobId('coupon', coupon.id, first);
    const newId = expiryJobId('coupon', coupon.id, moved);
    expect(await t.running.ctx.queues.expiry.getJobState(newId)).toBe('delayed');
    clock.set(first);
    expect(await runNow(oldId)).toMatchObject({ state: 'completed', returnvalue: 'stale' });
    expect(await events(acct, 'coupon.expired')).toEqual([]);
    clock.set(moved);
    expect(await runNow(newId)).toMatchObject({ state: 'completed', returnvalue: 'expired' });
    expect(await events(acct, 'coupon.expired')).toEqual([{ couponId: coupon.id }]);
  });

  test('a code: expireOne with a chosen now re-reads the row; re-scheduling one instant is one job', async () => {
    const acct = await t.createAccount();
    const coupon = await createCoupon(t, acct, { expiresAt: iso(10 * HOUR) });
    const first = iso(HOUR);
    await addCode(t, acct, coupon.id, 'EDITED-CODE', { expiresAt: first });
    const moved = new Date(Date.parse(first) + HOUR).toISOString();
    expect((await t.http.patch('/v1/codes/edited-code').set(acct.auth).send({ expiresAt: moved })).status).toBe(200);
    const [{ id }] = await sql(`select id from codes where account_id = ? and code = 'EDITED-CODE'`, [acct.id]);
    const queue = t.running.ctx.queues.expiry;
    expect(await queue.getJobState(expiryJobId('code', String(id), first))).toBe('delayed');
    const jobId = expiryJobId('code', String(id), moved);
    expect(jobId).toBe(`exp-code-${id}-${Date.parse(moved)}`);
    expect(await queue.getJobState(jobId)).toBe('delayed');
    const delayed = await queue.getDelayedCount();
    expect(await scheduleExpiry(t.running.ctx, { kind: 'code', accountId: acct.id, id: String(id), expiresAt: moved })).toBe(jobId);
    expect(await queue.getDelayedCount()).toBe(delayed);

    const em = () => t.running.ctx.orm.em.fork();
    const item = { kind: 'code' as const, accountId: acct.id, id: String(id) };
    const later = new Date(Date.parse(moved) + 1000).toISOString();
    expect(await expireOne(em(), { ...item, expiresAt: first }, later)).toBe('stale');
    expect(await expireOne(em(), { ...item, expiresAt: moved }, new Date(Date.parse(moved) - 1).toISOString())).toBe('not_yet');
    expect(await expireOne(em(), { ...item, expiresAt: moved }, moved)).toBe('expired');
    expect(await expireOne(em(), { ...item, expiresAt: moved }, later)).toBe('skipped');
    expect(await expireOne(em(), { ...item, id: '999999999', expiresAt: moved }, later)).toBe('gone');
    expect(await events(acct, 'code.expired')).toEqual([{ couponId: coupon.id, code: 'EDITED-CODE' }]);
  });
});

describe('the sweep', () => {
  test('two sweeps at once, in small batches, write each expired / exhausted / nearly_exhausted event exactly once', async () => {
    const acct = await t.createAccount();
    await putPlan(t, acct, 'pro-monthly');
    const expiring: string[] = [];
    for (let i = 0; i < 10; i++) expiring.push((await createCoupon(t, acct, { expiresAt: iso(HOUR + i * 1000) })).id);
    const holder = await createCoupon(t, acct, { expiresAt: iso(5 * HOUR) });
    for (let i = 0; i < 7; i++) await addCode(t, acct, holder.id, `SWEEP-CODE-${i}`, { expiresAt: iso(HOUR) });
    // lowered by a PATCH: 9 of 10 → nearly only; 2 of 2 → nearly and exhausted
    const nearly = await createCoupon(t, acct, { code: 'NEARLY', limits: { maxRedemptions: 100 } });
    for (let i = 0; i < 9; i++) await redeem(acct, 'NEARLY', `sub_n${i}`);
    expect((await t.http.patch(`/v1/coupons/${nearly.id}`).set(acct.auth).send({ limits: { maxRedemptions: 10 } })).status).toBe(200);
    const full = await createCoupon(t, acct, { code: 'FULL', limits: { maxRedemptions: 5 } });
    for (let i = 0; i < 2; i++) await redeem(acct, 'FULL', `sub_f${i}`);
    expect((await t.http.patch(`/v1/coupons/${full.id}`).set(acct.auth).send({ limits: { maxRedemptions: 2 } })).status).toBe(200);
    // a code whose own limit was lowered to its use; and one the redemption path already marked
    const codes = await createCoupon(t, acct, { code: 'CODE-LIMIT' });
    await redeem(acct, 'CODE-LIMIT', 'sub_c0');
    expect((await t.http.patch('/v1/codes/CODE-LIMIT').set(acct.auth).send({ maxRedemptions: 1 })).status).toBe(200);
    const marked = await createCoupon(t, acct, { code: 'MARKED', limits: { maxRedemptions: 1 } });
    await redeem(acct, 'MARKED', 'sub_m0');
    expect(await events(acct, 'coupon.exhausted')).toEqual([{ couponId: marked.id }]);
    expect(await events(acct, 'coupon.nearly_exhausted')).toEqual([{ couponId: marked.id }]);

    const now = iso(2 * HOUR);
    const before = await sql(`select count(*)::int as n from events`);
    const [a, b] = await Promise.all([
      runExpirySweep(t.running.ctx.orm.em.fork(), now, { batchSize: 3 }),
      runExpirySweep(t.running.ctx.orm.em.fork(), now, { batchSize: 3 }),
    ]);
    const total = sum(a, b);
    expect(total).toEqual({ couponsExpired: 10, codesExpired: 7, couponsNearlyExhausted: 2, couponsExhausted: 1, codesExhausted: 1, redemptionsEnded: 0, holdsExpired: 0 });
    const [after] = await sql(`select count(*)::int as n from events`);
    expect(after.n - before[0].n).toBe(21);
    expect((await events(acct, 'coupon.expired')).map((d) => d.couponId).sort()).toEqual([...expiring].sort());
    expect((await events(acct, 'code.expired')).map((d) => d.code).sort()).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `SWEEP-CODE-${i}`));
    expect(await events(acct, 'coupon.nearly_exhausted')).toEqual(expect.arrayContaining([{ couponId: nearly.id }, { couponId: full.id }]));
    expect(await events(acct, 'coupon.nearly_exhausted')).toHaveLength(3);
    expect(await events(acct, 'coupon.exhausted')).toEqual([{ couponId: marked.id }, { couponId: full.id }]);
    expect(await events(acct, 'code.exhausted')).toEqual([{ couponId: codes.id, code: 'CODE-LIMIT' }]);
    // the holder coupon expires later; nothing else is left
    expect(await runExpirySweep(t.running.ctx.orm.em.fork(), now)).toEqual({ couponsExpired: 0, codesExpired: 0, couponsNearlyExhausted: 0, couponsExhausted: 0, codesExhausted: 0, redemptionsEnded: 0, holdsExpired: 0 });
    // reads agree with the events
    expect((await t.http.get(`/v1/coupons/${full.id}`).set(acct.auth)).body.status).toBe('exhausted');
  });

  test('months/until redemptions whose window passed end with redemption.ended; a held subscription waits for the next sweep', async () => {
    const acct = await t.createAccount();
    await putPlan(t, acct, 'pro-monthly');
    await createCoupon(t, acct, { code: 'MONTHS', duration: { type: 'months', months: 1 }, stackable: true });
    await createCoupon(t, acct, { code: 'UNTIL', duration: { type: 'until', date: '2026-12-31' }, stackable: true });
    await createCoupon(t, acct, { code: 'FOREVER', duration: { type: 'forever' }, stackable: true });
    const passed = await redeem(acct, 'MONTHS', 'sub_1');
    const fresh = await redeem(acct, 'MONTHS', 'sub_2');
    const noAnchor = await redeem(acct, 'MONTHS', 'sub_3');
    const until = await redeem(acct, 'UNTIL', 'sub_4');
    const forever = await redeem(acct, 'FOREVER', 'sub_5');
    const held = await redeem(acct, 'MONTHS', 'sub_6');
    await sql(`update redemptions set anchor = ?::timestamptz - interval '2 months' where id = any(?::uuid[])`, [clock.now(), `{${passed},${held}}`]);
    await sql(`update redemptions set anchor = ?::timestamptz - interval '2 weeks' where id = ?`, [clock.now(), fresh]);
    await sql(`update redemptions set anchor = ?::timestamptz - interval '6 months' where id = ?`, [clock.now(), forever]);

    // an invoice for sub_6 is in flight: its subscription row is locked
    const conn = t.running.ctx.orm.em.fork();
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const holder = conn.transactional(async (tx) => {
      await tx.execute(`select 1 from subscriptions where account_id = ? and id = 'sub_6' for update`, [acct.id]);
      locked();
      await released;
    });
    await isLocked;
    const now = iso(60_000);
    const first = await runExpirySweep(t.running.ctx.orm.em.fork(), now);
    expect(first.redemptionsEnded).toBe(1);
    release();
    await holder;

    const rows = await sql(`select id, status, ended_reason, ended_at from redemptions where account_id = ? order by subscription_id`, [acct.id]);
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    expect(byId[passed]).toMatchObject({ status: 'ended', ended_reason: 'window_passed' });
    expect(new Date(byId[passed].ended_at).toISOString()).toBe(now);
    for (const id of [fresh, noAnchor, until, forever, held]) expect(byId[id].status).toBe('active');
    expect(await events(acct, 'redemption.ended')).toEqual([
      { redemptionId: passed, couponId: expect.any(String), code: 'MONTHS', subscriptionId: 'sub_1', reason: 'window_passed' },
    ]);

    const status = async () => Object.fromEntries((await sql(`select id, status from redemptions where account_id = ?`, [acct.id])).map((r) => [r.id, r.status]));
    // next sweep: the held one now
    expect((await runExpirySweep(t.running.ctx.orm.em.fork(), now)).redemptionsEnded).toBe(1);
    expect((await status())[held]).toBe('ended');
    // later: the 2-weeks-old months window (anchor + 1 month) has passed; the until window ends at 00:01 on Jan 1 (UTC zone)
    expect((await runExpirySweep(t.running.ctx.orm.em.fork(), '2027-01-01T00:00:59.999Z')).redemptionsEnded).toBe(1);
    expect(await status()).toMatchObject({ [fresh]: 'ended', [until]: 'active', [noAnchor]: 'active', [forever]: 'active' });
    expect((await runExpirySweep(t.running.ctx.orm.em.fork(), '2027-01-01T00:01:00.000Z')).redemptionsEnded).toBe(1);
    expect(await status()).toMatchObject({ [until]: 'ended', [noAnchor]: 'active', [forever]: 'active' });
    expect((await events(acct, 'redemption.ended')).map((d) => [d.redemptionId, d.subscriptionId])).toEqual([
      [passed, 'sub_1'], [held, 'sub_6'], [fresh, 'sub_2'], [until, 'sub_4'],
    ]);
    expect((await t.http.get('/v1/redemptions?subscriptionId=sub_5').set(acct.auth)).body.data[0].status).toBe('active');
  });
});

describe('the job scheduler', () => {
  test('several upserts leave one scheduler of each and at most one pending sweep; stopping keeps them', async () => {
    const queue = t.running.ctx.queues.expiry;
    const stoppers = await Promise.all(Array.from({ length: 6 }, () => startSchedulers(t.running.ctx)));
    const schedulers = await queue.getJobSchedulers();
    expect(schedulers.map((s) => [s.key, s.name, s.every]).sort()).toEqual([
      [EXPIRY_SCHEDULER_ID, 'sweep', 86_400_000],
      [REPORT_FOLD_SCHEDULER_ID, 'fold-reports', 1000],
    ]);
    const pending = (await queue.getJobs(['delayed', 'waiting', 'prioritized'])).filter((j) => j.name === 'sweep');
    expect(pending.length).toBeLessThanOrEqual(1);
    for (const stop of stoppers) await stop();
    expect(await queue.getJobSchedulersCount()).toBe(2);
  });
});

describe('a code whose window is loosened expires again later', () => {
  test('PATCH of an expired code to a later expiry lets the sweep emit a second code.expired at the new instant', async () => {
    const acct = await t.createAccount();
    const coupon = await createCoupon(t, acct, {});
    await addCode(t, acct, coupon.id, 'REOPEN1', { expiresAt: iso(HOUR) });
    const em = () => t.running.ctx.orm.em.fork();
    await runExpirySweep(em(), iso(2 * HOUR));
    expect((await events(acct, 'code.expired')).filter((d) => d.code === 'REOPEN1')).toHaveLength(1);
    const later = iso(5 * HOUR);
    const res = await t.http.patch('/v1/codes/REOPEN1').set(acct.auth).send({ expiresAt: later });
    expect(res.status).toBe(200);
    const [row] = await sql(`select expired_event_at from codes where code = 'REOPEN1'`);
    expect(row.expired_event_at).toBeNull();
    await runExpirySweep(em(), iso(3 * HOUR));
    expect((await events(acct, 'code.expired')).filter((d) => d.code === 'REOPEN1')).toHaveLength(1);
    await runExpirySweep(em(), iso(6 * HOUR));
    expect((await events(acct, 'code.expired')).filter((d) => d.code === 'REOPEN1')).toHaveLength(2);
  });
});
