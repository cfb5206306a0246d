import { randomUUID } from 'node:crypto';
import { startTestApp, type TestAccount, type TestApp } from '../helpers/harness';
import { addCode, createCoupon, putPlan } from '../helpers/api';

let t: TestApp;
let acct: TestAccount;
const ids: Record<string, string> = {};
const sql = (q: string, p: unknown[] = []) => t.running.ctx.orm.em.fork().execute(q, p);
const get = (path: string, a: TestAccount = acct) => t.http.get(path).set(a.auth);

const MONTHLY = { name: 'Monthly', kind: 'recurring', interval: { unit: 'month', count: 1 }, currency: 'USD', price: 2000 };
const INVITE = { name: 'Beta', kind: 'recurring', interval: { unit: 'month', count: 1 }, currency: 'USD', price: 1000, access: 'invitation_only' };

async function redeem(name: string, ref: { code: string } | { couponId: string }, customer: string, sub: string, planId = 'monthly'): Promise<Record<string, any>> {
  const res = await t.http.post('/v1/redemptions').set(acct.auth).send({ ...ref, customer: { id: customer }, subscriptionId: sub, planId });
  if (res.status !== 201) throw new Error(`redeem ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  ids[name] = res.body.redemption.id;
  return res.body.redemption;
}

/** One invoice of one line; answers [discountTotal, total] so the history is checked as it is built. */
async function invoice(id: string, sub: string, customer: string, periodStart: string, paid: boolean, over: Record<string, unknown> = {}): Promise<[number, number]> {
  const res = await t.http.post('/v1/invoices').set(acct.auth).send({
    invoiceId: id, subscriptionId: sub, customerId: customer, currency: 'USD', paid, periodStart,
    lines: [{ id: 'l1', kind: 'recurring', planId: 'monthly', amount: 2000 }], ...over,
  });
  if (res.status !== 200) throw new Error(`invoice ${id}: ${res.status} ${JSON.stringify(res.body)}`);
  return [res.body.discountTotal, res.body.total];
}

/**
 * The history (account zone America/New_York, all money USD; each invoice is processed at its
 * period start, set afterwards):
 * A  10 % forever, attribution {channel: partner, partner: acme} — codes ACME-1, ACME-2 (never
 *    redeemed), ACME-REF (own {referrerCustomerId: cus_ref}), ACME-DEL (deleted after its use)
 *    r1 ACME-1   cus_1 sub_1  created 03-01 23:30 NY  i1 (03-02) paid 200 → 1800; i0 paid 2000 was processed BEFORE r1
 *    r2 ACME-1   cus_2 sub_2  created 03-02 00:30 NY  i2 (03-03) unpaid 200 → 1800; sub_2 cancelled 03-05
 *    r3 ACME-REF cus_3 sub_3  created 03-09           i3 (03-10) paid 200 → 1800; i3b (04-10) paid 200 → 1800
 *    r4 ACME-DEL cus_1 sub_4  created 03-14 23:00 NY  i4 (03-16) paid 200 → 1800
 * B  fixed USD 500 forever, attribution {channel: email} — direct redemptions and code MAIL-1 (own {channel: social})
 *    r5 direct   cus_5 sub_5  created 03-20           i5 (03-21) paid 500 → 1500
 *    r6 direct   cus_6 sub_6  created 03-20, voided
 *    r7 MAIL-1   cus_7 sub_7  created 03-31 23:59 NY  i7 (04-01) paid 500 → 1500; sub_7 cancelled 04-10;
 *                                                      i7b (04-15, mid-period) paid 0 → 2000 (cancelled: no discount)
 * I  none, grantsAccess — code BETA-1, no attribution
 *    r8 BETA-1   cus_8 sub_8 (invitation-only plan) created 04-01 00:00 NY  i8 (04-02) paid 1000, no discount
 * Then A's attribution becomes {channel: affiliate, partner: acme} and ACME-REF's own is cleared.
 */
beforeAll(async () => {
  t = await startTestApp();
  acct = await t.createAccount({ timeZone: 'America/New_York' });
  await putPlan(t, acct, 'monthly', MONTHLY);
  await putPlan(t, acct, 'invite', INVITE);
  ids.A = (await createCoupon(t, acct, { code: 'ACME-1', duration: { type: 'forever' }, attribution: { channel: 'partner', partner: 'acme' } })).id;
  await addCode(t, acct, ids.A, 'ACME-2');
  await addCode(t, acct, ids.A, 'ACME-REF', { attribution: { referrerCustomerId: 'cus_ref' } });
  await addCode(t, acct, ids.A, 'ACME-DEL');
  ids.B = (await createCoupon(t, acct, { discount: { type: 'fixed_amount', amounts: { USD: 500 } }, duration: { type: 'forever' }, attribution: { channel: 'email' } })).id;
  await addCode(t, acct, ids.B, 'MAIL-1', { attribution: { channel: 'social' } });
  ids.I = (await createCoupon(t, acct, { code: 'BETA-1', discount: { type: 'none' }, grantsAccess: true })).id;

  expect(await invoice('i0', 'sub_1', 'cus_1', '2026-02-02T05:00:00Z', true)).toEqual([0, 2000]);
  const r1 = await redeem('r1', { code: 'ACME-1' }, 'cus_1', 'sub_1');
  expect(r1.attribution).toEqual({ channel: 'partner', partner: 'acme' });
  expect(await invoice('i1', 'sub_1', 'cus_1', '2026-03-02T05:00:00Z', true)).toEqual([200, 1800]);
  await redeem('r2', { code: 'acme-1' }, 'cus_2', 'sub_2');
  expect(await invoice('i2', 'sub_2', 'cus_2', '2026-03-03T05:00:00Z', false)).toEqual([200, 1800]);
  const r3 = await redeem('r3', { code: 'ACME-REF' }, 'cus_3', 'sub_3');
  expect(r3.attribution).toEqual({ channel: 'partner', partner: 'acme', referrerCustomerId: 'cus_ref' });
  expect(await invoice('i3', 'sub_3', 'cus_3', '2026-03-10T04:00:00Z', true)).toEqual([200, 1800]);
  expect(await invoice('i3b', 'sub_3', 'cus_3', '2026-04-10T04:00:00Z', true)).toEqual([200, 1800]);
  await redeem('r4', { code: 'ACME-DEL' }, 'cus_1', 'sub_4');
  expect(await invoice('i4', 'sub_4', 'cus_1', '2026-03-16T04:00:00Z', true)).toEqual([200, 1800]);
  const r5 = await redeem('r5', { couponId: ids.B }, 'cus_5', 'sub_5');
  expect([r5.code, r5.couponId, r5.attribution]).toEqual([null, ids.B, { channel: 'email' }]);
  expect(await invoice('i5', 'sub_5', 'cus_5', '2026-03-21T04:00:00Z', true)).toEqual([500, 1500]);
  await redeem('r6', { couponId: ids.B }, 'cus_6', 'sub_6');
  expect((await t.http.post(`/v1/redemptions/${ids.r6}/void`).set(acct.auth).send({})).status).toBe(200);
  const r7 = await redeem('r7', { code: 'MAIL-1' }, 'cus_7', 'sub_7');
  expect(r7.attribution).toEqual({ channel: 'social' });
  expect(await invoice('i7', 'sub_7', 'cus_7', '2026-04-01T04:00:00Z', true)).toEqual([500, 1500]);
  await redeem('r8', { code: 'BETA-1' }, 'cus_8', 'sub_8', 'invite');
  const i8 = await t.http.post('/v1/invoices').set(acct.auth).send({
    invoiceId: 'i8', subscriptionId: 'sub_8', customerId: 'cus_8', currency: 'USD', paid: true, periodStart: '2026-04-02T04:00:00Z',
    lines: [{ id: 'l1', kind: 'recurring', planId: 'invite', amount: 1000 }],
  });
  expect([i8.status, i8.body.discountTotal, i8.body.total]).toEqual([200, 0, 1000]);

  const cancel2 = await t.http.post('/v1/subscriptions/sub_2/cancel').set(acct.auth).send({ at: '2026-03-05T00:00:00-05:00' });
  expect(cancel2.body).toEqual({ id: 'sub_2', status: 'cancelled', cancelledAt: '2026-03-05T05:00:00.000Z' });
  expect((await t.http.post('/v1/subscriptions/sub_7/cancel').set(acct.auth).send({ at: '2026-04-10T00:00:00Z' })).status).toBe(200);
  // r7 discounted the latest counted cycle, so without the cancellation this mid-period invoice would get 500 off
  expect(await invoice('i7b', 'sub_7', 'cus_7', '2026-04-15T04:00:00Z', true, { midPeriod: true })).toEqual([0, 2000]);
  expect((await t.http.delete('/v1/codes/ACME-DEL').set(acct.auth)).status).toBe(204);

  const created: Record<string, string> = {
    r1: '2026-03-02T04:30:00Z', r2: '2026-03-02T05:30:00Z', r3: '2026-03-09T12:00:00Z', r4: '2026-03-15T03:00:00Z',
    r5: '2026-03-20T12:00:00Z', r6: '2026-03-20T13:00:00Z', r7: '2026-04-01T03:59:59Z', r8: '2026-04-01T04:00:00Z',
  };
  for (const [r, at] of Object.entries(created)) await sql(`update redemptions set created_at = ? where id = ?`, [at, ids[r]]);
  await sql(`update invoices set created_at = period_start where account_id = ?`, [acct.id]);
  await sql(`update invoices set created_at = '2026-02-01T00:00:00Z' where account_id = ? and id = 'i0'`, [acct.id]);

  // later edits move no stored redemption
  expect((await t.http.patch(`/v1/coupons/${ids.A}`).set(acct.auth).send({ attribution: { channel: 'affiliate', partner: 'acme' } })).body.attribution)
    .toEqual({ channel: 'affiliate', partner: 'acme' });
  expect((await t.http.patch('/v1/codes/ACME-REF').set(acct.auth).send({ attribution: null })).body.attribution).toEqual({});
});
afterAll(async () => {
  await t?.close();
});

const AFFILIATE = { channel: 'affiliate', partner: 'acme' };
function fig(redemptions: number, customers: number, converted: number, churned: number, discount: number | null, revenue: number | null, alv: number | null) {
  return {
    redemptions, customers, converted, conversionRate: redemptions ? converted / redemptions : null, active: redemptions - churned, churned,
    discount: discount === null ? {} : { USD: discount }, revenue: revenue === null ? {} : { USD: revenue }, averageLifetimeValue: alv === null ? {} : { USD: alv },
  };
}

describe('attribution is snapshotted', () => {
  test('redemptions keep the effective attribution of their moment', async () => {
    const r3 = await get('/v1/redemptions?subscriptionId=sub_3');
    expect(r3.body.data.map((r: any) => r.attribution)).toEqual([{ channel: 'partner', partner: 'acme', referrerCustomerId: 'cus_ref' }]);
    const r1 = await get('/v1/redemptions?subscriptionId=sub_1');
    expect(r1.body.data.map((r: any) => [r.code, r.attribution])).toEqual([['ACME-1', { channel: 'partner', partner: 'acme' }]]);
  });

  test('a code returns its own attribution; a coupon its own; PATCH replaces the whole object', async () => {
    expect((await get('/v1/codes/MAIL-1')).body.attribution).toEqual({ channel: 'social' });
    expect((await get('/v1/codes/ACME-1')).body.attribution).toEqual({});
    expect((await get(`/v1/coupons/${ids.B}`)).body).toMatchObject({ attribution: { channel: 'email' }, grantsAccess: false });
    expect((await get(`/v1/coupons/${ids.I}`)).body).toMatchObject({ attribution: {}, grantsAccess: true });
  });
});

describe('GET /v1/reports/codes', () => {
  const rows = () => ({
    'ACME-1': { code: 'ACME-1', couponId: ids.A, attribution: AFFILIATE, deleted: false, ...fig(2, 2, 1, 1, 400, 1800, 900) },
    'ACME-2': { code: 'ACME-2', couponId: ids.A, attribution: AFFILIATE, deleted: false, ...fig(0, 0, 0, 0, null, null, null) },
    'ACME-REF': { code: 'ACME-REF', couponId: ids.A, attribution: AFFILIATE, deleted: false, ...fig(1, 1, 1, 0, 400, 3600, 3600) },
    'ACME-DEL': { code: 'ACME-DEL', couponId: ids.A, attribution: AFFILIATE, deleted: true, ...fig(1, 1, 1, 0, 200, 1800, 1800) },
    'MAIL-1': { code: 'MAIL-1', couponId: ids.B, attribution: { channel: 'social' }, deleted: false, ...fig(1, 1, 1, 1, 500, 3500, 3500) },
    direct: { code: null, couponId: ids.B, attribution: { channel: 'email' }, deleted: false, ...fig(1, 1, 1, 0, 500, 1500, 1500) },
    'BETA-1': { code: 'BETA-1', couponId: ids.I, attribution: {}, deleted: false, ...fig(1, 1, 1, 0, null, 1000, 1000) },
  });

  test.each([
    ['', ['ACME-1', 'ACME-DEL', 'ACME-REF', 'BETA-1', 'MAIL-1', 'direct', 'ACME-2']],
    ['?sort=-revenue', ['ACME-REF', 'MAIL-1', 'ACME-1', 'ACME-DEL', 'direct', 'BETA-1', 'ACME-2']],
    ['?sort=-conversionRate', ['ACME-DEL', 'ACME-REF', 'BETA-1', 'MAIL-1', 'direct', 'ACME-1', 'ACME-2']],
    ['?sort=-converted', ['ACME-1', 'ACME-DEL', 'ACME-REF', 'BETA-1', 'MAIL-1', 'direct', 'ACME-2']],
    ['?sort=-discount', ['MAIL-1', 'direct', 'ACME-1', 'ACME-REF', 'ACME-DEL', 'ACME-2', 'BETA-1']],
    ['?sort=-revenue&currency=EUR', ['ACME-1', 'ACME-2', 'ACME-DEL', 'ACME-REF', 'BETA-1', 'MAIL-1', 'direct']],
    ['?channel=affiliate', ['ACME-1', 'ACME-DEL', 'ACME-REF', 'ACME-2']],
    ['?channel=email', ['direct']],
    ['?partner=acme&sort=-revenue', ['ACME-REF', 'ACME-1', 'ACME-DEL', 'ACME-2']],
    ['?couponId=COUPON_B', ['MAIL-1', 'direct']],
  ])('GET /v1/reports/codes%s', async (query, want) => {
    const res = await get(`/v1/reports/codes${query.replace('COUPON_B', ids.B)}`);
    expect(res.status).toBe(200);
    const all = rows() as Record<string, unknown>;
    expect(res.body).toEqual({ data: want.map((k) => all[k]), nextCursor: null });
  });

  test('pages follow the sort with cursors', async () => {
    const seen: (string | null)[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: any = await get(`/v1/reports/codes?sort=-revenue&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.data.map((r: any) => r.code));
      cursor = res.body.nextCursor;
      pages += 1;
    } while (cursor);
    expect([pages, seen]).toEqual([4, ['ACME-REF', 'MAIL-1', 'ACME-1', 'ACME-DEL', null, 'BETA-1', 'ACME-2']]);
    const first = await get('/v1/reports/codes?sort=-revenue&limit=2');
    const other = await get(`/v1/reports/codes?sort=-redemptions&limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`);
    expect([other.status, other.body.error.field]).toEqual([400, 'cursor']);
  });

  test('bad parameters and unknown coupons', async () => {
    for (const [q, status, field] of [['?sort=revenue', 400, 'sort'], ['?currency=usd', 400, 'currency'], ['?limit=501', 400, 'limit'], ['?nope=1', 400, 'nope']] as const) {
      const res = await get(`/v1/reports/codes${q}`);
      expect([res.status, res.body.error.field]).toEqual([status, field]);
    }
    expect((await get(`/v1/reports/codes?couponId=${randomUUID()}`)).status).toBe(404);
  });

  test('GET /v1/reports/codes.csv: the same rows, money in the currency asked for', async () => {
    const res = await get('/v1/reports/codes.csv?sort=-revenue');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.text.split('\n')).toEqual([
      'code,coupon_id,channel,partner,referrer_customer_id,redemptions,customers,converted,conversion_rate,active,churned,currency,discount,revenue,average_lifetime_value',
      `ACME-REF,${ids.A},affiliate,acme,,1,1,1,1,1,0,USD,400,3600,3600`,
      `MAIL-1,${ids.B},social,,,1,1,1,1,0,1,USD,500,3500,3500`,
      `ACME-1,${ids.A},affiliate,acme,,2,2,1,0.5,1,1,USD,400,1800,900`,
      `ACME-DEL,${ids.A},affiliate,acme,,1,1,1,1,1,0,USD,200,1800,1800`,
      `,${ids.B},email,,,1,1,1,1,1,0,USD,500,1500,1500`,
      `BETA-1,${ids.I},,,,1,1,1,1,1,0,USD,0,1000,1000`,
      `ACME-2,${ids.A},affiliate,acme,,0,0,0,,0,0,USD,0,0,`,
      '',
    ]);
    const eur = await get(`/v1/reports/codes.csv?couponId=${ids.B}&currency=EUR`);
    expect(eur.text.split('\n').slice(1)).toEqual([`MAIL-1,${ids.B},social,,,1,1,1,1,0,1,EUR,0,0,0`, `,${ids.B},email,,,1,1,1,1,1,0,EUR,0,0,0`, '']);
  });
});

