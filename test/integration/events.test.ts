import { startTestApp, type TestApp } from '../helpers/harness';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

describe('GET /v1/events', () => {
  test('every change writes its event, readable in id order with after= and a cursor when the page is full', async () => {
    const a = await t.createAccount();
    const other = await t.createAccount();
    const created = await t.http.post('/v1/coupons').set(a.auth).send({ name: 'Evented', discount: { type: 'none' }, status: 'draft', code: 'EV-ONE' });
    const id = created.body.id;
    const steps: [string, string, Record<string, unknown>?][] = [
      ['post', `/v1/coupons/${id}/activate`],
      ['patch', `/v1/coupons/${id}`, { description: 'changed' }],
      ['post', `/v1/coupons/${id}/codes`, { code: 'EV-TWO' }],
      ['patch', '/v1/codes/ev-two', { maxRedemptions: 3 }],
      ['post', '/v1/codes/EV-TWO/disable'],
      ['post', '/v1/codes/EV-TWO/enable'],
      ['delete', '/v1/codes/EV-TWO'],
      ['post', `/v1/coupons/${id}/disable`],
      ['post', `/v1/coupons/${id}/enable`],
      ['post', `/v1/coupons/${id}/archive`],
    ];
    for (const [method, path, body] of steps) {
      const req = (t.http as any)[method](path).set(a.auth);
      const res = await (body ? req.send(body) : req);
      expect([path, res.status < 300]).toEqual([path, true]);
    }
    const doomed = await t.http.post('/v1/coupons').set(a.auth).send({ name: 'Doomed', discount: { type: 'none' } });
    await t.http.delete(`/v1/coupons/${doomed.body.id}`).set(a.auth).expect(204);
    await t.http.post('/v1/coupons').set(other.auth).send({ name: 'Theirs', discount: { type: 'none' } }).expect(201);

    const all = await t.http.get('/v1/events?limit=500').set(a.auth);
    expect(all.status).toBe(200);
    expect(all.body.nextCursor).toBeNull();
    expect(all.body.data.map((e: any) => [e.type, e.data])).toEqual([
      ['coupon.created', { couponId: id }],
      ['code.created', { couponId: id, code: 'EV-ONE' }],
      ['coupon.activated', { couponId: id }],
      ['coupon.updated', { couponId: id, version: 1, fields: ['description'] }],
      ['code.created', { couponId: id, code: 'EV-TWO' }],
      ['code.updated', { couponId: id, code: 'EV-TWO' }],
      ['code.disabled', { couponId: id, code: 'EV-TWO' }],
      ['code.enabled', { couponId: id, code: 'EV-TWO' }],
      ['code.deleted', { couponId: id, code: 'EV-TWO' }],
      ['coupon.disabled', { couponId: id }],
      ['coupon.enabled', { couponId: id }],
      ['coupon.archived', { couponId: id }],
      ['coupon.created', { couponId: doomed.body.id }],
      ['coupon.deleted', { couponId: doomed.body.id }],
    ]);
    const ids = all.body.data.map((e: any) => Number(e.id));
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
    expect(all.body.data[0]).toEqual({ id: expect.stringMatching(/^\d+$/), type: 'coupon.created', createdAt: expect.stringMatching(/Z$/), data: { couponId: id } });

    // paging: full pages carry the last id; the last, partial page carries null
    const seen: string[] = [];
    let after = '0';
    for (;;) {
      const page = await t.http.get(`/v1/events?after=${after}&limit=5`).set(a.auth);
      seen.push(...page.body.data.map((e: any) => e.id));
      if (page.body.data.length === 5) expect(page.body.nextCursor).toBe(page.body.data[4].id);
      else expect(page.body.nextCursor).toBeNull();
      if (!page.body.nextCursor) break;
      after = page.body.nextCursor;
    }
    expect(seen).toEqual(all.body.data.map((e: any) => e.id));
    const tail = await t.http.get(`/v1/events?after=${seen[seen.length - 1]}`).set(a.auth);
    expect(tail.body).toEqual({ data: [], nextCursor: null });
  });

  test('bad parameters are 400 naming them', async () => {
    const a = await t.createAccount();
    for (const [q, field] of [['after=-1', 'after'], ['after=x', 'after'], ['limit=501', 'limit'], ['cursor=1', 'cursor']]) {
      const res = await t.http.get(`/v1/events?${q}`).set(a.auth);
      expect([q, res.status, res.body.error.field]).toEqual([q, 400, field]);
    }
    expect((await t.http.get('/v1/events')).status).toBe(401);
  });
});
