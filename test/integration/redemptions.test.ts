import { startTestApp, type TestAccount, type TestApp } from '../helpers/harness';
import { addCode, createCoupon, putPlan, redeemBody } from '../helpers/api';

let t: TestApp;
let acct: TestAccount;
let n = 0;
const uniq = (p: string) => `${p}${++n}`.toUpperCase();

beforeAll(async () => {
  t = await startTestApp({ RATE_LIMIT_PER_CUSTOMER: '3', RATE_LIMIT_PER_KEY: '1000' });
  acct = await t.createAccount();
  await putPlan(t, acct, 'pro-monthly');
  await putPlan(t, acct, 'other-plan', { name: 'Other', kind: 'recurring', interval: { unit: 'year', count: 1 }, currency: 'USD', price: 20000 });
  await putPlan(t, acct, 'top-up', { name: 'Top-up', kind: 'one_time', interval: null, currency: 'USD', price: 500 });
});
afterAll(async () => {
  await t?.close();
});

const sql = (q: string, p: unknown[] = []) => t.running.ctx.orm.em.fork().execute(q, p);

describe('POST /v1/redemptions', () => {
  test('redeems, pins the terms and the coupon version, counts, and writes redemption.created', async () => {
    const code = uniq('WELCOME');
    const coupon = await createCoupon(t, acct, { code, discount: { type: 'percentage', basisPoints: 2500 }, duration: { type: 'repeating', cycles: 3 } });
    const res = await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody(code.toLowerCase(), { subscriptionId: 'sub_pin' }));
    expect(res.status).toBe(201);
    expect(res.body.redemption).toMatchObject({
      couponId: coupon.id, code, customerId: 'cus_1', subscriptionId: 'sub_pin', planId: 'pro-monthly', status: 'active',
      cyclesApplied: 0, couponVersion: 1, action: 'new_subscription',
    });
    expect(res.body.redemption.terms).toMatchObject({ discount: { type: 'percentage', basisPoints: 2500 }, duration: { type: 'repeating', cycles: 3 }, timeZone: 'UTC', stackable: false });
    expect(res.body.trialDays).toBeUndefined();
    const after = await t.http.get(`/v1/coupons/${coupon.id}`).set(acct.auth);
    expect(after.body.timesRedeemed).toBe(1);
    // later edits do not change the pinned terms
    await t.http.patch(`/v1/coupons/${coupon.id}`).set(acct.auth).send({ discount: { type: 'percentage', basisPoints: 9000 } });
    const list = await t.http.get('/v1/redemptions?subscriptionId=sub_pin').set(acct.auth);
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0].terms.discount).toEqual({ type: 'percentage', basisPoints: 2500 });
    const events = await sql(`select type, data from events where account_id = ? and type = 'redemption.created'`, [acct.id]);
    expect(events.map((e) => e.data.redemptionId)).toContain(res.body.redemption.id);
  });

  test('a free_trial coupon answers trialDays', async () => {
    const code = uniq('TRIAL');
    await createCoupon(t, acct, { code, discount: { type: 'free_trial', days: 14 } });
    const res = await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody(code, { subscriptionId: 'sub_trial' }));
    expect(res.status).toBe(201);
    expect(res.body.trialDays).toBe(14);
  });

  test('an unknown plan is 400 naming planId; a bad body is 400 naming the field', async () => {
    const code = uniq('PLAN');
    await createCoupon(t, acct, { code });
    const res = await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody(code, { planId: 'nope' }));
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'validation_failed', field: 'planId' });
    const bad = await t.http.post('/v1/redemptions').set(acct.auth).send({ code, customer: { id: 'c' }, planId: 'pro-monthly' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('subscriptionId');
  });
});

type Setup = { coupon?: Record<string, unknown>; codeExtra?: Record<string, unknown>; body?: Record<string, unknown>; before?: (code: string, couponId: string) => Promise<void> };

