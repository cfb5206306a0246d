import { Client } from 'pg';
import { startTestApp, type TestAccount, type TestApp } from '../helpers/harness';
import { eventually } from '../helpers/webhook-receiver';
import { IMPORT_CHUNK } from '../../src/repositories/code-import';

let t: TestApp;
let acct: TestAccount;
let n = 0;
// expiries a year or more ahead of today, so the codes here stay unexpired and their jobs delayed whatever the date
const Y = new Date().getUTCFullYear() + 2;

beforeAll(async () => {
  t = await startTestApp();
  acct = await t.createAccount();
});
afterAll(async () => {
  await t?.close();
});

const sql = (q: string, p: unknown[] = []) => t.running.ctx.orm.em.fork().execute(q, p);

async function coupon(extra: Record<string, unknown> = {}, a: TestAccount = acct): Promise<Record<string, any>> {
  const res = await t.http.post('/v1/coupons').set(a.auth).send({ name: `import ${++n}`, discount: { type: 'none' }, ...extra });
  if (res.status !== 201) throw new Error(`coupon: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}
const upload = (couponId: string, csv: string, a: TestAccount = acct) =>
  t.http.post(`/v1/coupons/${couponId}/codes/import`).set(a.auth).set('Content-Type', 'text/csv').send(csv);
const countCodes = async (couponId: string) => Number((await sql(`select count(*)::int as n from codes where coupon_id = ?`, [couponId]))[0].n);

describe('POST /v1/coupons/{id}/codes/import', () => {
  test('imports every row: quotes, CRLF, a BOM, blank lines, optional columns in any order', async () => {
    const c = await coupon({ limits: { maxRedemptions: 10 }, expiresAt: `${Y}-01-01T00:00:00Z` });
    const csv = '\uFEFFexpires_at,CODE,max_redemptions\r\n' + `${Y - 1}-12-31T19:00:00-05:00,imp-one,3\r\n` + '\r\n' + ',"IMP-TWO",\r\n' + '"",  imp-three  ,"10"\n';
    const res = await upload(c.id, csv);
    expect([res.status, res.body]).toEqual([201, { imported: 3 }]);
    const codes = (await t.http.get(`/v1/coupons/${c.id}/codes`).set(acct.auth)).body.data;
    expect(codes.map((k: any) => [k.code, k.maxRedemptions, k.expiresAt, k.status])).toEqual([
      ['IMP-ONE', 3, `${Y}-01-01T00:00:00.000Z`, 'active'],
      ['IMP-TWO', null, null, 'active'],
      ['IMP-THREE', 10, null, 'active'],
    ]);
    const ev = await sql(`select data from events where type = 'code.created' and data->>'couponId' = ? order by id`, [c.id]);
    expect(ev.map((e) => e.data.code)).toEqual(['IMP-ONE', 'IMP-TWO', 'IMP-THREE']);
  });

  test('every bad row is named by its file line (header = 1) and nothing is written', async () => {
    const c = await coupon({ limits: { maxRedemptions: 5 }, expiresAt: '2027-01-01T00:00:00Z' });
    await t.http.post(`/v1/coupons/${c.id}/codes`).set(acct.auth).send({ code: 'ALREADY-HERE' }).expect(201);
    const lines = [
      'code,max_redemptions,expires_at', // 1
      'GOOD-1,,', // 2
      'no good,,', // 3 form
      'GOOD-2,6,', // 4 looser limit
      'GOOD-3,,2027-02-01T00:00:00Z', // 5 looser expiry
      'good-1,,', // 6 repeats line 2
      'already-here,,', // 7 exists
      'GOOD-4,zero,', // 8 bad number
      'GOOD-5,,next week', // 9 bad instant
      'GOOD-6,1', // 10 field count
      '"GOOD-7,1,', // 11 unterminated quote
      'GOOD-8,5,2026-12-31T00:00:00Z', // 12 fine
    ];
    const res = await upload(c.id, lines.join('\n') + '\n');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.message).toMatch(/nothing was imported/);
    expect(res.body.error.rows.map((r: { line: number }) => r.line)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const msg = (line: number) => res.body.error.rows.find((r: { line: number }) => r.line === line).message;
    expect(msg(4)).toMatch(/^max_redemptions: /);
    expect(msg(5)).toMatch(/^expires_at: /);
    expect(msg(6)).toBe('code GOOD-1 repeats line 2');
    expect(msg(7)).toBe('code ALREADY-HERE already exists in this account');
    expect(msg(10)).toBe('expected 3 fields, found 2');
    expect(msg(11)).toBe('unterminated quoted field');
    expect(await countCodes(c.id)).toBe(1);
  });

  test('an unknown or missing column refuses the file at line 1', async () => {
    const c = await coupon();
    const unknown = await upload(c.id, 'code,discount\nA-CODE,5\n');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.rows).toEqual([{ line: 1, message: 'unknown column "discount" (allowed: code, max_redemptions, expires_at, channel, partner, referrer_customer_id)' }]);
    const missing = await upload(c.id, 'max_redemptions\n5\n');
    expect(missing.body.error.rows).toEqual([{ line: 1, message: 'the header must name a "code" column' }]);
    const empty = await upload(c.id, '');
    expect([empty.status, empty.body.error.rows[0].line]).toEqual([400, 1]);
    const headerOnly = await upload(c.id, 'code\n');
    expect([headerOnly.status, headerOnly.body.error.field]).toEqual([400, 'body']);
  });

  test('10,000 rows with one bad row import nothing and name that line', async () => {
    const c = await coupon();
    const rows = Array.from({ length: 10_000 }, (_, i) => `BULK-BAD-${i}`);
    rows[6_999] = 'BULK BAD SPACE';
    const res = await upload(c.id, ['code', ...rows].join('\n'));
    expect(res.status).toBe(400);
    expect(res.body.error.rows).toEqual([{ line: 7_001, message: 'code "BULK BAD SPACE": must be 3 to 64 characters of A-Z, 0-9, _ or - (no spaces)' }]);
    expect(await countCodes(c.id)).toBe(0);
  });

  test('a valid 10,000-row file imports all of them in one request', async () => {
    const c = await coupon({ limits: { maxRedemptions: 100 } });
    const rows = Array.from({ length: 10_000 }, (_, i) => `bulk-ok-${i},${(i % 100) + 1},`);
    const started = Date.now();
    const res = await upload(c.id, ['code,max_redemptions,expires_at', ...rows].join('\n') + '\n');
    expect([res.status, res.body]).toEqual([201, { imported: 10_000 }]);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(await countCodes(c.id)).toBe(10_000);
    const sample = await t.http.get('/v1/codes/BULK-OK-4321').set(acct.auth);
    expect(sample.body).toMatchObject({ code: 'BULK-OK-4321', maxRedemptions: 22, couponId: c.id });
    const ev = await sql(`select count(*)::int as n from events where type = 'code.created' and data->>'couponId' = ?`, [c.id]);
    expect(ev[0].n).toBe(10_000);
  });

  test('while an import of several chunks is under way, another account’s events reach the feed', async () => {
    const c = await coupon();
    const rows = Array.from({ length: IMPORT_CHUNK + 1 }, (_, i) => `SLOW-${i}`);
    // another transaction holds the last code uncommitted, so the import's second chunk waits on
    // the unique index until it ends (the first chunk is written by then)
    const blocker = new Client({ connectionString: t.env.databaseUrl });
    await blocker.connect();
    try {
      await blocker.query('begin');
      await blocker.query('insert into codes (account_id, coupon_id, code) values ($1, $2, $3)', [acct.id, c.id, rows[IMPORT_CHUNK]]);
      const blockerPid = (await blocker.query('select pg_backend_pid() as pid')).rows[0].pid;
      const importing = upload(c.id, ['code', ...rows].join('\n')).then((res) => res);
      const waiting = await eventually(
        () => sql(`select count(*)::int as n from pg_locks l where not l.granted and l.locktype = 'transactionid'
                     and exists (select 1 from pg_locks h where h.granted and h.locktype = 'transactionid' and h.transactionid = l.transactionid and h.pid = ?)`, [blockerPid]),
        (r) => r[0].n === 1,
      );
      expect(waiting[0].n).toBe(1);
      const other = await t.createAccount();
      const made = await coupon({}, other);
      const feed = await t.http.get('/v1/events').set(other.auth);
      expect(feed.status).toBe(200);
      expect(feed.body.data.map((e: any) => [e.type, e.data])).toEqual([['coupon.created', { couponId: made.id }]]);
      await blocker.query('rollback');
      const res = await importing;
      expect([res.status, res.body]).toEqual([201, { imported: IMPORT_CHUNK + 1 }]);
      const ev = await sql(`select data->>'code' as code from events where type = 'code.created' and data->>'couponId' = ? order by id`, [c.id]);
      expect(ev.map((e) => e.code)).toEqual(rows);
    } finally {
      await blocker.end();
    }
  });

  test('more than 100,000 rows are refused', async () => {
    const c = await coupon();
    const rows = Array.from({ length: 100_001 }, (_, i) => `M${i}`.padEnd(3, '0'));
    const res = await upload(c.id, ['code', ...rows].join('\n'));
    expect([res.status, res.body.error.code, res.body.error.message]).toEqual([400, 'validation_failed', 'body: the file holds more than 100000 rows']);
    expect(await countCodes(c.id)).toBe(0);
  });

  test('wrong content type is 400, an archived coupon 409, another account’s coupon 404', async () => {
    const c = await coupon();
    const json = await t.http.post(`/v1/coupons/${c.id}/codes/import`).set(acct.auth).send({ code: 'JSON-1' });
    expect([json.status, json.body.error.field]).toEqual([400, 'body']);
    const other = await t.createAccount();
    expect((await upload(c.id, 'code\nOTHER-1\n', other)).status).toBe(404);
    await t.http.post(`/v1/coupons/${c.id}/archive`).set(acct.auth).expect(200);
    expect((await upload(c.id, 'code\nLATE-1\n')).status).toBe(409);
  });
});

describe('expiry of imported codes', () => {
  test('each imported code with expires_at gets its delayed expire-at job, like a code created singly', async () => {
    const c = await coupon({ expiresAt: `${Y + 1}-01-01T00:00:00Z` });
    const csv = `code,expires_at\nEXP-IMP-1,${Y}-06-01T12:00:00+02:00\nEXP-IMP-2,\nEXP-IMP-3,${Y}-07-01T00:00:00Z\n`;
    const res = await upload(c.id, csv);
    expect([res.status, res.body]).toEqual([201, { imported: 3 }]);
    const rows = await sql(`select id, code from codes where coupon_id = ? order by code`, [c.id]);
    const ids = Object.fromEntries(rows.map((r) => [r.code, String(r.id)]));
    const queue = t.running.ctx.queues.expiry;
    const one = await queue.getJob(`exp-code-${ids['EXP-IMP-1']}-${Date.parse(`${Y}-06-01T10:00:00Z`)}`);
    const three = await queue.getJob(`exp-code-${ids['EXP-IMP-3']}-${Date.parse(`${Y}-07-01T00:00:00Z`)}`);
    expect(one?.data).toEqual({ kind: 'code', accountId: acct.id, codeId: Number(ids['EXP-IMP-1']), expiresAt: `${Y}-06-01T10:00:00.000Z` });
    expect(three?.data).toEqual({ kind: 'code', accountId: acct.id, codeId: Number(ids['EXP-IMP-3']), expiresAt: `${Y}-07-01T00:00:00.000Z` });
    expect(await one!.getState()).toBe('delayed');
    const delayed = await queue.getJobs(['delayed']);
    expect(delayed.filter((j) => j.data.kind === 'code' && [ids['EXP-IMP-1'], ids['EXP-IMP-2'], ids['EXP-IMP-3']].includes(String(j.data.codeId))).length).toBe(2);
  });
});
