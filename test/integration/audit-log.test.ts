import { routes } from '../../src/http/routes';
import { startTestApp, type TestAccount, type TestApp } from '../helpers/harness';
import { TestClock } from '../helpers/clock';
import { eventually, startReceiver, type Receiver } from '../helpers/webhook-receiver';

/**
 * Every change route writes its audit record(s) — exact action, target, actor and changes, the
 * request's id and the client's address — in the change's transaction; business traffic
 * (redemptions, invoices, validation) writes none. The change routes come from the route
 * definitions, so a new one must be listed below as audited or not.
 */
const START = '2027-04-01T08:00:00.000Z';
const clock = new TestClock(START);
let t: TestApp;
let rx: Receiver;
let acct: TestAccount;
let keyId: string;
let seq = 0;

const IP = expect.stringMatching(/^(::ffff:)?127\.0\.0\.1$/);

/** A request with its own X-Request-Id; answers the response and the id. */
async function call(method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string, body?: unknown, opts: { csv?: boolean; auth?: Record<string, string> } = {}) {
  const requestId = `audit-test-${++seq}`;
  let req = t.http[method](path).set(opts.auth ?? acct.auth).set('X-Request-Id', requestId);
  if (opts.csv) req = req.set('Content-Type', 'text/csv');
  const res = body === undefined ? await req : await req.send(body as object);
  if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  expect(res.headers['x-request-id']).toBe(requestId);
  return { res, requestId };
}

/** The account's records written by one request, oldest first. */
async function recordsOf(requestId: string, auth = acct.auth): Promise<unknown[]> {
  const res = await t.http.get('/v1/audit-log?limit=500').set(auth);
  expect(res.status).toBe(200);
  return res.body.data.filter((r: { requestId: string }) => r.requestId === requestId).reverse();
}

const byKey = (action: string, target: { type: string; id: string }, changes: Record<string, unknown>, requestId: string) => ({
  id: expect.stringMatching(/^\d+$/),
  at: START,
  actor: { type: 'api_key', id: keyId, name: 'default' },
  action,
  target,
  changes,
  requestId,
  ip: IP,
});

/** Non-GET routes that write no record, and why (README "Keys, scopes and the audit log"). */
const NOT_AUDITED: Record<string, string> = {
  'PUT /v1/customers/:id': 'customers are business data, upserted on every validate and redemption too',
  'POST /v1/redemptions': 'business traffic with a ledger of its own',
  'POST /v1/invoices': 'business traffic with a ledger of its own',
  'POST /v1/invoices/:invoiceId/paid': 'business traffic with a ledger of its own',
  'POST /v1/codes/validate': 'writes nothing but the customer',
  'POST /v1/signups/authorize': 'writes nothing but the customer',
  'POST /v1/webhook-endpoints/:id/test': 'a delivery, not a change of the endpoint',
  'POST /v1/webhook-deliveries/:id/redeliver': 'a delivery, not a change of the endpoint',
  'POST /v1/webhook-endpoints/:id/recover': 'deliveries, not a change of the endpoint',
  'POST /v1/holds': 'business traffic like a redemption (its events are hold.created, hold.expired)',
  'DELETE /v1/holds/:id': 'business traffic like a redemption (its event is hold.released)',
  'POST /v1/qualifications': 'writes nothing',
  'POST /v1/previews/invoices': 'writes nothing',
};