const REFUSALS: [string, Setup][] = [
  ['code_not_found', { before: async () => {}, body: { code: 'NO-SUCH-CODE-1' } }],
  ['coupon_archived', { before: async (_c, id) => { await t.http.post(`/v1/coupons/${id}/archive`).set(acct.auth); } }],
  ['code_disabled', { coupon: { status: 'draft' } }],
  ['code_not_yet_valid', { coupon: { validFrom: `${new Date().getUTCFullYear() + 10}-01-01T00:00:00Z` } }],
  ['code_expired', { before: async (_c, id) => { await sql(`update coupons set expires_at = now() - interval '1 hour' where id = ?`, [id]); } }],
  ['code_exhausted', { codeExtra: { maxRedemptions: 1 }, before: async (c) => { await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody(c, { subscriptionId: `other-${c}` })); } }],
  ['code_restricted_to_customer', { codeExtra: { customerId: 'cus_someone_else' } }],
  ['one_time_purchase_not_allowed', { coupon: { duration: { type: 'forever' } }, body: { planId: 'top-up' } }],
  ['plan_not_eligible', { coupon: { appliesTo: { plans: { include: { planIds: ['other-plan'] } } } } }],
  ['action_not_eligible', { coupon: { appliesTo: { plans: 'all', actions: ['renewal'] } } }],
  ['currency_mismatch', { coupon: { discount: { type: 'fixed_amount', amounts: { EUR: 500 } } } }],
  ['new_customers_only', { coupon: { eligibility: { customers: 'new' } }, body: { customer: { id: 'cus_paid', hasPaidSubscription: true } } }],
  ['existing_customers_only', { coupon: { eligibility: { customers: 'existing' } }, body: { customer: { id: 'cus_new_x' } } }],
  ['email_domain_not_allowed', { coupon: { eligibility: { emailDomains: ['*.example.com'] } }, body: { customer: { id: 'cus_mail', email: 'a@example.com' } } }],
  ['region_not_allowed', { coupon: { eligibility: { regions: [{ country: 'US', regions: ['US-CA'] }] } }, body: { customer: { id: 'cus_ny', country: 'US', region: 'US-NY' } } }],
  ['customer_limit_reached', { coupon: { limits: { perCustomer: 1 } }, before: async (c) => { await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody(c, { subscriptionId: `first-${c}`, customer: { id: 'cus_limit' } })); }, body: { customer: { id: 'cus_limit' } } }],
  ['already_discounted', { before: async () => {
    const other = uniq('FIRST');
    await createCoupon(t, acct, { code: other });
    await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody(other, { subscriptionId: 'sub_taken' }));
  }, body: { subscriptionId: 'sub_taken' } }],
];

describe('every refusal is a 422 with its code, and a completed job', () => {
  test.each(REFUSALS)('%s', async (expected, setup) => {
    const code = uniq('REF');
    const coupon = await createCoupon(t, acct, { code, ...setup.coupon });
    if (setup.codeExtra) {
      await addCode(t, acct, coupon.id, `${code}X`, setup.codeExtra);
    }
    const used = setup.codeExtra ? `${code}X` : code;
    await setup.before?.(used, coupon.id);
    const res = await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody(used, { subscriptionId: `sub-${code}`, customer: { id: `cus-${code}` }, ...setup.body }));
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe(expected);
    expect(typeof res.body.error.message).toBe('string');
  });

  test('refusals are not failed jobs', async () => {
    const failed = await t.running.ctx.queues.redemptions.getFailedCount();
    expect(failed).toBe(0);
  });
});

describe('idempotency', () => {
  test('the same key answers the first outcome, also after the job left Redis; another body is 409', async () => {
    const code = uniq('IDEM');
    await createCoupon(t, acct, { code });
    const body = redeemBody(code, { subscriptionId: 'sub_idem', idempotencyKey: `key-${code}` });
    const first = await t.http.post('/v1/redemptions').set(acct.auth).send(body);
    expect(first.status).toBe(201);
    const again = await t.http.post('/v1/redemptions').set(acct.auth).send(body);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    await t.running.ctx.queues.redemptions.obliterate({ force: true });
    const afterGone = await t.http.post('/v1/redemptions').set(acct.auth).send(body);
    expect(afterGone.body).toEqual(first.body);
    const rows = await sql(`select count(*)::int as n from redemptions where subscription_id = 'sub_idem'`);
    expect(rows[0].n).toBe(1);
    const other = await t.http.post('/v1/redemptions').set(acct.auth).send({ ...body, planId: 'other-plan' });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('idempotency_conflict');
  });

  test('a refusal is replayed too', async () => {
    const body = redeemBody('NOT-THERE-IDEM', { subscriptionId: 'sub_idem2', customer: { id: 'cus_idem_refused' }, idempotencyKey: 'refused-key' });
    const first = await t.http.post('/v1/redemptions').set(acct.auth).send(body);
    expect(first.status).toBe(422);
    const code = uniq('LATER');
    await createCoupon(t, acct, { code });
    const again = await t.http.post('/v1/redemptions').set(acct.auth).send(body);
    expect(again.status).toBe(422);
    expect(again.body.error.code).toBe('code_not_found');
  });
});

