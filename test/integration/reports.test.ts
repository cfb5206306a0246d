import { randomUUID } from 'node:crypto';
import { startTestApp, type TestAccount, type TestApp } from '../helpers/harness';
import { addCode, createCoupon, putPlan, redeemBody } from '../helpers/api';

let t: TestApp;
let acct: TestAccount;
let other: TestAccount;
const coupons: Record<'P' | 'F' | 'Z' | 'E', string> = { P: '', F: '', Z: '', E: '' };
const redemptions: Record<string, string> = {};

const sql = (q: string, p: unknown[] = []) => t.running.ctx.orm.em.fork().execute(q, p);
const EUR_PLAN = { name: 'Pro EUR', kind: 'recurring', interval: { unit: 'month', count: 1 }, currency: 'EUR', price: 1800, family: 'pro' };

async function redeem(a: TestAccount, name: string, code: string, customer: string, sub: string, planId = 'pro-monthly'): Promise<void> {
  const res = await t.http.post('/v1/redemptions').set(a.auth).send(redeemBody(code, { customer: { id: customer }, subscriptionId: sub, planId }));
  if (res.status !== 201) throw new Error(`redeem ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  redemptions[name] = res.body.redemption.id;
}

/** Posts an invoice of one line; answers [discountTotal, total] so the history is checked as it is built. */
async function invoice(id: string, sub: string, customer: string, currency: string, amount: number, paid: boolean, planId = 'pro-monthly'): Promise<[number, number]> {
  const res = await t.http.post('/v1/invoices').set(acct.auth).send({
    invoiceId: id, subscriptionId: sub, customerId: customer, currency, paid,
    periodStart: '2026-02-01T00:00:00Z', lines: [{ id: 'l1', kind: 'recurring', planId, amount }],
  });
  if (res.status !== 200) throw new Error(`invoice ${id}: ${res.status} ${JSON.stringify(res.body)}`);
  return [res.body.discountTotal, res.body.total];
}

/**
 * The known history (one account, zone UTC):
 * P  10 %, repeating 2, stackable — codes PARTNER-A, PARTNER-B, PARTNER-C (deleted), PARTNER-D (disabled)
 *    r1 PARTNER-A cus_a sub_a: a1 USD 2000 paid (200 → 1800), a2 USD 2000 unpaid (200 → 1800) → ended
 *    r2 PARTNER-A cus_b sub_b (EUR plan): b1 EUR 1800 unpaid (180 → 1620)
 *    r3 PARTNER-B cus_a sub_c: c1 USD 3000 paid (300 → 2700)
 *    r4 PARTNER-B cus_d sub_d: d1 USD 2000 paid (200 → 1800), then voided
 *    r6 PARTNER-B cus_s sub_s, stacked with r7: s1 USD 2000 paid (P 200, F 500 → 1300)
 * F  fixed USD 500 / EUR 400, forever, stackable — code FIXED-X
 *    r7 FIXED-X cus_s sub_s (the stack above)
 *    r8 FIXED-X cus_f sub_f (EUR plan): f1 EUR 1800 unpaid (400 → 1400), f2 EUR 1800 paid (400 → 1400)
 * Z  fixed USD 300 only, forever, stackable — code ZED-STACK, redeemed twice on one subscription
 *    r9, r10 ZED-STACK cus_z sub_z: z1 EUR 1000 paid (0: no EUR amount), z2 USD 1000 unpaid (300 + 300 → 400)
 * E  10 %, once — code EXHAUST-1 (limit 1), r11 cus_e sub_e: exhausted, no invoice
 * D  draft — code DRAFT-1;  S  valid from 2099 — code SOON-1
 */
beforeAll(async () => {
  t = await startTestApp();
  acct = await t.createAccount();
  other = await t.createAccount();
  for (const a of [acct, other]) {
    await putPlan(t, a, 'pro-monthly');
    await putPlan(t, a, 'pro-eur', EUR_PLAN);
  }
  coupons.P = (await createCoupon(t, acct, { code: 'PARTNER-A', duration: { type: 'repeating', cycles: 2 }, stackable: true })).id;
  await addCode(t, acct, coupons.P, 'PARTNER-B');
  await addCode(t, acct, coupons.P, 'PARTNER-C');
  await addCode(t, acct, coupons.P, 'PARTNER-D');
  expect((await t.http.delete('/v1/codes/PARTNER-C').set(acct.auth)).status).toBe(204);
  expect((await t.http.post('/v1/codes/PARTNER-D/disable').set(acct.auth)).status).toBe(200);
  coupons.F = (await createCoupon(t, acct, { code: 'FIXED-X', discount: { type: 'fixed_amount', amounts: { USD: 500, EUR: 400 } }, duration: { type: 'forever' }, stackable: true })).id;
  coupons.Z = (await createCoupon(t, acct, { code: 'ZED-STACK', discount: { type: 'fixed_amount', amounts: { USD: 300 } }, duration: { type: 'forever' }, stackable: true })).id;
  coupons.E = (await createCoupon(t, acct, {})).id;
  await addCode(t, acct, coupons.E, 'EXHAUST-1', { maxRedemptions: 1 });
  await createCoupon(t, acct, { code: 'DRAFT-1', status: 'draft' });
  await createCoupon(t, acct, { code: 'SOON-1', validFrom: `${new Date().getUTCFullYear() + 10}-01-01T00:00:00Z` });

  await redeem(acct, 'r1', 'PARTNER-A', 'cus_a', 'sub_a');
  expect(await invoice('a1', 'sub_a', 'cus_a', 'USD', 2000, true)).toEqual([200, 1800]);
  expect(await invoice('a2', 'sub_a', 'cus_a', 'USD', 2000, false)).toEqual([200, 1800]);
  await redeem(acct, 'r2', 'partner-a', 'cus_b', 'sub_b', 'pro-eur');
  expect(await invoice('b1', 'sub_b', 'cus_b', 'EUR', 1800, false, 'pro-eur')).toEqual([180, 1620]);
  await redeem(acct, 'r3', 'PARTNER-B', 'cus_a', 'sub_c');
  expect(await invoice('c1', 'sub_c', 'cus_a', 'USD', 3000, false)).toEqual([300, 2700]);
  expect((await t.http.post('/v1/invoices/c1/paid').set(acct.auth)).status).toBe(200);
  await redeem(acct, 'r4', 'PARTNER-B', 'cus_d', 'sub_d');
  expect(await invoice('d1', 'sub_d', 'cus_d', 'USD', 2000, true)).toEqual([200, 1800]);
  expect((await t.http.post(`/v1/redemptions/${redemptions.r4}/void`).set(acct.auth).send({})).status).toBe(200);
  await redeem(acct, 'r6', 'PARTNER-B', 'cus_s', 'sub_s');
  await redeem(acct, 'r7', 'FIXED-X', 'cus_s', 'sub_s');
  expect(await invoice('s1', 'sub_s', 'cus_s', 'USD', 2000, true)).toEqual([700, 1300]);
  await redeem(acct, 'r8', 'FIXED-X', 'cus_f', 'sub_f', 'pro-eur');
  expect(await invoice('f1', 'sub_f', 'cus_f', 'EUR', 1800, false, 'pro-eur')).toEqual([400, 1400]);
  expect(await invoice('f2', 'sub_f', 'cus_f', 'EUR', 1800, true, 'pro-eur')).toEqual([400, 1400]);
  await redeem(acct, 'r9', 'ZED-STACK', 'cus_z', 'sub_z');
  await redeem(acct, 'r10', 'ZED-STACK', 'cus_z', 'sub_z');
  expect(await invoice('z1', 'sub_z', 'cus_z', 'EUR', 1000, true)).toEqual([0, 1000]);
  expect(await invoice('z2', 'sub_z', 'cus_z', 'USD', 1000, false)).toEqual([600, 400]);
  await redeem(acct, 'r11', 'EXHAUST-1', 'cus_e', 'sub_e');

  // the other account has a coupon and code of its own, redeemed once
  await createCoupon(t, other, { code: 'OTHER-1' });
  await redeem(other, 'o1', 'OTHER-1', 'cus_a', 'sub_a');
});
afterAll(async () => {
  await t?.close();
});

const get = (path: string, a: TestAccount = acct) => t.http.get(path).set(a.auth);

describe('the history is as described', () => {
  test('redemption statuses and ledger rows', async () => {
    const rows = await sql(`select id, status from redemptions where account_id = ?`, [acct.id]);
    const status = Object.fromEntries(rows.map((r) => [r.id, r.status]));
    expect(Object.fromEntries(Object.entries(redemptions).filter(([k]) => /^r\d+$/.test(k)).map(([k, id]) => [k, status[id]]))).toEqual({
      r1: 'ended', r2: 'active', r3: 'active', r4: 'voided', r6: 'active', r7: 'active', r8: 'active', r9: 'active', r10: 'active', r11: 'active',
    });
    const zero = await sql(`select invoice_id, amount::int from invoice_discounts where account_id = ? and amount = 0 order by id`, [acct.id]);
    expect(zero).toEqual([{ invoice_id: 'z1', amount: 0 }, { invoice_id: 'z1', amount: 0 }]);
  });
});

describe('GET /v1/coupons/{id}/stats', () => {
  test('a coupon with two codes, two currencies, ended and voided redemptions and a stacked invoice', async () => {
    const res = await get(`/v1/coupons/${coupons.P}/stats`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      redemptions: { total: 5, active: 3, ended: 1, voided: 1 },
      customers: 3, // cus_a (twice), cus_b, cus_s; cus_d only has the voided one
      invoices: 6, // a1 a2 b1 c1 d1 s1
      discountTotal: { EUR: 180, USD: 1100 },
      // revenue: per non-voided redemption, its subscription's paid invoices: r1 a1 1800, r3 c1 2700 (marked paid later), r6 s1 1300;
      // b1 is unpaid and r4 is voided
      revenue: { USD: 5800 },
      conversionRate: 0.75, // r1, r3, r6 of the 4 non-voided (r4 is voided)
    });
  });

  test('the stacked invoice counts its revenue for the other coupon too', async () => {
    const res = await get(`/v1/coupons/${coupons.F}/stats`);
    expect(res.body).toEqual({
      redemptions: { total: 2, active: 2, ended: 0, voided: 0 },
      customers: 2,
      invoices: 3,
      discountTotal: { EUR: 800, USD: 500 },
      revenue: { EUR: 1400, USD: 1300 }, // r7: s1 (paid) 1300; r8: f2 (paid) 1400, f1 unpaid
      conversionRate: 1,
    });
  });

  test('an invoice discounted by two redemptions of one coupon is one invoice but counts its revenue once per redemption', async () => {
    const res = await get(`/v1/coupons/${coupons.Z}/stats`);
    expect(res.body).toEqual({
      redemptions: { total: 2, active: 2, ended: 0, voided: 0 },
      customers: 1,
      invoices: 1,
      discountTotal: { USD: 600 },
      revenue: { EUR: 2000 }, // z1 (paid, EUR 1000, discounted nothing) for r9 and for r10; z2 is unpaid
      conversionRate: 1, // a paid invoice converts whether or not it was discounted
    });
  });

  test('redeemed but never invoiced; never redeemed (conversion null)', async () => {
    expect((await get(`/v1/coupons/${coupons.E}/stats`)).body).toEqual({
      redemptions: { total: 1, active: 1, ended: 0, voided: 0 }, customers: 1, invoices: 0, discountTotal: {}, revenue: {}, conversionRate: 0,
    });
    const draft = (await get('/v1/codes/DRAFT-1')).body.couponId;
    expect((await get(`/v1/coupons/${draft}/stats`)).body).toEqual({
      redemptions: { total: 0, active: 0, ended: 0, voided: 0 }, customers: 0, invoices: 0, discountTotal: {}, revenue: {}, conversionRate: null,
    });
  });

  test('404 for an unknown id, a non-UUID id and another account’s coupon', async () => {
    for (const [path, a] of [[`/v1/coupons/${randomUUID()}/stats`, acct], ['/v1/coupons/nope/stats', acct], [`/v1/coupons/${coupons.P}/stats`, other]] as const) {
      const res = await get(path, a);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
  });
});

describe('GET /v1/codes/{code}/stats', () => {
  test('each code of the coupon', async () => {
    expect((await get('/v1/codes/PARTNER-A/stats')).body).toEqual({
      redemptions: { total: 2, active: 1, ended: 1, voided: 0 },
      customers: 2,
      invoices: 3,
      discountTotal: { EUR: 180, USD: 400 },
      revenue: { USD: 1800 }, // r1: a1; r2's b1 is unpaid
      conversionRate: 0.5,
    });
    expect((await get('/v1/codes/partner-b/stats')).body).toEqual({
      redemptions: { total: 3, active: 2, ended: 0, voided: 1 },
      customers: 2,
      invoices: 3,
      discountTotal: { USD: 700 },
      revenue: { USD: 4000 }, // r3 c1 2700 + r6 s1 1300; r4 (d1) is voided
      conversionRate: 1, // r3 and r6 of the 2 non-voided
    });
    expect((await get('/v1/codes/PARTNER-D/stats')).body).toEqual({
      redemptions: { total: 0, active: 0, ended: 0, voided: 0 }, customers: 0, invoices: 0, discountTotal: {}, revenue: {}, conversionRate: null,
    });
    expect((await get('/v1/codes/ZED-STACK/stats')).body).toEqual((await get(`/v1/coupons/${coupons.Z}/stats`)).body);
  });

  test('404 for an unknown, a deleted and another account’s code', async () => {
    for (const [code, a] of [['NO-SUCH-CODE', acct], ['PARTNER-C', acct], ['OTHER-1', acct], ['PARTNER-A', other], ['a b', acct]] as const) {
      const res = await get(`/v1/codes/${encodeURIComponent(code)}/stats`, a);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
  });
});

describe('GET /v1/stats', () => {
  test('the whole account', async () => {
    const res = await get('/v1/stats');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      codes: 9, // PARTNER-A..D (C deleted), FIXED-X, ZED-STACK, EXHAUST-1, DRAFT-1, SOON-1
      activeCodes: 4, // PARTNER-A, PARTNER-B, FIXED-X, ZED-STACK
      redemptions: 10, // r4 (voided) included
      topCode: { code: 'FIXED-X', redemptions: 2 }, // FIXED-X, PARTNER-A, PARTNER-B (voided left out), ZED-STACK: 2 each
    });
    expect((await get('/v1/stats', other)).body).toEqual({ codes: 1, activeCodes: 1, redemptions: 1, topCode: { code: 'OTHER-1', redemptions: 1 } });
  });

  test('a range in the future holds nothing; activeCodes does not depend on it', async () => {
    expect((await get('/v1/stats?from=2099-01-01')).body).toEqual({ codes: 0, activeCodes: 4, redemptions: 0, topCode: null });
  });

  test('bad ranges are 400 naming the field', async () => {
    for (const [query, field] of [['from=2026-13-01', 'from'], ['to=yesterday', 'to'], ['from=2026-01-11&to=2026-01-10', 'to'], ['since=2026-01-01', 'since']]) {
      const res = await get(`/v1/stats?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'validation_failed', field });
    }
  });
});

