import { sql, type RawBuilder } from 'kysely';
import type { Em } from '../db/orm';
import { conversionRate, type ReportRange } from '../domain';
import { couponStatusSql } from './status-sql';

/** SPEC §3.9 figures for one coupon or one code. Money in minor units per currency. */
export interface UsageStats {
  redemptions: { total: number; active: number; ended: number; voided: number };
  customers: number;
  invoices: number;
  discountTotal: Record<string, number>;
  revenue: Record<string, number>;
  conversionRate: number | null;
}

export interface AccountStats {
  codes: number;
  activeCodes: number;
  redemptions: number;
  topCode: { code: string; redemptions: number } | null;
}

/** What a usage report is about: a coupon (all its codes) or one code row. */
export type StatsSubject = { couponId: string } | { codeId: number };

/**
 * Postgres bigint/numeric values arrive as strings. Counts and money sums stay far below 2^53
 * (90 trillion of a currency's minor units), so they are returned as JSON numbers.
 */
const int = (v: string | null): number => (v === null ? 0 : Number(v));

/** Sums per currency, as json_object_agg gives them (text, so no precision is lost on the way). */
type Money = Record<string, string> | null;

function money(v: Money): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [cur, sum] of Object.entries(v ?? {})) out[cur] = int(sum);
  return out;
}

/** What statsSql answers: counts (bigint) and sums (numeric) as text, null over no rows. */
interface StatsRow {
  total: string;
  active: string;
  ended: string;
  voided: string;
  customers: string;
  converted: string;
  invoices: string | null;
  discount_total: Money;
  revenue: Money;
}

/**
 * One statement for the whole report, over the covering indexes of migration
 * 20261122010900_report_indexes (index-only scans). The subject was already found in the
 * account, so redemptions and ledger rows are selected by its id alone. Ledger rows of 0 (the
 * redemption's duration covered the invoice but nothing was taken off it) are left out. In
 * invoice order, the first ledger row of each invoice carries the invoice's count and revenue,
 * so an invoice discounted by two redemptions of the subject counts once. Voided redemptions
 * keep their ledger rows: those discounts were given.
 */
function statsSql(subject: StatsSubject, accountId: string): RawBuilder<StatsRow> {
  const [col, id] = 'couponId' in subject ? [sql.ref('coupon_id'), sql`${subject.couponId}::uuid`] : [sql.ref('code_id'), sql`${subject.codeId}::bigint`];
  return sql<StatsRow>`
with st as (
  select count(*) as total,
         count(*) filter (where status = 'active') as active,
         count(*) filter (where status = 'ended') as ended,
         count(*) filter (where status = 'voided') as voided
    from redemptions where ${col} = ${id}
),
cust as (
  select count(*) as n from (select customer_id from redemptions where ${col} = ${id} and status <> 'voided' group by customer_id) x
),
ledger as (
  select currency, amount, invoice_total,
         invoice_id is distinct from lag(invoice_id) over (order by invoice_id) as first_of_invoice
    from invoice_discounts where ${col} = ${id} and amount > 0
),
cur as (
  select currency, count(*) filter (where first_of_invoice) as invoices, sum(amount) as discount
    from ledger group by currency
),
live as (
  select id, subscription_id, created_at from redemptions where ${col} = ${id} and status <> 'voided'
),
paid as (
  select live.id, i.currency, i.total
    from live join invoices i on i.account_id = ${accountId}::uuid and i.subscription_id = live.subscription_id
   where i.paid and i.created_at >= live.created_at
),
rev as (select currency, sum(total) as revenue from paid group by currency),
conv as (select count(distinct id) as n from paid)
select st.total, st.active, st.ended, st.voided, cust.n as customers, conv.n as converted,
       (select sum(invoices) from cur) as invoices,
       (select json_object_agg(currency, discount::text order by currency) from cur) as discount_total,
       (select json_object_agg(currency, revenue::text order by currency) from rev where revenue <> 0) as revenue
  from st, cust, conv`;
}

