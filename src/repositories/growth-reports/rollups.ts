import { sql } from 'kysely';
import type { Em } from '../../db/orm';
import type { DayFigures, ReportSort } from '../../domain';
import { bound, runReport, type SqlParams } from './run';
import { pageKeyAfter, pageKeyColumns, type PageKey } from './figures';

/**
 * Rollups of the growth report figures (the timeseries per day, the codes report's sort values
 * per code), exact by construction:
 * - Triggers (src/db/report-rollup-triggers.ts) insert a mark into `report_dirty` in every
 *   transaction that changes a report input: a redemption inserted or (un)voided, an invoice
 *   inserted or marked paid, a ledger row inserted (marked by its (account, subscription)), an
 *   account's time zone changed (marked for a rebuild, subscription null).
 * - A fold (`foldMarks`) takes the marks it sees and, in the same statement (one snapshot),
 *   recomputes those subscriptions' contributions from the history (`contributionsSql`, the
 *   reports' own definitions), stores them, and adds the difference from the stored ones to
 *   `report_days` (per coupon, local day, currency) and `report_codes` (per code, currency). A
 *   change committed after that snapshot keeps its mark for the next fold.
 *   Folds run one at a time (a transaction advisory lock), so no fold adds a difference against
 *   contributions another fold has replaced.
 * - A rebuild (`rebuildAccount`) recomputes an account's contributions, days and codes from its
 *   whole history in one statement and takes all its marks.
 * - A read (`timeseriesFromRollups`, and the codes page's sort values `rollupSortCtes`) is one
 *   statement: the sums, plus the contributions of the subscriptions still marked computed from
 *   the history, minus their stored ones. So a report is exact whatever the folds have done; folding only keeps the live part small. While an
 *   account has a rebuild mark, or its zone is not the one asked, the read answers `rebuilding`
 *   and the caller aggregates the history instead.
 */

/** The account `{acct}` has a rebuild mark (a time zone change, or its first build). */
const REBUILD_PENDING = `exists (select 1 from report_dirty where account_id = {acct}::uuid and subscription_id is null)`;

/** The advisory lock (two-key form, class 7212014) every fold and rebuild holds: waited for, or tried. */
const FOLD_LOCK = sql`select pg_advisory_xact_lock(7212014, 1)`;
const TRY_FOLD_LOCK = sql<{ got: boolean }>`select pg_try_advisory_xact_lock(7212014, 1) as got`;

const FIGURE_COLUMNS = ['redemptions', 'converted', 'discount', 'revenue', 'revenue_pairs'] as const;
const FIGURES = FIGURE_COLUMNS.join(', ');
const NEGATED = FIGURE_COLUMNS.map((f) => `-${f}`).join(', ');
const SUMS = `sum(redemptions)::int as redemptions, sum(converted)::int as converted, sum(discount)::bigint as discount,
         sum(revenue)::bigint as revenue, sum(revenue_pairs)::int as revenue_pairs`;
const NONZERO = FIGURE_COLUMNS.map((f) => `sum(${f}) <> 0`).join(' or ');
const KEYS = ['account_id', 'subscription_id', 'coupon_id', 'code_key', 'day', 'currency'];
const DAY_KEYS = ['account_id', 'coupon_id', 'day', 'currency'];
const CODE_KEYS = ['account_id', 'coupon_id', 'code_key', 'currency'];
const sameKeys = (a: string, b: string, keys: readonly string[]) => keys.map((k) => `${a}.${k} = ${b}.${k}`).join(' and ');

/**
 * The contributions of the subscriptions in relation `subs` (account_id, subscription_id): per
 * coupon, code (`code_key`, 0 for a direct redemption), local day of the account's zone and
 * currency ('' for the redemption counts), as the reports count them (timeseries.ts, codes.ts):
 * each non-voided redemption on its creation day, `converted` when a paid invoice of its
 * subscription was created at or after it; its ledger amounts above zero on their invoice's
 * period start; each paid invoice of its subscription created at or after it, on the invoice's
 * period start (`revenue_pairs` counts those pairs: a currency with pairs is in a report even at 0).
 */
