import { defineRoute, type RouteDef } from '../route';
import { badRequest, notFound, rateLimited } from '../../errors';
import type { z } from '../openapi';
import { decodeCursor, encodeCursor } from '../../cursor';
import {
  AttributionReport, AttributionReportQuery, CodeReportCsv, CodeReportCsvQuery, CodeReportPage, CodeReportQuery, SignupAuthorizeRequest,
  SignupAuthorizeResponse, Subscription, SubscriptionCancel, SubscriptionCancelled, SubscriptionParams, Timeseries, TimeseriesQuery,
} from '../../contracts/growth';
import {
  authorizeSignupWithoutCode, DomainError, fillBuckets, isValidCode, normalizeCode, planBuckets, REFUSAL_MESSAGES, requiresCode,
  resolveReportRange, sortGroups, type ReportSort,
} from '../../domain';
import { getCouponRow, couponView } from '../../repositories/coupons';
import { codeView } from '../../repositories/codes';
import { getPlan } from '../../repositories/plans';
import { attributionReport, codeReportCsv, codeReportPage, timeseriesDays, type CodeReportKey } from '../../repositories/growth-reports';
import { loadAndDecide } from '../../services/redemption-service';
import { cancelSubscription, getSubscription } from '../../services/subscriptions';
import { streamCsv } from '../csv-stream';
import type { AccountRow } from '../auth';
import type { AppContext } from '../../context';


/** Domain errors of report ranges are 400 naming their field. */
function domain400<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DomainError) throw badRequest(`${err.field ?? 'query'}: ${err.message}`, err.field);
    throw err;
  }
}

/** A coupon filter must name one of the account's coupons. */
async function checkCoupon(ctx: AppContext, account: AccountRow, couponId: string | undefined): Promise<string | null> {
  if (couponId === undefined) return null;
  const coupon = await getCouponRow(ctx.orm.em.fork(), account.id, couponId);
  if (!coupon) throw notFound('coupon');
  return coupon.id;
}

type CodeQuery = z.infer<typeof CodeReportQuery>;

function codeFilter(account: AccountRow, q: Omit<CodeQuery, 'limit' | 'cursor'>, couponId: string | null) {
  return { couponId, channel: q.channel ?? null, partner: q.partner ?? null, sort: q.sort as ReportSort, currency: q.currency ?? account.currency };
}

const cursorKind = (f: ReturnType<typeof codeFilter>) => `report-codes|${f.sort}|${f.currency}|${f.couponId ?? ''}|${f.channel ?? ''}|${f.partner ?? ''}`;

function cursorKey(values: unknown[]): CodeReportKey {
  const [v, n, c, k, id] = values;
  const ok = typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) && typeof n === 'boolean' && typeof c === 'string' && typeof k === 'string' && typeof id === 'string' && /^\d+$/.test(id);
  if (!ok) throw badRequest('cursor: is not a cursor this list gave', 'cursor');
  return [v, n, c, k, id];
}

const reportTags = ['reports'];

