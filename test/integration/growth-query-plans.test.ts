import { sql } from 'kysely';
import type { Em } from '../../src/db/orm';
import { startTestApp, type TestApp } from '../helpers/harness';
import {
  attributionStatement, bound, codePageParams, codeReportOrderedSql, codeReportSql, FOLD_SQL, REBUILD_SQL, REPORT_SETTINGS, TIMESERIES_ROLLUP_SQL, timeseriesStatement, type SqlParams,
} from '../../src/repositories/growth-reports';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

class RolledBack {
  constructor(readonly plan: string) {}
}

/**
 * The plan of a report statement as it runs (its bound parameters, the report's planner
 * settings). With `seed`, the plan is taken after it, in the same transaction, rolled back.
 */
async function plan(text: string, params: SqlParams, seed?: (em: Em) => Promise<void>): Promise<string> {
  try {
    return await t.running.ctx.orm.em.fork().transactional(async (em) => {
      await seed?.(em);
      const db = em.getKysely();
      for (const [name, value] of Object.entries(REPORT_SETTINGS)) await sql`select set_config(${name}, ${value}, true)`.execute(db);
      const { rows } = await sql<{ 'QUERY PLAN': string }>`explain ${bound(text, params)}`.execute(db);
      const p = rows.map((r) => r['QUERY PLAN']).join('\n');
      if (seed) throw new RolledBack(p);
      return p;
    });
  } catch (err) {
    if (err instanceof RolledBack) return err.plan;
    throw err;
  }
}

/** 2,000 invoices of the account over 200 subscriptions, analyzed: the planner then prices each invoice index by what it would read. */
const invoicesOf = (accountId: string) => async (em: Em) => {
  const db = em.getKysely();
  await sql`insert into invoices (account_id, id, subscription_id, currency, period_start, request_hash, subtotal, discount_total, total, credit, result)
            select ${accountId}::uuid, 'inv-' || g, 'sub-' || (g % 200), 'USD', '2026-06-01T00:00:00Z'::timestamptz, 'h', 2000, 0, 2000, 0, '{}'::jsonb
              from generate_series(1, 2000) g`.execute(db);
  await sql`analyze invoices`.execute(db);
};

/**
 * Every table a growth report reads is reached through an index keyed by the account or by a
 * row of the account (coupon, redemption, subscription): no sequential scan, so no scan over
 * another account's rows. Sequential scans are priced out, so any left means no index fits.
 */
test.each([
  ['-redemptions', 'history'], ['-revenue', 'history'], ['-conversionRate', 'history'], ['-revenue', 'rollups'], ['-converted', 'rollups'],
] as const)('the codes report sorted by %s from the %s reads only through indexes', async (sort, source) => {
  const acct = await t.createAccount();
  const filter = { couponId: null, channel: null, partner: null, sort, currency: 'USD' };
  const p = await plan(codeReportSql(sort, false, source), codePageParams(acct.id, filter, 51, ['-1', false, 'A', '00000000-0000-0000-0000-000000000000', '0']));
  expect(p).not.toContain('Seq Scan');
  // the account's coupons through either index that leads with account_id
  expect(p).toMatch(/Index Scan using coupons_account(_name)?_idx on coupons/);
});

/**
 * The codes page read in page order: each sort's rows with a value come from its own index in
 * page order (no sort of the account's rollup rows), from the first page and after a cursor.
 */
test.each([
  ['-redemptions', 'redemptions'], ['-converted', 'converted'], ['-conversionRate', 'rate'], ['-revenue', 'revenue'], ['-discount', 'discount'],
] as const)('the codes report sorted by %s in page order reads report_codes_%s_order', async (sort, index) => {
  const acct = await t.createAccount();
  for (const [couponId, after] of [
    [null, null],
    ['00000000-0000-0000-0000-000000000001', ['-7', false, 'A', '00000000-0000-0000-0000-000000000000', '3']],
  ] as const) {
    const filter = { couponId, channel: null, partner: null, sort, currency: 'USD' };
    const p = await plan(codeReportOrderedSql(sort, after !== null), codePageParams(acct.id, filter, 51, after === null ? null : [...after]));
    expect(p).not.toContain('Seq Scan');
    expect(p).toContain(`Index Scan using report_codes_${index}_order on report_codes rc `);
    // no sort of the stored rows: the index gives their order
    expect(p).not.toMatch(/Sort Key: \(?\(?rc\./);
  }
});

test('the attribution and timeseries reports read only through indexes', async () => {
  const acct = await t.createAccount();
  const a = attributionStatement(acct.id, { groupBy: 'referrer', since: '2026-01-01T00:00:00Z', until: '2027-01-01T00:00:00Z', currency: 'USD' });
  expect(await plan(a.text, a.params)).not.toContain('Seq Scan');
  const s = timeseriesStatement(acct.id, { zone: 'Europe/Paris', rangeStart: '2026-01-01T00:00:00Z', rangeEnd: '2027-01-01T00:00:00Z', couponId: null, code: 'X-1' });
  const p = await plan(s.text, s.params, invoicesOf(acct.id));
  expect(p).not.toContain('Seq Scan');
  // the paid invoices of each redeemed subscription by its key, not every invoice of the account
  expect(p).toMatch(/Scan (using|on) invoices_subscription_idx[^\n]*\n\s+Index Cond: \(\(subscription_id = r_3\.subscription_id\) AND \(account_id = /);
});

test('the timeseries from rollups, the fold and the rebuild read only through indexes', async () => {
  const acct = await t.createAccount();
  const read = await plan(TIMESERIES_ROLLUP_SQL, { acct: acct.id, zone: 'UTC', fromDay: '2026-01-01', toDay: '2027-01-01', coupon: null });
  expect(read).not.toContain('Seq Scan');
  expect(read).toContain('report_days_pkey');
  expect(read).toContain('report_dirty_account_idx');
  expect(read).toContain('redemptions_subscription_idx');
  expect(await plan(FOLD_SQL, { lim: '5000' })).not.toContain('Seq Scan');
  expect(await plan(REBUILD_SQL, { acct: acct.id })).not.toContain('Seq Scan');
});
