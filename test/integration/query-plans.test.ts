import { startTestApp, type TestApp } from '../helpers/harness';
import { sql } from 'kysely';
import { codeLookupSql } from '../../src/repositories/codes';
import { sqlText } from '../../src/db/sql-text';
import { pgPool, withPgClient } from '../../src/db/pg-client';
import {
  countHoldStatement, countRedemptionStatement, lockCountedRowsStatements, lockCustomerStatement, lockSubscriptionStatement,
} from '../../src/repositories/redemption-statements';
import { contextStatement } from '../../src/repositories/redemption-context';
import { INVOICE_BEGIN, invoiceContextStatement, recordInvoiceStatements } from '../../src/repositories/invoices';
import type { InvoiceDiscountPlan } from '../../src/domain';
import { createCoupon, putPlan, redeemBody } from '../helpers/api';
import { redemptionKeys, holdKeys } from '../../src/repositories/request-keys';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

/** The plan of a query with sequential scans priced out, so any scan left means no index fits it. */
async function plan(sql: string, params: unknown[]): Promise<string> {
  return t.running.ctx.orm.em.fork().transactional(async (em) => {
    await em.execute('set local enable_seqscan = off');
    const rows = await em.execute(`explain ${sql}`, params);
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  });
}

/** The code lookup with `?` placeholders (MikroORM's em.execute inlines them as literals: the plan for known values). */
const CODE_LOOKUP_SQL = sqlText(codeLookupSql(sql.raw('?'), sql.raw('?')));

test('the code lookup of every redemption, validation and GET is served by the partial indexes, never a table scan', async () => {
  const acct = await t.createAccount();
  const p = await plan(CODE_LOOKUP_SQL, [acct.id, 'SUMMER', acct.id, 'SUMMER']);
  expect(p).toContain('codes_live_code_unique');
  expect(p).toContain('codes_archived_code_idx');
  expect(p).not.toContain('Seq Scan');
});

test('the code lookup as the repositories run it (bound parameters) is served by the same partial indexes', async () => {
  const acct = await t.createAccount();
  const p = await t.running.ctx.orm.em.fork().transactional(async (em) => {
    const db = em.getKysely();
    await sql`set local enable_seqscan = off`.execute(db);
    const { rows } = await sql<{ 'QUERY PLAN': string }>`explain ${codeLookupSql(sql`${acct.id}`, sql`${'SUMMER'}`)}`.execute(db);
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  });
  expect(p).toContain('codes_live_code_unique');
  expect(p).toContain('codes_archived_code_idx');
  expect(p).not.toContain('Seq Scan');
});

/** The generic plan (the one a prepared statement settles on after five runs) of a named statement, seq scans priced out. */
async function genericPlan(st: { text: string; values?: unknown[] }): Promise<string> {
  const pool = await pgPool(t.running.ctx.orm);
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query('set local enable_seqscan = off');
    await client.query('set local plan_cache_mode = force_generic_plan');
    await client.query(`prepare plan_check as ${st.text}`);
    const text = (v: unknown) => (Array.isArray(v) ? `{${v.join(',')}}` : String(v));
    const params = (st.values ?? []).map((v) => (v === null ? 'null' : `'${text(v).replace(/'/g, "''")}'`));
    const rows = await client.query(`explain execute plan_check(${params.join(', ')})`);
    await client.query('deallocate plan_check');
    await client.query('rollback');
    return rows.rows.map((r) => r['QUERY PLAN']).join('\n');
  } finally {
    client.release(true);
  }
}

