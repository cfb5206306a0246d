import { sql } from 'kysely';
import { startTestApp, type TestAccount, type TestApp } from '../helpers/harness';
import { addCode, createCoupon, putPlan, redeemBody } from '../helpers/api';
import type { JsonRow, TableName } from '../../src/db/rows';
import { codeRowFrom } from '../../src/repositories/codes';
import { couponRowFrom } from '../../src/repositories/coupons';
import { customerFromRow } from '../../src/repositories/customers';
import { storedInvoiceFrom } from '../../src/repositories/invoices';
import { planFromRow } from '../../src/repositories/plans';
import { redemptionRowFrom } from '../../src/repositories/redemptions';

/**
 * The tables read both through kysely and as JSON (`to_jsonb`: the redemption and invoice
 * contexts, the redemption a job committed) have one mapper each: both reads of one row map to
 * the same value.
 */
let t: TestApp;
let acct: TestAccount;
let couponId: string;
let redemptionId: string;
const Y = new Date().getUTCFullYear() + 2;
/** Today, 00:00 UTC: the first invoice's period, so the months window is open whenever the test runs. */
const today = `${new Date().toISOString().slice(0, 10)}T00:00:00.000Z`;

beforeAll(async () => {
  t = await startTestApp();
  acct = await t.createAccount();
  await putPlan(t, acct, 'pro-monthly');
  const coupon = await createCoupon(t, acct, {
    duration: { type: 'months', months: 3 }, limits: { maxRedemptions: 50, perCustomer: 2 }, expiresAt: `${Y}-06-01T00:00:00Z`,
    metadata: { campaign: 'rows' }, attribution: { channel: 'email', partner: 'acme' },
  });
  couponId = coupon.id;
  await addCode(t, acct, couponId, 'ROWS-1', { maxRedemptions: 7, expiresAt: `${Y}-05-01T12:30:00Z`, customerId: 'cus_rows', metadata: { n: 1 } });
  const res = await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody('ROWS-1', {
    customer: { id: 'cus_rows', email: 'rows@example.com', country: 'DE', postalCode: '10115' }, subscriptionId: 'sub_rows',
  }));
  if (res.status !== 201) throw new Error(JSON.stringify(res.body));
  redemptionId = res.body.redemption.id;
  const inv = await t.http.post('/v1/invoices').set(acct.auth).send({
    invoiceId: 'inv_rows', subscriptionId: 'sub_rows', customerId: 'cus_rows', currency: 'USD', periodStart: today, paid: true,
    lines: [{ id: 'l1', kind: 'recurring', planId: 'pro-monthly', amount: 2000 }],
  });
  if (inv.status !== 200) throw new Error(JSON.stringify(inv.body));
});
afterAll(async () => {
  await t?.close();
});

const db = () => t.running.ctx.orm.em.fork().getKysely();

/** The row of `table` matching `where` (SQL over alias `t`), as `to_jsonb` gives it. */
async function jsonRow<T extends TableName>(table: T, where: string, value: string | number): Promise<JsonRow<T>> {
  const { rows } = await sql<{ row: JsonRow<T> }>`select to_jsonb(t) as row from ${sql.table(table)} t where ${sql.raw(where)} = ${value}`.execute(db());
  return rows[0]!.row;
}

test('the driver gives timestamps and bigints as text, to_jsonb as ISO strings and numbers (the two shapes StoredRow admits)', async () => {
  const row = await db().selectFrom('codes').selectAll().where('code', '=', 'ROWS-1').executeTakeFirstOrThrow();
  const json = await jsonRow('codes', 't.code', 'ROWS-1');
  expect([typeof row.id, typeof row.created_at, typeof row.expires_at]).toEqual(['string', 'string', 'string']);
  expect([typeof json.id, typeof json.created_at, json.expires_at]).toEqual(['number', 'string', `${Y}-05-01T12:30:00+00:00`]);
});

