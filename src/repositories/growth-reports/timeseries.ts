import type { Em } from '../../db/orm';
import type { DayFigures } from '../../domain';
import { redemptionsCte } from './figures';
import { bound, runReport, type SqlParams } from './run';

/**
 * The timeseries report (GET /v1/reports/timeseries): redemptions, discount and revenue per local
 * day of the account's zone.
 */

/**
 * GET /v1/reports/timeseries, per local day of the account's zone: non-voided redemptions by
 * their creation instant, ledger amounts and the revenue of paid invoices (as in the other
 * reports) by their invoice's period start, within [rangeStart, rangeEnd).
 */
export async function timeseriesDays(
  em: Em,
  accountId: string,
  q: { zone: string; rangeStart: string; rangeEnd: string; couponId: string | null; code: string | null },
): Promise<DayFigures[]> {
  const { text, params } = timeseriesStatement(accountId, q);
  type Row = { day: string; redemptions: string; discount: Record<string, string> | null; revenue: Record<string, string> | null };
  const rows = await runReport(em, bound<Row>(text, params));
  return rows.map((r) => ({ day: r.day, redemptions: Number(r.redemptions), discount: r.discount, revenue: r.revenue }));
}

export function timeseriesStatement(
  accountId: string,
  q: { zone: string; rangeStart: string; rangeEnd: string; couponId: string | null; code: string | null },
): { text: string; params: SqlParams } {
  const text = `with ${redemptionsCte().replace(/\{since\}|\{until\}/g, 'null')},
red as (
  select (r.created_at at time zone {zone}::text)::date as day, count(*) as n
    from r where r.created_at >= {rangeStart}::timestamptz and r.created_at < {rangeEnd}::timestamptz
   group by 1
),
dm as (
  select (i.period_start at time zone {zone}::text)::date as day, d.currency, sum(d.amount) as amount
    from r join invoice_discounts d on d.redemption_id = r.id
    join invoices i on i.account_id = {acct}::uuid and i.id = d.invoice_id
   where d.amount > 0 and i.period_start >= {rangeStart}::timestamptz and i.period_start < {rangeEnd}::timestamptz
   group by 1, 2
),
rm as (
  select (i.period_start at time zone {zone}::text)::date as day, i.currency, sum(i.total) as amount
    from r join invoices i on i.account_id = {acct}::uuid and i.subscription_id = r.subscription_id
   where i.paid and i.created_at >= r.created_at
     and i.period_start >= {rangeStart}::timestamptz and i.period_start < {rangeEnd}::timestamptz
   group by 1, 2
),
days as (select day from red union select day from dm union select day from rm)
select days.day::text as day, coalesce(red.n, 0) as redemptions,
       (select jsonb_object_agg(currency, amount::text) from dm where dm.day = days.day) as discount,
       (select jsonb_object_agg(currency, amount::text) from rm where rm.day = days.day) as revenue
  from days left join red on red.day = days.day`;
  return { text, params: { acct: accountId, coupon: q.couponId, code: q.code, zone: q.zone, rangeStart: q.rangeStart, rangeEnd: q.rangeEnd } };
}
