import type { AppContext } from '../context';
import type { AccountRow } from '../api-keys';
import { decodeCursor, encodeCursor } from '../cursor';
import {
  budgetPeriodAt, budgetStats, DomainError, fillBuckets, isValidCode, normalizeCode, planBuckets, resolveReportRange, sortGroups, type ReportSort,
} from '../domain';
import { budgetSpendIn } from '../repositories/budgets';
import { badRequest, notFound } from '../errors';
import { couponRedemptionsQuery } from '../repositories/batch-exports';
import { findCodeRow } from '../repositories/codes';
import { findCouponId, getCouponRow } from '../repositories/coupons';
import { isUuid } from '../ids';
import { findCouponForBatch } from '../repositories/batches';
import { attributionReport as attributionRows, codeReportCsv, codeReportPage, rollupsBuilt, timeseriesDays, timeseriesFromRollups, type AttributionGroup, type CodeReportKey } from '../repositories/growth-reports';
import { accountStats as accountFigures, usageStats } from '../repositories/reports';

/**
 * Stats, reports and exports: each one statement over the ledger and the stored redemptions, read
 * through `ctx.reads` (a streaming replica when DATABASE_READ_URL names one that answers, else
 * the primary); the coupon or code a report names is looked up on the primary.
 */

/** A CSV export: a file name, the SELECT behind it (every value through `literal`) and session settings. */
export interface CsvExportSpec {
  filename: string;
  query: (literal: (value: string) => string) => string;
  settings?: Record<string, string>;
}

/** Domain errors of report ranges are 400 naming their field. */
function domain400<T>(fn: () => T, fallbackField = 'query'): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DomainError) throw badRequest(`${err.field ?? fallbackField}: ${err.message}`, err.field);
    throw err;
  }
}

/** A coupon filter must name one of the account's coupons (404). */
async function couponFilter(ctx: AppContext, accountId: string, couponId: string | undefined): Promise<string | null> {
  if (couponId === undefined) return null;
  const id = await findCouponId(ctx.orm.em.fork(), accountId, couponId);
  if (id === null) throw notFound('coupon');
  return id;
}

/** GET /v1/coupons/{id}/stats; a coupon with a budget adds `budget`: the period holding now, spent and remaining per currency. */
export async function couponStats(ctx: AppContext, accountId: string, couponId: string) {
  const coupon = await getCouponRow(ctx.orm.em.fork(), accountId, couponId);
  if (!coupon) throw notFound('coupon');
  const figures = await ctx.reads.run((em) => usageStats(em, accountId, { couponId: coupon.id }));
  if (!coupon.budget) return figures;
  // the budget as the invoices take it: read on the primary
  const now = ctx.clock.now();
  const spend = await budgetSpendIn(ctx.orm.em.fork(), coupon.id, budgetPeriodAt(coupon.budget.period, coupon.timeZone, now));
  return { ...figures, budget: budgetStats(coupon.budget, coupon.timeZone, now, spend) };
}

/** GET /v1/codes/{code}/stats: the code found as GET /v1/codes/{code} finds it. */
export async function codeStats(ctx: AppContext, accountId: string, code: string) {
  const row = await findCodeRow(ctx.orm.em.fork(), accountId, code);
  if (!row) throw notFound('code');
  return ctx.reads.run((em) => usageStats(em, accountId, { codeId: row.id }));
}

/** GET /v1/stats: from/to are local days in the account's zone. */
export async function accountStats(ctx: AppContext, account: AccountRow, query: { from?: string; to?: string }) {
  let range;
  try {
    range = resolveReportRange(query, account.timeZone);
  } catch (err) {
    if (err instanceof DomainError) throw badRequest(err.message, err.field);
    throw err;
  }
  const now = ctx.clock.now();
  return ctx.reads.run((em) => accountFigures(em, account.id, range, now));
}

export interface CodeReportQuery {
  couponId?: string;
  channel?: string;
  partner?: string;
  sort: string;
  currency?: string;
}

function codeFilter(account: AccountRow, q: CodeReportQuery, couponId: string | null) {
  return { couponId, channel: q.channel ?? null, partner: q.partner ?? null, sort: q.sort as ReportSort, currency: q.currency ?? account.currency };
}

const cursorKind = (f: ReturnType<typeof codeFilter>) => `report-codes|${f.sort}|${f.currency}|${f.couponId ?? ''}|${f.channel ?? ''}|${f.partner ?? ''}`;