describe('async, void and listing', () => {
  test('Prefer: respond-async answers 202 and the job route gives the outcome', async () => {
    const code = uniq('ASYNC');
    await createCoupon(t, acct, { code });
    const res = await t.http.post('/v1/redemptions').set(acct.auth).set('Prefer', 'respond-async').send(redeemBody(code, { subscriptionId: 'sub_async' }));
    expect(res.status).toBe(202);
    expect(res.body.job).toMatchObject({ queue: 'redemptions', status: 'waiting' });
    let state: { status: number; body: Record<string, any> } | undefined;
    for (let i = 0; i < 100; i++) {
      const r = await t.http.get(`/v1/jobs/redemptions/${encodeURIComponent(res.body.job.id)}`).set(acct.auth);
      if (r.body.status === 'completed') {
        state = r;
        break;
      }
      await new Promise((f) => setTimeout(f, 50));
    }
    expect(state!.body.result.redemption).toMatchObject({ code, subscriptionId: 'sub_async', status: 'active' });
    const other = await t.createAccount();
    const hidden = await t.http.get(`/v1/jobs/redemptions/${encodeURIComponent(res.body.job.id)}`).set(other.auth);
    expect(hidden.status).toBe(404);
  });

  test('void frees the per-customer slot but not the coupon count', async () => {
    const code = uniq('VOID');
    const coupon = await createCoupon(t, acct, { code, limits: { perCustomer: 1, maxRedemptions: 5 } });
    const a = await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody(code, { subscriptionId: 'sub_v1', customer: { id: 'cus_v' } }));
    expect(a.status).toBe(201);
    const voided = await t.http.post(`/v1/redemptions/${a.body.redemption.id}/void`).set(acct.auth).send({ reason: 'cancelled signup' });
    expect(voided.status).toBe(200);
    expect(voided.body.redemption.status).toBe('voided');
    const b = await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody(code, { subscriptionId: 'sub_v2', customer: { id: 'cus_v' } }));
    expect(b.status).toBe(201);
    const c = await t.http.get(`/v1/coupons/${coupon.id}`).set(acct.auth);
    expect(c.body.timesRedeemed).toBe(2);
    const list = await t.http.get('/v1/redemptions?customerId=cus_v&limit=1').set(acct.auth);
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0].id).toBe(a.body.redemption.id);
    const page2 = await t.http.get(`/v1/redemptions?customerId=cus_v&limit=1&cursor=${list.body.nextCursor}`).set(acct.auth);
    expect(page2.body.data.map((r: { id: string }) => r.id)).toEqual([b.body.redemption.id]);
    const missing = await t.http.post('/v1/redemptions/00000000-0000-0000-0000-000000000000/void').set(acct.auth).send({});
    expect(missing.status).toBe(404);
  });
});

describe('guessing defence', () => {
  test('unknown codes are limited per customer with Retry-After; legitimate refusals are not counted', async () => {
    const code = uniq('EXH');
    await createCoupon(t, acct, { code, limits: { maxRedemptions: 1 } });
    await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody(code, { subscriptionId: 'sub_g0' }));
    for (let i = 0; i < 5; i++) {
      const r = await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody(code, { subscriptionId: `sub_g${i + 1}`, customer: { id: 'cus_guess' } }));
      expect(r.body.error.code).toBe('code_exhausted');
    }
    for (let i = 0; i < 3; i++) {
      const r = await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody(`GUESS${i}AB`, { subscriptionId: 'sub_g', customer: { id: 'cus_guess' } }));
      expect(r.body.error.code).toBe('code_not_found');
    }
    const blocked = await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody(code, { subscriptionId: 'sub_g9', customer: { id: 'cus_guess' } }));
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('rate_limited');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(590);
    const validate = await t.http.post('/v1/codes/validate').set(acct.auth).send({ code, customer: { id: 'cus_guess' }, planId: 'pro-monthly' });
    expect(validate.status).toBe(429);
    const otherCustomer = await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody('GUESSZZ', { subscriptionId: 'sub_g', customer: { id: 'cus_fine' } }));
    expect(otherCustomer.status).toBe(422);
  });
});