/** Non-GET routes and the actions they record (checked one by one below). */
const AUDITED: Record<string, string[]> = {
  'POST /v1/accounts': ['account.created', 'api_key.created'],
  'PATCH /v1/account': ['account.updated'],
  'PUT /v1/plans/:id': ['plan.created', 'plan.updated'],
  'POST /v1/coupons': ['coupon.created', 'code.created'],
  'PATCH /v1/coupons/:id': ['coupon.updated'],
  'POST /v1/coupons/:id/activate': ['coupon.activated'],
  'POST /v1/coupons/:id/disable': ['coupon.disabled'],
  'POST /v1/coupons/:id/enable': ['coupon.enabled'],
  'POST /v1/coupons/:id/archive': ['coupon.archived'],
  'POST /v1/coupons/:id/clone': ['coupon.cloned', 'coupon.created'],
  'DELETE /v1/coupons/:id': ['coupon.deleted'],
  'POST /v1/coupons/:id/codes': ['code.created'],
  'PATCH /v1/codes/:code': ['code.updated'],
  'POST /v1/codes/:code/disable': ['code.disabled'],
  'POST /v1/codes/:code/enable': ['code.enabled'],
  'DELETE /v1/codes/:code': ['code.deleted'],
  'POST /v1/coupons/:id/codes/import': ['coupon.codes_imported'],
  'POST /v1/coupons/:id/batches': ['batch.created'],
  'POST /v1/redemptions/:id/void': ['redemption.voided'],
  'POST /v1/subscriptions/:id/cancel': ['subscription.cancelled'],
  'POST /v1/webhook-endpoints': ['webhook_endpoint.created'],
  'PATCH /v1/webhook-endpoints/:id': ['webhook_endpoint.updated'],
  'DELETE /v1/webhook-endpoints/:id': ['webhook_endpoint.deleted'],
  'POST /v1/webhook-endpoints/:id/rotate-secret': ['webhook_endpoint.secret_rotated'],
  'POST /v1/api-keys': ['api_key.created'],
  'DELETE /v1/api-keys/:id': ['api_key.revoked'],
  'POST /v1/api-keys/:id/roll': ['api_key.rolled'],
};

/** The actions the tests below saw, by route. */
const seen = new Map<string, Set<string>>();
function saw(route: string, records: unknown[]): void {
  const set = seen.get(route) ?? new Set<string>();
  for (const r of records as { action: string }[]) set.add(r.action);
  seen.set(route, set);
}

beforeAll(async () => {
  rx = await startReceiver();
  t = await startTestApp({ WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RELAY_EVERY_MS: '20', WEBHOOK_RETRY_SCHEDULE_MS: '50' }, { clock });
  const created = await t.http.post('/v1/accounts').set('Authorization', `Bearer ${t.config.platformAdminToken}`).set('X-Request-Id', 'create-account-1').send({ name: 'Audited' });
  expect(created.status).toBe(201);
  acct = { id: created.body.account.id, apiKey: created.body.apiKey, auth: { Authorization: `Bearer ${created.body.apiKey}` } };
  keyId = (await t.http.get('/v1/api-keys/current').set(acct.auth)).body.id;
});
afterAll(async () => {
  await t?.close();
  await rx?.close();
});

test('every non-GET route is either audited or listed as not audited', () => {
  const changeRoutes = routes.filter((r) => r.method !== 'get').map((r) => `${r.method.toUpperCase()} ${r.path}`).sort();
  expect(changeRoutes).toEqual([...Object.keys(AUDITED), ...Object.keys(NOT_AUDITED)].sort());
});

test('POST /v1/accounts: the account and its first key, by the platform', async () => {
  const records = await recordsOf('create-account-1');
  saw('POST /v1/accounts', records);
  const platform = { type: 'platform', id: 'platform', name: 'platform admin token' };
  expect(records).toEqual([
    {
      id: expect.any(String), at: START, actor: platform, action: 'account.created', target: { type: 'account', id: acct.id },
      changes: {
        name: { from: null, to: 'Audited' }, timeZone: { from: null, to: 'UTC' }, currency: { from: null, to: 'USD' }, overflow: { from: null, to: 'cap' },
        rounding: { from: null, to: 'half_up' },
      },
      requestId: 'create-account-1', ip: IP,
    },
    {
      id: expect.any(String), at: START, actor: platform, action: 'api_key.created', target: { type: 'api_key', id: keyId },
      changes: { name: { from: null, to: 'default' }, scopes: { from: null, to: ['*'] } },
      requestId: 'create-account-1', ip: IP,
    },
  ]);
});

