import fc from 'fast-check';
import { startTestApp, type TestAccount, type TestApp } from '../helpers/harness';
import { addCode, createCoupon } from '../helpers/api';
import { codeReportPage, rollupsBuilt, timeseriesDays, timeseriesFromRollups } from '../../src/repositories/growth-reports';
import { FOLD_LIMITS, foldReportRollups } from '../../src/services/report-rollups';
import { pgPool } from '../../src/db/pg-client';
import type { DayFigures, ReportSort } from '../../src/domain';

const SORTS: ReportSort[] = ['-redemptions', '-converted', '-conversionRate', '-revenue', '-discount'];

/**
 * The growth report rollups are the reports' own aggregation, kept up to date: over random
 * histories (redemptions, voids, invoices paid at once or later, ledger rows of any amount,
 * time zone changes) with folds of a few marks at random points, the timeseries read from the
 * rollups equals the full aggregation of the history, for random ranges and coupon filters, and
 * the codes page sorted on the rollups' values, and read in page order from them (whole and
 * page by page), equals the one sorted on the history's, for every sort;
 * after a complete fold no mark is left and the stored days alone answer the same. Histories
 * written by concurrent transactions while folds run give the same.
 */
let t: TestApp;
const sql = (q: string, p: unknown[] = []) => t.running.ctx.orm.em.fork().execute(q, p);
const em = () => t.running.ctx.orm.em.fork();

beforeAll(async () => {
  // the folds are the tests' own (the app's scheduler folds once an hour here)
  t = await startTestApp({ REPORT_FOLD_EVERY_MS: '3600000' });
});
afterAll(async () => {
  await t?.close();
});

const ZONES = ['UTC', 'America/New_York', 'Asia/Kolkata', 'Pacific/Chatham'];
/** 2026-03-06T00:00Z: the window holds New York's change to summer time (2026-03-08). */
const BASE = Date.UTC(2026, 2, 6);
const at = (minutes: number) => new Date(BASE + minutes * 60_000).toISOString();
const WINDOW = 6 * 24 * 60;

const opArb = fc.oneof(
  // code 0 or 1 of the coupon, or 2: a direct redemption of the coupon (no code)
  { weight: 5, arbitrary: fc.record({ op: fc.constant('redeem' as const), sub: fc.nat(4), coupon: fc.nat(2), code: fc.nat(2), at: fc.nat(WINDOW) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('void' as const), k: fc.nat(50) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('invoice' as const), sub: fc.nat(4), currency: fc.constantFrom('USD', 'EUR'), periodStart: fc.nat(WINDOW),
      at: fc.nat(WINDOW), paid: fc.boolean(), total: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 90_000 })),
    }),
  },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('ledger' as const), k: fc.nat(50), j: fc.nat(50), amount: fc.integer({ min: -100, max: 5000 }), currency: fc.constantFrom('USD', 'EUR') }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('pay' as const), j: fc.nat(50) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('zone' as const), zone: fc.constantFrom(...ZONES) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('fold' as const), marks: fc.integer({ min: 1, max: 4 }) }) },
);
type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

interface World {
  acct: TestAccount;
  coupons: { id: string; codes: { id: number; code: string }[] }[];
  redemptions: { id: string; sub: string; couponId: string; codeId: number | null }[];
  invoices: { id: string; sub: string }[];
  seq: number;
}

async function newWorld(tag: string): Promise<World> {
  const acct = await t.createAccount();
  const coupons: World['coupons'] = [];
  for (let i = 0; i < 3; i += 1) {
    const c = await createCoupon(t, acct, { code: `ROLL-${tag}-${i}A` });
    await addCode(t, acct, c.id, `ROLL-${tag}-${i}B`);
    const rows = await sql(`select id::int as id, code from codes where coupon_id = ? order by code`, [c.id]);
    coupons.push({ id: c.id, codes: rows.map((r) => ({ id: r.id as number, code: r.code as string })) });
  }
  return { acct, coupons, redemptions: [], invoices: [], seq: 0 };
}

const subOf = (w: World, i: number) => `${w.acct.id.slice(0, 8)}-sub-${i}`;