test('a coupons row maps the same read through kysely or as JSON', async () => {
  const row = await db().selectFrom('coupons').selectAll().where('id', '=', couponId).executeTakeFirstOrThrow();
  const mapped = couponRowFrom(row);
  expect(couponRowFrom(await jsonRow('coupons', 't.id::text', couponId))).toEqual(mapped);
  expect(mapped).toMatchObject({
    id: couponId, accountId: acct.id, state: 'active', duration: { type: 'months', months: 3 }, maxRedemptions: 50, perCustomer: 2,
    validFrom: null, expiresAt: `${Y}-06-01T00:00:00.000Z`, timesRedeemed: 1, version: 1, metadata: { campaign: 'rows' },
    attribution: { channel: 'email', partner: 'acme' }, stackable: false, grantsAccess: false, firstCode: null,
  });
});

test('a codes row maps the same read through kysely or as JSON', async () => {
  const row = await db().selectFrom('codes').selectAll().where('code', '=', 'ROWS-1').executeTakeFirstOrThrow();
  const mapped = codeRowFrom(row);
  expect(codeRowFrom(await jsonRow('codes', 't.code', 'ROWS-1'))).toEqual(mapped);
  expect(mapped).toMatchObject({
    id: Number(row.id), couponId, code: 'ROWS-1', state: 'active', maxRedemptions: 7, timesRedeemed: 1, expiresAt: `${Y}-05-01T12:30:00.000Z`,
    customerId: 'cus_rows', metadata: { n: 1 }, batchId: null, deletedAt: null, attribution: {},
  });
});

test('a plans row maps the same read through kysely or as JSON', async () => {
  const row = await db().selectFrom('plans').selectAll().where('account_id', '=', acct.id).where('id', '=', 'pro-monthly').executeTakeFirstOrThrow();
  const mapped = planFromRow(row);
  expect(planFromRow(await jsonRow('plans', `t.account_id = '${acct.id}' and t.id`, 'pro-monthly'))).toEqual(mapped);
  expect(mapped).toEqual({
    id: 'pro-monthly', name: 'Pro monthly', kind: 'recurring', interval: { unit: 'month', count: 1 }, currency: 'USD', price: 2000, family: 'pro', access: 'open',
  });
});

test('a customers row maps the same read through kysely or as JSON', async () => {
  const row = await db().selectFrom('customers').selectAll().where('account_id', '=', acct.id).where('id', '=', 'cus_rows').executeTakeFirstOrThrow();
  const mapped = customerFromRow(row);
  expect(customerFromRow(await jsonRow('customers', `t.account_id = '${acct.id}' and t.id`, 'cus_rows'))).toEqual(mapped);
  expect(mapped).toEqual({ id: 'cus_rows', email: 'rows@example.com', country: 'DE', region: null, postalCode: '10115', hasPaidSubscription: true });
});

test('a redemptions row maps the same read through kysely or as JSON', async () => {
  const row = await db().selectFrom('redemptions').selectAll().where('id', '=', redemptionId).executeTakeFirstOrThrow();
  const mapped = redemptionRowFrom(row);
  expect(redemptionRowFrom(await jsonRow('redemptions', 't.id::text', redemptionId))).toEqual(mapped);
  expect(mapped).toMatchObject({
    id: redemptionId, accountId: acct.id, couponId, couponVersion: 1, code: 'ROWS-1', codeId: Number((await db().selectFrom('codes').select('id').where('code', '=', 'ROWS-1').executeTakeFirstOrThrow()).id),
    customerId: 'cus_rows', subscriptionId: 'sub_rows', planId: 'pro-monthly', status: 'active', cyclesApplied: 1, anchor: today,
    lastCountedDiscounted: true, endedAt: null, voidedAt: null, attribution: { channel: 'email', partner: 'acme' },
  });
});

test('an invoices row maps the same read through kysely or as JSON', async () => {
  const row = await db().selectFrom('invoices').selectAll().where('account_id', '=', acct.id).where('id', '=', 'inv_rows').executeTakeFirstOrThrow();
  const mapped = storedInvoiceFrom(row);
  expect(storedInvoiceFrom(await jsonRow('invoices', `t.account_id = '${acct.id}' and t.id`, 'inv_rows'))).toEqual(mapped);
  expect(mapped).toMatchObject({ paid: true, result: { invoiceId: 'inv_rows', subtotal: 2000, discountTotal: 200, total: 1800 } });
});