test('account and plans', async () => {
  const patched = await call('patch', '/v1/account', { name: 'Audited Inc', timeZone: 'UTC' });
  expect(await recordsOf(patched.requestId)).toEqual([
    byKey('account.updated', { type: 'account', id: acct.id }, { name: { from: 'Audited', to: 'Audited Inc' } }, patched.requestId),
  ]);
  const rounded = await call('patch', '/v1/account', { rounding: 'half_even' });
  expect(rounded.res.body.rounding).toBe('half_even');
  expect(await recordsOf(rounded.requestId)).toEqual([
    byKey('account.updated', { type: 'account', id: acct.id }, { rounding: { from: 'half_up', to: 'half_even' } }, rounded.requestId),
  ]);
  await call('patch', '/v1/account', { rounding: 'half_up' });
  saw('PATCH /v1/account', await recordsOf(patched.requestId));
  const unchanged = await call('patch', '/v1/account', { name: 'Audited Inc' });
  expect(await recordsOf(unchanged.requestId)).toEqual([]);

  const plan = { name: 'Pro monthly', kind: 'recurring', interval: { unit: 'month', count: 1 }, currency: 'USD', price: 2000 };
  const created = await call('put', '/v1/plans/pro-monthly', plan);
  const createdRecords = await recordsOf(created.requestId);
  expect(createdRecords).toEqual([
    byKey('plan.created', { type: 'plan', id: 'pro-monthly' }, {
      name: { from: null, to: 'Pro monthly' }, kind: { from: null, to: 'recurring' }, 'interval.unit': { from: null, to: 'month' },
      'interval.count': { from: null, to: 1 }, currency: { from: null, to: 'USD' }, price: { from: null, to: 2000 }, access: { from: null, to: 'open' },
    }, created.requestId),
  ]);
  const replaced = await call('put', '/v1/plans/pro-monthly', { ...plan, price: 2500, family: 'pro' });
  const replacedRecords = await recordsOf(replaced.requestId);
  expect(replacedRecords).toEqual([
    byKey('plan.updated', { type: 'plan', id: 'pro-monthly' }, { price: { from: 2000, to: 2500 }, family: { from: null, to: 'pro' } }, replaced.requestId),
  ]);
  saw('PUT /v1/plans/:id', [...createdRecords, ...replacedRecords]);
  const same = await call('put', '/v1/plans/pro-monthly', { ...plan, price: 2500, family: 'pro' });
  expect(await recordsOf(same.requestId)).toEqual([]);
});

