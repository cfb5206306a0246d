/**
 * Growth reports (API.md "Growth reports"), each one statement over the redemptions and the
 * ledger, run read-only (run.ts):
 * - codes.ts: GET /v1/reports/codes (pages) and codes.csv;
 * - attribution.ts: GET /v1/reports/attribution;
 * - timeseries.ts: GET /v1/reports/timeseries;
 * - figures.ts: the redemptions and per-group figure CTEs the reports share;
 * - run.ts: the `{name}` parameter templating (bound, or session settings for COPY) and the
 *   read-only transaction with the planner settings REPORT_SETTINGS.
 *
 * Every statement starts from the account's coupons (`coupons_account_idx`) and reaches
 * redemptions by coupon (`redemptions_coupon_customer_idx`), ledger rows by redemption
 * (`invoice_discounts_redemption_invoice_unique`), invoices by subscription
 * (`invoices_subscription_idx`) and subscriptions by key, so no scan reads another account's
 * rows (test/integration/growth-query-plans.test.ts).
 */
export { REPORT_SETTINGS, bound, SETTING_PREFIX, fromSettings, settingsOf, type SqlParams } from './run';
export {
  codeReportSql,
  codeReportOrderedSql,
  codePageParams,
  codeReportPage,
  codeReportCsv,
  type CodeReportFilter,
  type CodeReportKey,
  type CodeReportRow,
  type SortSource,
} from './codes';
export { attributionReport, attributionStatement, type AttributionGroup, type AttributionRow } from './attribution';
export { timeseriesDays, timeseriesStatement } from './timeseries';
export {
  foldMarks, rebuildAccount, accountsToRebuild, type FoldLockMode, rollupsBuilt, timeseriesFromRollups, contributionsSql, rollupSortCtes, rollupOrderedPageCtes, FOLD_SQL, REBUILD_SQL, TIMESERIES_ROLLUP_SQL,
  type FoldResult,
} from './rollups';
