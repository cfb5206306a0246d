import { Client } from 'pg';
import { startTestApp, type TestAccount, type TestApp } from '../helpers/harness';
import { addCode, createCoupon, putPlan, redeemBody } from '../helpers/api';
import { holdGroup, redeemGroup, redeemJob } from '../../src/services/redemption-groups';
import { requestHash } from '../../src/hash';
import { timeOrderedUuid } from '../../src/ids';
import type { HoldJobData, RedemptionJobData } from '../../src/queues/payloads';
import type { JobOutcome } from '../../src/queues/outcomes';
import { expiryJobId } from '../../src/queues/catalogue';

/**
 * Group commit of redemptions: the redemptions a worker process has in flight share one
 * transaction. A group answers and counts exactly what each redemption alone would; a group that
 * cannot share its transaction writes nothing and its redemptions run alone.
 */
let t: TestApp;
let acct: TestAccount;
const sql = (q: string, p: unknown[] = []) => t.running.ctx.orm.em.fork().execute(q, p);

beforeAll(async () => {
  t = await startTestApp();
  acct = await t.createAccount();
  await putPlan(t, acct, 'pro-monthly');
});
afterAll(async () => {
  await t?.close();
});

/** A redemption job as POST /v1/redemptions queues it: `n` names its customer and subscription unless `over` does. */
function job(code: string, tag: string, over: Record<string, unknown> = {}): { data: RedemptionJobData; jobId: string } {
  const request = redeemBody(code, { subscriptionId: `${tag}-sub`, customer: { id: `${tag}-cus` }, ...over }) as unknown as RedemptionJobData['request'];
  const key = request.idempotencyKey;
  return {
    data: { accountId: acct.id, apiKeyId: null, requestHash: requestHash(request as never), request, ...(key ? {} : { requestId: timeOrderedUuid() }) },
    jobId: `job-${tag}`,
  };
}

const answers = (outcomes: JobOutcome[]) => outcomes.map((o) => (o.ok ? `201 ${(o.body.redemption as { code: string }).code}` : o.error.code));
const timesRedeemed = async (couponId: string) => (await sql(`select times_redeemed::int as n from coupons where id = ?`, [couponId]))[0].n as number;
const deadlocks = async () => Number((await sql(`select deadlocks from pg_stat_database where datname = current_database()`))[0].deadlocks);

test('a group of five answers and counts what each alone would, in one transaction; run again, it answers what it wrote', async () => {
  const a = await createCoupon(t, acct, { code: 'RG-A' });
  const b = await createCoupon(t, acct, { code: 'RG-B' });
  const jobs = [job('RG-A', 'five-0'), job('RG-B', 'five-1'), job('RG-NONE', 'five-2'), job('RG-A', 'five-3'), job('RG-B', 'five-4')];
  const outcomes = await redeemGroup(t.running.ctx, jobs);
  expect(answers(outcomes)).toEqual(['201 RG-A', '201 RG-B', 'code_not_found', '201 RG-A', '201 RG-B']);
  // each redemption's id is its request's, as alone
  expect(outcomes.map((o) => (o.ok ? (o.body.redemption as { id: string }).id : null))).toEqual([jobs[0].data.requestId, jobs[1].data.requestId, null, jobs[3].data.requestId, jobs[4].data.requestId]);
  // one transaction wrote every redemption and count of the group: the rows share their xmin
  const writers = await sql(`
    select count(distinct x)::int as n from (
      select xmin::text as x from redemptions where account_id = ? and subscription_id like 'five-%'
      union all select xmin::text from coupons where id in (?, ?)) w`, [acct.id, a.id, b.id]);
  expect(writers[0].n).toBe(1);
  expect({ a: await timesRedeemed(a.id), b: await timesRedeemed(b.id) }).toEqual({ a: 2, b: 2 });
  // the same jobs again (a worker that died after COMMIT): answered from what the group wrote,
  // alone, nothing counted twice
  await expect(redeemGroup(t.running.ctx, jobs)).rejects.toThrow('a request answered from an earlier run');
  const again = await Promise.all(jobs.map((j) => redeemJob(t.running.ctx, j.data, j.jobId)));
  expect(again).toEqual(outcomes);
  expect({ a: await timesRedeemed(a.id), b: await timesRedeemed(b.id) }).toEqual({ a: 2, b: 2 });
  expect((await sql(`select count(*)::int as n from redemptions where account_id = ? and subscription_id like 'five-%'`, [acct.id]))[0].n).toBe(4);
});

