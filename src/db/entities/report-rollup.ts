import { defineEntity, p } from '@mikro-orm/core';
import { Account } from './account';

/**
 * The growth report rollups (src/repositories/growth-reports/rollups.ts). `report_dirty`: what a
 * fold must recompute, marked by triggers in the changing transactions (src/db/report-rollup-
 * triggers.ts): an (account, subscription), or an account to rebuild (subscription null). No
 * foreign key: a mark is a plain insert on the hot path, and a mark of a deleted account folds
 * to nothing.
 */
export const ReportDirty = defineEntity({
  name: 'ReportDirty',
  tableName: 'report_dirty',
  indexes: [{ name: 'report_dirty_account_idx', properties: ['accountId', 'subscriptionId'] }],
  properties: {
    id: p.bigint('number').primary().autoincrement().columnType('bigint').generated('by default as identity'),
    accountId: p.uuid(),
    subscriptionId: p.text().nullable(),
  },
});

const figures = {
  redemptions: p.integer(),
  /** redemptions with a paid invoice of their subscription created at or after them */
  converted: p.integer(),
  discount: p.bigint('number'),
  revenue: p.bigint('number'),
  /** how many (redemption, paid invoice) pairs `revenue` sums: a currency with pairs is in the report even at 0 */
  revenuePairs: p.integer(),
};

/**
 * One subscription's contribution to the report figures, per coupon, code, local day of the
 * account's zone and currency ('' for the redemption counts), as of the last fold that
 * recomputed it.
 */
export const ReportContribution = defineEntity({
  name: 'ReportContribution',
  tableName: 'report_contributions',
  properties: {
    accountId: p.manyToOne(Account).mapToPk().fieldName('account_id').primary().foreignKeyName('report_contributions_account_id_fkey').deleteRule('cascade'),
    subscriptionId: p.text().primary(),
    couponId: p.uuid().primary(),
    /** the code's id, 0 for a direct redemption */
    codeKey: p.bigint('number').primary(),
    day: p.string().columnType('date').primary(),
    currency: p.text().primary(),
    ...figures,
  },
});

/** The sum of every folded contribution per coupon, local day and currency: what the timeseries reads. */
export const ReportDay = defineEntity({
  name: 'ReportDay',
  tableName: 'report_days',
  properties: {
    accountId: p.manyToOne(Account).mapToPk().fieldName('account_id').primary().foreignKeyName('report_days_account_id_fkey').deleteRule('cascade'),
    couponId: p.uuid().primary(),
    day: p.string().columnType('date').primary(),
    currency: p.text().primary(),
    ...figures,
  },
});

/** The codes page's order after the sort value: a direct redemption's row last, code, coupon id as text, code key. */
const PAGE_ORDER = `(code_key = 0), code, (coupon_id::text), code_key`;

/**
 * Per sort of the codes report, an index of the `report_codes` rows with a value above 0 in page
 * order (growth-reports/rollups.ts `rollupOrderedPageCtes` reads them): the value descending, then
 * PAGE_ORDER. The counts live in the '' currency rows, the money in each currency's.
 */
export const REPORT_CODE_ORDER_INDEXES: readonly { name: string; sql: (table: string) => string }[] = [
  ['report_codes_redemptions_order', `account_id, redemptions desc`, `currency = '' and redemptions > 0`],
  ['report_codes_converted_order', `account_id, converted desc`, `currency = '' and converted > 0`],
  ['report_codes_rate_order', `account_id, ((converted)::numeric / redemptions) desc`, `currency = '' and converted > 0`],
  ['report_codes_revenue_order', `account_id, currency, revenue desc`, `revenue > 0`],
  ['report_codes_discount_order', `account_id, currency, discount desc`, `discount > 0`],
].map(([name, lead, where]) => ({ name: name as string, sql: (table: string) => `create index ${name} on ${table} (${lead}, ${PAGE_ORDER}) where ${where}` }));

/**
 * The sum of every folded contribution per coupon, code and currency: the codes report's sort
 * values, with the code's text (null for a direct redemption's row) for the page order.
 */
export const ReportCode = defineEntity({
  name: 'ReportCode',
  tableName: 'report_codes',
  // expression indexes, matched by name only
  indexes: REPORT_CODE_ORDER_INDEXES.map((i) => ({ name: i.name, expression: (_columns, table) => i.sql(`${table}`) })),
  properties: {
    accountId: p.manyToOne(Account).mapToPk().fieldName('account_id').primary().foreignKeyName('report_codes_account_id_fkey').deleteRule('cascade'),
    couponId: p.uuid().primary(),
    codeKey: p.bigint('number').primary(),
    currency: p.text().primary(),
    code: p.text().nullable().collation('C'),
    ...figures,
  },
});
