import { sql } from 'kysely';
import {
  codeStatus, couponStatus, isNearlyExhausted, type CodeStoredStatus, type CouponStoredStatus, type EffectiveStatus,
} from '../../src/domain';
import { openDatabase, type Orm } from '../../src/db/orm';
import { sqlText } from '../../src/db/sql-text';
import { codeStatusSql, couponStatusSql, nearlyExhaustedSql } from '../../src/repositories/status-sql';
import { dropDatabase, testEnv } from '../helpers/harness';

/**
 * The SQL status fragments against the domain functions on the same rows: every combination
 * of stored state, window and limit around one fixed instant, computed by PostgreSQL and by
 * src/domain, must agree row by row.
 */
const env = testEnv();
let orm: Orm;
const NOW = '2026-06-15T12:00:00.000Z';
const at = (ms: number) => new Date(Date.parse(NOW) + ms).toISOString();
const instants = [null, at(-60_000), NOW, at(1), at(60_000)];
const limits: [number | null, number][] = [[null, 0], [null, 7], [5, 0], [5, 4], [5, 5], [5, 6], [0, 0]];

interface CouponCase { state: CouponStoredStatus; validFrom: string | null; expiresAt: string | null; max: number | null; times: number }
interface CodeCase { state: CodeStoredStatus; expiresAt: string | null; max: number | null; times: number }

const couponCases: CouponCase[] = [];
for (const state of ['draft', 'active', 'disabled', 'archived'] as const)
  for (const validFrom of instants)
    for (const expiresAt of instants)
      for (const [max, times] of limits) couponCases.push({ state, validFrom, expiresAt, max, times });
const codeCases: CodeCase[] = [];
for (const state of ['active', 'disabled', 'archived'] as const)
  for (const expiresAt of instants)
    for (const [max, times] of limits) codeCases.push({ state, expiresAt, max, times });

let accountId: string;
const couponIds: string[] = [];

beforeAll(async () => {
  orm = await openDatabase({ databaseUrl: env.databaseUrl, poolMax: 4 });
  const db = orm.em.fork().getKysely();
  const acct = await db.insertInto('accounts').values({ name: 'status-sql' }).returning('id').executeTakeFirstOrThrow();
  accountId = acct.id;
  const base = { account_id: accountId, discount: { type: 'none' }, duration: { type: 'once' }, applies_to: { plans: 'all' }, eligibility: { customers: 'any' }, overflow: 'cap', time_zone: 'UTC' };
  const rows = await db
    .insertInto('coupons')
    .values(couponCases.map((c, i) => ({
      ...base, name: `c${i}`, state: c.state, valid_from: c.validFrom as unknown as Date, expires_at: c.expiresAt as unknown as Date,
      max_redemptions: c.max, times_redeemed: c.times,
    })))
    .returning('id')
    .execute();
  couponIds.push(...rows.map((r) => r.id));
  // every code case on a spread of coupons (each coupon case is met by some code)
  const codes = [];
  for (let i = 0; i < couponIds.length; i++) {
    for (let j = 0; j < 3; j++) {
      const k = codeCases[(i * 3 + j) % codeCases.length]!;
      codes.push({ account_id: accountId, coupon_id: couponIds[i]!, code: `K${i}X${j}`, state: k.state, expires_at: k.expiresAt as unknown as Date, max_redemptions: k.max, times_redeemed: k.times });
    }
  }
  await db.insertInto('codes').values(codes).execute();
});

afterAll(async () => {
  await orm?.close();
  await dropDatabase(env.dbName);
});

const iso = (v: unknown) => (v === null ? null : new Date(v as string).toISOString());

