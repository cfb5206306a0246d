import { sql } from 'kysely';
import type { Em } from '../../db/orm';
import type { DayFigures } from '../../domain';
import { bound, runReport, type SqlParams } from './run';

/**
 * Rollups of the timeseries figures, exact by construction:
 * - Triggers (src/db/report-rollup-triggers.ts) insert a mark into `report_dirty` in every
 *   transaction that changes a report input: a redemption inserted or (un)voided, an invoice
 *   inserted or marked paid, a ledger row inserted (marked by its (account, subscription)), an
 *   account's time zone changed (marked for a rebuild, subscription null).
 * - A fold (`foldMarks`) takes the marks it sees and, in the same statement (one snapshot),
 *   recomputes those subscriptions' contributions from the history (`contributionsSql`, the
 *   timeseries' own definitions), stores them, and adds the difference from the stored ones to
 *   `report_days`. A change committed after that snapshot keeps its mark for the next fold.
 *   Folds run one at a time (a transaction advisory lock), so no fold adds a difference against
 *   contributions another fold has replaced.
 * - A rebuild (`rebuildAccount`) recomputes an account's contributions and days from its whole
 *   history in one statement and takes all its marks.
 * - A read (`timeseriesFromRollups`) is one statement: the days, plus the contributions of the
 *   subscriptions still marked computed from the history, minus their stored ones. So a report
 *   is exact whatever the folds have done; folding only keeps the live part small. While an
 *   account has a rebuild mark, or its zone is not the one asked, the read answers `rebuilding`
 *   and the caller aggregates the history instead.
 */

/** The advisory lock (two-key form, class 7212014) every fold and rebuild holds. */
const FOLD_LOCK = sql`select pg_advisory_xact_lock(7212014, 1)`;

const FIGURES = 'redemptions, discount, revenue, revenue_pairs';
const KEYS = ['account_id', 'subscription_id', 'coupon_id', 'day', 'currency'] as const;
const DAY_KEYS = ['account_id', 'coupon_id', 'day', 'currency'] as const;
const sameKeys = (a: string, b: string, keys: readonly string[] = KEYS) => keys.map((k) => `${a}.${k} = ${b}.${k}`).join(' and ');

/**
 * The contributions of the subscriptions in relation `subs` (account_id, subscription_id): per
 * coupon, local day of the account's zone and currency ('' for the redemption count), as the
 * timeseries statement (timeseries.ts) counts them: each non-voided redemption on its creation
 * day; its ledger amounts above zero on their invoice's period start; each paid invoice of its
 * subscription created at or after it, on the invoice's period start (`revenue_pairs` counts
 * those pairs).
 */
export function contributionsSql(subs: string): string {
  const from = `${subs} s join accounts a on a.id = s.account_id
      join redemptions r on r.account_id = s.account_id and r.subscription_id = s.subscription_id
      join coupons k on k.id = r.coupon_id and k.account_id = r.account_id`;
  return `
  select x.account_id, x.subscription_id, x.coupon_id, x.day, x.currency,
         sum(x.redemptions)::int as redemptions, sum(x.discount)::bigint as discount,
         sum(x.revenue)::bigint as revenue, sum(x.revenue_pairs)::int as revenue_pairs
    from (
      select r.account_id, r.subscription_id, r.coupon_id, (r.created_at at time zone a.time_zone)::date as day, ''::text as currency,
             1 as redemptions, 0::bigint as discount, 0::bigint as revenue, 0 as revenue_pairs
        from ${from}
       where r.status <> 'voided'
      union all
      select r.account_id, r.subscription_id, r.coupon_id, (i.period_start at time zone a.time_zone)::date, d.currency, 0, d.amount, 0, 0
        from ${from}
        join invoice_discounts d on d.redemption_id = r.id
        join invoices i on i.account_id = r.account_id and i.id = d.invoice_id
       where r.status <> 'voided' and d.amount > 0
      union all
      select r.account_id, r.subscription_id, r.coupon_id, (i.period_start at time zone a.time_zone)::date, i.currency, 0, 0, i.total, 1
        from ${from}
        join invoices i on i.account_id = r.account_id and i.subscription_id = r.subscription_id
       where r.status <> 'voided' and i.paid and i.created_at >= r.created_at
    ) x
   group by x.account_id, x.subscription_id, x.coupon_id, x.day, x.currency`;
}

