import { groupFigures, SUBSCRIPTION_CANCELLED, type GroupFigures, type ReportSort } from '../../domain';

/**
 * The SQL pieces the growth reports share, as statement text with `{name}` parameters (see
 * run.ts): the redemptions a report covers with their conversion, churn and money
 * (`redemptionsCte`), their figures per group (`groupCtes`), a group's sort value
 * (`sortValue`), and the conversion of a result row into GroupFigures (`figures`).
 */

/**
 * The non-voided redemptions a report covers, with their churn and conversion (CTEs `r`, `conv`,
 * `rev`, `disc`): `r` one row per redemption of the account's coupons (optionally one coupon,
 * one code text, a creation range); `rev` the paid invoices of each redemption's subscription
 * processed at or after it, summed per currency; `conv` the redemptions with at least one;
 * `disc` each redemption's ledger amounts per currency.
 * Parameters: acct, coupon, code, since, until (each but acct may be null).
 */
export const redemptionsCte = (extra = '') => `
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
export function groupCtes(keyCols: string): string {
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
export function sortValue(sort: ReportSort): string {
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

/** The figure columns of a result row (`g` and `gm` joined); a group without redemptions has nulls. */
export interface RawRow {
  redemptions: string | number | null;
  customers: string | number | null;
  converted: string | number | null;
  churned: string | number | null;
  discount: Record<string, string> | null;
  revenue: Record<string, string> | null;
}

export function figures(r: RawRow): GroupFigures {
  const n = (v: string | number | null) => (v === null ? 0 : Number(v));
  return groupFigures({ redemptions: n(r.redemptions), customers: n(r.customers), converted: n(r.converted), churned: n(r.churned), discount: r.discount, revenue: r.revenue });
}

/**
 * A row's position in the codes report order, as SQL expressions: its sort value negated, whether
 * it has no code (a coupon's direct redemptions), the code, the coupon id and the code key.
 */
export interface PageKey {
  negValue: string;
  noCode: string;
  code: string;
  couponId: string;
  codeKey: string;
}

/** The key's columns k_value, k_null, k_code (byte order), k_coupon (text), k_code_id. */
export const pageKeyColumns = (k: PageKey) =>
  `${k.negValue} as k_value, ${k.noCode} as k_null, coalesce(${k.code}, '') collate "C" as k_code, ${k.couponId}::text as k_coupon, ${k.codeKey} as k_code_id`;

/** The key comes after the cursor `{afterValue}`, `{afterNull}`, `{afterCode}`, `{afterCoupon}`, `{afterCodeId}`. */
export const pageKeyAfter = (k: PageKey) =>
  `(${k.negValue}, ${k.noCode}, coalesce(${k.code}, '') collate "C", ${k.couponId}::text, ${k.codeKey})
     > ({afterValue}::numeric, {afterNull}::boolean, {afterCode}::text collate "C", {afterCoupon}::text, {afterCodeId}::bigint)`;
