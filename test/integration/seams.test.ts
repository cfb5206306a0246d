import { Job, UnrecoverableError, Worker } from 'bullmq';
import type { Pool } from 'pg';
import { startTestApp, testPool, type TestAccount, type TestApp } from '../helpers/harness';
import { addCode, createCoupon, putPlan, redeemBody } from '../helpers/api';
import { holdLock, untilWaitingOnLock } from '../helpers/locks';
import { QUEUES } from '../../src/queues/names';
import { duplicateBlocking } from '../../src/queues/connection';
import { invoiceJobId } from '../../src/producer';
import { redemptionKeys } from '../../src/repositories/request-keys';
import { redeem } from '../../src/services/redemption-service';
import type { InvoiceInput, RedemptionJobData } from '../../src/queues/payloads';

/**
 * The seams between the queue, retries and concurrent edits: one outcome per request, whatever
 * runs twice or changes in between (API.md "Exactness at the seams").
 */
let t: TestApp;
let acct: TestAccount;
let pool: Pool;

beforeAll(async () => {
  t = await startTestApp({ REDEMPTION_CONCURRENCY: '4' });
  pool = testPool(t.env.databaseUrl, 2);
  acct = await t.createAccount();
  await putPlan(t, acct, 'pro-monthly');
});
afterAll(async () => {
  await pool?.end();
  await t?.close();
});

const rows = async <T = Record<string, any>>(q: string, p: unknown[] = []): Promise<T[]> => (await pool.query(q, p)).rows as T[];
const worker = (queue: string) => t.running.workers!.workers.find((w) => w.name === queue)!;
const answer = (r: { status: number; body: Record<string, any> }) => ({ status: r.status, code: r.body.error?.code ?? null });

/** Runs `fn` while the queue's worker in this process takes no job; resumes it after. */
async function withWorkerPaused<T>(queue: string, fn: () => Promise<T>): Promise<T> {
  const w = worker(queue);
  await w.pause();
  try {
    return await fn();
  } finally {
    w.resume();
  }
}

/** Waits until the queue holds `n` jobs not yet started (requests that reached the queue). */
async function untilWaiting(queue: 'redemptions' | 'invoices', n: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if ((await t.running.ctx.queues[queue].getWaitingCount()) >= n) return;
    await new Promise((res) => setTimeout(res, 10));
  }
  throw new Error(`the ${queue} queue never held ${n} waiting jobs`);
}

function invoice(id: string, over: Partial<InvoiceInput> = {}): InvoiceInput {
  return {
    invoiceId: id, subscriptionId: `sub-${id}`, customerId: `cus-${id}`, currency: 'USD', periodStart: '2026-03-01T00:00:00Z',
    lines: [{ id: 'l1', kind: 'recurring', planId: 'pro-monthly', amount: 2000 }], ...over,
  };
}

