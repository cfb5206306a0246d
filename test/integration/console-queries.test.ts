import { startTestApp, type TestApp } from '../helpers/harness';

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