describe('limit events from the redemption path', () => {
  test('nearly_exhausted at 90 %, exhausted at the limit, code.exhausted for a limited code: each once', async () => {
    const code = uniq('LIMITEV');
    const coupon = await createCoupon(t, acct, { limits: { maxRedemptions: 10 } });
    await addCode(t, acct, coupon.id, code, { maxRedemptions: 10 });
    const typesAfter = async () =>
      (await sql(`select type from events where account_id = ? and data->>'couponId' = ? and type in ('coupon.nearly_exhausted', 'coupon.exhausted', 'code.exhausted') order by id`, [acct.id, coupon.id]))
        .map((e) => e.type);
    for (let i = 0; i < 8; i++) {
      const r = await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody(code, { subscriptionId: `lim-${code}-${i}`, customer: { id: `lim-${i}` } }));
      expect(r.status).toBe(201);
    }
    expect(await typesAfter()).toEqual([]);
    await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody(code, { subscriptionId: `lim-${code}-8`, customer: { id: 'lim-8' } }));
    expect(await typesAfter()).toEqual(['coupon.nearly_exhausted']);
    await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody(code, { subscriptionId: `lim-${code}-9`, customer: { id: 'lim-9' } }));
    expect(await typesAfter()).toEqual(['coupon.nearly_exhausted', 'coupon.exhausted', 'code.exhausted']);
    const refused = await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody(code, { subscriptionId: `lim-${code}-10`, customer: { id: 'lim-10' } }));
    expect(refused.body.error.code).toBe('code_exhausted');
    expect(await typesAfter()).toEqual(['coupon.nearly_exhausted', 'coupon.exhausted', 'code.exhausted']);
  });
});

describe('POST /v1/codes/validate', () => {
  test('answers the decision with the coupon and code, counts nothing, and skips plan checks without a planId', async () => {
    const code = uniq('VALID');
    const coupon = await createCoupon(t, acct, { code, appliesTo: { plans: { include: { planIds: ['other-plan'] } } }, limits: { maxRedemptions: 5 } });
    const ok = await t.http.post('/v1/codes/validate').set(acct.auth).send({ code: code.toLowerCase(), customer: { id: 'cus_val', email: 'v@example.com' } });
    expect(ok.status).toBe(200);
    expect(ok.body.valid).toBe(true);
    expect(ok.body.coupon).toMatchObject({ id: coupon.id, status: 'active', timesRedeemed: 0 });
    expect(ok.body.code).toEqual({ code, couponId: coupon.id, status: 'active', timesRedeemed: 0, maxRedemptions: null, expiresAt: null, customerId: null, metadata: null, attribution: {} });
    const refused = await t.http.post('/v1/codes/validate').set(acct.auth).send({ code, customer: { id: 'cus_val' }, planId: 'pro-monthly' });
    expect(refused.body).toEqual({ valid: false, error: { code: 'plan_not_eligible', message: expect.any(String) } });
    const unknownPlan = await t.http.post('/v1/codes/validate').set(acct.auth).send({ code, customer: { id: 'cus_val' }, planId: 'ghost' });
    expect([unknownPlan.status, unknownPlan.body.error.field]).toEqual([400, 'planId']);
    const after = await t.http.get(`/v1/coupons/${coupon.id}`).set(acct.auth);
    expect(after.body.timesRedeemed).toBe(0);
    const customer = await sql(`select email from customers where account_id = ? and id = 'cus_val'`, [acct.id]);
    expect(customer[0].email).toBe('v@example.com');
  });
});