export function contributionsSql(subs: string): string {
  const from = `${subs} s join accounts a on a.id = s.account_id
        join redemptions r on r.account_id = s.account_id and r.subscription_id = s.subscription_id
        join coupons k on k.id = r.coupon_id and k.account_id = r.account_id`;
  const paidAfter = `i.account_id = r.account_id and i.subscription_id = r.subscription_id and i.paid and i.created_at >= r.created_at`;
  return `
  select x.account_id, x.subscription_id, x.coupon_id, x.code_key, x.day, x.currency, ${SUMS}
    from (
      select r.account_id, r.subscription_id, r.coupon_id, coalesce(r.code_id, 0) as code_key,
             (r.created_at at time zone a.time_zone)::date as day, ''::text as currency, 1 as redemptions,
             (exists (select 1 from invoices i where ${paidAfter}))::int as converted, 0::bigint as discount, 0::bigint as revenue, 0 as revenue_pairs
        from ${from}
       where r.status <> 'voided'
      union all
      select r.account_id, r.subscription_id, r.coupon_id, coalesce(r.code_id, 0), (i.period_start at time zone a.time_zone)::date, d.currency,
             0, 0, d.amount, 0, 0
        from ${from}
        join invoice_discounts d on d.redemption_id = r.id
        join invoices i on i.account_id = r.account_id and i.id = d.invoice_id
       where r.status <> 'voided' and d.amount > 0
      union all
      select r.account_id, r.subscription_id, r.coupon_id, coalesce(r.code_id, 0), (i.period_start at time zone a.time_zone)::date, i.currency,
             0, 0, 0, i.total, 1
        from ${from}
        join invoices i on ${paidAfter}
       where r.status <> 'voided'
    ) x
   group by x.account_id, x.subscription_id, x.coupon_id, x.code_key, x.day, x.currency`;
}

/**
 * Upserts `from`'s rows into `table`: figures replaced (`set`) or added (`add`). A new row of
 * `report_codes` also gets its code's text (`code`, null for a direct redemption's row), which
 * its page-order indexes sort on; a code's text never changes.
 */
function upsert(table: string, keys: readonly string[], from: string, how: 'set' | 'add'): string {
  const sets = FIGURE_COLUMNS.map((f) => `${f} = ${how === 'add' ? `${table}.${f} + ` : ''}excluded.${f}`).join(', ');
  const [codeColumn, codeValue] = table === 'report_codes' ? [', code', ', (select c.code from codes c where c.id = f.code_key)'] : ['', ''];
  return `insert into ${table} (${keys.join(', ')}${codeColumn}, ${FIGURES})
  select ${keys.map((k) => `f.${k}`).join(', ')}${codeValue}, ${FIGURE_COLUMNS.map((c) => `f.${c}`).join(', ')} from ${from} f
  on conflict (${keys.join(', ')}) do update set ${sets}`;
}

/** Deletes `table`'s rows among `current` (a select of its keys) whose keys `kept` does not hold. */
function deleteMissing(table: string, keys: readonly string[], current: string, kept: string): string {
  return `delete from ${table} t
   using (${current} except select ${keys.join(', ')} from ${kept}) g
   where ${sameKeys('t', 'g', keys)}`;
}