async function apply(w: World, op: Op): Promise<void> {
  w.seq += 1;
  const acct = w.acct.id;
  switch (op.op) {
    case 'redeem': {
      const c = w.coupons[op.coupon]!;
      const code = c.codes[op.code] ?? null;
      const rows = await sql(
        `insert into redemptions (account_id, coupon_id, coupon_version, code_id, code, customer_id, subscription_id, plan_id, action, terms, created_at)
         values (?, ?, 1, ?, ?, ?, ?, 'pro', 'apply', '{}', ?) returning id`,
        [acct, c.id, code?.id ?? null, code?.code ?? null, `cus-${op.sub}`, subOf(w, op.sub), at(op.at)],
      );
      w.redemptions.push({ id: rows[0].id, sub: subOf(w, op.sub), couponId: c.id, codeId: code?.id ?? null });
      return;
    }
    case 'void': {
      const r = w.redemptions[op.k % Math.max(1, w.redemptions.length)];
      if (r) await sql(`update redemptions set status = 'voided' where id = ?`, [r.id]);
      return;
    }
    case 'invoice': {
      const id = `in-${w.seq}`;
      await sql(
        `insert into invoices (account_id, id, subscription_id, currency, period_start, paid, request_hash, subtotal, discount_total, total, credit, result, created_at)
         values (?, ?, ?, ?, ?, ?, 'h', ?, 0, ?, 0, '{}', ?)`,
        [acct, id, subOf(w, op.sub), op.currency, at(op.periodStart), op.paid, op.total, op.total, at(op.at)],
      );
      w.invoices.push({ id, sub: subOf(w, op.sub) });
      return;
    }
    case 'ledger': {
      const r = w.redemptions[op.k % Math.max(1, w.redemptions.length)];
      const mine = w.invoices.filter((i) => r && i.sub === r.sub);
      const inv = mine[op.j % Math.max(1, mine.length)];
      if (!r || !inv) return;
      await sql(
        `insert into invoice_discounts (account_id, invoice_id, redemption_id, coupon_id, code_id, currency, amount, invoice_total, lines)
         values (?, ?, ?, ?, ?, ?, ?, 0, '[]') on conflict do nothing`,
        [acct, inv.id, r.id, r.couponId, r.codeId, op.currency, op.amount],
      );
      return;
    }
    case 'pay': {
      const inv = w.invoices[op.j % Math.max(1, w.invoices.length)];
      if (inv) await sql(`update invoices set paid = true where account_id = ? and id = ?`, [acct, inv.id]);
      return;
    }
    case 'zone':
      await sql(`update accounts set time_zone = ? where id = ?`, [op.zone, acct]);
      return;
    case 'fold':
      await foldReportRollups(em(), { accounts: 1, marks: op.marks, statements: 1 });
  }
}

const norm = (days: DayFigures[]) => [...days].sort((a, b) => a.day.localeCompare(b.day));

/** The timeseries from the rollups against the full aggregation, over `ranges` of local days. */
async function compare(w: World, ranges: { from: number; to: number; coupon: number | null }[]): Promise<void> {
  const zone = (await sql(`select time_zone from accounts where id = ?`, [w.acct.id]))[0].time_zone as string;
  for (const r of ranges) {
    const day = (d: number) => new Date(BASE + d * 86_400_000).toISOString().slice(0, 10);
    const fromDay = day(r.from - 1);
    const toDay = day(r.to + 1);
    const couponId = r.coupon === null ? null : w.coupons[r.coupon]!.id;
    const rangeStart = (await sql(`select (?::date::timestamp at time zone ?)::text as s, (?::date::timestamp at time zone ?)::text as e`, [fromDay, zone, toDay, zone]))[0];
    const full = await timeseriesDays(em(), w.acct.id, { zone, rangeStart: rangeStart.s, rangeEnd: rangeStart.e, couponId, code: null });
    let rolled = await timeseriesFromRollups(em(), w.acct.id, { zone, fromDay, toDay, couponId });
    // after a zone change the rollups do not answer until the rebuild (the service then aggregates the history)
    if (rolled === 'rebuilding') {
      await foldAll();
      rolled = await timeseriesFromRollups(em(), w.acct.id, { zone, fromDay, toDay, couponId });
    }
    expect(rolled === 'rebuilding' ? rolled : norm(rolled)).toEqual(norm(full));
  }
  // the codes page: every sort and currency, whole and from a cursor, sorted on the rollups' values
  if (!(await rollupsBuilt(em(), w.acct.id))) await foldAll();
  for (const sort of SORTS) {
    for (const [currency, coupon, size] of [['USD', null, 2], ['EUR', ranges[0]!.coupon, 3]] as const) {
      const f = { couponId: coupon === null ? null : w.coupons[coupon]!.id, channel: null, partner: null, sort, currency };
      const history = await codeReportPage(em(), w.acct.id, f, 100, null, 'history');
      expect(await codeReportPage(em(), w.acct.id, f, 100, null, 'rollups')).toEqual(history);
      const after = history.keys[0] ?? null;
      expect(await codeReportPage(em(), w.acct.id, f, 100, after, 'rollups')).toEqual(await codeReportPage(em(), w.acct.id, f, 100, after, 'history'));
      // read in page order: whole, and page by page (the rows with a value, then the rest, across a page)
      expect(await codeReportPage(em(), w.acct.id, f, 100, null, 'ordered')).toEqual(history);
      expect(await walk(w, f, size)).toEqual(history);
    }
  }
}