test('a group never counts past a limit: each count sees the ones before it in the group, the rest are refused code_exhausted', async () => {
  const c = await createCoupon(t, acct, { code: 'RG-LIM', limits: { maxRedemptions: 3 } });
  const jobs = [0, 1, 2, 3, 4].map((i) => job('RG-LIM', `lim-${i}`));
  expect(answers(await redeemGroup(t.running.ctx, jobs))).toEqual(['201 RG-LIM', '201 RG-LIM', '201 RG-LIM', 'code_exhausted', 'code_exhausted']);
  expect(await timesRedeemed(c.id)).toBe(3);
  expect((await sql(`select count(*)::int as n from redemptions where coupon_id = ?`, [c.id]))[0].n).toBe(3);
  // the events the counts write, each once: three created; the coupon nearly exhausted, then exhausted
  const events = await sql(`select type, count(*)::int as n from events where account_id = ? and data->>'couponId' = ?
    and type in ('redemption.created', 'coupon.nearly_exhausted', 'coupon.exhausted', 'code.exhausted') group by type order by type`, [acct.id, c.id]);
  expect(events).toEqual([{ type: 'coupon.exhausted', n: 1 }, { type: 'coupon.nearly_exhausted', n: 1 }, { type: 'redemption.created', n: 3 }]);
});

test('requests of one customer or one idempotency key cannot share a group: nothing is written, and alone each gets its answer', async () => {
  const c = await createCoupon(t, acct, { code: 'RG-ONCE', limits: { perCustomer: 1 } });
  const same = [job('RG-ONCE', 'once-0', { customer: { id: 'once-cus' } }), job('RG-ONCE', 'once-1', { customer: { id: 'once-cus' } })];
  await expect(redeemGroup(t.running.ctx, same)).rejects.toThrow('requests of one customer, subscription or key');
  expect(await timesRedeemed(c.id)).toBe(0);
  // through the job's door, in one turn of the event loop: grouped, sent back, each alone
  const outcomes = await Promise.all([...same, job('RG-ONCE', 'once-2')].map((j) => redeemJob(t.running.ctx, j.data, j.jobId)));
  expect(answers(outcomes).sort()).toEqual(['201 RG-ONCE', '201 RG-ONCE', 'customer_limit_reached']);
  expect(await timesRedeemed(c.id)).toBe(2);

  const keyed = [job('RG-ONCE', 'key-0', { idempotencyKey: 'rg-key' }), job('RG-ONCE', 'key-1', { idempotencyKey: 'rg-key' })];
  await expect(redeemGroup(t.running.ctx, keyed)).rejects.toThrow('requests of one customer, subscription or key');
  expect(await timesRedeemed(c.id)).toBe(2);
});

