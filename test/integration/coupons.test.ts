import { DateTime } from 'luxon';
import { startTestApp, type TestAccount, type TestApp } from '../helpers/harness';
import { createCouponBody, fakeRedemption as fake } from '../helpers/coupons';
import { TestClock } from '../helpers/clock';

// Requests decide at the clock's instant, one millisecond later at each read (creation order).
const clock = new TestClock('2026-11-25T12:00:00.000Z', 1);

let t: TestApp;
let acct: TestAccount;
let n = 0;

beforeAll(async () => {
  t = await startTestApp({}, { clock });
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

describe('POST /v1/coupons', () => {
  test('answers the full coupon: expiresOn resolved in the account zone, first code, version 1', async () => {
    const body = {
      name: 'Launch week early bird',
      description: 'internal note',
      discount: { type: 'percentage', basisPoints: 3000 },
      duration: { type: 'repeating', cycles: 3 },
      appliesTo: { plans: 'all', lineKinds: ['recurring'] },
      eligibility: { customers: 'new', emailDomains: ['example.com'] },
      limits: { maxRedemptions: 100, perCustomer: 1 },
      validFrom: '2026-12-01T00:00:00-05:00',
      expiresOn: '2026-12-07',
      overflow: 'cap',
      stackable: false,
      status: 'active',
      code: 'earlybird',
    };
    const res = await t.http.post('/v1/coupons').set(acct.auth).send(body);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      ...body,
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      code: 'EARLYBIRD',
      validFrom: '2026-12-01T05:00:00.000Z',
      expiresAt: '2026-12-08T05:00:00.000Z',
      expiresAfterDays: null,
      status: 'scheduled',
      timeZone: 'America/New_York',
      timesRedeemed: 0,
      metadata: null,
      attribution: {},
      grantsAccess: false,
      createdAt: expect.stringMatching(/Z$/),
      updatedAt: res.body.createdAt,
      version: 1,
    });
    const got = await t.http.get(`/v1/coupons/${res.body.id}`).set(acct.auth);
    expect(got.body).toEqual(res.body);
    const code = await t.http.get('/v1/codes/EarlyBird').set(acct.auth);
    expect(code.body).toEqual({ code: 'EARLYBIRD', couponId: res.body.id, status: 'scheduled', timesRedeemed: 0, maxRedemptions: null, expiresAt: null, customerId: null, metadata: null, attribution: {} });
  });

  test('defaults: once, all plans, any customer, no limits, the account’s overflow, active, no code', async () => {
    const a = await t.createAccount({ overflow: 'credit' });
    const c = await create(a, { name: 'Plain', discount: { type: 'fixed_amount', amounts: { USD: 500, JPY: 100 } } });
    expect(c).toMatchObject({
      duration: { type: 'once' },
      appliesTo: { plans: 'all' },
      eligibility: { customers: 'any' },
      limits: { maxRedemptions: null, perCustomer: null },
      validFrom: null,
      expiresAt: null,
      expiresOn: null,
      overflow: 'credit',
      stackable: false,
      status: 'active',
      code: null,
      timeZone: 'UTC',
      description: null,
    });
  });

  test('every discount and duration form is accepted', async () => {
    const discounts = [{ type: 'free_trial', days: 14 }, { type: 'free_shipping' }, { type: 'none' }];
    const durations = [{ type: 'forever' }, { type: 'months', months: 1 }, { type: 'until', date: '2027-09-30' }];
    for (let i = 0; i < 3; i++) {
      const c = await create(acct, { name: name(), discount: discounts[i], duration: durations[i] });
      expect([c.discount, c.duration]).toEqual([discounts[i], durations[i]]);
    }
  });

  test('bad input is 400 validation_failed naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base(), discount: { type: 'percentage', basisPoints: 0 } }, 'discount.basisPoints'],
      [{ ...base(), discount: { type: 'percentage', basisPoints: 10001 } }, 'discount.basisPoints'],
      [{ ...base(), discount: { type: 'half_off' } }, 'discount.type'],
      [{ ...base(), discount: { type: 'fixed_amount', amounts: { XYZ: 100 } } }, 'discount.amounts.XYZ'],
      [{ ...base(), discount: { type: 'fixed_amount', amounts: {} } }, 'discount.amounts'],
      [{ ...base(), discount: { type: 'percentage', basisPoints: 100, extra: 1 } }, 'discount.extra'],
      [{ ...base(), duration: { type: 'repeating', cycles: 0 } }, 'duration.cycles'],
      [{ ...base(), duration: { type: 'until', date: '2027-02-30' } }, 'duration.date'],
      [{ ...base(), expiresAt: '2027-01-01T00:00:00Z', expiresOn: '2027-01-01' }, 'expiresOn'],
      [{ ...base(), expiresOn: '2027-01-01', expiresAfterDays: 3 }, 'expiresAfterDays'],
      [{ ...base(), expiresAt: '2027-01-01' }, 'expiresAt'],
      [{ ...base(), validFrom: '2027-02-01T00:00:00Z', expiresOn: '2027-01-01' }, 'expiresOn'],
      [{ ...base(), colour: 'red' }, 'colour'],
      [{ discount: { type: 'none' } }, 'name'],
      [{ ...base(), code: 'a b' }, 'code'],
      [{ ...base(), code: 'ab' }, 'code'],
      [{ ...base(), status: 'archived' }, 'status'],
      [{ ...base(), limits: { maxRedemptions: 0 } }, 'limits.maxRedemptions'],
      [{ ...base(), appliesTo: { lineKinds: ['tax'] } }, 'appliesTo.lineKinds[0]'],
      [{ ...base(), appliesTo: { plans: { include: { planIds: ['a'] }, other: 1 } } }, 'appliesTo.plans'],
      [{ ...base(), eligibility: { emailDomains: ['not a domain'] } }, 'eligibility.emailDomains[0]'],
      [{ ...base(), eligibility: { regions: [{ country: 'usa' }] } }, 'eligibility.regions[0].country'],
      [{ ...base(), overflow: 'negative' }, 'overflow'],
    ];
    for (const [body, field] of cases) {
      const res = await t.http.post('/v1/coupons').set(acct.auth).send(body);
      expect({ field, status: res.status, code: res.body.error?.code, got: res.body.error?.field }).toEqual({ field, status: 400, code: 'validation_failed', got: field });
    }
  });

  test('a live duplicate name is 409; an archived coupon’s name can be reused', async () => {
    const c = await create(acct, { ...base(), name: 'Summer Sale' });
    const dup = await t.http.post('/v1/coupons').set(acct.auth).send({ ...base(), name: 'summer sale' });
    expect(dup.status).toBe(409);
    expect(dup.body.error).toMatchObject({ code: 'conflict', field: 'name' });
    await t.http.post(`/v1/coupons/${c.id}/archive`).set(acct.auth).expect(200);
    await t.http.post('/v1/coupons').set(acct.auth).send({ ...base(), name: 'Summer Sale' }).expect(201);
  });

  test('a duplicate first code is 409 and the coupon is not created either', async () => {
    await create(acct, { ...base(), code: 'TAKEN1' });
    const nm = name('rolled back');
    const res = await t.http.post('/v1/coupons').set(acct.auth).send({ ...base(), name: nm, code: 'taken1' });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'conflict', field: 'code' });
    expect(await sql('select 1 from coupons where name = ?', [nm])).toHaveLength(0);
  });
});