test('coupon status: SQL and couponStatus agree on every combination (bound now)', async () => {
  const db = orm.em.fork().getKysely();
  const rows = await db
    .selectFrom('coupons as c')
    .select(['c.state', 'c.valid_from', 'c.expires_at', 'c.max_redemptions', 'c.times_redeemed', couponStatusSql('c', NOW).as('status')])
    .where('c.account_id', '=', accountId)
    .execute();
  expect(rows).toHaveLength(couponCases.length);
  const seen = new Set<EffectiveStatus>();
  for (const r of rows) {
    const want = couponStatus({ storedStatus: r.state as CouponStoredStatus, validFrom: iso(r.valid_from), expiresAt: iso(r.expires_at), maxRedemptions: r.max_redemptions, timesRedeemed: r.times_redeemed }, NOW);
    expect({ ...r, status: r.status }).toEqual({ ...r, status: want });
    seen.add(want);
  }
  expect([...seen].sort()).toEqual(['active', 'archived', 'disabled', 'draft', 'exhausted', 'expired', 'scheduled']);
});

test('code status: SQL and codeStatus agree on every code and coupon combination, bound or inlined now', async () => {
  const db = orm.em.fork().getKysely();
  const rows = await db
    .selectFrom('codes as k')
    .innerJoin('coupons as c', 'c.id', 'k.coupon_id')
    .select([
      'k.state', 'k.expires_at', 'k.max_redemptions', 'k.times_redeemed',
      'c.state as c_state', 'c.valid_from as c_valid_from', 'c.expires_at as c_expires_at', 'c.max_redemptions as c_max', 'c.times_redeemed as c_times',
      codeStatusSql('k', 'c', NOW).as('status'),
      sql<string>`${sql.raw(sqlText(codeStatusSql('k', 'c', sql.raw(`'${NOW}'::timestamptz`))))}`.as('inlined'),
    ])
    .where('k.account_id', '=', accountId)
    .execute();
  expect(rows).toHaveLength(couponCases.length * 3);
  const seen = new Set<EffectiveStatus>();
  for (const r of rows) {
    const want = codeStatus(
      { storedStatus: r.state as CodeStoredStatus, expiresAt: iso(r.expires_at), maxRedemptions: r.max_redemptions, timesRedeemed: r.times_redeemed },
      { storedStatus: r.c_state as CouponStoredStatus, validFrom: iso(r.c_valid_from), expiresAt: iso(r.c_expires_at), maxRedemptions: r.c_max, timesRedeemed: r.c_times },
      NOW,
    );
    expect({ ...r, status: r.status, inlined: r.inlined }).toEqual({ ...r, status: want, inlined: want });
    seen.add(want);
  }
  expect([...seen].sort()).toEqual(['active', 'archived', 'disabled', 'draft', 'exhausted', 'expired', 'scheduled']);
});

test('an inlined fragment refuses to carry a bound value', () => {
  expect(() => sqlText(couponStatusSql('c', NOW))).toThrow('binds parameters');
});

test('nearly exhausted: SQL and isNearlyExhausted agree for every limit up to 300 and every count around it', async () => {
  const db = orm.em.fork().getKysely();
  const { rows } = await sql<{ max: number | null; count: number; nearly: boolean }>`
    select m.max, n.count, ${nearlyExhaustedSql(sql.ref('m.max'), sql.ref('n.count'))} as nearly
      from (select generate_series(1, 300) as max union all select null) m
     cross join lateral generate_series(0, coalesce(m.max, 5) + 1) as n(count)`.execute(db);
  // max m: counts 0..m+1 (m + 2 rows); no limit: counts 0..6
  expect(rows).toHaveLength(45_757);
  for (const r of rows) {
    expect({ ...r, nearly: r.nearly }).toEqual({ ...r, nearly: isNearlyExhausted(r.max, r.count) });
  }
  const at = (max: number | null, count: number) => rows.find((r) => r.max === max && r.count === count)?.nearly;
  expect([at(10, 8), at(10, 9), at(11, 9), at(11, 10), at(1, 0), at(1, 1), at(null, 6)]).toEqual([false, true, false, true, false, true, false]);
});