function cursorKey(values: unknown[]): CodeReportKey {
  const [v, n, c, k, id] = values;
  const ok = typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) && typeof n === 'boolean' && typeof c === 'string' && typeof k === 'string' && typeof id === 'string' && /^\d+$/.test(id);
  if (!ok) throw badRequest('cursor: is not a cursor this list gave', 'cursor');
  return [v, n, c, k, id];
}

/** GET /v1/reports/codes: a page of rows; cursors are tied to the sort, currency and filters. */
export async function codeReport(ctx: AppContext, account: AccountRow, query: CodeReportQuery & { limit: number; cursor?: string }) {
  const f = codeFilter(account, query, await couponFilter(ctx, account.id, query.couponId));
  const after = query.cursor === undefined ? null : cursorKey(decodeCursor(query.cursor, cursorKind(f)));
  const { rows, keys } = await ctx.reads.run(async (em) =>
    codeReportPage(em, account.id, f, query.limit + 1, after, (await rollupsBuilt(em, account.id)) ? 'ordered' : 'history'));
  const data = rows.slice(0, query.limit);
  const nextCursor = rows.length > query.limit ? encodeCursor(cursorKind(f), keys[query.limit - 1] as unknown[]) : null;
  return { data, nextCursor };
}

/** GET /v1/reports/codes.csv: the same rows, streamed. */
export async function codeReportExport(ctx: AppContext, account: AccountRow, query: CodeReportQuery): Promise<CsvExportSpec> {
  const f = codeFilter(account, query, await couponFilter(ctx, account.id, query.couponId));
  const { query: text, settings } = codeReportCsv(account.id, f);
  return { filename: 'codes-report.csv', query: () => text, settings };
}

/** GET /v1/reports/attribution: figures per group of the redemptions created in [from, to] (local days). */
export async function attributionReport(
  ctx: AppContext,
  account: AccountRow,
  query: { groupBy: AttributionGroup; from?: string; to?: string; sort: string; currency?: string },
) {
  const range = domain400(() => resolveReportRange(query, account.timeZone));
  const currency = query.currency ?? account.currency;
  const rows = await ctx.reads.run((em) => attributionRows(em, account.id, { groupBy: query.groupBy, since: range.from, until: range.until, currency }));
  return { data: sortGroups(rows, query.sort as ReportSort, currency).map(({ sortDiscount: _d, sortRevenue: _r, ...row }) => row) };
}

/** GET /v1/reports/timeseries: one bucket per interval in the account's zone, empty ones included. */
export async function timeseries(
  ctx: AppContext,
  account: AccountRow,
  query: { from: string; to: string; interval: 'day' | 'week' | 'month'; couponId?: string; code?: string },
) {
  const plan = domain400(() => planBuckets(query.from, query.to, query.interval, account.timeZone));
  const couponId = await couponFilter(ctx, account.id, query.couponId);
  const code = query.code === undefined ? null : isValidCode(query.code) ? normalizeCode(query.code) : query.code;
  const days = await ctx.reads.run(async (em) => {
    // the rollups hold no code text; an account whose rollups are being rebuilt aggregates its history
    const rolled = code === null
      ? await timeseriesFromRollups(em, account.id, { zone: account.timeZone, fromDay: plan.starts[0] as string, toDay: plan.endDay, couponId })
      : null;
    return rolled === null || rolled === 'rebuilding'
      ? timeseriesDays(em, account.id, { zone: account.timeZone, rangeStart: plan.rangeStart, rangeEnd: plan.rangeEnd, couponId, code })
      : rolled;
  });
  return { interval: query.interval, timeZone: account.timeZone, data: fillBuckets(plan, query.interval, days) };
}

/** GET /v1/coupons/{id}/redemptions.csv: one row per redemption and ledger currency, in the account's zone. */
export async function couponRedemptionsExport(ctx: AppContext, account: AccountRow, couponId: string): Promise<CsvExportSpec> {
  const coupon = isUuid(couponId) ? await findCouponForBatch(ctx.orm.em.fork(), account.id, couponId) : null;
  if (!coupon) throw notFound('coupon');
  return {
    filename: `coupon-${coupon.id}-redemptions.csv`,
    query: (lit) => couponRedemptionsQuery(lit, account.id, coupon.id),
    settings: { TimeZone: account.timeZone },
  };
}
