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

/** The sum of every folded contribution per coupon, code and currency: the codes report's sort values. */
export const ReportCode = defineEntity({
  name: 'ReportCode',
  tableName: 'report_codes',
  properties: {
    accountId: p.manyToOne(Account).mapToPk().fieldName('account_id').primary().foreignKeyName('report_codes_account_id_fkey').deleteRule('cascade'),
    couponId: p.uuid().primary(),
    codeKey: p.bigint('number').primary(),
    currency: p.text().primary(),
    ...figures,
  },
});
