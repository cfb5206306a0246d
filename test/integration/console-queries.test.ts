import { sql } from 'kysely';
import { startTestApp, type TestApp } from '../helpers/harness';
import { putPlan, redeemBody } from '../helpers/api';
import { couponListQuery } from '../../src/repositories/coupons';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

const coupon = (name: string) => ({ name, discount: { type: 'none' } });

describe('GET /v1/coupons?q=', () => {
  test('keeps coupons whose name contains the text, case-insensitively, with % and _ taken literally', async () => {
    const a = await t.createAccount();
    const other = await t.createAccount();
    for (const name of ['Spring sale', 'SPRING 50%', 'Autumn', 'spring_b', 'springxb']) {
      await t.http.post('/v1/coupons').set(a.auth).send(coupon(name)).expect(201);
    }
    await t.http.post('/v1/coupons').set(other.auth).send(coupon('Spring elsewhere')).expect(201);
    const names = async (q: string, extra = '') =>
      (await t.http.get(`/v1/coupons?q=${encodeURIComponent(q)}${extra}`).set(a.auth).expect(200)).body.data.map((c: { name: string }) => c.name);
    expect(await names('spring')).toEqual(['Spring sale', 'SPRING 50%', 'spring_b', 'springxb']);
    expect(await names('50%')).toEqual(['SPRING 50%']);
    expect(await names('g_b')).toEqual(['spring_b']);
    expect(await names('  autumn ')).toEqual(['Autumn']);
    expect(await names('winter')).toEqual([]);
    const first = await t.http.get('/v1/coupons?q=spring&limit=2').set(a.auth).expect(200);
    expect(first.body.data.map((c: { name: string }) => c.name)).toEqual(['Spring sale', 'SPRING 50%']);
    expect(await names('spring', `&limit=2&cursor=${first.body.nextCursor}`)).toEqual(['spring_b', 'springxb']);
    const bad = await t.http.get('/v1/coupons?q=').set(a.auth).expect(400);
    expect(bad.body.error.field).toBe('q');
  });
});

describe('GET /v1/coupons?sort=', () => {
  test('name (case-insensitive), creation and times redeemed, both ways, ties by id, paged by cursor, with the filters', async () => {
    const a = await t.createAccount();
    await putPlan(t, a, 'pro-monthly');
    // created in this order; redeemed 2, 0, 3, 1, 0 times
    const made: { id: string; name: string }[] = [];
    for (const [name, code, redemptions] of [['banana', 'BAN-1', 2], ['Apple', 'APP-1', 0], ['cherry', 'CHE-1', 3], ['apricot', 'APR-1', 1], ['Date', 'DAT-1', 0]] as const) {
      const c = await t.http.post('/v1/coupons').set(a.auth).send({ ...coupon(name), discount: { type: 'percentage', basisPoints: 1000 }, duration: { type: 'once' }, code }).expect(201);
      made.push({ id: c.body.id, name });
      for (let i = 0; i < redemptions; i++) {
        await t.http.post('/v1/redemptions').set(a.auth).send(redeemBody(code, { customer: { id: `cus_${code}_${i}` }, subscriptionId: `sub_${code}_${i}` })).expect(201);
      }
    }
    const names = async (query: string) =>
      (await t.http.get(`/v1/coupons?${query}`).set(a.auth).expect(200)).body.data.map((c: { name: string }) => c.name);
    expect(await names('sort=name')).toEqual(['Apple', 'apricot', 'banana', 'cherry', 'Date']);
    expect(await names('sort=-name')).toEqual(['Date', 'cherry', 'banana', 'apricot', 'Apple']);
    expect(await names('sort=createdAt')).toEqual(['banana', 'Apple', 'cherry', 'apricot', 'Date']);
    expect(await names('')).toEqual(['banana', 'Apple', 'cherry', 'apricot', 'Date']);
    expect(await names('sort=-createdAt')).toEqual(['Date', 'apricot', 'cherry', 'Apple', 'banana']);
    // the two coupons never redeemed tie: by id, in the sort's direction
    const [apple, date] = [made[1], made[4]].sort((x, y) => (x.id < y.id ? -1 : 1)).map((c) => c.name);
    expect(await names('sort=timesRedeemed')).toEqual([apple, date, 'apricot', 'banana', 'cherry']);
    expect(await names('sort=-timesRedeemed')).toEqual(['cherry', 'banana', 'apricot', date, apple]);
    expect(await names('sort=-timesRedeemed&q=a')).toEqual(['banana', 'apricot', date, apple]);
    expect(await names('sort=name&q=ap')).toEqual(['Apple', 'apricot']);

    for (const sort of ['name', '-name', 'createdAt', '-createdAt', 'timesRedeemed', '-timesRedeemed']) {
      const whole = await names(`sort=${sort}`);
      const paged: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { body: { data: { name: string }[]; nextCursor: string | null } } = await t.http
          .get(`/v1/coupons?sort=${sort}&limit=2${cursor ? `&cursor=${cursor}` : ''}`)
          .set(a.auth)
          .expect(200);
        paged.push(...page.body.data.map((c) => c.name));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect([sort, paged]).toEqual([sort, whole]);
    }
    const first = await t.http.get('/v1/coupons?sort=name&limit=2').set(a.auth).expect(200);
    // a cursor of one order is refused by another
    expect((await t.http.get(`/v1/coupons?sort=-timesRedeemed&cursor=${first.body.nextCursor}`).set(a.auth).expect(400)).body.error.field).toBe('cursor');
    expect((await t.http.get('/v1/coupons?sort=redemptions').set(a.auth).expect(400)).body.error.field).toBe('sort');
  });

  test('the name and creation orders are read from an index in order, with no sort step', async () => {
    const a = await t.createAccount();
    const now = new Date().toISOString();
    for (const sort of ['name', '-name', 'createdAt', '-createdAt'] as const) {
      const plan = await t.running.ctx.orm.em.fork().transactional(async (em) => {
        const db = em.getKysely();
        await sql`set local enable_seqscan = off`.execute(db);
        const { query } = couponListQuery(db, a.id, { sort, limit: 25 }, now);
        const { rows } = await sql<{ 'QUERY PLAN': string }>`explain ${query}`.execute(db);
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      });
      expect([sort, plan]).toEqual([sort, expect.stringContaining(sort.endsWith('name') ? 'coupons_account_name_idx' : 'coupons_account_idx')]);
      expect([sort, plan]).toEqual([sort, expect.not.stringMatching(/Sort|Seq Scan/)]);
    }
  });
});