describe('GET /v1/stats with from/to in the account’s zone', () => {
  let ny: TestAccount;
  const at: Record<string, string[]> = {
    // code: [created_at of the code, ...created_at of its redemptions]
    'NY-K1': ['2026-01-10T04:59:59Z', '2026-01-11T12:00:00Z'],
    'NY-K2': ['2026-01-10T05:00:00Z', '2026-01-10T05:00:00Z', '2026-01-10T06:00:00Z'],
    'NY-K3': ['2026-01-12T04:59:59Z', '2026-01-09T00:00:00Z', '2026-01-09T00:00:00Z', '2026-01-09T00:00:00Z'],
    'NY-K4': ['2026-01-12T05:00:00Z', '2026-01-11T00:00:00Z', '2026-01-12T04:59:59Z', '2026-01-12T05:00:00Z'],
  };

  beforeAll(async () => {
    ny = await t.createAccount({ timeZone: 'America/New_York' });
    await putPlan(t, ny, 'pro-monthly');
    const coupon = (await createCoupon(t, ny, {})).id;
    let sub = 0;
    for (const [code, [codeAt, ...redeemedAt]] of Object.entries(at)) {
      await addCode(t, ny, coupon, code);
      await sql(`update codes set created_at = ? where account_id = ? and code = ?`, [codeAt, ny.id, code]);
      for (const when of redeemedAt) {
        await redeem(ny, `ny${++sub}`, code, `cus_ny${sub}`, `sub_ny${sub}`);
        await sql(`update redemptions set created_at = ? where id = ?`, [when, redemptions[`ny${sub}`]]);
      }
    }
    // one of NY-K2's redemptions is voided: it counts in redemptions, not for the top code
    const k2 = await sql(`select id from redemptions where account_id = ? and code = 'NY-K2' order by created_at limit 1`, [ny.id]);
    expect((await t.http.post(`/v1/redemptions/${k2[0].id}/void`).set(ny.auth).send({})).status).toBe(200);
  });

  test.each([
    ['', { codes: 4, redemptions: 9, topCode: { code: 'NY-K3', redemptions: 3 } }], // K3 and K4 tie at 3
    ['?from=2026-01-10&to=2026-01-11', { codes: 2, redemptions: 5, topCode: { code: 'NY-K4', redemptions: 2 } }],
    ['?from=2026-01-10&to=2026-01-10', { codes: 1, redemptions: 3, topCode: { code: 'NY-K2', redemptions: 1 } }], // K4's Jan 11 00:00Z is Jan 10 in New York
    ['?from=2026-01-12', { codes: 1, redemptions: 1, topCode: { code: 'NY-K4', redemptions: 1 } }],
    ['?to=2026-01-09', { codes: 1, redemptions: 3, topCode: { code: 'NY-K3', redemptions: 3 } }],
    ['?from=2026-01-13&to=2026-01-20', { codes: 0, redemptions: 0, topCode: null }],
  ])('GET /v1/stats%s', async (query, want) => {
    const res = await get(`/v1/stats${query}`, ny);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ activeCodes: 4, ...want });
  });
});