/**
 * SPEC §3.9 per coupon or per code, in one set-based statement:
 * - redemptions by status (voided included in total);
 * - customers: distinct customers with a non-voided redemption;
 * - invoices: distinct invoices the subject discounted (ledger amount > 0);
 * - discountTotal: ledger amounts per currency (voided redemptions' included: those discounts
 *   were given);
 * - revenue and conversion as the growth reports define them (API.md "Precise definitions
 *   (growth)"): revenue is, per non-voided redemption, the totals of the paid invoices of its
 *   subscription processed at or after it, per currency (an invoice once per redemption, so a
 *   stacked invoice counts for each coupon); conversionRate = non-voided redemptions with at
 *   least one such invoice ÷ non-voided redemptions, null when there are none.
 */
export async function usageStats(em: Em, accountId: string, subject: StatsSubject): Promise<UsageStats> {
  const { rows } = await statsSql(subject, accountId).execute(em.getKysely());
  const r = rows[0];
  const total = int(r.total);
  const live = total - int(r.voided);
  return {
    redemptions: { total, active: int(r.active), ended: int(r.ended), voided: int(r.voided) },
    customers: int(r.customers),
    invoices: int(r.invoices),
    discountTotal: money(r.discount_total),
    revenue: money(r.revenue),
    conversionRate: conversionRate(int(r.converted), live),
  };
}

/**
 * SPEC §3.9 per account, in one statement. `range` bounds creation times (codes, redemptions,
 * top code); `activeCodes` is "redeemable now" whatever the range: the code's effective status
 * is active (coupon active and not expired, exhausted or scheduled; code active, not deleted,
 * not expired or exhausted), checked at `now`.
 */
export async function accountStats(em: Em, accountId: string, range: ReportRange, now: string): Promise<AccountStats> {
  const within = (alias: string): RawBuilder<boolean> => {
    const createdAt = sql.ref(`${alias}.created_at`);
    const parts: RawBuilder<boolean>[] = [];
    if (range.from) parts.push(sql<boolean>`${createdAt} >= ${range.from}::timestamptz`);
    if (range.until) parts.push(sql<boolean>`${createdAt} < ${range.until}::timestamptz`);
    return parts.length ? sql<boolean>`${sql.join(parts, sql` and `)}` : sql<boolean>`true`;
  };
  const k = within('k');
  const r = within('r');
  // One pass over the account's codes counts both the created ones (in range) and the active ones (now).
  const { rows } = await sql<{ codes: string; active_codes: string; redemptions: string; top_code: string | null; top_n: string | null }>`
    with live_coupons as (
       select c.id from coupons c where c.account_id = ${accountId}::uuid and (${couponStatusSql('c', now)}) = 'active'
     ),
     code_counts as (
       select count(*) filter (where ${k}) as created,
              count(*) filter (where lc.id is not null and k.deleted_at is null and k.state = 'active'
                                 and (k.expires_at is null or k.expires_at > ${now}::timestamptz)
                                 and (k.max_redemptions is null or k.times_redeemed < k.max_redemptions)) as active
         from codes k left join live_coupons lc on lc.id = k.coupon_id
        where k.account_id = ${accountId}::uuid
     ),
     redeemed as (
       select count(*) as n from redemptions r where r.account_id = ${accountId}::uuid and ${r}
     ),
     top as (
       select r.code, count(*) as n from redemptions r
        where r.account_id = ${accountId}::uuid and r.status <> 'voided' and r.code_id is not null and ${r}
        group by r.code_id, r.code
        order by n desc, r.code, r.code_id
        limit 1
     )
     select code_counts.created as codes, code_counts.active as active_codes, redeemed.n as redemptions,
            top.code as top_code, top.n as top_n
       from code_counts cross join redeemed left join top on true`.execute(em.getKysely());
  const row = rows[0];
  return {
    codes: int(row.codes),
    activeCodes: int(row.active_codes),
    redemptions: int(row.redemptions),
    topCode: row.top_code === null ? null : { code: row.top_code, redemptions: int(row.top_n) },
  };
}
