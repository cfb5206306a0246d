import type { Em } from '../../db/orm';
import { compactAttribution, type Attribution, type GroupFigures, type ReportSort } from '../../domain';
import { figures, groupCtes, pageKeyAfter, pageKeyColumns, redemptionsCte, sortValue, type PageKey, type RawRow } from './figures';
import { csvTextSql } from '../csv-sql';
import { bound, fromSettings, inReportTransaction, REPORT_SETTINGS, settingsOf, type SqlParams } from './run';
import { rollupOrderedPageCtes, rollupSortCtes } from './rollups';

/**
 * The codes report (GET /v1/reports/codes and codes.csv): one row per code and per coupon's
 * direct redemptions, in sort order. A page sorts on a light per-sort value (`SORT_VALUE_SQL`)
 * and computes the whole figures of its own rows only, continuing after a CodeReportKey; the
 * CSV export computes every row's figures in one statement read from session settings; its text
 * cells a client chose (code, attribution, currency) go through csvTextSql, the uuid and the
 * figures (numbers) do not.
 */

export interface CodeReportFilter {
  couponId: string | null;
  channel: string | null;
  partner: string | null;
  sort: ReportSort;
  currency: string;
}

/** A row's position in the report order: (−value, code is null, code, coupon id, code id). */
export type CodeReportKey = [string, boolean, string, string, string];

/**
 * The rows of GET /v1/reports/codes: every code of the account's coupons that is not deleted or
 * was ever redeemed (timesRedeemed never decreases), plus one `code: null` row per coupon with
 * direct redemptions (carrying the coupon's attribution). Filters apply to the effective
 * attribution (the code's over its coupon's). Order: the sort value descending, then code
 * (byte order, nulls last), coupon id and code id; `{after*}` continue after a key.
 * Parameters: acct, coupon, channel, partner, currency, afterValue, afterNull, afterCode,
 * afterCoupon, afterCodeId, lim.
 */
export function codeReportSql(sort: ReportSort, csv: boolean, source: Exclude<SortSource, 'ordered'> = 'history'): string {
  const rowsCte = `
rows as (
  select c.id as code_id, c.id as code_key, c.coupon_id, c.code, c.deleted_at is not null as deleted,
         coalesce(c.channel, k.channel) as channel, coalesce(c.partner, k.partner) as partner,
         coalesce(c.referrer_customer_id, k.referrer_customer_id) as referrer_customer_id
    from coupons k join codes c on c.coupon_id = k.id
   where k.account_id = {acct}::uuid and ({coupon}::uuid is null or k.id = {coupon}::uuid)
     and (c.deleted_at is null or c.times_redeemed > 0)
  union all
  select null, 0, k.id, null, false, k.channel, k.partner, k.referrer_customer_id
    from coupons k
   where k.account_id = {acct}::uuid and ({coupon}::uuid is null or k.id = {coupon}::uuid)
     and exists (select 1 from redemptions d where d.coupon_id = k.id and d.code_id is null)
)`;
  // a row's key, `negValue` its sort value negated
  const key = (negValue: string): PageKey => ({ negValue, noCode: '(x.code is null)', code: 'x.code', couponId: 'x.coupon_id', codeKey: 'x.code_key' });
  const filters = `({channel}::text is null or x.channel = {channel}::text) and ({partner}::text is null or x.partner = {partner}::text)`;
  const order = `order by k_value, k_null, k_code, k_coupon, k_code_id`;
  if (csv) {
    return `with ${redemptionsCte()},${groupCtes('r.coupon_id, r.code_key')},${rowsCte},
ranked as (
  select x.*, g.redemptions, g.customers, g.converted, g.churned, gm.cur_discount, gm.cur_revenue,
         ${pageKeyColumns(key(`-(${sortValue(sort)})`))}
    from rows x
    left join g on g.coupon_id = x.coupon_id and g.code_key = x.code_key
    left join gm on gm.coupon_id = x.coupon_id and gm.code_key = x.code_key
   where ${filters}
)
select ${csvTextSql('code')} as code, coupon_id, ${csvTextSql('channel')} as channel, ${csvTextSql('partner')} as partner,
       ${csvTextSql('referrer_customer_id')} as referrer_customer_id,
       coalesce(redemptions, 0) as redemptions, coalesce(customers, 0) as customers, coalesce(converted, 0) as converted,
       case when coalesce(redemptions, 0) > 0 then converted::float8 / redemptions end as conversion_rate,
       coalesce(redemptions, 0) - coalesce(churned, 0) as active, coalesce(churned, 0) as churned,
       ${csvTextSql('{currency}::text')} as currency, coalesce(cur_discount, 0) as discount, coalesce(cur_revenue, 0) as revenue,
       case when coalesce(customers, 0) > 0 then floor((2 * coalesce(cur_revenue, 0) + customers) / (2 * customers)) end as average_lifetime_value
  from ranked ${order}`;
  }
  // A page needs the sort value of every row but the figures of its own rows only: the value
  // first (one pass over what the sort reads, or the rollups), then the whole figures for the
  // page's codes.
  const pageKey = key(`-(coalesce(sv.v, ${sort === '-conversionRate' ? -1 : 0}))`);
  const sortValues = source === 'rollups' ? rollupSortCtes(sort) : `base as (
  select r.id, r.coupon_id, coalesce(r.code_id, 0) as code_key, r.subscription_id, r.created_at
    from coupons k join redemptions r on r.coupon_id = k.id
   where k.account_id = {acct}::uuid and r.account_id = {acct}::uuid and r.status <> 'voided'
     and ({coupon}::uuid is null or k.id = {coupon}::uuid)
),
sv as (${SORT_VALUE_SQL[sort]})`;
  return `with
${sortValues},
${rowsCte.trim()},
page as (
  select x.*, ${pageKeyColumns(pageKey)}
    from rows x left join sv on sv.coupon_id = x.coupon_id and sv.code_key = x.code_key
   where ${filters}
     and ({afterValue}::numeric is null or ${pageKeyAfter(pageKey)})
   ${order}
   limit {lim}::int
),
${PAGE_FIGURES}`;
}

