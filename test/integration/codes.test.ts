import { startTestApp, type TestAccount, type TestApp } from '../helpers/harness';

let t: TestApp;
let acct: TestAccount;
let n = 0;
// expiries a year or more ahead of today, so every coupon and code here stays unexpired whatever the date
const Y = new Date().getUTCFullYear() + 2;

beforeAll(async () => {
  t = await startTestApp();
  acct = await t.createAccount();
});
afterAll(async () => {
  await t?.close();
});

const sql = (q: string, p: unknown[] = []) => t.running.ctx.orm.em.fork().execute(q, p);
const uniq = (p: string) => `${p}-${++n}`;

async function coupon(a: TestAccount, extra: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const res = await t.http.post('/v1/coupons').set(a.auth).send({ name: uniq('coupon'), discount: { type: 'percentage', basisPoints: 500 }, ...extra });
  if (res.status !== 201) throw new Error(`coupon: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}
const addCode = (a: TestAccount, couponId: string, body: Record<string, unknown>) => t.http.post(`/v1/coupons/${couponId}/codes`).set(a.auth).send(body);

describe('POST /v1/coupons/{id}/codes', () => {
  test('adds a normalized code and answers it; GET finds it case-insensitively', async () => {
    const c = await coupon(acct, { limits: { maxRedemptions: 10 }, expiresAt: `${Y}-06-01T00:00:00Z` });
    const body = { code: '  spring-sale_1 ', maxRedemptions: 10, expiresAt: `${Y}-05-31T20:00:00-04:00`, customerId: 'cus_9', metadata: { campaign: 'spring' } };
    const res = await addCode(acct, c.id, body);
    expect(res.status).toBe(201);
    const view = { code: 'SPRING-SALE_1', couponId: c.id, status: 'active', timesRedeemed: 0, maxRedemptions: 10, expiresAt: `${Y}-06-01T00:00:00.000Z`, customerId: 'cus_9', metadata: { campaign: 'spring' }, attribution: {} };
    expect(res.body).toEqual(view);
    const got = await t.http.get('/v1/codes/Spring-Sale_1').set(acct.auth);
    expect([got.status, got.body]).toEqual([200, view]);
    const ev = await sql(`select type, data from events where account_id = ? and type = 'code.created' and data->>'code' = ?`, [acct.id, 'SPRING-SALE_1']);
    expect(ev).toEqual([{ type: 'code.created', data: { couponId: c.id, code: 'SPRING-SALE_1' } }]);
  });

  test('a limit or expiry looser than the coupon’s is 400 naming the field', async () => {
    const c = await coupon(acct, { limits: { maxRedemptions: 5 }, expiresAt: `${Y}-01-01T00:00:00Z` });
    const tooMany = await addCode(acct, c.id, { code: uniq('LOOSE'), maxRedemptions: 6 });
    expect([tooMany.status, tooMany.body.error.code, tooMany.body.error.field]).toEqual([400, 'validation_failed', 'maxRedemptions']);
    const tooLate = await addCode(acct, c.id, { code: uniq('LOOSE'), expiresAt: `${Y}-01-01T00:00:01Z` });
    expect([tooLate.status, tooLate.body.error.field]).toEqual([400, 'expiresAt']);
    const fine = await addCode(acct, c.id, { code: uniq('TIGHT'), maxRedemptions: 5, expiresAt: `${Y}-01-01T00:00:00Z` });
    expect(fine.status).toBe(201);
    const noLimits = await coupon(acct);
    expect((await addCode(acct, noLimits.id, { code: uniq('FREE'), maxRedemptions: 1000, expiresAt: `${Y + 3}-01-01T00:00:00Z` })).status).toBe(201);
  });

  test('bad input is 400 naming the field', async () => {
    const c = await coupon(acct);
    const cases: [Record<string, unknown>, string][] = [
      [{}, 'code'],
      [{ code: 'ab' }, 'code'],
      [{ code: 'has space' }, 'code'],
      [{ code: 'x'.repeat(65) }, 'code'],
      [{ code: 'ÉTÉ2026' }, 'code'],
      [{ code: 'OK-CODE', maxRedemptions: 0 }, 'maxRedemptions'],
      [{ code: 'OK-CODE', expiresAt: 'tomorrow' }, 'expiresAt'],
      [{ code: 'OK-CODE', status: 'disabled' }, 'status'],
    ];
    for (const [body, field] of cases) {
      const res = await addCode(acct, c.id, body);
      expect([JSON.stringify(body), res.status, res.body.error?.field]).toEqual([JSON.stringify(body), 400, field]);
    }
  });

  test('a live code is unique in the account (409), not across accounts; archived coupons take no codes', async () => {
    const a = await coupon(acct);
    const b = await coupon(acct);
    expect((await addCode(acct, a.id, { code: 'UNIQUE-1' })).status).toBe(201);
    const dup = await addCode(acct, b.id, { code: 'unique-1' });
    expect([dup.status, dup.body.error.code, dup.body.error.field]).toEqual([409, 'conflict', 'code']);
    const other = await t.createAccount();
    const theirs = await coupon(other);
    expect((await addCode(other, theirs.id, { code: 'UNIQUE-1' })).status).toBe(201);
    await t.http.post(`/v1/coupons/${a.id}/archive`).set(acct.auth).expect(200);
    expect((await addCode(acct, a.id, { code: uniq('LATE') })).status).toBe(409);
    // the archived coupon's code text is free again
    expect((await addCode(acct, b.id, { code: 'UNIQUE-1' })).status).toBe(201);
    const live = await t.http.get('/v1/codes/UNIQUE-1').set(acct.auth);
    expect([live.body.couponId, live.body.status]).toEqual([b.id, 'active']);
  });

  test('two concurrent creates of the same code: exactly one 201 and one 409 (the unique index decides)', async () => {
    for (let round = 0; round < 5; round++) {
      const [a, b] = [await coupon(acct), await coupon(acct)];
      const code = uniq('RACE');
      const results = await Promise.all([addCode(acct, a.id, { code }), addCode(acct, b.id, { code })]);
      expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
      expect(await sql(`select 1 from codes where account_id = ? and code = ?`, [acct.id, code])).toHaveLength(1);
    }
  });
});

describe('PATCH, disable, enable, delete', () => {
  test('PATCH changes limit, expiry, customer and metadata; null clears; looser is 400; below use is 409', async () => {
    const c = await coupon(acct, { limits: { maxRedemptions: 20 }, expiresAt: `${Y}-01-01T00:00:00Z` });
    const code = uniq('PATCHME');
    await addCode(acct, c.id, { code, maxRedemptions: 5 });
    const res = await t.http.patch(`/v1/codes/${code.toLowerCase()}`).set(acct.auth).send({ maxRedemptions: 8, expiresAt: `${Y - 1}-12-31T00:00:00Z`, customerId: 'cus_1', metadata: { a: 1 } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ code, maxRedemptions: 8, expiresAt: `${Y - 1}-12-31T00:00:00.000Z`, customerId: 'cus_1', metadata: { a: 1 } });
    const cleared = await t.http.patch(`/v1/codes/${code}`).set(acct.auth).send({ customerId: null, metadata: null, maxRedemptions: null });
    expect(cleared.body).toMatchObject({ maxRedemptions: null, customerId: null, metadata: null, expiresAt: `${Y - 1}-12-31T00:00:00.000Z` });
    const loose = await t.http.patch(`/v1/codes/${code}`).set(acct.auth).send({ maxRedemptions: 21 });
    expect([loose.status, loose.body.error.field]).toEqual([400, 'maxRedemptions']);
    const late = await t.http.patch(`/v1/codes/${code}`).set(acct.auth).send({ expiresAt: `${Y}-02-01T00:00:00Z` });
    expect([late.status, late.body.error.field]).toEqual([400, 'expiresAt']);
    await sql(`update codes set times_redeemed = 3 where code = ?`, [code]);
    const below = await t.http.patch(`/v1/codes/${code}`).set(acct.auth).send({ maxRedemptions: 2 });
    expect([below.status, below.body.error.code, below.body.error.field]).toEqual([409, 'conflict', 'maxRedemptions']);
    const atUse = await t.http.patch(`/v1/codes/${code}`).set(acct.auth).send({ maxRedemptions: 3 });
    expect([atUse.status, atUse.body.status]).toEqual([200, 'exhausted']);
    const bad = await t.http.patch(`/v1/codes/${code}`).set(acct.auth).send({ code: 'RENAME' });
    expect([bad.status, bad.body.error.field]).toEqual([400, 'code']);
    const types = await sql(`select type from events where data->>'code' = ? order by id`, [code]);
    expect(types.map((e) => e.type)).toEqual(['code.created', 'code.updated', 'code.updated', 'code.updated']);
  });

  test('disable and enable: active ⇄ disabled, other moves 409; the effective status follows the coupon', async () => {
    const c = await coupon(acct);
    const code = uniq('TOGGLE');
    await addCode(acct, c.id, { code });
    const post = (action: string) => t.http.post(`/v1/codes/${code}/${action}`).set(acct.auth);
    expect((await post('enable')).status).toBe(409);
    const dis = await post('disable');
    expect([dis.status, dis.body.status]).toEqual([200, 'disabled']);
    expect((await post('disable')).status).toBe(409);
    const en = await post('enable');
    expect([en.status, en.body.status]).toEqual([200, 'active']);
    await t.http.post(`/v1/coupons/${c.id}/disable`).set(acct.auth).expect(200);
    expect((await t.http.get(`/v1/codes/${code}`).set(acct.auth)).body.status).toBe('disabled');
    const draft = await coupon(acct, { status: 'draft', code: uniq('DRAFTY') });
    expect((await t.http.get(`/v1/codes/${draft.code}`).set(acct.auth)).body.status).toBe('draft');
    const expiring = uniq('PAST');
    await addCode(acct, draft.id, { code: expiring, expiresAt: '2026-01-01T00:00:00Z' });
    await t.http.post(`/v1/coupons/${draft.id}/activate`).set(acct.auth).expect(200);
    expect((await t.http.get(`/v1/codes/${expiring}`).set(acct.auth)).body.status).toBe('expired');
    const types = await sql(`select type from events where data->>'code' = ? order by id`, [code]);
    expect(types.map((e) => e.type)).toEqual(['code.created', 'code.disabled', 'code.enabled']);
  });

  test('delete is soft: 204, gone from GET and listings, row kept, text reusable', async () => {
    const c = await coupon(acct);
    const code = uniq('SOFT');
    await addCode(acct, c.id, { code });
    expect((await t.http.delete(`/v1/codes/${code.toLowerCase()}`).set(acct.auth)).status).toBe(204);
    expect((await t.http.get(`/v1/codes/${code}`).set(acct.auth)).status).toBe(404);
    expect((await t.http.delete(`/v1/codes/${code}`).set(acct.auth)).status).toBe(404);
    expect((await t.http.get(`/v1/coupons/${c.id}/codes`).set(acct.auth)).body.data).toEqual([]);
    const rows = await sql(`select deleted_at from codes where code = ?`, [code]);
    expect(rows).toHaveLength(1);
    expect(rows[0].deleted_at).not.toBeNull();
    expect((await addCode(acct, c.id, { code })).status).toBe(201);
    const ev = await sql(`select type from events where type = 'code.deleted' and data->>'code' = ?`, [code]);
    expect(ev).toHaveLength(1);
  });

  test('codes of an archived coupon read archived and are read-only', async () => {
    const c = await coupon(acct);
    const code = uniq('FROZEN');
    await addCode(acct, c.id, { code });
    await t.http.post(`/v1/coupons/${c.id}/archive`).set(acct.auth).expect(200);
    expect((await t.http.get(`/v1/codes/${code}`).set(acct.auth)).body.status).toBe('archived');
    expect((await t.http.patch(`/v1/codes/${code}`).set(acct.auth).send({ maxRedemptions: 1 })).status).toBe(409);
    expect((await t.http.post(`/v1/codes/${code}/disable`).set(acct.auth)).status).toBe(409);
    expect((await t.http.delete(`/v1/codes/${code}`).set(acct.auth)).status).toBe(409);
  });

  test('another account’s code is 404 on every code route', async () => {
    const c = await coupon(acct);
    const code = uniq('PRIVATE');
    await addCode(acct, c.id, { code });
    const other = await t.createAccount();
    for (const call of [
      t.http.get(`/v1/codes/${code}`),
      t.http.patch(`/v1/codes/${code}`).send({ maxRedemptions: 1 }),
      t.http.post(`/v1/codes/${code}/disable`),
      t.http.post(`/v1/codes/${code}/enable`),
      t.http.delete(`/v1/codes/${code}`),
    ]) {
      const res = await call.set(other.auth);
      expect([res.status, res.body.error?.code]).toEqual([404, 'not_found']);
    }
    expect((await t.http.get('/v1/codes/no%20such%20code').set(acct.auth)).status).toBe(404);
  });
});

describe('GET /v1/coupons/{id}/codes', () => {
  test('pages in creation order and by each sort, cursors included', async () => {
    const c = await coupon(acct);
    const codes = ['DELTA', 'ALPHA', 'CHARLIE', 'BRAVO', 'ECHO'].map((s) => `${s}-${++n}`);
    for (const code of codes) await addCode(acct, c.id, { code });
    const used: Record<string, number> = { [codes[0]]: 2, [codes[1]]: 7, [codes[2]]: 2, [codes[3]]: 0, [codes[4]]: 5 };
    for (const [code, times] of Object.entries(used)) await sql(`update codes set times_redeemed = ? where code = ?`, [times, code]);
    const all = async (sort?: string) => {
      const out: string[] = [];
      let cursor: string | null = null;
      do {
        const res: { status: number; body: { data: { code: string }[]; nextCursor: string | null } } = await t.http
          .get(`/v1/coupons/${c.id}/codes`)
          .query({ limit: 2, ...(sort ? { sort } : {}), ...(cursor ? { cursor } : {}) })
          .set(acct.auth);
        expect(res.status).toBe(200);
        out.push(...res.body.data.map((k) => k.code));
        cursor = res.body.nextCursor;
      } while (cursor);
      return out;
    };
    expect(await all()).toEqual(codes);
    expect(await all('code')).toEqual([...codes].sort());
    expect(await all('-code')).toEqual([...codes].sort().reverse());
    expect(await all('-timesRedeemed')).toEqual([codes[1], codes[4], codes[2], codes[0], codes[3]]);
    expect(await all('timesRedeemed')).toEqual([codes[3], codes[0], codes[2], codes[4], codes[1]]);
    const first = await t.http.get(`/v1/coupons/${c.id}/codes?limit=2&sort=code`).set(acct.auth);
    expect(first.body.data[0]).toEqual({ code: codes[1], couponId: c.id, status: 'active', timesRedeemed: 7, maxRedemptions: null, expiresAt: null, customerId: null, metadata: null, attribution: {} });
    const mixed = await t.http.get(`/v1/coupons/${c.id}/codes?limit=2&sort=-timesRedeemed&cursor=${first.body.nextCursor}`).set(acct.auth);
    expect([mixed.status, mixed.body.error.field]).toEqual([400, 'cursor']);
    const badSort = await t.http.get(`/v1/coupons/${c.id}/codes?sort=status`).set(acct.auth);
    expect([badSort.status, badSort.body.error.field]).toEqual([400, 'sort']);
  });
});