test('the redemption hot path statements keep index plans as generic (prepared) plans', async () => {
  const acct = await t.createAccount();
  const uuid = '00000000-0000-4000-8000-000000000001';
  const statements = {
    context: contextStatement(acct.id, { code: 'SUMMER', planId: 'pro', fromPlanId: 'basic', customerId: 'cus', subscriptionId: 'sub', holdId: uuid, now: '2026-01-01T00:00:00.000Z' }),
    contextWritten: contextStatement(acct.id, { code: 'SUMMER', planId: 'pro', customerId: 'cus', subscriptionId: 'sub', now: '2026-01-01T00:00:00.000Z', written: { kind: 'redemption', id: uuid } }),
    subscription: lockSubscriptionStatement(acct.id, 'sub', 'cus'),
    customer: lockCustomerStatement(acct.id, 'cus', { email: 'a@x.io' }),
    stored: redemptionKeys.stored(acct.id, 'key'),
    lockCoupon: lockCountedRowsStatements(uuid, 1)[0]!,
    lockCode: lockCountedRowsStatements(uuid, 1)[1]!,
    count: countRedemptionStatement({
      id: uuid, createdAt: '2026-01-01T00:00:00.000Z', accountId: acct.id, couponId: uuid, couponVersion: 1, codeId: 1, code: 'SUMMER',
      customerId: 'cus', subscriptionId: 'sub', planId: 'pro', action: 'new_subscription', terms: {}, stackable: false,
      attribution: { channel: 'email', partner: null, referrerCustomerId: null }, idempotency: { key: 'k', requestHash: 'h', body: {}, exhaustedBody: {} }, codeCustomerId: null,
    }),
  };
  const holdStatements = {
    lockHold: lockCountedRowsStatements(uuid, 1, uuid)[0]!,
    countHold: countHoldStatement({
      id: uuid, createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-01-01T00:15:00.000Z', accountId: acct.id, couponId: uuid, couponVersion: 1, codeId: 1,
      code: 'SUMMER', customerId: 'cus', planId: null, currency: null, action: 'new_subscription', codeCustomerId: null,
      idempotency: { key: 'k', requestHash: 'h', body: {}, exhaustedBody: {} },
    }),
    contextWrittenHold: contextStatement(acct.id, { code: 'SUMMER', customerId: 'cus', now: '2026-01-01T00:00:00.000Z', written: { kind: 'hold', id: uuid } }),
    storedHold: holdKeys.stored(acct.id, 'key'),
    countWithHold: countRedemptionStatement({
      id: uuid, createdAt: '2026-01-01T00:00:00.000Z', accountId: acct.id, couponId: uuid, couponVersion: 1, codeId: 1, code: 'SUMMER',
      customerId: 'cus', subscriptionId: 'sub', planId: 'pro', action: 'new_subscription', terms: {}, stackable: false,
      attribution: { channel: null, partner: null, referrerCustomerId: null }, idempotency: null, codeCustomerId: null, holdId: uuid,
    }),
  };
  for (const [name, st] of Object.entries({ ...statements, ...holdStatements })) {
    const p = await genericPlan(st);
    expect({ name, seqScan: p.includes('Seq Scan') }).toEqual({ name, seqScan: false });
  }
  const context = await genericPlan(statements.context);
  expect(context).toContain('codes_live_code_unique');
  expect(context).toContain('redemptions_customer_idx');
  expect(context).toContain('redemptions_subscription_idx');
});

test('the invoice write runs on its cached generic plan, never replanned, and leaves the transaction on the default plan_cache_mode', async () => {
  // one redemption discounted by every invoice: one-element arrays, as a billing run writes them.
  // On this test's few rows PostgreSQL's default would settle on the generic plan after five
  // custom ones; on the invoices benchmark's 15,000 redemptions it replanned every execution.
  const acct = await t.createAccount();
  await putPlan(t, acct, 'pro-monthly');
  const coupon = await createCoupon(t, acct, { code: 'PLANS10', duration: { type: 'forever' } });
  const redeemed = await t.http.post('/v1/redemptions').set(acct.auth).send(redeemBody('PLANS10'));
  expect(redeemed.status).toBe(201);
  const pool = await pgPool(t.running.ctx.orm);
  const stored = (await pool.query(`select id, code_id from redemptions where account_id = $1`, [acct.id])).rows;
  expect(stored).toHaveLength(1);
  const red = { id: stored[0].id as string, codeId: Number(stored[0].code_id) };
  const client = await pool.connect();
  try {
    await client.query('begin');
    for (let cycle = 1; cycle <= 7; cycle++) {
      const id = `plan-${cycle}`;
      const plan = {
        invoiceId: id, currency: 'USD', subtotal: 2000, discountTotal: 200, total: 1800, credit: 0, lines: [], budgetSpent: {},
        applied: [{ redemptionId: red.id, couponId: coupon.id, code: 'PLANS10', cycle, amount: 200, lines: [{ lineId: 'l1', amount: 200 }] }],
        updates: [{ redemptionId: red.id, cyclesApplied: cycle, anchor: null, lastCountedDiscounted: true, status: 'active' as const }],
      } as unknown as InvoiceDiscountPlan;
      const row = {
        accountId: acct.id, id, subscriptionId: 'sub_1', customerId: 'cus_1', currency: 'USD', periodStart: `2026-0${cycle}-01T00:00:00Z`, periodEnd: null,
        trial: false, midPeriod: false, paid: false, requestHash: 'h',
      };
      const events = [{ type: 'invoice.discounted', data: { invoiceId: id } }];
      for (const st of recordInvoiceStatements(row, plan, { invoiceId: id }, new Map([[red.id, red.codeId]]), events)) await client.query(st);
    }
    const { rows } = await client.query(`select generic_plans, custom_plans, current_setting('plan_cache_mode') as mode from pg_prepared_statements where name = 'cf_record_invoice'`);
    expect(rows).toEqual([{ generic_plans: '7', custom_plans: '0', mode: 'auto' }]);
    const written = await client.query(`select (select count(*)::int from invoice_discounts where redemption_id = $1) as ledger, (select cycles_applied from redemptions where id = $1) as cycles`, [red.id]);
    expect(written.rows).toEqual([{ ledger: 7, cycles: 7 }]);
    await client.query('rollback');
  } finally {
    client.release(true);
  }
});

test('the invoice context finds a re-sent invoice by its primary key in its generic plan, built while the account has no invoices', async () => {
  // a generic plan is built once per connection (after five custom plans) and kept until the
  // table's statistics change; built while `invoices` was nearly empty, the lookup by (account,
  // id) priced the subscription index (account_id first) the same and filtered every invoice of
  // the account on each call from then on
  const acct = await t.createAccount();
  const p = await genericPlan(invoiceContextStatement(acct.id, 'in-1', 'sub-1', ['pro']));
  const lookup = p.split('\n').filter((l) => l.includes(' on invoices'));
  expect(lookup).toEqual([expect.stringContaining('using invoices_pkey on invoices')]);
  expect(p).not.toContain('Filter: (id = ');
});