const upsertContributions = `insert into report_contributions (${KEYS.join(', ')}, ${FIGURES})
  select ${KEYS.join(', ')}, ${FIGURES} from new
  on conflict (${KEYS.join(', ')}) do update
    set redemptions = excluded.redemptions, discount = excluded.discount, revenue = excluded.revenue, revenue_pairs = excluded.revenue_pairs`;

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
up as (${upsertContributions}),
gone as (
  delete from report_contributions c
   using (select ${KEYS.join(', ')} from old except select ${KEYS.join(', ')} from new) g
   where ${sameKeys('c', 'g')}
),
diff as (
  select account_id, coupon_id, day, currency, sum(redemptions) as redemptions, sum(discount) as discount,
         sum(revenue) as revenue, sum(revenue_pairs) as revenue_pairs
    from (select account_id, coupon_id, day, currency, ${FIGURES} from new
          union all
          select account_id, coupon_id, day, currency, -redemptions, -discount, -revenue, -revenue_pairs from old) x
   group by account_id, coupon_id, day, currency
  having sum(redemptions) <> 0 or sum(discount) <> 0 or sum(revenue) <> 0 or sum(revenue_pairs) <> 0
),
days as (
  insert into report_days (account_id, coupon_id, day, currency, ${FIGURES})
  select account_id, coupon_id, day, currency, ${FIGURES} from diff
  on conflict (account_id, coupon_id, day, currency) do update
    set redemptions = report_days.redemptions + excluded.redemptions, discount = report_days.discount + excluded.discount,
        revenue = report_days.revenue + excluded.revenue, revenue_pairs = report_days.revenue_pairs + excluded.revenue_pairs
)
select (select count(*) from m)::int as marks, (select count(*) from subs)::int as subscriptions`;

/** The statement rebuilding one account's contributions and days from its whole history. */
export const REBUILD_SQL = `with
m as (delete from report_dirty where account_id = {acct}::uuid returning 1),
subs as (select distinct account_id, subscription_id from redemptions where account_id = {acct}::uuid),
new as (${contributionsSql('subs')}),
up as (${upsertContributions}),
gone as (
  delete from report_contributions c
   using (select ${KEYS.join(', ')} from report_contributions where account_id = {acct}::uuid
          except select ${KEYS.join(', ')} from new) g
   where ${sameKeys('c', 'g')}
),
totals as (
  select account_id, coupon_id, day, currency, sum(redemptions)::int as redemptions, sum(discount)::bigint as discount,
         sum(revenue)::bigint as revenue, sum(revenue_pairs)::int as revenue_pairs
    from new group by account_id, coupon_id, day, currency
),
days as (
  insert into report_days (account_id, coupon_id, day, currency, ${FIGURES})
  select account_id, coupon_id, day, currency, ${FIGURES} from totals
  on conflict (account_id, coupon_id, day, currency) do update
    set redemptions = excluded.redemptions, discount = excluded.discount, revenue = excluded.revenue, revenue_pairs = excluded.revenue_pairs
),
dgone as (
  delete from report_days d
   using (select ${DAY_KEYS.join(', ')} from report_days where account_id = {acct}::uuid
          except select ${DAY_KEYS.join(', ')} from totals) g
   where ${sameKeys('d', 'g', DAY_KEYS)}
)
select (select count(*) from m)::int as marks, (select count(*) from subs)::int as subscriptions`;

export interface FoldResult {
  marks: number;
  subscriptions: number;
}

async function underFoldLock(em: Em, text: string, params: SqlParams): Promise<FoldResult> {
  return em.transactional(async (tx) => {
    const db = tx.getKysely();
    await FOLD_LOCK.execute(db);
    const { rows } = await bound<FoldResult>(text, params).execute(db);
    return rows[0] as FoldResult;
  });
}

/** Folds up to `limit` subscription marks, oldest first. */
export function foldMarks(em: Em, limit: number): Promise<FoldResult> {
  return underFoldLock(em, FOLD_SQL, { lim: String(limit) });
}

/** Rebuilds one account's rollups from its whole history, taking all its marks. */
export function rebuildAccount(em: Em, accountId: string): Promise<FoldResult> {
  return underFoldLock(em, REBUILD_SQL, { acct: accountId });
}

/** Up to `limit` accounts with a rebuild mark. */
export async function accountsToRebuild(em: Em, limit: number): Promise<string[]> {
  const { rows } = await sql<{ account_id: string }>`select distinct account_id from report_dirty
     where subscription_id is null limit ${limit}`.execute(em.getKysely());
  return rows.map((r) => r.account_id);
}

/**
 * GET /v1/reports/timeseries from the rollups, per local day in [fromDay, toDay): the days, plus
 * the live contributions of the subscriptions still marked minus their stored ones, in one
 * statement. Parameters: acct, zone, fromDay, toDay, coupon.
 */
export const TIMESERIES_ROLLUP_SQL = `with
dirty as (select distinct account_id, subscription_id from report_dirty where account_id = {acct}::uuid and subscription_id is not null),
live as (${contributionsSql('dirty')}),
x as (
  select coupon_id, day, currency, ${FIGURES} from report_days
   where account_id = {acct}::uuid
  union all
  select coupon_id, day, currency, ${FIGURES} from live
  union all
  -- per marked subscription by its key (offset 0 keeps the lookup per subscription: the marks are few)
  select c.coupon_id, c.day, c.currency, -c.redemptions, -c.discount, -c.revenue, -c.revenue_pairs
    from dirty s cross join lateral (
      select * from report_contributions c where c.account_id = s.account_id and c.subscription_id = s.subscription_id offset 0) c
),
agg as (
  select day, currency, sum(redemptions) as n, sum(discount) as d, sum(revenue) as v, sum(revenue_pairs) as p
    from x where day >= {fromDay}::date and day < {toDay}::date and ({coupon}::uuid is null or coupon_id = {coupon}::uuid)
   group by day, currency
),
days as (
  select day, coalesce(sum(n) filter (where currency = ''), 0) as redemptions,
         jsonb_object_agg(currency, d::text) filter (where currency <> '' and d > 0) as discount,
         jsonb_object_agg(currency, v::text) filter (where currency <> '' and p > 0) as revenue
    from agg group by day
),
state as (
  select exists (select 1 from report_dirty where account_id = {acct}::uuid and subscription_id is null)
         or not exists (select 1 from accounts where id = {acct}::uuid and time_zone = {zone}::text) as rebuilding
)
select st.rebuilding, d.day::text as day, d.redemptions, d.discount, d.revenue
  from state st
  left join days d on not st.rebuilding and (d.redemptions <> 0 or d.discount is not null or d.revenue is not null)
 order by d.day`;

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