test('GET /v1/reports/codes.csv: an attribution or code starting with a formula character is written with a leading quote', async () => {
  const a = await t.createAccount();
  const coupon = await createCoupon(t, a, { attribution: { channel: '=HYPERLINK("http://x")', partner: '-2+3' } });
  await addCode(t, a, coupon.id, '-TWO', { attribution: { referrerCustomerId: '@me' } });
  const res = await get('/v1/reports/codes.csv', a);
  expect(res.status).toBe(200);
  expect(res.text).toBe(
    'code,coupon_id,channel,partner,referrer_customer_id,redemptions,customers,converted,conversion_rate,active,churned,currency,discount,revenue,average_lifetime_value\n' +
      `'-TWO,${coupon.id},"'=HYPERLINK(""http://x"")",'-2+3,'@me,0,0,0,,0,0,USD,0,0,\n`,
  );
});

describe('GET /v1/reports/attribution', () => {
  test('by channel: the stored attribution, whatever was edited since', async () => {
    const res = await get('/v1/reports/attribution?groupBy=channel');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      data: [
        { key: 'partner', ...fig(4, 3, 3, 1, 1000, 7200, 2400) }, // r1 r2 r3 r4; cus_1 twice; r2's sub cancelled
        { key: 'email', ...fig(1, 1, 1, 0, 500, 1500, 1500) }, // r5 (r6 voided)
        { key: 'social', ...fig(1, 1, 1, 1, 500, 3500, 3500) }, // r7: i7 1500 + i7b 2000
        { key: null, ...fig(1, 1, 1, 0, null, 1000, 1000) }, // r8
      ],
    });
  });

  test('the referral leaderboard and partners', async () => {
    expect((await get('/v1/reports/attribution?groupBy=referrer&sort=-converted')).body.data).toEqual([
      { key: null, ...fig(6, 5, 5, 2, 1600, 9600, 1920) },
      { key: 'cus_ref', ...fig(1, 1, 1, 0, 400, 3600, 3600) },
    ]);
    expect((await get('/v1/reports/attribution?groupBy=partner&sort=-revenue')).body.data).toEqual([
      { key: 'acme', ...fig(4, 3, 3, 1, 1000, 7200, 2400) },
      { key: null, ...fig(3, 3, 3, 1, 1000, 6000, 2000) },
    ]);
  });

  test('from/to are days in the account’s zone', async () => {
    // r1 was created on Mar 1 and r8 on Apr 1 in New York: both left out
    expect((await get('/v1/reports/attribution?groupBy=channel&from=2026-03-02&to=2026-03-31&sort=-discount')).body.data).toEqual([
      { key: 'partner', ...fig(3, 3, 2, 1, 800, 5400, 1800) },
      { key: 'email', ...fig(1, 1, 1, 0, 500, 1500, 1500) },
      { key: 'social', ...fig(1, 1, 1, 1, 500, 3500, 3500) },
    ]);
    expect((await get('/v1/reports/attribution?groupBy=channel&from=2026-06-01')).body).toEqual({ data: [] });
    const bad = await get('/v1/reports/attribution?groupBy=coupon');
    expect([bad.status, bad.body.error.field]).toEqual([400, 'groupBy']);
  });
});