/** The statement of one fold of up to `lim` subscription marks (the oldest first). */
export const FOLD_SQL = `with
m as (
  delete from report_dirty where id in (
    select id from report_dirty where subscription_id is not null order by id limit {lim}::int for update skip locked)
  returning account_id, subscription_id
),
subs as (select distinct account_id, subscription_id from m),
new as (${contributionsSql('subs')}),
old as (select c.* from report_contributions c join subs s on s.account_id = c.account_id and s.subscription_id = c.subscription_id),
-- only the contributions that changed are written: a subscription's other days keep their rows
-- (no new row version, no WAL, no dead tuple for each unchanged one)
changed as (select ${KEYS.join(', ')}, ${FIGURES} from new except select ${KEYS.join(', ')}, ${FIGURES} from old),
up as (${upsert('report_contributions', KEYS, 'changed', 'set')}),
gone as (${deleteMissing('report_contributions', KEYS, `select ${KEYS.join(', ')} from old`, 'new')}),
delta as (select ${KEYS.join(', ')}, ${FIGURES} from new union all select ${KEYS.join(', ')}, ${NEGATED} from old),
ddays as (select ${DAY_KEYS.join(', ')}, ${SUMS} from delta group by ${DAY_KEYS.join(', ')} having ${NONZERO}),
dcodes as (select ${CODE_KEYS.join(', ')}, ${SUMS} from delta group by ${CODE_KEYS.join(', ')} having ${NONZERO}),
days as (${upsert('report_days', DAY_KEYS, 'ddays', 'add')}),
codes as (${upsert('report_codes', CODE_KEYS, 'dcodes', 'add')})
select (select count(*) from m)::int as marks, (select count(*) from subs)::int as subscriptions`;

/** The statement rebuilding one account's contributions, days and codes from its whole history. */
export const REBUILD_SQL = `with
m as (delete from report_dirty where account_id = {acct}::uuid returning 1),
subs as (select distinct account_id, subscription_id from redemptions where account_id = {acct}::uuid),
new as (${contributionsSql('subs')}),
up as (${upsert('report_contributions', KEYS, 'new', 'set')}),
gone as (${deleteMissing('report_contributions', KEYS, `select ${KEYS.join(', ')} from report_contributions where account_id = {acct}::uuid`, 'new')}),
tdays as (select ${DAY_KEYS.join(', ')}, ${SUMS} from new group by ${DAY_KEYS.join(', ')}),
days as (${upsert('report_days', DAY_KEYS, 'tdays', 'set')}),
dgone as (${deleteMissing('report_days', DAY_KEYS, `select ${DAY_KEYS.join(', ')} from report_days where account_id = {acct}::uuid`, 'tdays')}),
tcodes as (select ${CODE_KEYS.join(', ')}, ${SUMS} from new group by ${CODE_KEYS.join(', ')}),
codes as (${upsert('report_codes', CODE_KEYS, 'tcodes', 'set')}),
cgone as (${deleteMissing('report_codes', CODE_KEYS, `select ${CODE_KEYS.join(', ')} from report_codes where account_id = {acct}::uuid`, 'tcodes')})
select (select count(*) from m)::int as marks, (select count(*) from subs)::int as subscriptions`;

/**
 * The account's subscriptions still marked (`dirty`), their contributions computed from the
 * history (`live`), and what the stored rollups lack for them (`stale`: the live contributions
 * minus their stored ones; coupon_id, code_key, day, currency and the figures).
 */
const STALE_CTES = `dirty as (select distinct account_id, subscription_id from report_dirty where account_id = {acct}::uuid and subscription_id is not null),
live as (${contributionsSql('dirty')}),
stale as (
  select coupon_id, code_key, day, currency, ${FIGURES} from live
  union all
  -- per marked subscription by its key (offset 0 keeps the lookup per subscription: the marks are few)
  select c.coupon_id, c.code_key, c.day, c.currency, ${FIGURE_COLUMNS.map((f) => `-c.${f}`).join(', ')}
    from dirty s cross join lateral (
      select * from report_contributions c where c.account_id = s.account_id and c.subscription_id = s.subscription_id offset 0) c
)`;

/**
 * The rollup rows of `table` for the account (of coupon `{coupon}` when not null), plus the live
 * contributions of its marked subscriptions minus their stored ones: STALE_CTES and
 * `x` (coupon_id, code_key, day, currency and the figures). `table`'s rows have no code_key or
 * day when it does not key by them (0 and null stand in).
 */
