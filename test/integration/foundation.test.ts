import { startTestApp, type TestApp } from '../helpers/harness';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

describe('accounts and auth', () => {
  test('the platform token creates an account whose key authenticates; a wrong key gets 401', async () => {
    const res = await t.http
      .post('/v1/accounts')
      .set('Authorization', 'Bearer dev-platform-token')
      .send({ name: 'Acme', timeZone: 'Europe/Paris', currency: 'EUR' });
    expect(res.status).toBe(201);
    expect(res.body.account).toEqual({ id: expect.any(String), name: 'Acme', timeZone: 'Europe/Paris', currency: 'EUR', overflow: 'cap', rounding: 'half_up' });
    expect(res.body.apiKey).toMatch(/^cf_/);

    const me = await t.http.get('/v1/account').set('Authorization', `Bearer ${res.body.apiKey}`);
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(res.body.account.id);

    const wrong = await t.http.get('/v1/account').set('Authorization', 'Bearer cf_wrong');
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('unauthorized');

    const none = await t.http.get('/v1/account');
    expect(none.status).toBe(401);
  });

  test('account creation needs the platform token, not an account key', async () => {
    const acct = await t.createAccount();
    const res = await t.http.post('/v1/accounts').set(acct.auth).send({ name: 'x' });
    expect(res.status).toBe(401);
  });

  test('the key is stored hashed, never in clear', async () => {
    const acct = await t.createAccount();
    const rows = await t.running.ctx.orm.em.fork().execute('select key_hash from api_keys where account_id = ?', [acct.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0].key_hash).not.toContain(acct.apiKey);
    expect(rows[0].key_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  test('PATCH /v1/account changes zone and overflow', async () => {
    const acct = await t.createAccount();
    const res = await t.http.patch('/v1/account').set(acct.auth).send({ timeZone: 'Asia/Kolkata', overflow: 'credit' });
    expect(res.status).toBe(200);
    expect(res.body.timeZone).toBe('Asia/Kolkata');
    expect(res.body.overflow).toBe('credit');
    const bad = await t.http.patch('/v1/account').set(acct.auth).send({ timeZone: 'Mars/Olympus' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'validation_failed', field: 'timeZone' });
  });
});

describe('plans and customers', () => {
  test('PUT /v1/plans/{id} creates then replaces', async () => {
    const acct = await t.createAccount();
    const body = { name: 'Pro', kind: 'recurring', interval: { unit: 'month', count: 1 }, currency: 'USD', price: 2000, family: 'pro' };
    const a = await t.http.put('/v1/plans/pro-monthly').set(acct.auth).send(body);
    expect(a.status).toBe(200);
    expect(a.body).toEqual({ id: 'pro-monthly', ...body, access: 'open' });
    const b = await t.http.put('/v1/plans/pro-monthly').set(acct.auth).send({ ...body, price: 2500, family: null, access: 'invitation_only' });
    expect(b.body).toEqual({ id: 'pro-monthly', ...body, price: 2500, family: null, access: 'invitation_only' });
  });

  test('a recurring plan without interval, a negative price and an unknown kind are 400 naming the field', async () => {
    const acct = await t.createAccount();
    const base = { name: 'Pro', kind: 'recurring', interval: { unit: 'month', count: 1 }, currency: 'USD', price: 2000 };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, interval: null }, 'interval'],
      [{ ...base, price: -1 }, 'price'],
      [{ ...base, kind: 'weekly' }, 'kind'],
      [{ ...base, currency: 'usd' }, 'currency'],
      [{ ...base, interval: { unit: 'fortnight', count: 1 } }, 'interval.unit'],
      [{ ...base, colour: 'red' }, 'colour'],
    ];
    for (const [body, field] of cases) {
      const res = await t.http.put('/v1/plans/p1').set(acct.auth).send(body);
      expect({ status: res.status, code: res.body.error?.code, field: res.body.error?.field }).toEqual({ status: 400, code: 'validation_failed', field });
    }
  });

  test('PUT /v1/customers/{id} upserts and keeps fields left out', async () => {
    const acct = await t.createAccount();
    const a = await t.http.put('/v1/customers/cus_1').set(acct.auth).send({ email: 'a@example.com', country: 'US', region: 'US-CA', postalCode: '94107' });
    expect(a.status).toBe(200);
    expect(a.body).toEqual({ id: 'cus_1', email: 'a@example.com', country: 'US', region: 'US-CA', postalCode: '94107', hasPaidSubscription: false });
    const b = await t.http.put('/v1/customers/cus_1').set(acct.auth).send({ hasPaidSubscription: true });
    expect(b.body).toEqual({ ...a.body, hasPaidSubscription: true });
  });

  test('accounts never see each other’s plans', async () => {
    const a = await t.createAccount();
    const b = await t.createAccount();
    await t.http.put('/v1/plans/shared-id').set(a.auth).send({ name: 'A', kind: 'one_time', currency: 'USD', price: 100 });
    await t.http.put('/v1/plans/shared-id').set(b.auth).send({ name: 'B', kind: 'one_time', currency: 'EUR', price: 200 });
    const rows = await t.running.ctx.orm.em.fork().execute('select account_id, name from plans where id = ? order by name', ['shared-id']);
    expect(rows.map((r) => r.name)).toEqual(['A', 'B']);
  });
});