describe('GET /v1/reports/timeseries', () => {
  const b = (start: string, redemptions: number, discount: number | null, revenue: number | null) =>
    ({ start, redemptions, discount: discount === null ? {} : { USD: discount }, revenue: revenue === null ? {} : { USD: revenue } });

  test('weeks start on the Monday on or before from and cover their whole week', async () => {
    const res = await get('/v1/reports/timeseries?from=2026-03-01&to=2026-03-31&interval=week');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      interval: 'week',
      timeZone: 'America/New_York',
      data: [
        b('2026-02-23', 1, null, null), // r1 (Sunday Mar 1 in New York)
        b('2026-03-02', 1, 400, 1800), // r2; i1 and i2 discounted, i1 paid
        b('2026-03-09', 2, 200, 1800), // r3, r4 (Saturday Mar 14 in New York); i3
        b('2026-03-16', 1, 700, 3300), // r5; i4 and i5
        b('2026-03-23', 0, null, null),
        b('2026-03-30', 2, 500, 2500), // r7 (Mar 31), r8 (Apr 1, same week); i7, i8
      ],
    });
  });

  test('months, with an empty last bucket', async () => {
    expect((await get('/v1/reports/timeseries?from=2026-03-15&to=2026-05-01&interval=month')).body.data).toEqual([
      b('2026-03-01', 6, 1300, 6900), // r1 r2 r3 r4 r5 r7; i1 i2 i3 i4 i5 discounted; i1 i3 i4 i5 paid (i0 predates r1)
      b('2026-04-01', 1, 700, 6300), // r8; i3b i7 discounted; i3b i7 i7b i8 paid
      b('2026-05-01', 0, null, null),
    ]);
  });

  test('days, by coupon and by code', async () => {
    expect((await get(`/v1/reports/timeseries?from=2026-03-01&to=2026-03-03&couponId=${ids.A}`)).body.data).toEqual([
      b('2026-03-01', 1, null, null),
      b('2026-03-02', 1, 200, 1800),
      b('2026-03-03', 0, 200, null),
    ]);
    expect((await get('/v1/reports/timeseries?from=2026-03-09&to=2026-03-10&interval=day&code=acme-ref')).body.data).toEqual([
      b('2026-03-09', 1, null, null),
      b('2026-03-10', 0, 200, 1800),
    ]);
  });

  test('more than 400 buckets, a reversed range and a missing bound are 400', async () => {
    for (const [q, field] of [['from=2026-01-01&to=2027-02-05', 'to'], ['from=2026-03-02&to=2026-03-01', 'to'], ['from=2026-03-01', 'to'], ['from=2026-03-01&to=2026-03-02&interval=year', 'interval']]) {
      const res = await get(`/v1/reports/timeseries?${q}`);
      expect([res.status, res.body.error.code, res.body.error.field]).toEqual([400, 'validation_failed', field]);
    }
    expect((await get('/v1/reports/timeseries?from=2026-01-01&to=2027-02-04')).body.data).toHaveLength(400);
  });
});