describe('codes sorted by usage', () => {
  test('GET /v1/coupons/{id}/codes?sort=-timesRedeemed follows the known usage (voids keep their slot; deleted left out)', async () => {
    const pick = (body: { data: { code: string; timesRedeemed: number; status: string }[] }) => body.data.map((k) => [k.code, k.timesRedeemed, k.status]);
    const desc = await get(`/v1/coupons/${coupons.P}/codes?sort=-timesRedeemed`);
    expect(desc.status).toBe(200);
    expect(pick(desc.body)).toEqual([['PARTNER-B', 3, 'active'], ['PARTNER-A', 2, 'active'], ['PARTNER-D', 0, 'disabled']]);
    const asc = await get(`/v1/coupons/${coupons.P}/codes?sort=timesRedeemed`);
    expect(pick(asc.body)).toEqual([['PARTNER-D', 0, 'disabled'], ['PARTNER-A', 2, 'active'], ['PARTNER-B', 3, 'active']]);
    const first = await get(`/v1/coupons/${coupons.P}/codes?sort=-timesRedeemed&limit=1`);
    expect(pick(first.body)).toEqual([['PARTNER-B', 3, 'active']]);
    const second = await get(`/v1/coupons/${coupons.P}/codes?sort=-timesRedeemed&limit=1&cursor=${encodeURIComponent(first.body.nextCursor)}`);
    expect(pick(second.body)).toEqual([['PARTNER-A', 2, 'active']]);
  });
});

test('/openapi.json documents the report routes', async () => {
  const doc = (await t.http.get('/openapi.json')).body;
  expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/coupons/{id}/stats', '/v1/codes/{code}/stats', '/v1/stats']));
  expect(doc.paths['/v1/stats'].get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/AccountStats' });
});