describe('coupons and codes', () => {
  let couponId: string;

  test('create (with its first code), edit, disable, enable', async () => {
    const created = await call('post', '/v1/coupons', { name: 'Spring', discount: { type: 'percentage', basisPoints: 1000 }, code: 'spring1' });
    couponId = created.res.body.id;
    const records = await recordsOf(created.requestId);
    saw('POST /v1/coupons', records);
    expect(records).toEqual([
      byKey('coupon.created', { type: 'coupon', id: couponId }, {
        name: { from: null, to: 'Spring' }, 'discount.type': { from: null, to: 'percentage' }, 'discount.basisPoints': { from: null, to: 1000 },
        'duration.type': { from: null, to: 'once' }, 'appliesTo.plans': { from: null, to: 'all' }, 'eligibility.customers': { from: null, to: 'any' },
        overflow: { from: null, to: 'cap' }, stackable: { from: null, to: false }, timeZone: { from: null, to: 'UTC' }, grantsAccess: { from: null, to: false },
        status: { from: null, to: 'active' },
      }, created.requestId),
      byKey('code.created', { type: 'code', id: 'SPRING1' }, { code: { from: null, to: 'SPRING1' }, couponId: { from: null, to: couponId } }, created.requestId),
    ]);

    const patched = await call('patch', `/v1/coupons/${couponId}`, { name: 'Spring sale', limits: { maxRedemptions: 50 }, metadata: { owner: 'growth' } });
    const patchRecords = await recordsOf(patched.requestId);
    saw('PATCH /v1/coupons/:id', patchRecords);
    expect(patchRecords).toEqual([
      byKey('coupon.updated', { type: 'coupon', id: couponId }, {
        name: { from: 'Spring', to: 'Spring sale' }, 'limits.maxRedemptions': { from: null, to: 50 }, 'metadata.owner': { from: null, to: 'growth' },
      }, patched.requestId),
    ]);
    const noop = await call('patch', `/v1/coupons/${couponId}`, { name: 'Spring sale' });
    expect(await recordsOf(noop.requestId)).toEqual([]);

    for (const action of ['disable', 'enable'] as const) {
      const r = await call('post', `/v1/coupons/${couponId}/${action}`);
      const rs = await recordsOf(r.requestId);
      saw(`POST /v1/coupons/:id/${action}`, rs);
      expect(rs).toEqual([byKey(`coupon.${action}d`, { type: 'coupon', id: couponId }, {}, r.requestId)]);
    }
  });

  test('a draft activated; a clone (two records); a delete (every field to null)', async () => {
    const draft = await call('post', '/v1/coupons', { name: 'Draft', discount: { type: 'free_trial', days: 14 }, status: 'draft' });
    const activated = await call('post', `/v1/coupons/${draft.res.body.id}/activate`);
    const activatedRecords = await recordsOf(activated.requestId);
    saw('POST /v1/coupons/:id/activate', activatedRecords);
    expect(activatedRecords).toEqual([byKey('coupon.activated', { type: 'coupon', id: draft.res.body.id }, {}, activated.requestId)]);

    const clone = await call('post', `/v1/coupons/${draft.res.body.id}/clone`, { name: 'Draft copy' });
    const copyId = clone.res.body.id;
    const cloneRecords = await recordsOf(clone.requestId);
    saw('POST /v1/coupons/:id/clone', cloneRecords);
    const fields = {
      'discount.type': 'free_trial', 'discount.days': 14, 'duration.type': 'once', 'appliesTo.plans': 'all', 'eligibility.customers': 'any',
      overflow: 'cap', stackable: false, timeZone: 'UTC', grantsAccess: false, status: 'draft',
    };
    const fromNull = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, { from: null, to: v }]));
    const toNull = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, { from: v, to: null }]));
    expect(cloneRecords).toEqual([
      byKey('coupon.cloned', { type: 'coupon', id: draft.res.body.id }, {}, clone.requestId),
      byKey('coupon.created', { type: 'coupon', id: copyId }, fromNull({ name: 'Draft copy', ...fields }), clone.requestId),
    ]);

    const deleted = await call('delete', `/v1/coupons/${copyId}`);
    const deleteRecords = await recordsOf(deleted.requestId);
    saw('DELETE /v1/coupons/:id', deleteRecords);
    expect(deleteRecords).toEqual([byKey('coupon.deleted', { type: 'coupon', id: copyId }, toNull({ name: 'Draft copy', ...fields }), deleted.requestId)]);
  });

  test('codes: add, edit, disable, enable, delete; an import; a batch', async () => {
    const added = await call('post', `/v1/coupons/${couponId}/codes`, { code: 'extra1', maxRedemptions: 5, metadata: { batch: 'x' } });
    const addRecords = await recordsOf(added.requestId);
    saw('POST /v1/coupons/:id/codes', addRecords);
    expect(addRecords).toEqual([
      byKey('code.created', { type: 'code', id: 'EXTRA1' }, {
        code: { from: null, to: 'EXTRA1' }, couponId: { from: null, to: couponId }, maxRedemptions: { from: null, to: 5 }, 'metadata.batch': { from: null, to: 'x' },
      }, added.requestId),
    ]);
    const patched = await call('patch', '/v1/codes/extra1', { maxRedemptions: 3, attribution: { channel: 'email' } });
    const patchRecords = await recordsOf(patched.requestId);
    saw('PATCH /v1/codes/:code', patchRecords);
    expect(patchRecords).toEqual([
      byKey('code.updated', { type: 'code', id: 'EXTRA1' }, { maxRedemptions: { from: 5, to: 3 }, 'attribution.channel': { from: null, to: 'email' } }, patched.requestId),
    ]);
    for (const action of ['disable', 'enable'] as const) {
      const r = await call('post', `/v1/codes/EXTRA1/${action}`);
      const rs = await recordsOf(r.requestId);
      saw(`POST /v1/codes/:code/${action}`, rs);
      expect(rs).toEqual([byKey(`code.${action}d`, { type: 'code', id: 'EXTRA1' }, {}, r.requestId)]);
    }
    const deleted = await call('delete', '/v1/codes/EXTRA1');
    const deleteRecords = await recordsOf(deleted.requestId);
    saw('DELETE /v1/codes/:code', deleteRecords);
    expect(deleteRecords).toEqual([
      byKey('code.deleted', { type: 'code', id: 'EXTRA1' }, {
        code: { from: 'EXTRA1', to: null }, couponId: { from: couponId, to: null }, maxRedemptions: { from: 3, to: null }, 'metadata.batch': { from: 'x', to: null },
        'attribution.channel': { from: 'email', to: null },
      }, deleted.requestId),
    ]);

    const imported = await call('post', `/v1/coupons/${couponId}/codes/import`, 'code,max_redemptions\nIMP-1,2\nIMP-2,\n', { csv: true });
    expect(imported.res.body).toEqual({ imported: 2 });
    const importRecords = await recordsOf(imported.requestId);
    saw('POST /v1/coupons/:id/codes/import', importRecords);
    expect(importRecords).toEqual([byKey('coupon.codes_imported', { type: 'coupon', id: couponId }, {}, imported.requestId)]);

    const batch = await call('post', `/v1/coupons/${couponId}/batches`, { count: 3, length: 8, prefix: 'b-', maxRedemptionsPerCode: 2, attribution: { partner: 'acme' } });
    const batchRecords = await recordsOf(batch.requestId);
    saw('POST /v1/coupons/:id/batches', batchRecords);
    expect(batchRecords).toEqual([
      byKey('batch.created', { type: 'batch', id: batch.res.body.batch.id }, {
        couponId: { from: null, to: couponId }, count: { from: null, to: 3 }, pattern: { from: null, to: '########' }, prefix: { from: null, to: 'B-' },
        charset: { from: null, to: 'ABCDEFGHJKMNPQRSTUVWXYZ23456789' }, maxRedemptionsPerCode: { from: null, to: 2 }, 'attribution.partner': { from: null, to: 'acme' },
      }, batch.requestId),
    ]);
  });

  test('a redemption, an invoice and a hold write no record; a void and a cancel do, once', async () => {
    const redeemed = await call('post', '/v1/redemptions', { code: 'SPRING1', customer: { id: 'cus_a' }, subscriptionId: 'sub_a', planId: 'pro-monthly' });
    const redemptionId = redeemed.res.body.redemption.id;
    const invoice = {
      invoiceId: 'in_a1', subscriptionId: 'sub_a', customerId: 'cus_a', currency: 'USD', periodStart: '2027-04-01T00:00:00Z',
      lines: [{ id: 'l1', kind: 'recurring', planId: 'pro-monthly', amount: 2500 }],
    };
    const invoiced = await call('post', '/v1/invoices', invoice);
    const paid = await call('post', '/v1/invoices/in_a1/paid');
    const customer = await call('put', '/v1/customers/cus_b', { email: 'b@example.com' });
    const validated = await call('post', '/v1/codes/validate', { code: 'SPRING1', customer: { id: 'cus_b' } });
    const authorized = await call('post', '/v1/signups/authorize', { planId: 'pro-monthly', customer: { id: 'cus_b' } });
    const held = await call('post', '/v1/holds', { code: 'SPRING1', customer: { id: 'cus_b' } });
    const released = await call('delete', `/v1/holds/${held.res.body.hold.id}`);
    for (const r of [redeemed, invoiced, paid, customer, validated, authorized, held, released]) expect(await recordsOf(r.requestId)).toEqual([]);

    const voided = await call('post', `/v1/redemptions/${redemptionId}/void`, { reason: 'refund' });
    const voidRecords = await recordsOf(voided.requestId);
    saw('POST /v1/redemptions/:id/void', voidRecords);
    expect(voidRecords).toEqual([byKey('redemption.voided', { type: 'redemption', id: redemptionId }, {}, voided.requestId)]);
    const again = await call('post', `/v1/redemptions/${redemptionId}/void`, {});
    expect(await recordsOf(again.requestId)).toEqual([]);

    const cancelled = await call('post', '/v1/subscriptions/sub_a/cancel');
    const cancelRecords = await recordsOf(cancelled.requestId);
    saw('POST /v1/subscriptions/:id/cancel', cancelRecords);
    expect(cancelRecords).toEqual([byKey('subscription.cancelled', { type: 'subscription', id: 'sub_a' }, {}, cancelled.requestId)]);
    const twice = await call('post', '/v1/subscriptions/sub_a/cancel');
    expect(await recordsOf(twice.requestId)).toEqual([]);
  });

  test('archive (the codes follow, one record)', async () => {
    const archived = await call('post', `/v1/coupons/${couponId}/archive`);
    const rs = await recordsOf(archived.requestId);
    saw('POST /v1/coupons/:id/archive', rs);
    expect(rs).toEqual([byKey('coupon.archived', { type: 'coupon', id: couponId }, {}, archived.requestId)]);
    const again = await call('post', `/v1/coupons/${couponId}/archive`);
    expect(await recordsOf(again.requestId)).toEqual([]);
  });
});

