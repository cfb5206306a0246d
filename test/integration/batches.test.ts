import { UnrecoverableError, type Job } from 'bullmq';
import { batchProcessor } from '../../jobs/code-batches';
import { DEFAULT_CHARSET, csvTextCell, generateCodes, planBatch } from '../../src/domain';
import { csvTextSql } from '../../src/repositories/csv-sql';
import { startTestApp, type TestAccount, type TestApp } from '../helpers/harness';
import {
  batchCodes, insertCodes, insertCoupon, insertCustomer, insertLedgerRow, insertRedemption, sql, waitForBatch,
} from '../helpers/batch-fixtures';

let t: TestApp;
let acct: TestAccount;
// expiries years ahead of today, so the coupons and codes here stay unexpired whatever the date
const Y = new Date().getUTCFullYear() + 3;

beforeAll(async () => {
  t = await startTestApp();
  acct = await t.createAccount();
});
afterAll(async () => {
  await t?.close();
});

const csvLines = (text: string) => text.split('\n').filter((l, i, all) => !(i === all.length - 1 && l === ''));
const count = async (table: string, where: string, params: unknown[]) =>
  Number((await sql(t, `select count(*) as n from ${table} where ${where}`, params))[0]!.n);

describe('a 50,000-code batch', () => {
  let couponId: string;
  let batchId: string;

  beforeAll(async () => {
    couponId = await insertCoupon(t, acct.id);
    const res = await t.http.post(`/v1/coupons/${couponId}/batches`).set(acct.auth).send({ count: 50_000 });
    expect(res.status).toBe(202);
    expect(res.body.batch).toMatchObject({ couponId, status: 'queued', count: 50_000, generated: 0, maxRedemptionsPerCode: 1, expiresAt: null });
    batchId = res.body.batch.id;
  }, 60_000);

  test('completes with exactly 50,000 unique well-formed codes', async () => {
    const done = await waitForBatch(t, acct.auth, batchId, 90_000);
    expect(done).toMatchObject({ id: batchId, couponId, status: 'completed', count: 50_000, generated: 50_000, error: null });
    expect(typeof done.completedAt).toBe('string');
    const codes = await batchCodes(t, batchId);
    expect(codes).toHaveLength(50_000);
    expect(new Set(codes).size).toBe(50_000);
    const form = new RegExp(`^[${DEFAULT_CHARSET}]{12}$`);
    expect(codes.filter((c) => !form.test(c))).toEqual([]);
    const rows = await sql(t, `select distinct state, max_redemptions, expires_at, coupon_id, account_id from codes where batch_id = ?`, [batchId]);
    expect(rows).toEqual([{ state: 'active', max_redemptions: 1, expires_at: null, coupon_id: couponId, account_id: acct.id }]);
    const events = await sql(t, `select type, data from events where account_id = ? and type like 'batch.%'`, [acct.id]);
    expect(events).toEqual([{ type: 'batch.completed', data: { batchId, couponId, count: 50_000 } }]);
  }, 120_000);

  test('its CSV holds exactly those codes', async () => {
    const res = await t.http.get(`/v1/batches/${batchId}/codes.csv`).set(acct.auth).buffer(true).parse((r, cb) => {
      let s = '';
      r.setEncoding('utf8');
      r.on('data', (d: string) => (s += d));
      r.on('end', () => cb(null, s));
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    const lines = csvLines(res.body as string);
    expect(lines[0]).toBe('code,max_redemptions,expires_at,status');
    expect(lines).toHaveLength(50_001);
    const codes = await batchCodes(t, batchId);
    expect(lines.slice(1)).toEqual(codes.map((c) => `${c},1,,active`));
  });

  test('running its job again changes nothing', async () => {
    const job = { data: { accountId: acct.id, batchId }, attemptsMade: 0, opts: { attempts: 5 }, updateProgress: async () => undefined } as unknown as Job;
    const result = await batchProcessor(t.running.ctx)(job);
    expect(result).toEqual({ batchId, status: 'completed', count: 50_000, generated: 50_000 });
    expect(await count('codes', 'batch_id = ?', [batchId])).toBe(50_000);
    expect(await count('events', `account_id = ? and type like 'batch.%'`, [acct.id])).toBe(1);
  });

  test('the job reports progress as {generated, count}', async () => {
    const job = await t.running.ctx.queues.batches.getJob(`batch-${batchId}`);
    expect(job?.progress).toEqual({ generated: 50_000, count: 50_000 });
    expect(job?.opts).toMatchObject({ attempts: 5, backoff: { type: 'exponential' } });
  });
});

test('prefix, pattern, per-code limit and expiry reach every code and the CSV', async () => {
  const couponId = await insertCoupon(t, acct.id, { maxRedemptions: 10, expiresAt: `${Y + 1}-01-01T00:00:00Z` });
  const res = await t.http.post(`/v1/coupons/${couponId}/batches`).set(acct.auth)
    .send({ count: 100, prefix: 'vip-', pattern: '##_##', charset: 'abcdef', suffix: '-x', maxRedemptionsPerCode: 3, expiresAt: `${Y}-06-01T00:00:00-04:00` });
  expect(res.status).toBe(202);
  const done = await waitForBatch(t, acct.auth, res.body.batch.id);
  expect(done).toMatchObject({ status: 'completed', generated: 100, maxRedemptionsPerCode: 3, expiresAt: `${Y}-06-01T04:00:00.000Z` });
  const csv = await t.http.get(`/v1/batches/${res.body.batch.id}/codes.csv`).set(acct.auth);
  const lines = csvLines(csv.text);
  expect(lines).toHaveLength(101);
  expect(lines.slice(1).every((l) => new RegExp(`^VIP-[A-F]{2}_[A-F]{2}-X,3,${Y}-06-01T04:00:00\\.000Z,active$`).test(l))).toBe(true);
  expect(new Set(lines).size).toBe(101);
});

test('collisions with the account’s codes are skipped and drawn again, to the exact count', async () => {
  const couponId = await insertCoupon(t, acct.id);
  const plan = planBatch({ count: 1000, prefix: 'ZZ', length: 3 });
  if (!plan.ok) throw plan.error;
  const existing = generateCodes(plan.value);
  await insertCodes(t, acct.id, couponId, existing);
  // 31^3 = 29,791 ≥ 10 × (1,000 + 1,900): allowed, with ~3 % of draws colliding
  const res = await t.http.post(`/v1/coupons/${couponId}/batches`).set(acct.auth).send({ count: 1900, prefix: 'ZZ', length: 3 });
  expect(res.status).toBe(202);
  expect(await waitForBatch(t, acct.auth, res.body.batch.id)).toMatchObject({ status: 'completed', generated: 1900 });
  const codes = await batchCodes(t, res.body.batch.id);
  expect(codes).toHaveLength(1900);
  expect(new Set([...codes, ...existing]).size).toBe(2900);
});

test('the CSV status follows the code and its coupon', async () => {
  const couponId = await insertCoupon(t, acct.id);
  const res = await t.http.post(`/v1/coupons/${couponId}/batches`).set(acct.auth).send({ count: 3, length: 8 });
  await waitForBatch(t, acct.auth, res.body.batch.id);
  const [a, b] = await batchCodes(t, res.body.batch.id);
  await sql(t, `update codes set state = 'disabled' where code = ?`, [a]);
  await sql(t, `update codes set times_redeemed = 1 where code = ?`, [b]);
  const statuses = async () => csvLines((await t.http.get(`/v1/batches/${res.body.batch.id}/codes.csv`).set(acct.auth)).text).slice(1).map((l) => l.split(',')[3]);
  expect(await statuses()).toEqual(['disabled', 'exhausted', 'active']);
  await sql(t, `update coupons set state = 'disabled' where id = ?`, [couponId]);
  expect(await statuses()).toEqual(['disabled', 'disabled', 'disabled']);
});

test('a batch whose coupon was archived before its job ran fails with a batch.failed event', async () => {
  const couponId = await insertCoupon(t, acct.id, { state: 'archived' });
  const plan = planBatch({ count: 10 });
  if (!plan.ok) throw plan.error;
  const [row] = await sql(t, `insert into batches (account_id, coupon_id, count, spec) values (?, ?, 10, ?::jsonb) returning id`, [acct.id, couponId, JSON.stringify(plan.value)]);
  const batchId = row!.id as string;
  const job = { data: { accountId: acct.id, batchId }, attemptsMade: 0, opts: { attempts: 5 }, updateProgress: async () => undefined } as unknown as Job;
  await expect(batchProcessor(t.running.ctx)(job)).rejects.toBeInstanceOf(UnrecoverableError);
  expect(await waitForBatch(t, acct.auth, batchId)).toMatchObject({ status: 'failed', generated: 0, error: 'the coupon was archived before its batch was generated', completedAt: null });
  const events = await sql(t, `select data from events where account_id = ? and type = 'batch.failed'`, [acct.id]);
  expect(events).toEqual([{ data: { batchId, couponId, error: 'the coupon was archived before its batch was generated' } }]);
});

describe('refusals up front', () => {
  let couponId: string;
  beforeAll(async () => {
    couponId = await insertCoupon(t, acct.id, { maxRedemptions: 5, expiresAt: `${Y}-01-01T00:00:00Z` });
  });
  const post = (body: unknown, id = couponId, auth = acct.auth) => t.http.post(`/v1/coupons/${id}/batches`).set(auth).send(body as object);

  test.each([
    [{ count: 1_000_001 }, 'count'],
    [{ count: 0 }, 'count'],
    [{ count: 1.5 }, 'count'],
    [{}, 'count'],
    [{ count: 10, length: 8, pattern: '####' }, 'pattern'],
    [{ count: 10, pattern: 'NOHASH' }, 'pattern'],
    [{ count: 10, pattern: 'AB #' }, 'pattern'],
    [{ count: 10, charset: 'A' }, 'charset'],
    [{ count: 10, charset: 'AAB' }, 'charset'],
    [{ count: 10, prefix: 'no spaces' }, 'prefix'],
    [{ count: 10, length: 65 }, 'length'],
    [{ count: 10, colour: 'red' }, 'colour'],
    [{ count: 10, expiresAt: `${Y + 1}-01-01T00:00:00Z` }, 'expiresAt'],
    [{ count: 10, maxRedemptionsPerCode: 6 }, 'maxRedemptionsPerCode'],
  ])('%j → 400 naming %s', async (body, field) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'validation_failed', field });
  });

  test('a random space under 10 × the codes → 422 keyspace_too_small', async () => {
    const res = await post({ count: 3000, length: 3 });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('keyspace_too_small');
    expect(res.body.error.message).toMatch(/29791/);
    // 2,979 codes fit in 31^3 = 29,791
    expect((await post({ count: 2979, length: 3, prefix: 'FIT' }, await insertCoupon(t, acct.id))).status).toBe(202);
  });

  test('existing codes of the same prefix, suffix and length count against the space', async () => {
    // 6^2 = 36 → at most 3 codes of shape KS##Z
    await insertCodes(t, acct.id, couponId, ['KSAAZ', 'KSABZ', 'KSAB', 'XSAAZ']);
    const body = { count: 2, prefix: 'KS', suffix: 'Z', length: 2, charset: 'ABCDEF' };
    const res = await post(body);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('keyspace_too_small');
    const other = await insertCoupon(t, acct.id);
    expect((await post({ ...body, count: 1 }, other)).status).toBe(202);
    // …and so does that batch's code, queued, running or written
    expect((await post({ ...body, count: 1 }, other)).status).toBe(422);
  });

  test('an archived coupon → 409, an unknown one → 404, another account’s → 404', async () => {
    const archived = await insertCoupon(t, acct.id, { state: 'archived' });
    const res = await post({ count: 10 }, archived);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('conflict');
    expect((await post({ count: 10 }, '00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await post({ count: 10 }, 'not-a-uuid')).status).toBe(404);
    const other = await t.createAccount();
    expect((await post({ count: 10 }, couponId, other.auth)).body.error.code).toBe('not_found');
  });

  test('nothing was written by a refusal', async () => {
    expect(await count('batches', 'coupon_id = ?', [couponId])).toBe(0);
  });
});

describe('reading batches', () => {
  let couponId: string;
  let ids: string[];
  beforeAll(async () => {
    couponId = await insertCoupon(t, acct.id);
    ids = [];
    for (let i = 0; i < 3; i += 1) ids.push((await t.http.post(`/v1/coupons/${couponId}/batches`).set(acct.auth).send({ count: 5 })).body.batch.id);
    for (const id of ids) await waitForBatch(t, acct.auth, id);
  });

  test('lists a coupon’s batches oldest first, a page at a time', async () => {
    const first = await t.http.get(`/v1/batches?couponId=${couponId}&limit=2`).set(acct.auth);
    expect(first.status).toBe(200);
    expect(first.body.data.map((b: { id: string }) => b.id)).toEqual(ids.slice(0, 2));
    expect(first.body.data[0]).toMatchObject({ couponId, status: 'completed', count: 5, generated: 5 });
    const second = await t.http.get(`/v1/batches?couponId=${couponId}&limit=2&cursor=${first.body.nextCursor}`).set(acct.auth);
    expect(second.body).toEqual({ data: [expect.objectContaining({ id: ids[2] })], nextCursor: null });
    expect((await t.http.get('/v1/batches?cursor=nope').set(acct.auth)).body.error).toMatchObject({ code: 'validation_failed', field: 'cursor' });
    expect((await t.http.get('/v1/batches?limit=501').set(acct.auth)).status).toBe(400);
  });

  test('the routes are in the OpenAPI document', async () => {
    const doc = (await t.http.get('/openapi.json')).body;
    expect(Object.keys(doc.paths['/v1/coupons/{id}/batches'])).toEqual(['post']);
    expect(doc.paths['/v1/batches/{id}/codes.csv'].get.responses['200'].content).toHaveProperty(['text/csv']);
    expect(doc.paths['/v1/coupons/{id}/redemptions.csv'].get.responses['200'].content).toHaveProperty(['text/csv']);
    expect(doc.paths['/v1/batches'].get.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['couponId', 'cursor', 'limit']);
  });

  test('another account sees none of them', async () => {
    const other = await t.createAccount();
    expect((await t.http.get(`/v1/batches/${ids[0]}`).set(other.auth)).status).toBe(404);
    expect((await t.http.get(`/v1/batches/${ids[0]}/codes.csv`).set(other.auth)).status).toBe(404);
    expect((await t.http.get(`/v1/coupons/${couponId}/redemptions.csv`).set(other.auth)).status).toBe(404);
    expect((await t.http.get(`/v1/batches?couponId=${couponId}`).set(other.auth)).body).toEqual({ data: [], nextCursor: null });
    expect((await t.http.get('/v1/batches/nope').set(acct.auth)).status).toBe(404);
  });
});

test('redemptions.csv: one row per redemption and ledger currency, times in the account’s zone', async () => {
  const ny = await t.createAccount({ timeZone: 'America/New_York' });
  const couponId = await insertCoupon(t, ny.id);
  await insertCodes(t, ny.id, couponId, ['SPRING1']);
  await insertCustomer(t, ny.id, 'c1', 'a@example.com');
  const r1 = await insertRedemption(t, ny.id, { couponId, code: 'SPRING1', customerId: 'c1', createdAt: '2026-03-08T06:30:00Z' });
  await insertRedemption(t, ny.id, { couponId, code: 'SPRING1', customerId: 'cus,2', status: 'voided', createdAt: '2026-07-01T12:00:00Z' });
  await insertLedgerRow(t, ny.id, { redemptionId: r1, couponId, invoiceId: 'in1', currency: 'USD', amount: 500, invoiceTotal: 1500 });
  await insertLedgerRow(t, ny.id, { redemptionId: r1, couponId, invoiceId: 'in2', currency: 'USD', amount: 500, invoiceTotal: 1500 });
  await insertLedgerRow(t, ny.id, { redemptionId: r1, couponId, invoiceId: 'in3', currency: 'EUR', amount: 300, invoiceTotal: 700 });
  const res = await t.http.get(`/v1/coupons/${couponId}/redemptions.csv`).set(ny.auth);
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
  expect(res.text).toBe(
    'customer_id,email,code,redeemed_at,status,invoices,discount,revenue,currency\n' +
      'c1,a@example.com,SPRING1,2026-03-08T01:30:00.000-05:00,active,1,300,700,EUR\n' +
      'c1,a@example.com,SPRING1,2026-03-08T01:30:00.000-05:00,active,2,1000,3000,USD\n' +
      '"cus,2",,SPRING1,2026-07-01T08:00:00.000-04:00,voided,0,0,0,\n',
  );
  const empty = await t.http.get(`/v1/coupons/${await insertCoupon(t, ny.id)}/redemptions.csv`).set(ny.auth);
  expect(empty.text).toBe('customer_id,email,code,redeemed_at,status,invoices,discount,revenue,currency\n');
  expect((await t.http.get('/v1/coupons/00000000-0000-4000-8000-000000000000/redemptions.csv').set(ny.auth)).status).toBe(404);
});

describe('CSV exports: a text cell starting with a formula character is written with a leading quote', () => {
  test('redemptions.csv: customer id, email and code guarded, numbers (a negative amount) left as they are', async () => {
    const a = await t.createAccount();
    const couponId = await insertCoupon(t, a.id);
    await insertCodes(t, a.id, couponId, ['-DASH', 'PLAIN']);
    const evil = "=cmd|' /C calc'!A0";
    await insertCustomer(t, a.id, evil, '+1@example.com');
    const r1 = await insertRedemption(t, a.id, { couponId, code: '-DASH', customerId: evil, createdAt: '2026-03-08T06:30:00Z' });
    await insertRedemption(t, a.id, { couponId, code: 'PLAIN', customerId: '@SUM(1,2)', createdAt: '2026-03-09T06:30:00Z' });
    await insertRedemption(t, a.id, { couponId, code: 'PLAIN', customerId: '\r=1+1', createdAt: '2026-03-10T06:30:00Z' });
    await insertLedgerRow(t, a.id, { redemptionId: r1, couponId, invoiceId: 'in1', currency: 'USD', amount: -500, invoiceTotal: 1500 });
    const res = await t.http.get(`/v1/coupons/${couponId}/redemptions.csv`).set(a.auth);
    expect(res.status).toBe(200);
    expect(res.text).toBe(
      'customer_id,email,code,redeemed_at,status,invoices,discount,revenue,currency\n' +
        "'=cmd|' /C calc'!A0,'+1@example.com,'-DASH,2026-03-08T06:30:00.000+00:00,active,1,-500,1500,USD\n" +
        `"'@SUM(1,2)",,PLAIN,2026-03-09T06:30:00.000+00:00,active,0,0,0,\n` +
        `"'\r=1+1",,PLAIN,2026-03-10T06:30:00.000+00:00,active,0,0,0,\n`,
    );
  });

  test("codes.csv of a batch: a code starting with '-' is guarded", async () => {
    const couponId = await insertCoupon(t, acct.id);
    const res = await t.http.post(`/v1/coupons/${couponId}/batches`).set(acct.auth).send({ count: 3, prefix: '-', length: 4 });
    expect(res.status).toBe(202);
    await waitForBatch(t, acct.auth, res.body.batch.id);
    const codes = await batchCodes(t, res.body.batch.id);
    expect(codes.map((c) => /^-[A-Z0-9]{4}$/.test(c))).toEqual([true, true, true]);
    const csv = await t.http.get(`/v1/batches/${res.body.batch.id}/codes.csv`).set(acct.auth);
    expect(csvLines(csv.text)).toEqual(['code,max_redemptions,expires_at,status', ...codes.map((c) => `'${c},1,,active`)]);
  });

  test('csvTextSql, run by PostgreSQL, agrees with the domain’s csvTextCell', async () => {
    const cases: [string | null, string | null][] = [
      ['=1+1', "'=1+1"], ['+1', "'+1"], ['-1', "'-1"], ['@a', "'@a"], ['\tx', "'\tx"], ['\rx', "'\rx"],
      ['a=1', 'a=1'], [' =1', ' =1'], ["'=1", "'=1"], ['\n=1', '\n=1'], ['\\=1', '\\=1'], ['', ''], ['é=', 'é='], [null, null],
    ];
    for (const [input, expected] of cases) {
      const rows = await sql(t, `select ${csvTextSql('?::text')} as v`, [input]);
      expect([input, rows[0]!.v]).toEqual([input, expected]);
      if (input !== null) expect([input, csvTextCell(input)]).toEqual([input, expected]);
    }
  });
});