describe('derived status and time zones', () => {
  test('a coupon whose expiresAt passes reads expired, with no job', async () => {
    const at = clock.plus(1500);
    const c = await create(acct, { ...base(), expiresAt: at });
    expect(c.status).toBe('active');
    clock.set(new Date(Date.parse(at) - 1).toISOString());
    expect((await t.http.get(`/v1/coupons/${c.id}`).set(acct.auth)).body.status).toBe('active');
    const got = await t.http.get(`/v1/coupons/${c.id}`).set(acct.auth);
    expect(got.body.status).toBe('expired');
    expect((await sql('select state from coupons where id = ?', [c.id]))[0].state).toBe('active');
  });

  test('scheduled before validFrom, exhausted at the limit; stored states win over both', async () => {
    const sched = await create(acct, { ...base(), validFrom: clock.plus(86_400_000) });
    expect(sched.status).toBe('scheduled');
    const ex = await create(acct, { ...base(), limits: { maxRedemptions: 2 }, code: 'EXH-1' });
    await fakeRedemption(ex.id, 'EXH-1', 'c1');
    await fakeRedemption(ex.id, 'EXH-1', 'c2');
    expect((await t.http.get(`/v1/coupons/${ex.id}`).set(acct.auth)).body.status).toBe('exhausted');
    expect((await t.http.get('/v1/codes/exh-1').set(acct.auth)).body.status).toBe('exhausted');
    const dis = await t.http.post(`/v1/coupons/${ex.id}/disable`).set(acct.auth);
    expect(dis.body.status).toBe('disabled');
    const draft = await create(acct, { ...base(), status: 'draft', expiresAt: '2020-01-01T00:00:00Z' });
    expect(draft.status).toBe('draft');
  });

  test('expiresAfterDays keeps the wall time in the account zone across DST', async () => {
    const c = await create(acct, { ...base(), expiresAfterDays: 150 });
    const expected = DateTime.fromISO(c.createdAt).setZone('America/New_York').plus({ days: 150 }).toUTC().toISO();
    expect(c.expiresAt).toBe(expected);
    expect(c.expiresAfterDays).toBe(150);
  });

  test('a zone change of the account moves no existing coupon; new coupons take the new zone', async () => {
    const a = await t.createAccount({ timeZone: 'America/New_York' });
    const old = await create(a, { ...base(), expiresOn: '2027-03-10' });
    expect(old.expiresAt).toBe('2027-03-11T05:00:00.000Z');
    await t.http.patch('/v1/account').set(a.auth).send({ timeZone: 'Asia/Tokyo' }).expect(200);
    const again = await t.http.get(`/v1/coupons/${old.id}`).set(a.auth);
    expect([again.body.timeZone, again.body.expiresAt]).toEqual(['America/New_York', '2027-03-11T05:00:00.000Z']);
    // a later edit of the date still resolves in the coupon's own zone
    const edited = await t.http.patch(`/v1/coupons/${old.id}`).set(a.auth).send({ expiresOn: '2027-03-20' });
    expect(edited.body.expiresAt).toBe('2027-03-21T04:00:00.000Z');
    const fresh = await create(a, { ...base(), expiresOn: '2027-03-10' });
    expect([fresh.timeZone, fresh.expiresAt]).toEqual(['Asia/Tokyo', '2027-03-10T15:00:00.000Z']);
    const clone = await t.http.post(`/v1/coupons/${old.id}/clone`).set(a.auth);
    expect([clone.body.timeZone, clone.body.expiresAt]).toEqual(['America/New_York', '2027-03-21T04:00:00.000Z']);
  });
});