test('webhook endpoints: create, edit, rotate (no secret in any record), test and redeliver (no record), delete', async () => {
  const created = await call('post', '/v1/webhook-endpoints', { url: `${rx.url}/audited`, eventTypes: ['coupon.created'] });
  const endpointId = created.res.body.id;
  const secret = created.res.body.secret as string;
  const createRecords = await recordsOf(created.requestId);
  saw('POST /v1/webhook-endpoints', createRecords);
  expect(createRecords).toEqual([
    byKey('webhook_endpoint.created', { type: 'webhook_endpoint', id: endpointId }, {
      url: { from: null, to: `${rx.url}/audited` }, eventTypes: { from: null, to: ['coupon.created'] }, status: { from: null, to: 'enabled' },
    }, created.requestId),
  ]);
  const patched = await call('patch', `/v1/webhook-endpoints/${endpointId}`, { description: 'billing', status: 'disabled' });
  const patchRecords = await recordsOf(patched.requestId);
  saw('PATCH /v1/webhook-endpoints/:id', patchRecords);
  expect(patchRecords).toEqual([
    byKey('webhook_endpoint.updated', { type: 'webhook_endpoint', id: endpointId }, {
      description: { from: null, to: 'billing' }, status: { from: 'enabled', to: 'disabled' },
    }, patched.requestId),
  ]);
  const rotated = await call('post', `/v1/webhook-endpoints/${endpointId}/rotate-secret`, { expiresInSeconds: 0 });
  const rotateRecords = await recordsOf(rotated.requestId);
  saw('POST /v1/webhook-endpoints/:id/rotate-secret', rotateRecords);
  expect(rotateRecords).toEqual([byKey('webhook_endpoint.secret_rotated', { type: 'webhook_endpoint', id: endpointId }, {}, rotated.requestId)]);

  const tested = await call('post', `/v1/webhook-endpoints/${endpointId}/test`);
  const redelivered = await call('post', `/v1/webhook-deliveries/${tested.res.body.id}/redeliver`);
  expect(await recordsOf(tested.requestId)).toEqual([]);
  expect(await recordsOf(redelivered.requestId)).toEqual([]);

  const deleted = await call('delete', `/v1/webhook-endpoints/${endpointId}`);
  const deleteRecords = await recordsOf(deleted.requestId);
  saw('DELETE /v1/webhook-endpoints/:id', deleteRecords);
  expect(deleteRecords).toEqual([
    byKey('webhook_endpoint.deleted', { type: 'webhook_endpoint', id: endpointId }, {
      url: { from: `${rx.url}/audited`, to: null }, eventTypes: { from: ['coupon.created'], to: null }, description: { from: 'billing', to: null },
      status: { from: 'disabled', to: null },
    }, deleted.requestId),
  ]);
  const all = JSON.stringify((await t.http.get('/v1/audit-log?limit=500').set(acct.auth)).body);
  expect(all).not.toContain(secret);
  expect(all).not.toContain(rotated.res.body.secret);
  expect(all).not.toContain('whsec_');
});