describe('stats routes use the growth revenue and conversion', () => {
  test('coupon and code stats', async () => {
    expect((await get(`/v1/coupons/${ids.A}/stats`)).body).toEqual({
      redemptions: { total: 4, active: 3, ended: 1, voided: 0 }, // r2 ended by the cancellation
      customers: 3,
      invoices: 5, // i1 i2 i3 i3b i4
      discountTotal: { USD: 1000 },
      revenue: { USD: 7200 },
      conversionRate: 0.75,
    });
    expect((await get(`/v1/coupons/${ids.B}/stats`)).body).toEqual({
      redemptions: { total: 3, active: 1, ended: 1, voided: 1 },
      customers: 2,
      invoices: 2,
      discountTotal: { USD: 1000 },
      revenue: { USD: 5000 },
      conversionRate: 1, // r5 and r7 of the 2 non-voided
    });
  });
});

test('GET /v1/stats: a direct redemption counts as a redemption, never as the top code', async () => {
  expect((await get('/v1/stats')).body).toEqual({
    codes: 6, // ACME-1 ACME-2 ACME-REF ACME-DEL (deleted) MAIL-1 BETA-1; direct redemptions have none
    activeCodes: 5, // ACME-1 ACME-2 ACME-REF MAIL-1 BETA-1
    redemptions: 8, // r1..r8, r6 voided included
    topCode: { code: 'ACME-1', redemptions: 2 },
  });
});