export const growthRoutes: RouteDef[] = [
  defineRoute<undefined, undefined, z.infer<typeof SubscriptionParams>>({
    method: 'get',
    path: '/v1/subscriptions/:id',
    auth: 'account',
    summary: 'A subscription the engine has seen (through a redemption or an invoice): status and cancellation',
    tags: ['subscriptions'],
    params: SubscriptionParams,
    responses: { 200: { description: 'the subscription', schema: Subscription } },
    errors: [404],
    handler: async ({ ctx, account, params }) => {
      const s = await getSubscription(ctx.orm.em.fork(), account.id, params.id);
      if (!s) throw notFound('subscription');
      return { status: 200, body: s };
    },
  }),
  defineRoute<z.infer<typeof SubscriptionCancel>, undefined, z.infer<typeof SubscriptionParams>>({
    method: 'post',
    path: '/v1/subscriptions/:id/cancel',
    auth: 'account',
    summary: 'Cancel a subscription: its active redemptions end (reason subscription_cancelled), later invoices get no discount; idempotent',
    tags: ['subscriptions'],
    params: SubscriptionParams,
    body: SubscriptionCancel,
    bodyOptional: true,
    responses: { 200: { description: 'cancelled (again: the same answer)', schema: SubscriptionCancelled } },
    errors: [404],
    handler: async ({ ctx, account, params, body }) => {
      const s = await cancelSubscription(ctx.orm.em.fork(), account.id, params.id, body.at, ctx.clock.now());
      return { status: 200, body: { id: s.id, status: 'cancelled', cancelledAt: s.cancelledAt } };
    },
  }),
  defineRoute<z.infer<typeof SignupAuthorizeRequest>>({
    method: 'post',
    path: '/v1/signups/authorize',
    auth: 'account',
    summary: 'May this customer sign up to this plan (with this code)? Redeems nothing; counts toward the guessing defence like validate',
    tags: ['redemptions'],
    body: SignupAuthorizeRequest,
    responses: { 200: { description: 'allowed or not, and whether the plan needs a code', schema: SignupAuthorizeResponse } },
    errors: [429],
    handler: async ({ ctx, account, apiKeyId, body }) => {
      const throttle = await ctx.limiter.customerThrottle(account.id, body.customer.id);
      if (throttle.limited) throw rateLimited(throttle.retryAfterSeconds);
      const em = ctx.orm.em.fork();
      const plan = await getPlan(em, account.id, body.planId);
      if (!plan) throw badRequest(`planId: no plan "${body.planId}" is registered`, 'planId');
      const needsCode = requiresCode(plan.access);
      if (body.code === undefined) {
        const r = authorizeSignupWithoutCode(plan.access);
        if (r.allowed) return { status: 200, body: { allowed: true, requiresCode: r.requiresCode } };
        return { status: 200, body: { allowed: false, requiresCode: true, error: { code: r.refusal, message: REFUSAL_MESSAGES[r.refusal] } } };
      }
      const now = ctx.clock.now();
      const decided = await loadAndDecide(em, account.id, { code: body.code, customer: body.customer, planId: body.planId, action: 'new_subscription' }, now);
      if (decided.kind === 'unknown_plan') throw badRequest(`${decided.field}: no plan "${decided.planId}" is registered`, decided.field);
      const { decision, loaded } = decided;
      if (decision.ok) {
        return {
          status: 200,
          body: { allowed: true, requiresCode: needsCode, coupon: couponView(loaded!.coupon, now), code: codeView(loaded!.code!, loaded!.coupon, now) },
        };
      }
      if (decision.code === 'code_not_found') {
        const keyThrottle = await ctx.limiter.apiKeyThrottle(apiKeyId);
        await ctx.limiter.recordUnknownCode(account.id, body.customer.id, apiKeyId);
        if (keyThrottle.limited) throw rateLimited(keyThrottle.retryAfterSeconds);
      }
      return { status: 200, body: { allowed: false, requiresCode: needsCode, error: { code: decision.code, message: decision.message } } };
    },
  }),
  defineRoute<undefined, CodeQuery>({
    method: 'get',
    path: '/v1/reports/codes',
    auth: 'account',
    summary: 'Codes compared: redemptions, customers, conversion, churn, discount, revenue and lifetime value per code (direct redemptions as code null)',
    tags: reportTags,
    query: CodeReportQuery,
    responses: { 200: { description: 'a page of rows', schema: CodeReportPage } },
    errors: [404],
    handler: async ({ ctx, account, query }) => {
      const f = codeFilter(account, query, await checkCoupon(ctx, account, query.couponId));
      const after = query.cursor === undefined ? null : cursorKey(decodeCursor(query.cursor, cursorKind(f)));
      const { rows, keys } = await codeReportPage(ctx.orm.em.fork(), account.id, f, query.limit + 1, after);
      const data = rows.slice(0, query.limit);
      const nextCursor = rows.length > query.limit ? encodeCursor(cursorKind(f), keys[query.limit - 1] as unknown[]) : null;
      return { status: 200, body: { data, nextCursor } };
    },
  }),
  defineRoute<undefined, z.infer<typeof CodeReportCsvQuery>>({
    method: 'get',
    path: '/v1/reports/codes.csv',
    auth: 'account',
    summary: 'The codes report as CSV (streamed), money columns in `currency` (default the account’s)',
    tags: reportTags,
    query: CodeReportCsvQuery,
    responses: { 200: { description: 'CSV, one row per code', schema: CodeReportCsv, contentType: 'text/csv' } },
    errors: [404],
    handler: async ({ ctx, account, query, res }) => {
      const f = codeFilter(account, query, await checkCoupon(ctx, account, query.couponId));
      const { query: text, settings } = codeReportCsv(account.id, f);
      return streamCsv(ctx, res, { filename: 'codes-report.csv', query: () => text, settings });
    },
  }),
  defineRoute<undefined, z.infer<typeof AttributionReportQuery>>({
    method: 'get',
    path: '/v1/reports/attribution',
    auth: 'account',
    summary: 'Figures per channel, partner or referrer of the redemptions created in [from, to] (local days); groupBy=referrer&sort=-converted is the referral leaderboard',
    tags: reportTags,
    query: AttributionReportQuery,
    responses: { 200: { description: 'one row per value (key null: redemptions without one)', schema: AttributionReport } },
    handler: async ({ ctx, account, query }) => {
      const range = domain400(() => resolveReportRange(query, account.timeZone));
      const currency = query.currency ?? account.currency;
      const rows = await attributionReport(ctx.orm.em.fork(), account.id, { groupBy: query.groupBy, since: range.from, until: range.until, currency });
      const data = sortGroups(rows, query.sort as ReportSort, currency).map(({ sortDiscount: _d, sortRevenue: _r, ...row }) => row);
      return { status: 200, body: { data } };
    },
  }),
  defineRoute<undefined, z.infer<typeof TimeseriesQuery>>({
    method: 'get',
    path: '/v1/reports/timeseries',
    auth: 'account',
    summary: 'Redemptions (by creation), discount and revenue (by invoice period start) per day, week (Monday) or month in the account’s zone; at most 400 buckets',
    tags: reportTags,
    query: TimeseriesQuery,
    responses: { 200: { description: 'one bucket per interval, empty ones included', schema: Timeseries } },
    errors: [404],
    handler: async ({ ctx, account, query }) => {
      const plan = domain400(() => planBuckets(query.from, query.to, query.interval, account.timeZone));
      const couponId = await checkCoupon(ctx, account, query.couponId);
      const code = query.code === undefined ? null : isValidCode(query.code) ? normalizeCode(query.code) : query.code;
      const days = await timeseriesDays(ctx.orm.em.fork(), account.id, { zone: account.timeZone, rangeStart: plan.rangeStart, rangeEnd: plan.rangeEnd, couponId, code });
      return { status: 200, body: { interval: query.interval, timeZone: account.timeZone, data: fillBuckets(plan, query.interval, days) } };
    },
  }),
];