test('API keys: create, roll, revoke (no secret, no prefix in any record)', async () => {
  const created = await call('post', '/v1/api-keys', { name: 'ci', scopes: ['coupons:read'], expiresAt: '2027-05-01T00:00:00Z' });
  const id = created.res.body.apiKey.id;
  const createRecords = await recordsOf(created.requestId);
  saw('POST /v1/api-keys', createRecords);
  expect(createRecords).toEqual([
    byKey('api_key.created', { type: 'api_key', id }, {
      name: { from: null, to: 'ci' }, scopes: { from: null, to: ['coupons:read'] }, expiresAt: { from: null, to: '2027-05-01T00:00:00.000Z' },
    }, created.requestId),
  ]);
  const rolled = await call('post', `/v1/api-keys/${id}/roll`);
  const rollRecords = await recordsOf(rolled.requestId);
  saw('POST /v1/api-keys/:id/roll', rollRecords);
  expect(rollRecords).toEqual([byKey('api_key.rolled', { type: 'api_key', id }, {}, rolled.requestId)]);
  const revoked = await call('delete', `/v1/api-keys/${id}`);
  const revokeRecords = await recordsOf(revoked.requestId);
  saw('DELETE /v1/api-keys/:id', revokeRecords);
  expect(revokeRecords).toEqual([byKey('api_key.revoked', { type: 'api_key', id }, {}, revoked.requestId)]);
  const all = JSON.stringify((await t.http.get('/v1/audit-log?limit=500').set(acct.auth)).body);
  for (const s of [created.res.body.secret, rolled.res.body.secret, acct.apiKey]) {
    expect(all).not.toContain(s);
    expect(all).not.toContain(s.slice(0, 8));
  }
});