describe('invoices sent again', () => {
  test('the same invoice re-sent with paid: true is marked paid, and its customer counts as paying', async () => {
    const inv = invoice('inv-paid-later');
    const first = await t.http.post('/v1/invoices').set(acct.auth).send(inv);
    expect({ status: first.status, paid: first.body.paid }).toEqual({ status: 200, paid: false });
    const paid = await t.http.post('/v1/invoices').set(acct.auth).send({ ...inv, paid: true });
    expect({ status: paid.status, paid: paid.body.paid, total: paid.body.total }).toEqual({ status: 200, paid: true, total: 2000 });
    const stored = await t.http.get('/v1/invoices/inv-paid-later').set(acct.auth);
    expect(stored.body.paid).toBe(true);
    const [customer] = await rows(`select has_paid_subscription from customers where id = 'cus-inv-paid-later'`);
    expect(customer.has_paid_subscription).toBe(true);
  });

  test('other content under the same invoiceId while the first is still queued: one is recorded, the other answers 409', async () => {
    const a = invoice('inv-race');
    const b = invoice('inv-race', { lines: [{ id: 'l1', kind: 'recurring', planId: 'pro-monthly', amount: 3000 }] });
    const [first, second] = await withWorkerPaused(QUEUES.invoices, async () => {
      const pending = [t.http.post('/v1/invoices').set(acct.auth).send(a).then((r) => r), t.http.post('/v1/invoices').set(acct.auth).send(b).then((r) => r)];
      await untilWaiting('invoices', 2);
      return pending;
    }).then((p) => Promise.all(p));
    const answers = [answer(first), answer(second)].sort((x, y) => x.status - y.status);
    expect(answers).toEqual([{ status: 200, code: null }, { status: 409, code: 'conflict' }]);
    const recorded = first.status === 200 ? first : second;
    const stored = await t.http.get('/v1/invoices/inv-race').set(acct.auth);
    expect(stored.body.subtotal).toBe(recorded.body.subtotal);
  });

  test('a job id stands for one content and paid flag', () => {
    const inv = invoice('inv-ids');
    expect(invoiceJobId(acct.id, inv)).toBe(invoiceJobId(acct.id, { ...inv }));
    expect(invoiceJobId(acct.id, { ...inv, paid: false })).toBe(invoiceJobId(acct.id, inv));
    expect(invoiceJobId(acct.id, { ...inv, paid: true })).not.toBe(invoiceJobId(acct.id, inv));
    expect(invoiceJobId(acct.id, { ...inv, currency: 'EUR' })).not.toBe(invoiceJobId(acct.id, inv));
    expect(invoiceJobId(acct.id, inv)).toMatch(/^inv-[0-9a-f-]{36}-[0-9a-f]{40}$/);
  });
});

describe('idempotency keys', () => {
  test('one key, two requests at once: one counts, the other answers 409, and the winner is the one stored', async () => {
    const code = 'SEAM-KEY-2';
    await createCoupon(t, acct, { code, stackable: true });
    const one = redeemBody(code, { subscriptionId: 'sk2-a', customer: { id: 'sk2-cus-a' }, idempotencyKey: 'sk2' });
    const two = redeemBody(code, { subscriptionId: 'sk2-b', customer: { id: 'sk2-cus-b' }, idempotencyKey: 'sk2' });
    const [ra, rb] = await withWorkerPaused(QUEUES.redemptions, async () => {
      const pending = [t.http.post('/v1/redemptions').set(acct.auth).send(one).then((r) => r), t.http.post('/v1/redemptions').set(acct.auth).send(two).then((r) => r)];
      await untilWaiting('redemptions', 2);
      return pending;
    }).then((p) => Promise.all(p));
    const answers = [answer(ra), answer(rb)].sort((x, y) => x.status - y.status);
    expect(answers).toEqual([{ status: 201, code: null }, { status: 409, code: 'idempotency_conflict' }]);
    const winner = ra.status === 201 ? ra : rb;
    const written = await rows(`select customer_id, subscription_id from redemptions where idempotency_key = 'sk2'`);
    expect(written).toEqual([{ customer_id: winner.body.redemption.customerId, subscription_id: winner.body.redemption.subscriptionId }]);
    const loser = ra.status === 201 ? two : one;
    const again = await t.http.post('/v1/redemptions').set(acct.auth).send(loser);
    expect(answer(again)).toEqual({ status: 409, code: 'idempotency_conflict' });
  });

  test('a request answered 400 pins nothing: the key then takes the corrected request', async () => {
    const code = 'SEAM-KEY-400';
    await createCoupon(t, acct, { code });
    const wrong = redeemBody(code, { subscriptionId: 'sk4', customer: { id: 'sk4-cus' }, planId: 'no-such-plan', idempotencyKey: 'sk4' });
    const first = await t.http.post('/v1/redemptions').set(acct.auth).send(wrong);
    expect({ ...answer(first), field: first.body.error.field }).toEqual({ status: 400, code: 'validation_failed', field: 'planId' });
    const fixed = await t.http.post('/v1/redemptions').set(acct.auth).send({ ...wrong, planId: 'pro-monthly' });
    expect(fixed.status).toBe(201);
    expect(fixed.body.redemption).toMatchObject({ code, subscriptionId: 'sk4', planId: 'pro-monthly' });
  });

  test('a job that failed for good is run again when its request is sent again', async () => {
    const code = 'SEAM-KEY-FAILED';
    await createCoupon(t, acct, { code });
    const body = redeemBody(code, { subscriptionId: 'skf', customer: { id: 'skf-cus' }, idempotencyKey: 'skf' });
    // a worker of its own fails the job for good while this process's worker takes nothing
    const failing = new Worker(QUEUES.redemptions, async () => { throw new UnrecoverableError('lost'); }, {
      connection: duplicateBlocking(t.running.ctx.redis), prefix: t.env.queuePrefix,
    });
    let jobId = '';
    await withWorkerPaused(QUEUES.redemptions, async () => {
      const accepted = await t.http.post('/v1/redemptions').set(acct.auth).set('Prefer', 'respond-async').send(body);
      expect(accepted.status).toBe(202);
      jobId = accepted.body.job.id;
      for (let i = 0; i < 400 && (await t.running.ctx.queues.redemptions.getJobState(jobId)) !== 'failed'; i++) await new Promise((r) => setTimeout(r, 10));
      expect(await t.running.ctx.queues.redemptions.getJobState(jobId)).toBe('failed');
      await failing.close();
    });
    const again = await t.http.post('/v1/redemptions').set(acct.auth).send(body);
    expect(again.status).toBe(201);
    expect(again.body.redemption).toMatchObject({ code, subscriptionId: 'skf' });
    const job = await Job.fromId(t.running.ctx.queues.redemptions, jobId);
    expect(job!.attemptsMade).toBe(1);
    expect(await rows(`select count(*)::int as n from redemptions where idempotency_key = 'skf'`)).toEqual([{ n: 1 }]);
  });
});

