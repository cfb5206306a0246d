import { sql, type RawBuilder } from 'kysely';
import type { Em } from '../db/orm';
import {
  compactAttribution,
  groupFigures,
  SUBSCRIPTION_CANCELLED,
  type Attribution,
  type DayFigures,
  type GroupFigures,
  type ReportSort,
} from '../domain';

/**
 * Growth reports (API.md "Growth reports"), each one statement over the redemptions and the
 * ledger. The statements are written once, with named parameters `{name}`, and rendered two
 * ways: with bound parameters for kysely (`bound`), or reading the parameters from session
 * settings set with bound values (`fromSettings`, for the CSV export, whose COPY takes no bind
 * parameters). No value is ever spliced into SQL text.
 *
 * Every statement starts from the account's coupons (`coupons_account_idx`) and reaches
 * redemptions by coupon (`redemptions_coupon_customer_idx`), ledger rows by redemption
 * (`invoice_discounts_redemption_invoice_unique`), invoices by subscription
 * (`invoices_subscription_idx`) and subscriptions by key, so no scan reads another account's
 * rows (test/integration/growth-query-plans.test.ts).
 */
export type SqlParams = Record<string, string | null>;

/**
 * Planner settings for the report statements, local to their read-only transaction: no
 * sequential scan (a scan would read every account's rows; each statement has index paths for
 * all it reads), no JIT (its compile time exceeds these statements' run time) and room to hash
 * and sort 100,000-row groupings in memory.
 */
export const REPORT_SETTINGS: Readonly<Record<string, string>> = { enable_seqscan: 'off', jit: 'off', work_mem: '64MB' };

/** Runs a report statement in a read-only transaction with REPORT_SETTINGS. */
async function runReport<R>(em: Em, statement: RawBuilder<R>): Promise<R[]> {
  return em.transactional(async (tx) => {
    const db = tx.getKysely();
    await sql`set transaction read only`.execute(db);
    for (const [name, value] of Object.entries(REPORT_SETTINGS)) await sql`select set_config(${name}, ${value}, true)`.execute(db);
    return (await statement.execute(db)).rows;
  });
}

const PARAM = /\{([a-zA-Z]+)\}/g;

/** The statement with every `{name}` bound as a parameter. */
export function bound<R>(text: string, params: SqlParams): RawBuilder<R> {
  const parts: unknown[] = [];
  let last = 0;
  for (const m of text.matchAll(PARAM)) {
    const name = m[1] as string;
    if (!(name in params)) throw new Error(`report SQL: no parameter ${name}`);
    parts.push(sql.raw(text.slice(last, m.index)), params[name]);
    last = (m.index as number) + m[0].length;
  }
  parts.push(sql.raw(text.slice(last)));
  return sql.join<R>(parts, sql.raw(''));
}

export const SETTING_PREFIX = 'couponflow.report_';

/** The statement reading `{name}` from the session setting `couponflow.report_<name>` ('' is null). */
export function fromSettings(text: string): string {
  return text.replace(PARAM, (_m, name: string) => `nullif(current_setting('${SETTING_PREFIX}${name.toLowerCase()}'), '')`);
}

/** The session settings that carry `params` for fromSettings (null as ''). */
export function settingsOf(params: SqlParams): Record<string, string> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [`${SETTING_PREFIX}${k.toLowerCase()}`, v ?? '']));
}

/**
 * The non-voided redemptions a report covers, with their churn and conversion (CTEs `r`, `conv`,
 * `rev`, `disc`): `r` one row per redemption of the account's coupons (optionally one coupon,
 * one code text, a creation range); `rev` the paid invoices of each redemption's subscription
 * processed at or after it, summed per currency; `conv` the redemptions with at least one;
 * `disc` each redemption's ledger amounts per currency.
 * Parameters: acct, coupon, code, since, until (each but acct may be null).
 */
const redemptionsCte = (extra = '') => `
r as (
  select r.id, r.coupon_id, r.code_id, coalesce(r.code_id, 0) as code_key, r.customer_id, r.subscription_id, r.created_at,
         r.channel, r.partner, r.referrer_customer_id,
         (s.status = '${SUBSCRIPTION_CANCELLED}') as churned
    from coupons k
    join redemptions r on r.coupon_id = k.id
    left join subscriptions s on s.account_id = r.account_id and s.id = r.subscription_id
   where k.account_id = {acct}::uuid and r.account_id = {acct}::uuid and r.status <> 'voided'
     and ({coupon}::uuid is null or k.id = {coupon}::uuid)
     and ({code}::text is null or r.code = {code}::text)
     and ({since}::timestamptz is null or r.created_at >= {since}::timestamptz)
     and ({until}::timestamptz is null or r.created_at < {until}::timestamptz)${extra}
),
rev as (
  select r.id as rid, i.currency, sum(i.total) as total
    from r join invoices i on i.account_id = {acct}::uuid and i.subscription_id = r.subscription_id
   where i.paid and i.created_at >= r.created_at
   group by r.id, i.currency
),
conv as (select distinct rid from rev),
disc as (
  select r.id as rid, d.currency, sum(d.amount) as amount
    from r join invoice_discounts d on d.redemption_id = r.id
   where d.amount > 0
   group by r.id, d.currency
)`;