test('an endpoint disabled by a 410 is recorded as the service’s own change, without a request', async () => {
  rx.on('/gone', [{ status: 410 }]);
  const created = await call('post', '/v1/webhook-endpoints', { url: `${rx.url}/gone` });
  const endpointId = created.res.body.id;
  await call('post', '/v1/coupons', { name: 'Trigger', discount: { type: 'percentage', basisPoints: 500 } });
  await eventually(async () => (await t.http.get(`/v1/webhook-endpoints/${endpointId}`).set(acct.auth)).body.status, (s) => s === 'disabled');
  const res = await t.http.get(`/v1/audit-log?targetType=webhook_endpoint&targetId=${endpointId}&action=webhook_endpoint.disabled`).set(acct.auth);
  expect(res.body).toEqual({
    data: [{
      id: expect.any(String), at: START, actor: { type: 'system', id: 'webhook-delivery', name: 'webhook delivery' }, action: 'webhook_endpoint.disabled',
      target: { type: 'webhook_endpoint', id: endpointId }, changes: {}, requestId: null, ip: null,
    }],
    nextCursor: null,
  });
});

test('each audited route was seen writing exactly its actions', () => {
  expect(Object.fromEntries([...seen].map(([route, actions]) => [route, [...actions].sort()]))).toEqual(
    Object.fromEntries(Object.entries(AUDITED).map(([route, actions]) => [route, [...actions].sort()])),
  );
});

describe('GET /v1/audit-log', () => {
  test('newest first, paged by cursor, filtered by target, actor, action and time', async () => {
    const a = await t.createAccount({ name: 'Pager' });
    const aKey = (await t.http.get('/v1/api-keys/current').set(a.auth)).body.id;
    const ids: string[] = [];
    for (const [i, name] of ['P1', 'P2', 'P3'].entries()) {
      clock.set(`2027-04-02T00:00:0${i}.000Z`);
      const res = await t.http.put(`/v1/plans/${name}`).set(a.auth).send({ name, kind: 'one_time', currency: 'USD', price: 100 });
      expect(res.status).toBe(200);
      ids.push(name);
    }
    clock.set(START);
    const first = await t.http.get('/v1/audit-log?limit=2&targetType=plan').set(a.auth);
    expect(first.body.data.map((r: { target: { id: string } }) => r.target.id)).toEqual(['P3', 'P2']);
    const second = await t.http.get(`/v1/audit-log?limit=2&targetType=plan&cursor=${first.body.nextCursor}`).set(a.auth);
    expect(second.body.data.map((r: { target: { id: string } }) => r.target.id)).toEqual(['P1']);
    expect(second.body.nextCursor).toBeNull();

    const all = (await t.http.get('/v1/audit-log').set(a.auth)).body.data;
    expect(all.map((r: { action: string }) => r.action)).toEqual(['plan.created', 'plan.created', 'plan.created', 'api_key.created', 'account.created']);
    expect(Number(all[0].id)).toBeGreaterThan(Number(all[1].id));
    const byTarget = (await t.http.get('/v1/audit-log?targetType=plan&targetId=P2').set(a.auth)).body.data;
    expect(byTarget.map((r: { at: string }) => r.at)).toEqual(['2027-04-02T00:00:01.000Z']);
    const byActor = (await t.http.get(`/v1/audit-log?actorId=${aKey}`).set(a.auth)).body.data;
    expect(byActor).toHaveLength(3);
    const byPlatform = (await t.http.get('/v1/audit-log?actorId=platform').set(a.auth)).body.data;
    expect(byPlatform.map((r: { action: string }) => r.action)).toEqual(['api_key.created', 'account.created']);
    const byAction = (await t.http.get('/v1/audit-log?action=account.created').set(a.auth)).body.data;
    expect(byAction).toHaveLength(1);
    const window = (await t.http.get('/v1/audit-log?from=2027-04-02T00:00:01Z&to=2027-04-02T00:00:02Z').set(a.auth)).body.data;
    expect(window.map((r: { target: { id: string } }) => r.target.id)).toEqual(['P3', 'P2']);
    // another account's records are not shown
    expect(JSON.stringify(all)).not.toContain(acct.id);
  });

  test('bad filters and cursors are 400 naming the field; the route needs audit:read', async () => {
    const bad = await t.http.get('/v1/audit-log?targetType=invoice').set(acct.auth);
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('targetType');
    const from = await t.http.get('/v1/audit-log?from=yesterday').set(acct.auth);
    expect(from.body.error.field).toBe('from');
    const cursor = await t.http.get('/v1/audit-log?cursor=abc').set(acct.auth);
    expect(cursor.body.error).toEqual({ code: 'validation_failed', message: 'cursor: is not a cursor this list gave', field: 'cursor' });
    const unknown = await t.http.get('/v1/audit-log?who=me').set(acct.auth);
    expect(unknown.body.error.field).toBe('who');
    const key = await t.http.post('/v1/api-keys').set(acct.auth).send({ name: 'reader', scopes: ['reports:read'] });
    const refused = await t.http.get('/v1/audit-log').set('Authorization', `Bearer ${key.body.secret}`);
    expect(refused.status).toBe(403);
    expect(refused.body.error.requiredScope).toBe('audit:read');
  });
});