/** Every page of the ordered codes report, `size` rows at a time, concatenated. */
async function walk(w: World, f: Parameters<typeof codeReportPage>[2], size: number): Promise<Awaited<ReturnType<typeof codeReportPage>>> {
  const all: Awaited<ReturnType<typeof codeReportPage>> = { rows: [], keys: [] };
  for (;;) {
    const page = await codeReportPage(em(), w.acct.id, f, size, all.keys.at(-1) ?? null, 'ordered');
    all.rows.push(...page.rows);
    all.keys.push(...page.keys);
    if (page.rows.length < size) return all;
  }
}

async function foldAll(): Promise<void> {
  for (;;) {
    const r = await foldReportRollups(em(), { accounts: 100, marks: 1000, statements: 100 });
    if (r.rebuilt === 0 && r.marks === 0) return;
  }
}

const rangeArb = fc.array(fc.record({ from: fc.integer({ min: -1, max: 6 }), to: fc.integer({ min: 0, max: 7 }), coupon: fc.option(fc.nat(2), { nil: null }) }), { minLength: 1, maxLength: 3 })
  .map((rs) => rs.map((r) => ({ ...r, to: Math.max(r.from, r.to) })));

test('over random histories the rollups answer what the full aggregation does, folded or not', async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 40 }), rangeArb, async (ops, ranges) => {
      run += 1;
      const w = await newWorld(`p${run}`);
      for (const [i, op] of ops.entries()) {
        await apply(w, op);
        if (i % 7 === 6) await compare(w, ranges);
      }
      await compare(w, ranges);
      await foldAll();
      expect((await sql(`select count(*)::int as n from report_dirty where account_id = ?`, [w.acct.id]))[0].n).toBe(0);
      // nothing left to fold: the stored days alone
      await compare(w, [...ranges, { from: -1, to: 7, coupon: null }]);
    }),
    { numRuns: 40, seed: 20261206, endOnFailure: true },
  );
  // a fixed amount of work (seeded): 98 s on this 2-core machine on a quiet day, 227–243 s on a slow one
}, 600_000);

test('a time zone change answers from the history until the rebuild, then from rollups in the new zone', async () => {
  const w = await newWorld('zone');
  await apply(w, { op: 'redeem', sub: 0, coupon: 0, code: 0, at: 23 * 60 + 50 });
  await apply(w, { op: 'invoice', sub: 0, currency: 'USD', periodStart: 23 * 60 + 40, at: 24 * 60, paid: true, total: 1200 });
  await foldAll();
  const q = { fromDay: '2026-03-06', toDay: '2026-03-08', couponId: null };
  expect(await timeseriesFromRollups(em(), w.acct.id, { zone: 'UTC', ...q })).toEqual([
    { day: '2026-03-06', redemptions: 1, discount: null, revenue: { USD: '1200' } },
  ]);
  await apply(w, { op: 'zone', zone: 'Asia/Kolkata' });
  expect(await timeseriesFromRollups(em(), w.acct.id, { zone: 'Asia/Kolkata', ...q })).toBe('rebuilding');
  // asked in a zone that is not the account's, the rollups do not answer either
  expect(await timeseriesFromRollups(em(), w.acct.id, { zone: 'UTC', ...q })).toBe('rebuilding');
  await foldAll();
  expect(await timeseriesFromRollups(em(), w.acct.id, { zone: 'Asia/Kolkata', ...q })).toEqual([
    { day: '2026-03-07', redemptions: 1, discount: null, revenue: { USD: '1200' } },
  ]);
});