/**
 * Figures per group of `r`: `keyExpr` is the group key over `r`. CTEs `g` (counts) and `gm`
 * (money per currency as JSON, and the sort currency's sums).
 */
function groupCtes(keyCols: string): string {
  return `
g as (
  select ${keyCols}, count(*) as redemptions, count(distinct r.customer_id) as customers,
         count(conv.rid) as converted, count(*) filter (where r.churned) as churned
    from r left join conv on conv.rid = r.id
   group by ${keyCols}
),
money as (
  select ${keyCols}, x.currency, sum(x.disc) as disc, sum(x.rev) as rev
    from (select rid, currency, amount as disc, 0::numeric as rev from disc
          union all select rid, currency, 0, total from rev) x
    join r on r.id = x.rid
   group by ${keyCols}, x.currency
),
gm as (
  select ${keyCols.split(',').map((c) => c.trim().replace(/^r\./, '')).join(', ')},
         jsonb_object_agg(currency, disc::text) filter (where disc <> 0) as discount,
         jsonb_object_agg(currency, rev::text) filter (where rev <> 0) as revenue,
         coalesce(sum(disc) filter (where currency = {currency}::text), 0) as cur_discount,
         coalesce(sum(rev) filter (where currency = {currency}::text), 0) as cur_revenue
    from money
   group by ${keyCols.split(',').map((c) => c.trim().replace(/^r\./, '')).join(', ')}
)`;
}

/** The descending sort value of a row (`g` and `gm` joined), as numeric; a null rate sorts last. */
function sortValue(sort: ReportSort): string {
  switch (sort) {
    case '-redemptions':
      return 'coalesce(g.redemptions, 0)::numeric';
    case '-converted':
      return 'coalesce(g.converted, 0)::numeric';
    case '-conversionRate':
      return 'coalesce(g.converted::numeric / nullif(g.redemptions, 0), -1)';
    case '-revenue':
      return 'coalesce(gm.cur_revenue, 0)::numeric';
    case '-discount':
      return 'coalesce(gm.cur_discount, 0)::numeric';
  }
}

interface RawRow {
  redemptions: string | number | null;
  customers: string | number | null;
  converted: string | number | null;
  churned: string | number | null;
  discount: Record<string, string> | null;
  revenue: Record<string, string> | null;
}

