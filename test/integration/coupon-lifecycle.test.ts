import { startTestApp, type TestAccount, type TestApp } from '../helpers/harness';
import { createCouponBody, fakeRedemption as fake } from '../helpers/coupons';

let t: TestApp;
let acct: TestAccount;
let n = 0;

beforeAll(async () => {
  t = await startTestApp();
  acct = await t.createAccount({ timeZone: 'America/New_York' });
});
afterAll(async () => {
  await t?.close();
});

const sql = (q: string, p: unknown[] = []) => t.running.ctx.orm.em.fork().execute(q, p);
const name = (p = 'coupon') => `${p} ${++n}`;
const base = () => ({ name: name(), discount: { type: 'percentage', basisPoints: 1000 } });
const create = (a: TestAccount, body: Record<string, unknown>) => createCouponBody(t, a, body);
const fakeRedemption = (couponId: string, code: string, customerId: string) => fake(t, couponId, code, customerId);

describe('PATCH /v1/coupons/{id} and versions', () => {
  test('terms changes bump the version and are kept; name-only edits do not; no-op edits change nothing', async () => {
    const c = await create(acct, base());
    const renamed = await t.http.patch(`/v1/coupons/${c.id}`).set(acct.auth).send({ name: name('renamed'), description: 'd' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.version).toBe(1);
    const v2 = await t.http.patch(`/v1/coupons/${c.id}`).set(acct.auth).send({ discount: { type: 'percentage', basisPoints: 2000 } });
    expect([v2.body.version, v2.body.discount.basisPoints]).toEqual([2, 2000]);
    const v3 = await t.http.patch(`/v1/coupons/${c.id}`).set(acct.auth).send({ limits: { maxRedemptions: 10 }, stackable: true });
    expect(v3.body).toMatchObject({ version: 3, limits: { maxRedemptions: 10, perCustomer: null }, stackable: true });
    const same = await t.http.patch(`/v1/coupons/${c.id}`).set(acct.auth).send({ discount: { basisPoints: 2000, type: 'percentage' } });
    expect([same.body.version, same.body.updatedAt]).toEqual([3, v3.body.updatedAt]);
    const versions = await t.http.get(`/v1/coupons/${c.id}/versions`).set(acct.auth);
    expect(versions.status).toBe(200);
    expect(versions.body.nextCursor).toBeNull();
    expect(versions.body.data.map((v: any) => [v.version, v.snapshot.discount.basisPoints, v.snapshot.limits.maxRedemptions, v.snapshot.stackable])).toEqual([
      [1, 1000, null, false],
      [2, 2000, null, false],
      [3, 2000, 10, true],
    ]);
    const page1 = await t.http.get(`/v1/coupons/${c.id}/versions?limit=2`).set(acct.auth);
    const page2 = await t.http.get(`/v1/coupons/${c.id}/versions?limit=2&cursor=${page1.body.nextCursor}`).set(acct.auth);
    expect(page2.body.data.map((v: any) => v.version)).toEqual([3]);
    const events = await sql(`select data from events where type = 'coupon.updated' and data->>'couponId' = ? order by id`, [c.id]);
    expect(events.map((e) => e.data.version)).toEqual([1, 2, 3]);
  });

  test('limits below usage are 409; at usage they are fine', async () => {
    const c = await create(acct, { ...base(), code: 'USED-1' });
    await fakeRedemption(c.id, 'USED-1', 'cus_a');
    await fakeRedemption(c.id, 'USED-1', 'cus_a');
    await fakeRedemption(c.id, 'USED-1', 'cus_b');
    const low = await t.http.patch(`/v1/coupons/${c.id}`).set(acct.auth).send({ limits: { maxRedemptions: 2 } });
    expect([low.status, low.body.error.field]).toEqual([409, 'limits.maxRedemptions']);
    const per = await t.http.patch(`/v1/coupons/${c.id}`).set(acct.auth).send({ limits: { perCustomer: 1 } });
    expect([per.status, per.body.error.field]).toEqual([409, 'limits.perCustomer']);
    const ok = await t.http.patch(`/v1/coupons/${c.id}`).set(acct.auth).send({ limits: { maxRedemptions: 3, perCustomer: 2 } });
    expect([ok.status, ok.body.status, ok.body.limits]).toEqual([200, 'exhausted', { maxRedemptions: 3, perCustomer: 2 }]);
  });

  test('unknown and non-editable fields are 400; expiry can be replaced or cleared', async () => {
    // expiries two years ahead, whatever today is (June 30 is in New York's summer time every year)
    const y = new Date().getUTCFullYear() + 2;
    const c = await create(acct, { ...base(), expiresAt: `${y}-05-01T00:00:00Z` });
    for (const [body, field] of [[{ status: 'draft' }, 'status'], [{ code: 'X12' }, 'code'], [{ timeZone: 'UTC' }, 'timeZone'], [{ expiresOn: `${y}-01-01`, expiresAt: `${y}-01-01T00:00:00Z` }, 'expiresOn']] as const) {
      const res = await t.http.patch(`/v1/coupons/${c.id}`).set(acct.auth).send(body);
      expect([res.status, res.body.error.field]).toEqual([400, field]);
    }
    const on = await t.http.patch(`/v1/coupons/${c.id}`).set(acct.auth).send({ expiresOn: `${y}-06-30` });
    expect(on.body).toMatchObject({ expiresAt: `${y}-07-01T04:00:00.000Z`, expiresOn: `${y}-06-30`, expiresAfterDays: null, version: 2 });
    const cleared = await t.http.patch(`/v1/coupons/${c.id}`).set(acct.auth).send({ expiresOn: null });
    expect(cleared.body).toMatchObject({ expiresAt: null, expiresOn: null, version: 3 });
  });

  test('an archived coupon is read-only', async () => {
    const c = await create(acct, base());
    await t.http.post(`/v1/coupons/${c.id}/archive`).set(acct.auth).expect(200);
    const res = await t.http.patch(`/v1/coupons/${c.id}`).set(acct.auth).send({ name: name() });
    expect([res.status, res.body.error.code]).toEqual([409, 'conflict']);
  });
});

describe('lifecycle', () => {
  test('draft → active → disabled → active → archived; every other move is 409; archive again is a no-op', async () => {
    const c = await create(acct, { ...base(), status: 'draft', code: 'LIFE-1' });
    const post = (action: string) => t.http.post(`/v1/coupons/${c.id}/${action}`).set(acct.auth);
    const expectMove = async (action: string, status: number, shown?: string) => {
      const res = await post(action);
      expect([action, res.status, res.status === 200 ? res.body.status : res.body.error.code]).toEqual([action, status, shown ?? 'conflict']);
    };
    await expectMove('enable', 409);
    await expectMove('disable', 409);
    await expectMove('activate', 200, 'active');
    await expectMove('activate', 409);
    await expectMove('enable', 409);
    await expectMove('disable', 200, 'disabled');
    await expectMove('disable', 409);
    await expectMove('activate', 409);
    await expectMove('enable', 200, 'active');
    await expectMove('archive', 200, 'archived');
    await expectMove('archive', 200, 'archived');
    await expectMove('activate', 409);
    await expectMove('enable', 409);
    await expectMove('disable', 409);
    const code = await sql(`select state from codes where coupon_id = ?`, [c.id]);
    expect(code).toEqual([{ state: 'archived' }]);
    const types = await sql(`select type from events where data->>'couponId' = ? and type like 'coupon.%' order by id`, [c.id]);
    expect(types.map((e) => e.type)).toEqual(['coupon.created', 'coupon.activated', 'coupon.disabled', 'coupon.enabled', 'coupon.archived']);
  });

  test('clone: draft, same terms and zone, no codes, "<name> (copy)"; a second default clone name is 409', async () => {
    const c = await create(acct, { ...base(), name: 'Cloned', code: 'CLONE-SRC', limits: { maxRedemptions: 5 }, eligibility: { customers: 'existing' } });
    const res = await t.http.post(`/v1/coupons/${c.id}/clone`).set(acct.auth);
    expect(res.status).toBe(201);
    const { id, createdAt, updatedAt, ...rest } = c;
    expect(res.body).toEqual({ ...rest, id: expect.any(String), createdAt: expect.any(String), updatedAt: expect.any(String), name: 'Cloned (copy)', status: 'draft', code: null });
    expect(res.body.id).not.toBe(id);
    const codes = await t.http.get(`/v1/coupons/${res.body.id}/codes`).set(acct.auth);
    expect(codes.body).toEqual({ data: [], nextCursor: null });
    const again = await t.http.post(`/v1/coupons/${c.id}/clone`).set(acct.auth).send({});
    expect([again.status, again.body.error.field]).toEqual([409, 'name']);
    const named = await t.http.post(`/v1/coupons/${c.id}/clone`).set(acct.auth).send({ name: 'Cloned again' });
    expect([named.status, named.body.name]).toEqual([201, 'Cloned again']);
    const bad = await t.http.post(`/v1/coupons/${c.id}/clone`).set(acct.auth).send({ name: '' });
    expect([bad.status, bad.body.error.field]).toEqual([400, 'name']);
  });

  test('delete: a never-redeemed coupon goes with its codes and versions; a redeemed one is 409', async () => {
    const c = await create(acct, { ...base(), code: 'GONE-1' });
    const del = await t.http.delete(`/v1/coupons/${c.id}`).set(acct.auth);
    expect(del.status).toBe(204);
    expect((await t.http.get(`/v1/coupons/${c.id}`).set(acct.auth)).status).toBe(404);
    expect((await t.http.get('/v1/codes/GONE-1').set(acct.auth)).status).toBe(404);
    expect(await sql('select 1 from coupon_versions where coupon_id = ?', [c.id])).toHaveLength(0);
    expect((await t.http.delete(`/v1/coupons/${c.id}`).set(acct.auth)).status).toBe(404);
    const used = await create(acct, { ...base(), code: 'KEPT-1' });
    await fakeRedemption(used.id, 'KEPT-1', 'cus_1');
    const refused = await t.http.delete(`/v1/coupons/${used.id}`).set(acct.auth);
    expect([refused.status, refused.body.error.code]).toEqual([409, 'conflict']);
    expect((await t.http.get(`/v1/coupons/${used.id}`).set(acct.auth)).status).toBe(200);
  });

  test('another account’s coupon is 404 on every route; so is an id that is not a UUID', async () => {
    const c = await create(acct, { ...base(), code: 'MINE-1' });
    const other = await t.createAccount();
    const calls = [
      t.http.get(`/v1/coupons/${c.id}`),
      t.http.patch(`/v1/coupons/${c.id}`).send({ name: 'x' }),
      t.http.post(`/v1/coupons/${c.id}/activate`),
      t.http.post(`/v1/coupons/${c.id}/disable`),
      t.http.post(`/v1/coupons/${c.id}/enable`),
      t.http.post(`/v1/coupons/${c.id}/archive`),
      t.http.post(`/v1/coupons/${c.id}/clone`),
      t.http.delete(`/v1/coupons/${c.id}`),
      t.http.get(`/v1/coupons/${c.id}/versions`),
      t.http.get(`/v1/coupons/${c.id}/codes`),
      t.http.post(`/v1/coupons/${c.id}/codes`).send({ code: 'THEIRS-1' }),
      t.http.get('/v1/codes/MINE-1'),
    ];
    for (const call of calls) {
      const res = await call.set(other.auth);
      expect([res.status, res.body.error?.code]).toEqual([404, 'not_found']);
    }
    expect((await t.http.get('/v1/coupons/not-a-uuid').set(acct.auth)).status).toBe(404);
    expect((await t.http.get('/v1/coupons').set(other.auth)).body.data).toEqual([]);
  });
});