describe('errors and operations', () => {
  test('malformed JSON, unknown routes and bad bodies answer the error shape without a stack', async () => {
    const acct = await t.createAccount();
    const malformed = await t.http.put('/v1/customers/c').set(acct.auth).set('Content-Type', 'application/json').send('{"email":');
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({ error: { code: 'validation_failed', message: 'body: malformed JSON', field: 'body' } });
    const unknown = await t.http.get('/v1/nothing-here').set(acct.auth);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    expect(JSON.stringify(unknown.body)).not.toMatch(/at .*\.ts/);
  });

  test('/healthz, /readyz and /metrics', async () => {
    expect((await t.http.get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await t.http.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
    const metrics = await t.http.get('/metrics');
    expect(metrics.status).toBe(200);
    for (const q of ['redemptions', 'invoice-discounts', 'code-batches', 'expiry']) {
      expect(metrics.text).toContain(`couponflow_queue_jobs{queue="${q}",state="waiting"} 0`);
    }
  });

  test('Bull Board: 401 without credentials, 200 with them, showing the five queues', async () => {
    expect((await t.http.get('/admin/queues')).status).toBe(401);
    expect((await t.http.get('/admin/queues').auth('admin', 'wrong')).status).toBe(401);
    expect((await t.http.get('/admin/queues').auth('admin', 'admin')).status).toBe(200);
    const api = await t.http.get('/admin/queues/api/queues').auth('admin', 'admin');
    expect(api.status).toBe(200);
    expect(api.body.queues.map((q: { name: string }) => q.name).sort()).toEqual(['code-batches', 'expiry', 'invoice-discounts', 'redemptions', 'webhooks']);
  });

  test('/openapi.json lists every route and /docs serves a page', async () => {
    const doc = await t.http.get('/openapi.json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/v1/accounts', '/v1/plans/{id}', '/v1/customers/{id}', '/v1/account']));
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining([
      '/v1/webhook-endpoints', '/v1/webhook-endpoints/{id}', '/v1/webhook-endpoints/{id}/rotate-secret', '/v1/webhook-endpoints/{id}/test',
      '/v1/webhook-endpoints/{id}/deliveries', '/v1/webhook-deliveries/{id}', '/v1/webhook-deliveries/{id}/redeliver',
    ]));
    expect(doc.body.paths['/v1/plans/{id}'].put.responses['400']).toBeDefined();
    const docs = await t.http.get('/docs');
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('/openapi.json');
  });
});