describe('subscriptions', () => {
  test('cancel ends the active redemptions with their events, is idempotent, and GET shows it', async () => {
    const again = await t.http.post('/v1/subscriptions/sub_2/cancel').set(acct.auth).send({ at: '2026-03-01T00:00:00Z' });
    expect(again.body).toEqual({ id: 'sub_2', status: 'cancelled', cancelledAt: '2026-03-05T05:00:00.000Z' });
    expect((await get('/v1/subscriptions/sub_2')).body).toEqual({ id: 'sub_2', customerId: 'cus_2', status: 'cancelled', cancelledAt: '2026-03-05T05:00:00.000Z' });
    expect((await get('/v1/subscriptions/sub_1')).body).toEqual({ id: 'sub_1', customerId: 'cus_1', status: 'active', cancelledAt: null });
    const r2 = (await get('/v1/redemptions?subscriptionId=sub_2')).body.data[0];
    expect([r2.status, r2.endedAt]).toEqual(['ended', '2026-03-05T05:00:00.000Z']);
    const events = (await get('/v1/events?limit=500')).body.data.filter((e: any) => e.data.subscriptionId === 'sub_2' && e.type !== 'invoice.discounted');
    expect(events.map((e: any) => [e.type, e.data.reason ?? null])).toEqual([
      ['redemption.created', null], ['redemption.ended', 'subscription_cancelled'], ['subscription.cancelled', null],
    ]);
    expect(events[2].data).toEqual({ subscriptionId: 'sub_2', customerId: 'cus_2', cancelledAt: '2026-03-05T05:00:00.000Z' });
  });

  test('a future instant is 400; an unknown subscription 404', async () => {
    const future = await t.http.post('/v1/subscriptions/sub_1/cancel').set(acct.auth).send({ at: '2999-01-01T00:00:00Z' });
    expect([future.status, future.body.error.code, future.body.error.field]).toEqual([400, 'validation_failed', 'at']);
    expect((await get('/v1/subscriptions/sub_1')).body.status).toBe('active');
    expect((await t.http.post('/v1/subscriptions/nope/cancel').set(acct.auth).send({})).status).toBe(404);
    expect((await get('/v1/subscriptions/nope')).status).toBe(404);
  });
});

