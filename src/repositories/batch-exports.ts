import { sql } from 'kysely';
import type { EffectiveStatus } from '../domain';
import { sqlText } from '../db/sql-text';
import { csvTextSql } from './csv-sql';
import { codeOwnStatusSql, moreRestrictiveSql } from './status-sql';

/**
 * The SELECTs behind the CSV exports, for `COPY (...) TO STDOUT` (see http/csv-stream.ts).
 * COPY takes no bind parameters, so every value goes through `literal` (the driver's quoting).
 * Text cells a client chose (codes, customer ids, emails, currencies) go through csvTextSql (a
 * leading `'` before a formula character); numbers, formatted instants and statuses do not.
 */
type Literal = (value: string) => string;

/**
 * A batch's codes in generation order: `code,max_redemptions,expires_at,status`. The status is
 * the domain's codeStatus in SQL (status-sql.ts): the more restrictive of the code's own and the
 * coupon's (computed once by the caller). Deleted codes are left out.
 */
export function batchCodesQuery(lit: Literal, batchId: string, couponStatus: EffectiveStatus, now: string): string {
  const status = moreRestrictiveSql(codeOwnStatusSql('c', sql.raw(`${lit(now)}::timestamptz`)), sql.raw(`${lit(couponStatus)}::text`));
  return `select ${csvTextSql('c.code')} as code, max_redemptions,
      to_char(expires_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as expires_at,
      ${sqlText(status)} as status
    from codes c where batch_id = ${lit(batchId)}::uuid and deleted_at is null
    order by id`;
}

/**
 * A coupon's redemptions, one row per redemption and currency of its ledger rows (discount =
 * sum of amounts, revenue = sum of invoice totals after discount, invoices = ledger rows); a
 * redemption without ledger rows gets one row of zeros and an empty currency. `redeemed_at` is
 * formatted in the session time zone, which the caller sets to the account's.
 */
export function couponRedemptionsQuery(lit: Literal, accountId: string, couponId: string): string {
  return `select ${csvTextSql('r.customer_id')} as customer_id, ${csvTextSql('cu.email')} as email, ${csvTextSql('r.code')} as code,
      to_char(r.created_at, 'YYYY-MM-DD"T"HH24:MI:SS.MSTZH:TZM') as redeemed_at,
      r.status,
      coalesce(l.invoices, 0) as invoices, coalesce(l.discount, 0) as discount, coalesce(l.revenue, 0) as revenue,
      ${csvTextSql('l.currency')} as currency
    from redemptions r
    left join customers cu on cu.account_id = r.account_id and cu.id = r.customer_id
    left join lateral (
      select d.currency, count(*) as invoices, sum(d.amount) as discount, sum(d.invoice_total) as revenue
        from invoice_discounts d where d.redemption_id = r.id group by d.currency
    ) l on true
    where r.account_id = ${lit(accountId)}::uuid and r.coupon_id = ${lit(couponId)}::uuid
    order by r.created_at, r.id, l.currency`;
}