describe('a job that runs twice', () => {
  test('without a key, a second run of a completed redemption job answers the same redemption and counts nothing', async () => {
    const code = 'SEAM-TWICE';
    const coupon = await createCoupon(t, acct, { code, stackable: true, limits: { maxRedemptions: 10 } });
    const res = await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody(code, { subscriptionId: 'st-sub', customer: { id: 'st-cus' } }));
    expect(res.status).toBe(201);
    const [job] = await t.running.ctx.queues.redemptions.getJobs(['completed']).then((jobs) => jobs.filter((j) => (j.data as RedemptionJobData).request.subscriptionId === 'st-sub'));
    expect(job.returnvalue).toEqual({ ok: true, body: res.body });
    // the worker died after COMMIT, or a stalled job was taken over: the same job data runs again
    const rerun = await redeem(t.running.ctx, job.data as RedemptionJobData, job.id);
    expect(rerun.ok && (rerun.body.redemption as { id: string }).id).toBe(res.body.redemption.id);
    expect(await rows(`select count(*)::int as n from redemptions where subscription_id = 'st-sub'`)).toEqual([{ n: 1 }]);
    expect(await rows(`select times_redeemed from coupons where id = $1`, [coupon.id])).toEqual([{ times_redeemed: 1 }]);
    expect(await rows(`select count(*)::int as n from events where type = 'redemption.created' and data->>'subscriptionId' = 'st-sub'`)).toEqual([{ n: 1 }]);
  });
});