function withLive(table: 'report_days' | 'report_codes'): string {
  const ofCoupon = (col: string) => `({coupon}::uuid is null or ${col} = {coupon}::uuid)`;
  const cols = table === 'report_days' ? 'coupon_id, 0::bigint as code_key, day, currency' : 'coupon_id, code_key, null::date as day, currency';
  return `${STALE_CTES},
x as (
  select ${cols}, ${FIGURES} from ${table} where account_id = {acct}::uuid and ${ofCoupon('coupon_id')}
  union all
  select coupon_id, code_key, day, currency, ${FIGURES} from stale where ${ofCoupon('coupon_id')}
)`;
}

/**
 * GET /v1/reports/timeseries from the rollups, per local day in [fromDay, toDay): the days, plus
 * the live contributions of the subscriptions still marked minus their stored ones, in one
 * statement. Parameters: acct, zone, fromDay, toDay, coupon.
 */
export const TIMESERIES_ROLLUP_SQL = `with
${withLive('report_days')},
agg as (
  select day, currency, sum(redemptions) as n, sum(discount) as d, sum(revenue) as v, sum(revenue_pairs) as p
    from x where day >= {fromDay}::date and day < {toDay}::date
   group by day, currency
),
days as (
  select day, coalesce(sum(n) filter (where currency = ''), 0) as redemptions,
         jsonb_object_agg(currency, d::text) filter (where currency <> '' and d > 0) as discount,
         jsonb_object_agg(currency, v::text) filter (where currency <> '' and p > 0) as revenue
    from agg group by day
),
state as (
  select ${REBUILD_PENDING}
         or not exists (select 1 from accounts where id = {acct}::uuid and time_zone = {zone}::text) as rebuilding
)
select st.rebuilding, d.day::text as day, d.redemptions, d.discount, d.revenue
  from state st
  left join days d on not st.rebuilding and (d.redemptions <> 0 or d.discount is not null or d.revenue is not null)
 order by d.day`;

/**
 * The codes page's sort value per (coupon, code) from the rollups (CTE `sv`: coupon_id, code_key,
 * v), with the rows the history statement (codes.ts SORT_VALUE_SQL) gives: a code has a row only
 * when that statement groups one for it. Parameters: acct, coupon, currency.
 */
export function rollupSortCtes(sort: ReportSort): string {
  const per = (v: string, having: string, where = 'true') =>
    `select coupon_id, code_key, ${v} as v from x where ${where} group by coupon_id, code_key having ${having}`;
  const cur = `currency = {currency}::text`;
  const sv: Record<ReportSort, string> = {
    '-redemptions': per('sum(redemptions)::numeric', 'sum(redemptions) > 0'),
    '-converted': per('sum(converted)::numeric', 'sum(converted) > 0'),
    '-conversionRate': per('sum(converted)::numeric / sum(redemptions)', 'sum(redemptions) > 0'),
    '-revenue': per('sum(revenue)::numeric', 'sum(revenue_pairs) > 0', cur),
    '-discount': per('sum(discount)::numeric', 'sum(discount) > 0', cur),
  };
  return `${withLive('report_codes')},
sv as (${sv[sort]})`;
}

/**
 * Per sort: the value a `report_codes` row `rc` sorts on, which rows have one above 0, and the
 * upper bound a cursor sets on it (of the value's type, so the index takes it). Each has an
 * index in page order (Migration20261216000000_report_code_order): the value descending, then
 * (code_key = 0), code, coupon id as text, code_key.
 */