describe('GET /v1/events?order=desc', () => {
  test('newest first, of one type, paged with before=nextCursor; the ascending feed refuses the desc parameters', async () => {
    const a = await t.createAccount();
    const other = await t.createAccount();
    const ids: string[] = [];
    for (const name of ['One', 'Two', 'Three']) {
      const c = await t.http.post('/v1/coupons').set(a.auth).send(coupon(name)).expect(201);
      ids.push(c.body.id);
    }
    await t.http.post(`/v1/coupons/${ids[0]}/disable`).set(a.auth).expect(200);
    await t.http.post('/v1/coupons').set(other.auth).send(coupon('Theirs')).expect(201);

    const asc = (await t.http.get('/v1/events?limit=500').set(a.auth).expect(200)).body.data as { id: string; type: string; data: { couponId: string } }[];
    expect(asc.map((e) => e.type)).toEqual(['coupon.created', 'coupon.created', 'coupon.created', 'coupon.disabled']);

    const desc = await t.http.get('/v1/events?order=desc').set(a.auth).expect(200);
    expect(desc.body.data.map((e: { id: string }) => e.id)).toEqual(asc.map((e) => e.id).reverse());
    expect(desc.body.nextCursor).toBeNull();

    const created = await t.http.get('/v1/events?order=desc&type=coupon.created&limit=2').set(a.auth).expect(200);
    expect(created.body.data.map((e: { data: { couponId: string } }) => e.data.couponId)).toEqual([ids[2], ids[1]]);
    expect(created.body.nextCursor).toBe(created.body.data[1].id);
    const rest = await t.http.get(`/v1/events?order=desc&type=coupon.created&limit=2&before=${created.body.nextCursor}`).set(a.auth).expect(200);
    expect(rest.body.data.map((e: { data: { couponId: string } }) => e.data.couponId)).toEqual([ids[0]]);
    expect(rest.body.nextCursor).toBeNull();

    expect((await t.http.get('/v1/events?type=coupon.created').set(a.auth).expect(400)).body.error.field).toBe('type');
    expect((await t.http.get('/v1/events?before=5').set(a.auth).expect(400)).body.error.field).toBe('before');
    expect((await t.http.get('/v1/events?order=desc&after=5').set(a.auth).expect(400)).body.error.field).toBe('after');
  });
});

describe('console and docs', () => {
  test('/docs serves Swagger UI from the package files, not its sample initializer', async () => {
    const page = await t.http.get('/docs').expect(200);
    expect(page.text).toContain('/docs/assets/swagger-ui-bundle.js');
    expect(page.text).not.toMatch(/https?:\/\//);
    const init = await t.http.get('/docs/init.js').expect(200);
    expect(init.text).toContain("url: '/openapi.json'");
    await t.http.get('/docs/assets/swagger-ui-bundle.js').expect(200).expect('content-type', /javascript/);
    await t.http.get('/docs/assets/swagger-initializer.js').expect(404);
    await t.http.get('/docs/assets/index.html').expect(404);
  });
});