/**
 * The page's figures and keys, after a CTE `page` of its rows (code_id, code_key, coupon_id, code,
 * deleted, channel, partner, referrer_customer_id and the keys k_value, k_null, k_code, k_coupon,
 * k_code_id): the whole figures of the page's codes only.
 */
const PAGE_FIGURES = `${redemptionsCte(`
     and (r.code_id = any (array(select code_id from page where code_id is not null))
          or (r.code_id is null and r.coupon_id = any (array(select coupon_id from page where code_id is null))))`)},${groupCtes('r.coupon_id, r.code_key')}
select p.code, p.coupon_id, p.deleted, p.channel, p.partner, p.referrer_customer_id, g.redemptions, g.customers, g.converted, g.churned,
       gm.discount, gm.revenue, p.k_value::text as cursor_value, p.k_null, p.k_code, p.k_coupon, p.k_code_id::text as cursor_code_id
  from page p
  left join g on g.coupon_id = p.coupon_id and g.code_key = p.code_key
  left join gm on gm.coupon_id = p.coupon_id and gm.code_key = p.code_key
 order by p.k_value, p.k_null, p.k_code, p.k_coupon, p.k_code_id`;

/**
 * A page's rows whose sort value is above 0, read in page order from the rollups' indexes
 * (rollups.ts `rollupOrderedPageCtes`); `cursor`: after `{after*}`. Parameters as codeReportSql's.
 */
export function codeReportOrderedSql(sort: ReportSort, cursor: boolean): string {
  return `with
${rollupOrderedPageCtes(sort, cursor)},
${PAGE_FIGURES}`;
}

/**
 * Where a page's sort values come from: the history (SORT_VALUE_SQL), or the rollups
 * (rollups.ts `rollupSortCtes`, the same values), or the rollups read in page order
 * (`codeReportOrderedSql`) for the rows with a value above 0 and the rollups' values for the rest;
 * the service uses `ordered` once the account's rollups are built. A page filtered by channel or
 * partner (attributions the rollups do not hold) sorts every code on the rollups' values.
 */
export type SortSource = 'history' | 'rollups' | 'ordered';