test('an invoice transaction plans its context read for the table as it is: custom plans, never a generic one kept from an empty table', async () => {
  // a generic plan built while the statistics said `invoices` was empty scanned every invoice
  // (sequentially, or along another index) on each call as the table grew
  const acct = await t.createAccount();
  const client = await (await pgPool(t.running.ctx.orm)).connect();
  try {
    await client.query('begin');
    expect((await client.query('select count(*)::int as n from invoices')).rows).toEqual([{ n: 0 }]);
    await client.query('analyze invoices');
    const [begin, ...settings] = INVOICE_BEGIN;
    expect(begin).toBe('begin');
    for (const st of settings) await client.query(st);
    for (let i = 1; i <= 7; i++) await client.query(invoiceContextStatement(acct.id, `in-${i}`, 'sub-1', ['pro']));
    const { rows } = await client.query(`select generic_plans, custom_plans from pg_prepared_statements where name = 'cf_invoice_context'`);
    expect(rows).toEqual([{ generic_plans: '0', custom_plans: '7' }]);
  } finally {
    await client.query('rollback');
    client.release(true);
  }
});

/**
 * Every redemption and hold rewrites its code's and its coupon's row (the counts). Those updates
 * stay HOT (heap-only: no new index entries, the old version pruned from its page without a
 * vacuum) only while no index of the two tables holds a counted column.
 */
test('no index of codes or coupons holds times_redeemed or held, as a key, an expression or a predicate', async () => {
  const { rows } = await withPgClient(t.running.ctx.orm, (c) => c.query<{ index: string }>(`
    select i.indexrelid::regclass::text as index
      from pg_index i
     where i.indrelid in ('codes'::regclass, 'coupons'::regclass)
       and pg_get_indexdef(i.indexrelid) ~ '\\m(times_redeemed|held)\\M'
     order by 1`));
  expect(rows).toEqual([]);
});

test("a hold's and a redemption's count updates of the code and the coupon are HOT updates, as the product sends them", async () => {
  const acct = await t.createAccount();
  await putPlan(t, acct, 'pro-monthly');
  const coupon = await createCoupon(t, acct, { code: 'HOTCOUNT', limits: { maxRedemptions: 100 } });
  const at = new Date().toISOString();
  const counts = await withPgClient(t.running.ctx.orm, async (c) => {
    const code = (await c.query<{ id: string; version: number }>(`select k.id, c.version from codes k join coupons c on c.id = k.coupon_id where k.coupon_id = $1`, [coupon.id])).rows[0]!;
    const codeId = Number(code.id);
    await c.query('begin');
    try {
      await c.query(lockSubscriptionStatement(acct.id, 'sub_hot', 'cus_hot'));
      await c.query(lockCustomerStatement(acct.id, 'cus_hot', {}));
      for (const s of lockCountedRowsStatements(coupon.id, codeId)) await c.query(s);
      await c.query(countHoldStatement({
        id: '00000000-0000-4000-8000-0000000000a1', createdAt: at, expiresAt: new Date(Date.parse(at) + 900_000).toISOString(), accountId: acct.id,
        couponId: coupon.id, couponVersion: code.version, codeId, code: 'HOTCOUNT', customerId: 'cus_hot', planId: null, currency: null,
        action: 'new_subscription', codeCustomerId: null, idempotency: null,
      }));
      await c.query(countRedemptionStatement({
        id: '00000000-0000-4000-8000-0000000000b1', createdAt: at, accountId: acct.id, couponId: coupon.id, couponVersion: code.version,
        codeId, code: 'HOTCOUNT', customerId: 'cus_hot', subscriptionId: 'sub_hot', planId: 'pro-monthly', action: 'new_subscription',
        terms: {}, stackable: false, attribution: { channel: null, partner: null, referrerCustomerId: null }, idempotency: null, codeCustomerId: null,
      }));
      // this transaction's own counts of the tables' updates, and how many of them were HOT
      const { rows } = await c.query<{ table: string; updated: number; hot: number }>(`
        select t as table, pg_stat_get_xact_tuples_updated(t::regclass)::int as updated, pg_stat_get_xact_tuples_hot_updated(t::regclass)::int as hot
          from unnest(array['codes', 'coupons']) t order by 1`);
      // and what the two statements wrote: one hold, one redemption, both counted
      const written = await c.query<{ times_redeemed: number; held: number }>(`select times_redeemed, held from codes where id = $1`, [codeId]);
      return { rows, written: written.rows[0] };
    } finally {
      await c.query('rollback');
    }
  });
  expect(counts.written).toEqual({ times_redeemed: 1, held: 1 });
  expect(counts.rows).toEqual([
    { table: 'codes', updated: 2, hot: 2 },
    { table: 'coupons', updated: 2, hot: 2 },
  ]);
});