describe('the database refuses to change or delete a record', () => {
  const sql = (text: string) => t.running.ctx.orm.em.fork().execute(text);

  test.each([
    ['update', "update audit_records set action = 'coupon.nothing'"],
    ['update of no row', "update audit_records set action = 'x' where id = -1"],
    ['delete', 'delete from audit_records'],
    ['truncate', 'truncate audit_records'],
  ])('%s is refused (SQLSTATE 42501) and nothing changes', async (_what, statement) => {
    const before = await sql('select count(*)::int as n, max(action) as a from audit_records');
    await expect(sql(statement)).rejects.toMatchObject({ code: '42501' });
    expect(await sql('select count(*)::int as n, max(action) as a from audit_records')).toEqual(before);
    expect(before[0].n).toBeGreaterThan(0);
  });

  test('a change whose transaction rolls back leaves no record', async () => {
    // a live coupon is named Draft already (the unique index refuses it at insert)
    const r = await t.http.post('/v1/coupons').set(acct.auth).set('X-Request-Id', 'rolled-back-1')
      .send({ name: 'Draft', discount: { type: 'percentage', basisPoints: 100 } });
    expect(r.status).toBe(409);
    expect(await recordsOf('rolled-back-1')).toEqual([]);
  });

  test('a record that cannot be written takes its change with it (one transaction)', async () => {
    await sql(`create function audit_test_refuse() returns trigger language plpgsql as $$
      begin if new.changes->'name'->>'to' = 'Atomic' then raise exception 'no record'; end if; return new; end $$`);
    await sql('create trigger audit_test_refuse before insert on audit_records for each row execute function audit_test_refuse()');
    const events = () => sql("select count(*)::int as n from events where type = 'coupon.created'");
    try {
      const eventsBefore = await events();
      const r = await t.http.post('/v1/coupons').set(acct.auth).send({ name: 'Atomic', discount: { type: 'percentage', basisPoints: 100 } });
      expect(r.status).toBe(500);
      expect(r.body).toEqual({ error: { code: 'internal_error', message: 'internal error' } });
      expect(await sql("select count(*)::int as n from coupons where name = 'Atomic'")).toEqual([{ n: 0 }]);
      expect(await events()).toEqual(eventsBefore);
    } finally {
      await sql('drop trigger audit_test_refuse on audit_records');
      await sql('drop function audit_test_refuse()');
    }
  });
});