/** Waits (polling the server) until `sessions` statements containing `text` wait for a lock. */
async function untilWaiting(text: string, sessions: number): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    const r = await sql(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and strpos(query, ?) > 0`, [text]);
    if (r[0].n >= sessions) return;
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error(`fewer than ${sessions} statements with ${text} waited for a lock`);
}

test('groups racing over the same coupons and codes in opposite orders neither deadlock nor miscount', async () => {
  const coupons = [await createCoupon(t, acct), await createCoupon(t, acct), await createCoupon(t, acct)];
  const codes: string[] = [];
  for (const [n, c] of coupons.entries()) for (let i = 0; i < 4; i++) {
    await addCode(t, acct, c.id, `RG-RACE-${n}-${i}`);
    codes.push(`RG-RACE-${n}-${i}`);
  }
  const before = await deadlocks();
  // four groups of twelve at once, two taking the codes forward and two backward, while another
  // transaction holds the middle coupon's row: every group queues on it holding what it locked
  // before it, and the four go on together once it is let go
  const held = new Client({ connectionString: t.env.databaseUrl });
  await held.connect();
  await held.query('begin');
  await held.query('select 1 from coupons where id = $1 for update', [coupons[1].id]);
  let settled: PromiseSettledResult<JobOutcome[]>[];
  try {
    const groups = [0, 1, 2, 3].map((g) => (g < 2 ? codes : [...codes].reverse()).map((code, i) => job(code, `race-${g}-${i}`)));
    const racing = Promise.allSettled(groups.map((g) => redeemGroup(t.running.ctx, g)));
    await untilWaiting('from coupons where id = $1 for update', 4);
    await held.query('commit');
    settled = await racing;
  } finally {
    await held.end();
  }
  for (const s of settled) {
    expect(s.status).toBe('fulfilled');
    if (s.status === 'fulfilled') expect(s.value.every((o) => o.ok)).toBe(true);
  }
  expect(await deadlocks()).toBe(before);
  expect(await Promise.all(coupons.map((c) => timesRedeemed(c.id)))).toEqual([16, 16, 16]);
  const perCode = await sql(`select min(times_redeemed)::int as lo, max(times_redeemed)::int as hi from codes where code like 'RG-RACE-%'`);
  expect(perCode).toEqual([{ lo: 4, hi: 4 }]);
});

test('a coupon archived while a group waits for its row: its redemptions are decided again alone and refused, the others counted', async () => {
  const gone = await createCoupon(t, acct, { code: 'RG-GONE' });
  const kept = await createCoupon(t, acct, { code: 'RG-KEPT' });
  const held = new Client({ connectionString: t.env.databaseUrl });
  await held.connect();
  await held.query('begin');
  await held.query('select 1 from coupons where id = $1 for update', [gone.id]);
  let outcomes: JobOutcome[];
  try {
    const group = redeemGroup(t.running.ctx, [job('RG-GONE', 'gone-0'), job('RG-KEPT', 'gone-1'), job('RG-GONE', 'gone-2')]);
    await untilWaiting('from coupons where id = $1 for update', 1);
    await held.query(`update coupons set state = 'archived' where id = $1`, [gone.id]);
    await held.query(`update codes set state = 'archived' where coupon_id = $1`, [gone.id]);
    await held.query('commit');
    outcomes = await group;
  } finally {
    await held.end();
  }
  expect(answers(outcomes)).toEqual(['coupon_archived', '201 RG-KEPT', 'coupon_archived']);
  expect({ gone: await timesRedeemed(gone.id), kept: await timesRedeemed(kept.id) }).toEqual({ gone: 0, kept: 1 });
});

/** A hold job as POST /v1/holds queues it. */
function holdJobOf(code: string, tag: string): { data: HoldJobData; jobId: string } {
  const request = { code, customer: { id: `${tag}-cus` }, planId: 'pro-monthly' };
  return { data: { accountId: acct.id, apiKeyId: null, requestHash: requestHash(request as never), request, requestId: timeOrderedUuid() }, jobId: `hold-${tag}` };
}

test('holds in a group are counted as alone, limit included, and a group of redemptions consumes them', async () => {
  const c = await createCoupon(t, acct, { code: 'RG-HOLD', limits: { maxRedemptions: 2 } });
  const slots = async () => (await sql(`select k.times_redeemed::int as redeemed, k.held::int as held, c.held::int as code_held
    from coupons k join codes c on c.coupon_id = k.id where k.id = ?`, [c.id]))[0];
  const holds = [0, 1, 2].map((i) => holdJobOf('RG-HOLD', `hg-${i}`));
  const placed = await holdGroup(t.running.ctx, holds);
  expect(placed.map((o) => (o.ok ? (o.body.hold as { status: string }).status : o.error.code))).toEqual(['active', 'active', 'code_exhausted']);
  expect(await slots()).toEqual({ redeemed: 0, held: 2, code_held: 2 });
  // each hold's expiry is scheduled, as alone: the account's expire-at job for its second
  const ids = placed.slice(0, 2).map((o) => (o.ok ? (o.body.hold as { id: string }).id : ''));
  expect(ids).toEqual([holds[0].data.requestId, holds[1].data.requestId]);
  for (const o of placed.slice(0, 2)) {
    const { expiresAt } = (o.ok ? o.body.hold : {}) as { expiresAt: string };
    expect(await t.running.ctx.queues.expiry.getJobState(expiryJobId('holds', acct.id, expiresAt))).toBe('delayed');
  }
  // redeemed with their holds, in a group of their own (each locks its hold, then the coupon and code)
  const redeemed = await redeemGroup(t.running.ctx, [0, 1].map((i) => job('RG-HOLD', `hg-${i}`, { customer: { id: `hg-${i}-cus` }, holdId: ids[i] })));
  expect(answers(redeemed)).toEqual(['201 RG-HOLD', '201 RG-HOLD']);
  expect(await slots()).toEqual({ redeemed: 2, held: 0, code_held: 0 });
  expect(await sql(`select status from holds where id in (?, ?) order by id`, ids)).toEqual([{ status: 'consumed' }, { status: 'consumed' }]);
});