describe('the events feed and idempotency locks', () => {
  test('events committed while idempotency keys are locked are in the feed', async () => {
    const other = await t.createAccount();
    const held = await holdLock(t.env.databaseUrl, 'select 1');
    try {
      for (let i = 0; i < 64; i++) await held.change(redemptionKeys.lock(acct.id, `feed-key-${i}`).text as string, redemptionKeys.lock(acct.id, `feed-key-${i}`).values as unknown[]);
      const created = await createCoupon(t, other, { name: 'feed while keys are locked' });
      const feed = await t.http.get('/v1/events?after=0').set(other.auth);
      expect(feed.body.data.map((e: { type: string; data: { couponId?: string } }) => [e.type, e.data.couponId])).toEqual([['coupon.created', created.id]]);
    } finally {
      await held.commit();
    }
  });
});

describe('terms changed between the decision and the count', () => {
  /** Redeems while another transaction holds the coupon's row, runs `changes` in it and commits. */
  async function redeemWhileChanged(couponId: string, body: Record<string, unknown>, changes: [string, unknown[]][]) {
    const lock = await holdLock(t.env.databaseUrl, 'select 1 from coupons where id = $1 for update', [couponId]);
    const pending = t.http.post('/v1/redemptions').set(acct.auth).send(body).then((r) => r);
    await untilWaitingOnLock(t.env.databaseUrl);
    for (const [q, p] of changes) await lock.change(q, p);
    await lock.commit();
    return pending;
  }

  test('perCustomer lowered to 1 (a new version) while waiting: refused customer_limit_reached, nothing counted', async () => {
    const code = 'SEAM-PERCUS';
    const coupon = await createCoupon(t, acct, { code });
    expect((await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody(code, { subscriptionId: 'spc-1', customer: { id: 'spc-cus' } }))).status).toBe(201);
    const res = await redeemWhileChanged(coupon.id, redeemBody(code, { subscriptionId: 'spc-2', customer: { id: 'spc-cus' } }), [
      ['update coupons set per_customer = 1, version = version + 1 where id = $1', [coupon.id]],
    ]);
    expect(answer(res)).toEqual({ status: 422, code: 'customer_limit_reached' });
    expect(await rows(`select count(*)::int as n from redemptions where customer_id = 'spc-cus'`)).toEqual([{ n: 1 }]);
    expect(await rows(`select times_redeemed from coupons where id = $1`, [coupon.id])).toEqual([{ times_redeemed: 1 }]);
  });

  test('terms edited (a new version) while waiting: counted on the new terms, under the new version', async () => {
    const code = 'SEAM-TERMS';
    const coupon = await createCoupon(t, acct, { code });
    const res = await redeemWhileChanged(coupon.id, redeemBody(code, { subscriptionId: 'stv', customer: { id: 'stv-cus' } }), [
      [`update coupons set discount = '{"type":"percentage","basisPoints":2500}', version = version + 1 where id = $1`, [coupon.id]],
    ]);
    expect(res.status).toBe(201);
    expect({ version: res.body.redemption.couponVersion, discount: res.body.redemption.terms.discount }).toEqual({ version: 2, discount: { type: 'percentage', basisPoints: 2500 } });
    expect(await rows(`select coupon_version, terms->'discount' as discount from redemptions where subscription_id = 'stv'`)).toEqual([
      { coupon_version: 2, discount: { type: 'percentage', basisPoints: 2500 } },
    ]);
  });

  test("the code's customerId set to another customer while waiting: refused code_restricted_to_customer", async () => {
    const coupon = await createCoupon(t, acct);
    await addCode(t, acct, coupon.id, 'SEAM-MINE');
    const res = await redeemWhileChanged(coupon.id, redeemBody('SEAM-MINE', { subscriptionId: 'smc', customer: { id: 'smc-cus' } }), [
      [`update codes set customer_id = 'someone-else' where code = 'SEAM-MINE'`, []],
    ]);
    expect(answer(res)).toEqual({ status: 422, code: 'code_restricted_to_customer' });
    expect(await rows(`select times_redeemed from codes where code = 'SEAM-MINE'`)).toEqual([{ times_redeemed: 0 }]);
  });
});