const UP_TO_INT = `(-{afterValue}::numeric)::bigint`;
const ORDERED: Record<ReportSort, { value: string; where: string; upTo: string }> = {
  '-redemptions': { value: 'rc.redemptions', where: `rc.currency = '' and rc.redemptions > 0`, upTo: UP_TO_INT },
  '-converted': { value: 'rc.converted', where: `rc.currency = '' and rc.converted > 0`, upTo: UP_TO_INT },
  '-conversionRate': { value: '(rc.converted::numeric / rc.redemptions)', where: `rc.currency = '' and rc.converted > 0`, upTo: `-{afterValue}::numeric` },
  '-revenue': { value: 'rc.revenue', where: `rc.currency = {currency}::text and rc.revenue > 0`, upTo: UP_TO_INT },
  '-discount': { value: 'rc.discount', where: `rc.currency = {currency}::text and rc.discount > 0`, upTo: UP_TO_INT },
};

/** The page key (codes.ts) of a row with sort value `value`, code key `codeKey` (0 for no code), `code` and `couponId`. */
const pageKey = (value: string, codeKey: string, code: string, couponId: string): PageKey =>
  ({ negValue: `-(${value}::numeric)`, noCode: `${codeKey} = 0`, code, couponId, codeKey });

/**
 * The codes page's rows whose sort value is above 0, read in page order from the rollups (CTE
 * `page`, the columns of codes.ts's): the stored rows through the sort's index, except the codes
 * of subscriptions still marked, whose values are computed live (stored, plus their live
 * contributions, minus their stored ones) and merged in. Every row with a value above 0 comes
 * before every other row of the page order (codes.ts), so these are the page's first rows; with
 * `cursor`, those after `{after*}`. Parameters: acct, coupon, currency, lim and with a cursor
 * afterValue, afterNull, afterCode, afterCoupon, afterCodeId.
 */
export function rollupOrderedPageCtes(sort: ReportSort, cursor: boolean): string {
  const { value, where, upTo } = ORDERED[sort];
  const ofCoupon = (col: string) => `({coupon}::uuid is null or ${col} = {coupon}::uuid)`;
  return `${STALE_CTES},
touched as (select distinct coupon_id, code_key from stale),
tv as (
  select coupon_id, code_key, currency, ${SUMS}
    from (select rc.coupon_id, rc.code_key, rc.currency, ${FIGURE_COLUMNS.map((f) => `rc.${f}`).join(', ')}
            from touched t join report_codes rc on rc.account_id = {acct}::uuid and rc.coupon_id = t.coupon_id and rc.code_key = t.code_key
          union all
          select coupon_id, code_key, currency, ${FIGURES} from stale) y
   group by coupon_id, code_key, currency
),
stream as (
  select rc.coupon_id, rc.code_key, rc.code, ${value} as v
    from report_codes rc
   where rc.account_id = {acct}::uuid and ${where} and ${ofCoupon('rc.coupon_id')}
     and rc.code_key <> all (array(select code_key from touched where code_key <> 0))
     and (rc.code_key <> 0 or rc.coupon_id <> all (array(select coupon_id from touched where code_key = 0)))${cursor ? `
     and ${value} <= ${upTo} and ${pageKeyAfter(pageKey(value, 'rc.code_key', 'rc.code', 'rc.coupon_id'))}` : ''}
   order by ${value} desc, (rc.code_key = 0), rc.code, (rc.coupon_id::text), rc.code_key
   limit {lim}::int
),
lv as (
  select rc.coupon_id, rc.code_key, c.code, ${value} as v
    from tv rc left join codes c on c.id = rc.code_key
   where ${where} and ${ofCoupon('rc.coupon_id')}${cursor ? ` and ${pageKeyAfter(pageKey(value, 'rc.code_key', 'c.code', 'rc.coupon_id'))}` : ''}
),
pk as (
  select * from (select * from stream union all select * from lv) u
   order by v desc, (code_key = 0), code collate "C", coupon_id::text, code_key
   limit {lim}::int
),
page as (
  select nullif(pk.code_key, 0) as code_id, pk.code_key, pk.coupon_id, c.code, c.deleted_at is not null as deleted,
         coalesce(c.channel, k.channel) as channel, coalesce(c.partner, k.partner) as partner,
         coalesce(c.referrer_customer_id, k.referrer_customer_id) as referrer_customer_id,
         ${pageKeyColumns(pageKey('pk.v', 'pk.code_key', 'pk.code', 'pk.coupon_id'))}
    from pk join coupons k on k.id = pk.coupon_id left join codes c on c.id = nullif(pk.code_key, 0)
)`;
}