function figures(r: RawRow): GroupFigures {
  const n = (v: string | number | null) => (v === null ? 0 : Number(v));
  return groupFigures({ redemptions: n(r.redemptions), customers: n(r.customers), converted: n(r.converted), churned: n(r.churned), discount: r.discount, revenue: r.revenue });
}

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
export function codeReportSql(sort: ReportSort, csv: boolean): string {
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
  const keys = `-(sv) as k_value, (x.code is null) as k_null, coalesce(x.code, '') collate "C" as k_code,
         x.coupon_id::text as k_coupon, x.code_key as k_code_id`;
  const filters = `({channel}::text is null or x.channel = {channel}::text) and ({partner}::text is null or x.partner = {partner}::text)`;
  const order = `order by k_value, k_null, k_code, k_coupon, k_code_id`;
  if (csv) {
    return `with ${redemptionsCte()},${groupCtes('r.coupon_id, r.code_key')},${rowsCte},
ranked as (
  select x.*, g.redemptions, g.customers, g.converted, g.churned, gm.cur_discount, gm.cur_revenue,
         ${keys.replace('-(sv)', `-(${sortValue(sort)})`)}
    from rows x
    left join g on g.coupon_id = x.coupon_id and g.code_key = x.code_key
    left join gm on gm.coupon_id = x.coupon_id and gm.code_key = x.code_key
   where ${filters}
)
select code, coupon_id, channel, partner, referrer_customer_id,
       coalesce(redemptions, 0) as redemptions, coalesce(customers, 0) as customers, coalesce(converted, 0) as converted,
       case when coalesce(redemptions, 0) > 0 then converted::float8 / redemptions end as conversion_rate,
       coalesce(redemptions, 0) - coalesce(churned, 0) as active, coalesce(churned, 0) as churned,
       {currency}::text as currency, coalesce(cur_discount, 0) as discount, coalesce(cur_revenue, 0) as revenue,
       case when coalesce(customers, 0) > 0 then floor((2 * coalesce(cur_revenue, 0) + customers) / (2 * customers)) end as average_lifetime_value
  from ranked ${order}`;
  }
  // A page needs the sort value of every row but the figures of its own rows only: the value
  // first (one pass over what the sort reads), then the whole figures for the page's codes.
  return `with
base as (
  select r.id, r.coupon_id, coalesce(r.code_id, 0) as code_key, r.subscription_id, r.created_at
    from coupons k join redemptions r on r.coupon_id = k.id
   where k.account_id = {acct}::uuid and r.account_id = {acct}::uuid and r.status <> 'voided'
     and ({coupon}::uuid is null or k.id = {coupon}::uuid)
),
sv as (${SORT_VALUE_SQL[sort]}),
${rowsCte.trim()},
page as (
  select x.*, ${keys.replace('-(sv)', `-(coalesce(sv.v, ${sort === '-conversionRate' ? -1 : 0}))`)}
    from rows x left join sv on sv.coupon_id = x.coupon_id and sv.code_key = x.code_key
   where ${filters}
     and ({afterValue}::numeric is null
          or (-(coalesce(sv.v, ${sort === '-conversionRate' ? -1 : 0})), x.code is null, coalesce(x.code, '') collate "C", x.coupon_id::text, x.code_key)
             > ({afterValue}::numeric, {afterNull}::boolean, {afterCode}::text collate "C", {afterCoupon}::text, {afterCodeId}::bigint))
   ${order}
   limit {lim}::int
),
${redemptionsCte(`
     and (r.code_id = any (array(select code_id from page where code_id is not null))
          or (r.code_id is null and r.coupon_id = any (array(select coupon_id from page where code_id is null))))`)},${groupCtes('r.coupon_id, r.code_key')}
select p.code, p.coupon_id, p.deleted, p.channel, p.partner, p.referrer_customer_id, g.redemptions, g.customers, g.converted, g.churned,
       gm.discount, gm.revenue, p.k_value::text as cursor_value, p.k_null, p.k_code, p.k_coupon, p.k_code_id::text as cursor_code_id
  from page p
  left join g on g.coupon_id = p.coupon_id and g.code_key = p.code_key
  left join gm on gm.coupon_id = p.coupon_id and gm.code_key = p.code_key
 order by p.k_value, p.k_null, p.k_code, p.k_coupon, p.k_code_id`;
}

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
): Promise<{ rows: CodeReportRow[]; keys: CodeReportKey[] }> {
  const params = codePageParams(accountId, f, limit, after);
  type Row = RawRow & {
    code: string | null; coupon_id: string; deleted: boolean; channel: string | null; partner: string | null; referrer_customer_id: string | null;
    cursor_value: string; k_null: boolean; k_code: string; k_coupon: string; cursor_code_id: string;
  };
  const rows = await runReport(em, bound<Row>(codeReportSql(f.sort, false), params));
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

export type AttributionGroup = 'channel' | 'partner' | 'referrer';
const GROUP_COLUMN: Record<AttributionGroup, string> = { channel: 'r.channel', partner: 'r.partner', referrer: 'r.referrer_customer_id' };

export interface AttributionRow extends GroupFigures {
  key: string | null;
  /** the sort currency's sums, for ordering */
  sortDiscount: number;
  sortRevenue: number;
}

/**
 * GET /v1/reports/attribution: one row per value of the redemptions' stored attribution field
 * (`null` for redemptions without one), over redemptions created in [since, until).
 */
export async function attributionReport(
  em: Em,
  accountId: string,
  q: { groupBy: AttributionGroup; since: string | null; until: string | null; currency: string },
): Promise<AttributionRow[]> {
  const { text, params } = attributionStatement(accountId, q);
  type Row = RawRow & { key: string | null; cur_discount: string; cur_revenue: string };
  const rows = await runReport(em, bound<Row>(text, params));
  return rows.map((r) => ({ key: r.key, ...figures(r), sortDiscount: Number(r.cur_discount ?? 0), sortRevenue: Number(r.cur_revenue ?? 0) }));
}

export function attributionStatement(
  accountId: string,
  q: { groupBy: AttributionGroup; since: string | null; until: string | null; currency: string },
): { text: string; params: SqlParams } {
  const col = GROUP_COLUMN[q.groupBy];
  const text = `with ${redemptionsCte()},
keyed as (select r.*, ${col} as key from r),
${groupCtes('r.key').replace(/\bfrom r\b/g, 'from keyed r').replace(/join r on/g, 'join keyed r on')}
select g.key, g.redemptions, g.customers, g.converted, g.churned, gm.discount, gm.revenue, gm.cur_discount, gm.cur_revenue
  from g left join gm on gm.key is not distinct from g.key`;
  return { text, params: { acct: accountId, coupon: null, code: null, since: q.since, until: q.until, currency: q.currency } };
}

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