/** What each sort orders by, per (coupon, code) over `base` (the non-voided redemptions): `v`. */
const PAID_AFTER = `i.account_id = {acct}::uuid and i.subscription_id = b.subscription_id and i.paid and i.created_at >= b.created_at`;
const SORT_VALUE_SQL: Record<ReportSort, string> = {
  '-redemptions': `select coupon_id, code_key, count(*)::numeric as v from base group by coupon_id, code_key`,
  '-converted': `select b.coupon_id, b.code_key, count(*)::numeric as v from base b
    where exists (select 1 from invoices i where ${PAID_AFTER}) group by b.coupon_id, b.code_key`,
  '-conversionRate': `select b.coupon_id, b.code_key,
    (count(*) filter (where exists (select 1 from invoices i where ${PAID_AFTER})))::numeric / count(*) as v
    from base b group by b.coupon_id, b.code_key`,
  '-revenue': `select b.coupon_id, b.code_key, sum(i.total)::numeric as v from base b join invoices i on ${PAID_AFTER}
    where i.currency = {currency}::text group by b.coupon_id, b.code_key`,
  '-discount': `select b.coupon_id, b.code_key, sum(d.amount)::numeric as v from base b join invoice_discounts d on d.redemption_id = b.id
    where d.amount > 0 and d.currency = {currency}::text group by b.coupon_id, b.code_key`,
};

function codeParams(accountId: string, f: CodeReportFilter): SqlParams {
  return { acct: accountId, coupon: f.couponId, code: null, since: null, until: null, channel: f.channel, partner: f.partner, currency: f.currency };
}

export interface CodeReportRow extends GroupFigures {
  code: string | null;
  couponId: string;
  attribution: Attribution;
  deleted: boolean;
}

/** One page of GET /v1/reports/codes; `after` is the last key of the previous page. */
export function codePageParams(accountId: string, f: CodeReportFilter, limit: number, after: CodeReportKey | null): SqlParams {
  return {
    ...codeParams(accountId, f),
    afterValue: after?.[0] ?? null,
    afterNull: after ? String(after[1]) : null,
    afterCode: after?.[2] ?? null,
    afterCoupon: after?.[3] ?? null,
    afterCodeId: after?.[4] ?? null,
    lim: String(limit),
  };
}

export async function codeReportPage(
  em: Em,
  accountId: string,
  f: CodeReportFilter,
  limit: number,
  after: CodeReportKey | null,
  source: SortSource = 'history',
): Promise<{ rows: CodeReportRow[]; keys: CodeReportKey[] }> {
  type Row = RawRow & {
    code: string | null; coupon_id: string; deleted: boolean; channel: string | null; partner: string | null; referrer_customer_id: string | null;
    cursor_value: string; k_null: boolean; k_code: string; k_coupon: string; cursor_code_id: string;
  };
  const rows = await inReportTransaction(em, async (run) => {
    const page = (text: string, lim: number, from: CodeReportKey | null) => run(bound<Row>(text, codePageParams(accountId, f, lim, from)));
    if (source !== 'ordered' || f.channel !== null || f.partner !== null || (after !== null && !(Number(after[0]) < 0))) {
      return page(codeReportSql(f.sort, false, source === 'history' ? 'history' : 'rollups'), limit, after);
    }
    // the rows with a value above 0 in index order; the rest of the page (values of 0 and codes
    // without one) from the statement that sorts every code, after the last of them
    const head = await page(codeReportOrderedSql(f.sort, after !== null), limit, after);
    const last = head.at(-1);
    if (head.length === limit) return head;
    const from: CodeReportKey | null = last ? [last.cursor_value, last.k_null, last.k_code, last.k_coupon, last.cursor_code_id] : after;
    return [...head, ...(await page(codeReportSql(f.sort, false, 'rollups'), limit - head.length, from))];
  });
  return {
    rows: rows.map((r) => ({
      code: r.code,
      couponId: r.coupon_id,
      attribution: compactAttribution({ channel: r.channel, partner: r.partner, referrerCustomerId: r.referrer_customer_id }),
      deleted: r.deleted,
      ...figures(r),
    })),
    keys: rows.map((r) => [r.cursor_value, r.k_null, r.k_code, r.k_coupon, r.cursor_code_id]),
  };
}

/** GET /v1/reports/codes.csv: the statement (reading session settings) and the settings to set. */
export function codeReportCsv(accountId: string, f: CodeReportFilter): { query: string; settings: Record<string, string> } {
  return { query: fromSettings(codeReportSql(f.sort, true)), settings: { ...REPORT_SETTINGS, ...settingsOf(codeParams(accountId, f)) } };
}