test('writes from concurrent transactions while folds run: every figure once', async () => {
  const w = await newWorld('race');
  const ops: Op[] = [];
  for (let i = 0; i < 120; i += 1) {
    ops.push({ op: 'redeem', sub: i % 5, coupon: i % 3, code: i % 3, at: (i * 97) % WINDOW });
    ops.push({ op: 'invoice', sub: i % 5, currency: i % 2 ? 'USD' : 'EUR', periodStart: (i * 131) % WINDOW, at: (i * 61) % WINDOW, paid: i % 3 === 0, total: 100 + i });
  }
  // writers in eight lanes, each lane in order; folds of a few marks racing them and each other
  const lanes = Array.from({ length: 8 }, (_, lane) => (async () => {
    for (let i = lane; i < ops.length; i += 8) await apply(w, ops[i]!);
  })());
  // three folders at once: they take turns on the fold lock
  const folds = Array.from({ length: 3 }, () => (async () => {
    for (let i = 0; i < 30; i += 1) await foldReportRollups(em(), { accounts: 1, marks: 7, statements: 1 });
  })());
  await Promise.all([...lanes, ...folds]);
  const more = Array.from({ length: 30 }, (_, i) => apply(w, { op: 'pay', j: i * 7 }));
  const voids = Array.from({ length: 20 }, (_, i) => apply(w, { op: 'void', k: i * 5 }));
  await Promise.all([...more, ...voids, foldReportRollups(em(), { accounts: 1, marks: 5, statements: 5 })]);
  await foldAll();
  const total = await sql(`select sum(redemptions)::int as n, sum(revenue)::int as revenue from report_days where account_id = ?`, [w.acct.id]);
  const expected = await sql(
    `select (select count(*) from redemptions where account_id = ? and status <> 'voided')::int as n,
            (select coalesce(sum(i.total), 0) from redemptions r join invoices i on i.account_id = r.account_id and i.subscription_id = r.subscription_id
              where r.account_id = ? and r.status <> 'voided' and i.paid and i.created_at >= r.created_at)::int as revenue`,
    [w.acct.id, w.acct.id],
  );
  expect(total[0]).toEqual(expected[0]);
  expect(expected[0].n).toBe(100);
  await compare(w, [{ from: -1, to: 7, coupon: null }, { from: 2, to: 4, coupon: 1 }]);
});

test('a scheduled fold that finds another fold holding the lock ends at once, busy, and leaves the marks to the next run', async () => {
  const w = await newWorld('busy');
  await apply(w, { op: 'redeem', sub: 0, coupon: 0, code: 0, at: 10 });
  await foldAll();
  await apply(w, { op: 'redeem', sub: 1, coupon: 0, code: 0, at: 20 });
  const marks = async () => (await sql(`select count(*)::int as n from report_dirty where account_id = ?`, [w.acct.id]))[0].n;
  expect(await marks()).toBe(1);
  // another fold's transaction holds the fold lock
  const client = await (await pgPool(t.running.ctx.orm)).connect();
  try {
    await client.query('begin');
    await client.query('select pg_advisory_xact_lock(7212014, 1)');
    expect(await foldReportRollups(em(), FOLD_LIMITS, 'try')).toEqual({ rebuilt: 0, marks: 0, subscriptions: 0, busy: true });
    expect(await marks()).toBe(1);
  } finally {
    await client.query('rollback');
    client.release();
  }
  expect(await foldReportRollups(em(), FOLD_LIMITS, 'try')).toEqual({ rebuilt: 0, marks: 1, subscriptions: 1, busy: false });
  expect(await marks()).toBe(0);
});

test("a fold writes only the contributions that changed: a subscription's other days keep their row versions", async () => {
  const w = await newWorld('keep');
  await apply(w, { op: 'redeem', sub: 0, coupon: 0, code: 0, at: 10 });
  for (const [day, at] of [[0, 60], [1, 24 * 60 + 60], [2, 2 * 24 * 60 + 60]]) {
    await apply(w, { op: 'invoice', sub: 0, currency: 'USD', periodStart: at, at, paid: true, total: 1000 + day });
  }
  await foldAll();
  const versions = async () =>
    (await sql(
      `select day::text || ' ' || currency as key, redemptions::int as redemptions, revenue::int as revenue, xmin::text as xmin
         from report_contributions where account_id = ? order by day, currency nulls first`,
      [w.acct.id],
    ));
  const before = await versions();
  // the redemption's day (no currency) and the three invoices' days
  expect(before.map((r) => [r.key, r.redemptions, r.revenue])).toEqual([['2026-03-06 ', 1, 0], ['2026-03-06 USD', 0, 1000], ['2026-03-07 USD', 0, 1001], ['2026-03-08 USD', 0, 1002]]);
  // one more paid invoice on the second day: only that day's contribution changes
  await apply(w, { op: 'invoice', sub: 0, currency: 'USD', periodStart: 24 * 60 + 120, at: 24 * 60 + 120, paid: true, total: 500 });
  await foldAll();
  const after = await versions();
  expect(after.map((r) => [r.key, r.redemptions, r.revenue])).toEqual([['2026-03-06 ', 1, 0], ['2026-03-06 USD', 0, 1000], ['2026-03-07 USD', 0, 1501], ['2026-03-08 USD', 0, 1002]]);
  expect(after.map((r) => r.xmin === before.find((b) => b.key === r.key)!.xmin)).toEqual([true, true, false, true]);
  await compare(w, [{ from: -1, to: 7, coupon: null }]);
});