export interface FoldResult {
  marks: number;
  subscriptions: number;
}

/**
 * How a fold takes the fold lock: `wait` queues behind the fold holding it; `try` answers `busy`
 * at once instead (a scheduled fold: the one holding the lock is folding, the next run takes what
 * is left), so folds never pile up holding pooled connections and snapshots while they wait.
 */
export type FoldLockMode = 'wait' | 'try';

async function underFoldLock(em: Em, text: string, params: SqlParams, lock: FoldLockMode, unbounded = false): Promise<FoldResult | 'busy'> {
  return em.transactional(async (tx) => {
    const db = tx.getKysely();
    // a rebuild reads the account's whole history: no statement timeout for its transaction
    if (unbounded) await sql`select set_config('statement_timeout', '0', true)`.execute(db);
    if (lock === 'try') {
      const { rows } = await TRY_FOLD_LOCK.execute(db);
      if (!rows[0]?.got) return 'busy';
    } else {
      await FOLD_LOCK.execute(db);
    }
    const { rows } = await bound<FoldResult>(text, params).execute(db);
    return rows[0] as FoldResult;
  });
}

/** Folds up to `limit` subscription marks, oldest first ('busy': another fold held the lock, with `try`). */
export function foldMarks(em: Em, limit: number, lock: FoldLockMode = 'wait'): Promise<FoldResult | 'busy'> {
  return underFoldLock(em, FOLD_SQL, { lim: String(limit) }, lock);
}

/**
 * Rebuilds one account's rollups from its whole history, taking all its marks; without a
 * statement timeout (about 50 µs of the database's time per redemption), holding the fold lock
 * meanwhile (marks wait, reports stay exact).
 */
export function rebuildAccount(em: Em, accountId: string, lock: FoldLockMode = 'wait'): Promise<FoldResult | 'busy'> {
  return underFoldLock(em, REBUILD_SQL, { acct: accountId }, lock, true);
}

/**
 * Whether the account's rollups hold all of its history: true unless it has a rebuild mark (its
 * first build after the migration, or a time zone change; the codes' sums do not depend on the
 * zone, but a mark cannot tell the two apart). An account once built stays built.
 */
export async function rollupsBuilt(em: Em, accountId: string): Promise<boolean> {
  const { rows } = await bound<{ pending: boolean }>(`select ${REBUILD_PENDING} as pending`, { acct: accountId }).execute(em.getKysely());
  return rows[0]?.pending === false;
}

/** Up to `limit` accounts with a rebuild mark. */
export async function accountsToRebuild(em: Em, limit: number): Promise<string[]> {
  const { rows } = await sql<{ account_id: string }>`select distinct account_id from report_dirty
     where subscription_id is null limit ${limit}`.execute(em.getKysely());
  return rows.map((r) => r.account_id);
}

export async function timeseriesFromRollups(
  em: Em,
  accountId: string,
  q: { zone: string; fromDay: string; toDay: string; couponId: string | null },
): Promise<DayFigures[] | 'rebuilding'> {
  type Row = { rebuilding: boolean; day: string | null; redemptions: string | null; discount: Record<string, string> | null; revenue: Record<string, string> | null };
  const params = { acct: accountId, zone: q.zone, fromDay: q.fromDay, toDay: q.toDay, coupon: q.couponId };
  const rows = await runReport(em, bound<Row>(TIMESERIES_ROLLUP_SQL, params));
  if (rows[0]?.rebuilding) return 'rebuilding';
  return rows.filter((r) => r.day !== null).map((r) => ({ day: r.day as string, redemptions: Number(r.redemptions), discount: r.discount, revenue: r.revenue }));
}