describe('GET /v1/coupons', () => {
  test('pages in creation order with an opaque cursor', async () => {
    const a = await t.createAccount();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await create(a, base())).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { status: number; body: { data: { id: string }[]; nextCursor: string | null } } = await t.http
        .get('/v1/coupons')
        .query({ limit: 2, ...(cursor ? { cursor } : {}) })
        .set(a.auth);
      expect(res.status).toBe(200);
      seen.push(...res.body.data.map((c) => c.id));
      cursor = res.body.nextCursor;
      pages += 1;
    } while (cursor);
    expect(seen).toEqual(ids);
    expect(pages).toBe(3);
  });

  test('filters on the derived status', async () => {
    const a = await t.createAccount();
    const active = await create(a, base());
    const draft = await create(a, { ...base(), status: 'draft' });
    const expired = await create(a, { ...base(), expiresAt: '2026-01-01T00:00:00Z' });
    const scheduled = await create(a, { ...base(), validFrom: '2030-01-01T00:00:00Z' });
    const archived = await create(a, base());
    await t.http.post(`/v1/coupons/${archived.id}/archive`).set(a.auth).expect(200);
    const ids = async (status: string) => (await t.http.get(`/v1/coupons?status=${status}`).set(a.auth)).body.data.map((c: { id: string }) => c.id);
    expect(await ids('active')).toEqual([active.id]);
    expect(await ids('draft')).toEqual([draft.id]);
    expect(await ids('expired')).toEqual([expired.id]);
    expect(await ids('scheduled')).toEqual([scheduled.id]);
    expect(await ids('archived')).toEqual([archived.id]);
    expect(await ids('exhausted')).toEqual([]);
    expect((await t.http.get('/v1/coupons').set(a.auth)).body.data).toHaveLength(5);
  });

  test('bad list parameters are 400 naming them', async () => {
    for (const [q, field] of [['limit=501', 'limit'], ['limit=0', 'limit'], ['status=gone', 'status'], ['cursor=nope', 'cursor'], ['foo=1', 'foo']]) {
      const res = await t.http.get(`/v1/coupons?${q}`).set(acct.auth);
      expect([res.status, res.body.error.field]).toEqual([400, field]);
    }
  });
});

describe('/openapi.json', () => {
  test('documents every coupon, code, import and event route', async () => {
    const doc = (await t.http.get('/openapi.json')).body;
    const want: [string, string][] = [
      ['/v1/coupons', 'post'], ['/v1/coupons', 'get'], ['/v1/coupons/{id}', 'get'], ['/v1/coupons/{id}', 'patch'],
      ['/v1/coupons/{id}', 'delete'], ['/v1/coupons/{id}/activate', 'post'], ['/v1/coupons/{id}/disable', 'post'],
      ['/v1/coupons/{id}/enable', 'post'], ['/v1/coupons/{id}/archive', 'post'], ['/v1/coupons/{id}/clone', 'post'],
      ['/v1/coupons/{id}/versions', 'get'], ['/v1/coupons/{id}/codes', 'get'], ['/v1/coupons/{id}/codes', 'post'],
      ['/v1/coupons/{id}/codes/import', 'post'], ['/v1/codes/{code}', 'get'], ['/v1/codes/{code}', 'patch'],
      ['/v1/codes/{code}', 'delete'], ['/v1/codes/{code}/disable', 'post'], ['/v1/codes/{code}/enable', 'post'], ['/v1/events', 'get'],
    ];
    for (const [path, method] of want) {
      const op = doc.paths[path]?.[method];
      expect({ path, method, documented: Boolean(op), hasError: Boolean(op?.responses?.['400']) }).toEqual({ path, method, documented: true, hasError: true });
    }
    expect(doc.paths['/v1/coupons'].post.requestBody.content['application/json']).toBeDefined();
    expect(doc.paths['/v1/coupons/{id}/codes/import'].post.requestBody.content['text/csv']).toBeDefined();
    expect(doc.paths['/v1/coupons/{id}'].patch.responses['409']).toBeDefined();
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Coupon', 'CouponCreate', 'CouponPatch', 'Code', 'CodeCreate', 'Discount', 'Duration']));
  });
});