describe('access, direct coupons and plan switches (a second account)', () => {
  let b: TestAccount;
  const validate = (body: Record<string, unknown>) => t.http.post('/v1/codes/validate').set(b.auth).send({ customer: { id: 'cus_x' }, ...body });
  let grants: string;
  let direct: string;

  beforeAll(async () => {
    b = await t.createAccount();
    await putPlan(t, b, 'monthly', MONTHLY);
    await putPlan(t, b, 'invite', INVITE);
    await putPlan(t, b, 'yearly', { ...MONTHLY, name: 'Yearly', interval: { unit: 'year', count: 1 }, price: 20000 });
    await putPlan(t, b, 'twelve', { ...MONTHLY, name: 'Twelve months', interval: { unit: 'month', count: 12 }, price: 20000 });
    grants = (await createCoupon(t, b, { code: 'INVITE-1', discount: { type: 'none' }, grantsAccess: true })).id;
    await createCoupon(t, b, { code: 'PROMO-1' });
    direct = (await createCoupon(t, b, { limits: { maxRedemptions: 1 } })).id;
    await createCoupon(t, b, { code: 'LONGER', appliesTo: { plans: 'all', switches: 'to_longer_interval' } });
    await createCoupon(t, b, { code: 'SAMEUP', appliesTo: { plans: 'all', switches: 'same_interval_upgrade' } });
  });

  test('an invitation-only plan needs a coupon that grants access, for new subscriptions only', async () => {
    expect((await validate({ code: 'INVITE-1', planId: 'invite' })).body).toMatchObject({ valid: true, coupon: { id: grants, grantsAccess: true } });
    expect((await validate({ code: 'PROMO-1', planId: 'invite' })).body).toEqual({
      valid: false, error: { code: 'invitation_required', message: 'This plan is by invitation only: a code that grants access is required.' },
    });
    expect((await validate({ code: 'PROMO-1', planId: 'invite', action: 'renewal' })).body.valid).toBe(true);
    expect((await validate({ code: 'PROMO-1', planId: 'monthly' })).body.valid).toBe(true);
    const refused = await t.http.post('/v1/redemptions').set(b.auth).send({ code: 'PROMO-1', customer: { id: 'cus_x' }, subscriptionId: 's_x', planId: 'invite' });
    expect([refused.status, refused.body.error.code]).toEqual([422, 'invitation_required']);
  });

  test('POST /v1/signups/authorize', async () => {
    const auth = (body: Record<string, unknown>) => t.http.post('/v1/signups/authorize').set(b.auth).send({ customer: { id: 'cus_s' }, ...body });
    expect((await auth({ planId: 'monthly' })).body).toEqual({ allowed: true, requiresCode: false });
    expect((await auth({ planId: 'invite' })).body).toEqual({
      allowed: false, requiresCode: true, error: { code: 'invitation_required', message: 'This plan is by invitation only: a code that grants access is required.' },
    });
    const ok = await auth({ planId: 'invite', code: 'invite-1' });
    expect(ok.body).toMatchObject({ allowed: true, requiresCode: true, coupon: { id: grants }, code: { code: 'INVITE-1' } });
    expect((await auth({ planId: 'invite', code: 'PROMO-1' })).body).toMatchObject({ allowed: false, requiresCode: true, error: { code: 'invitation_required' } });
    expect((await auth({ planId: 'monthly', code: 'NOPE-1' })).body).toMatchObject({ allowed: false, requiresCode: false, error: { code: 'code_not_found' } });
    const unknown = await auth({ planId: 'nope' });
    expect([unknown.status, unknown.body.error.field]).toEqual([400, 'planId']);
    // it redeems nothing
    expect((await t.http.get(`/v1/coupons/${grants}`).set(b.auth)).body.timesRedeemed).toBe(0);
  });

  test('direct coupons: exactly one of code and couponId; unknown → coupon_not_found; the coupon’s limits count', async () => {
    expect((await validate({ couponId: direct, planId: 'monthly' })).body).toMatchObject({ valid: true, coupon: { id: direct } });
    for (const body of [{ code: 'PROMO-1', couponId: direct }, {}]) {
      const res = await validate(body);
      expect([res.status, res.body.error.code]).toEqual([400, 'validation_failed']);
    }
    expect((await validate({ couponId: randomUUID() })).body).toMatchObject({ valid: false, error: { code: 'coupon_not_found' } });
    expect((await validate({ couponId: 'not-a-uuid' })).body).toMatchObject({ valid: false, error: { code: 'coupon_not_found' } });
    const redeem = (sub: string, couponId = direct) => t.http.post('/v1/redemptions').set(b.auth).send({ couponId, customer: { id: `c_${sub}` }, subscriptionId: sub, planId: 'monthly' });
    const first = await redeem('d1');
    expect([first.status, first.body.redemption.code, first.body.redemption.couponId]).toEqual([201, null, direct]);
    const second = await redeem('d2');
    expect([second.status, second.body.error.code]).toEqual([422, 'code_exhausted']);
    const unknown = await redeem('d3', randomUUID());
    expect([unknown.status, unknown.body.error.code]).toEqual([422, 'coupon_not_found']);
    const inv = await t.http.post('/v1/invoices').set(b.auth).send({
      invoiceId: 'dinv', subscriptionId: 'd1', customerId: 'c_d1', currency: 'USD', periodStart: '2026-05-01T00:00:00Z',
      lines: [{ id: 'l1', kind: 'recurring', planId: 'monthly', amount: 2000 }],
    });
    expect(inv.body.applied).toEqual([{ redemptionId: first.body.redemption.id, couponId: direct, code: null, cycle: 1, amount: 200 }]);
  });

  test('plan switches: fromPlanId and appliesTo.switches', async () => {
    const v = async (body: Record<string, unknown>) => {
      const res = await validate(body);
      if (res.status !== 200) return `${res.status} ${res.body.error.field}`;
      return res.body.valid ? 'ok' : res.body.error.code;
    };
    expect(await v({ code: 'LONGER', planId: 'yearly', fromPlanId: 'monthly', action: 'upgrade' })).toBe('ok');
    expect(await v({ code: 'LONGER', planId: 'yearly', fromPlanId: 'monthly', action: 'downgrade' })).toBe('ok');
    expect(await v({ code: 'LONGER', planId: 'twelve', fromPlanId: 'yearly', action: 'upgrade' })).toBe('switch_not_eligible'); // 12 months = 1 year
    expect(await v({ code: 'LONGER', planId: 'monthly', fromPlanId: 'yearly', action: 'downgrade' })).toBe('switch_not_eligible');
    expect(await v({ code: 'LONGER', planId: 'yearly', action: 'upgrade' })).toBe('switch_not_eligible');
    expect(await v({ code: 'LONGER', planId: 'yearly', fromPlanId: 'monthly' })).toBe('switch_not_eligible'); // new_subscription
    expect(await v({ code: 'SAMEUP', planId: 'twelve', fromPlanId: 'yearly', action: 'upgrade' })).toBe('ok');
    expect(await v({ code: 'SAMEUP', planId: 'yearly', fromPlanId: 'monthly', action: 'upgrade' })).toBe('switch_not_eligible');
    expect(await v({ code: 'SAMEUP', planId: 'twelve', fromPlanId: 'yearly', action: 'downgrade' })).toBe('switch_not_eligible');
    expect(await v({ code: 'PROMO-1', planId: 'yearly', fromPlanId: 'nope', action: 'renewal' })).toBe('ok'); // ignored for other actions
    expect(await v({ code: 'LONGER', planId: 'yearly', fromPlanId: 'nope', action: 'upgrade' })).toBe('400 fromPlanId');
    const redeemed = await t.http.post('/v1/redemptions').set(b.auth).send({
      code: 'LONGER', customer: { id: 'cus_sw' }, subscriptionId: 'sw1', planId: 'yearly', fromPlanId: 'monthly', action: 'upgrade',
    });
    expect([redeemed.status, redeemed.body.redemption?.action]).toEqual([201, 'upgrade']);
  });
});

test('/openapi.json documents the growth routes and fields', async () => {
  const doc = (await t.http.get('/openapi.json')).body;
  expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining([
    '/v1/reports/codes', '/v1/reports/codes.csv', '/v1/reports/attribution', '/v1/reports/timeseries',
    '/v1/subscriptions/{id}', '/v1/subscriptions/{id}/cancel', '/v1/signups/authorize',
  ]));
  expect(Object.keys(doc.components.schemas.Attribution.properties)).toEqual(['channel', 'partner', 'referrerCustomerId']);
  expect(Object.keys(doc.components.schemas.RedeemRequest.properties)).toEqual(expect.arrayContaining(['code', 'couponId', 'fromPlanId']));
});
