import { defineRoute, type RouteDef } from '../route';
import type { z } from '../openapi';
import {
  AttributionReport, AttributionReportQuery, CodeReportCsv, CodeReportCsvQuery, CodeReportPage, CodeReportQuery, SignupAuthorizeRequest,
  SignupAuthorizeResponse, Subscription, SubscriptionCancel, SubscriptionCancelled, SubscriptionParams, Timeseries, TimeseriesQuery,
} from '../../contracts/growth';
import { attributionReport, codeReport, codeReportExport, timeseries } from '../../services/reports';
import { authorizeSignup } from '../../services/signups';
import { cancelSubscription, getSubscription } from '../../services/subscriptions';
import { streamCsv } from '../csv-stream';

const reportTags = ['reports'];

export const growthRoutes: RouteDef[] = [
  defineRoute<undefined, undefined, z.infer<typeof SubscriptionParams>>({
    method: 'get',
    path: '/v1/subscriptions/:id',
    auth: 'account',
    scope: 'reports:read',
    summary: 'A subscription the engine has seen (through a redemption or an invoice): status and cancellation',
    tags: ['subscriptions'],
    params: SubscriptionParams,
    responses: { 200: { description: 'the subscription', schema: Subscription } },
    errors: [404],
    handler: async ({ ctx, account, params }) => ({ status: 200, body: await getSubscription(ctx, account.id, params.id) }),
  }),
  defineRoute<z.infer<typeof SubscriptionCancel>, undefined, z.infer<typeof SubscriptionParams>>({
    method: 'post',
    path: '/v1/subscriptions/:id/cancel',
    auth: 'account',
    scope: 'redemptions:write',
    summary: 'Cancel a subscription: its active redemptions end (reason subscription_cancelled), later invoices get no discount; idempotent',
    tags: ['subscriptions'],
    params: SubscriptionParams,
    body: SubscriptionCancel,
    bodyOptional: true,
    responses: { 200: { description: 'cancelled (again: the same answer)', schema: SubscriptionCancelled } },
    errors: [404],
    handler: async ({ ctx, account, caller, params, body }) => {
      const s = await cancelSubscription(ctx, account.id, params.id, body.at, caller!);
      return { status: 200, body: { id: s.id, status: 'cancelled', cancelledAt: s.cancelledAt } };
    },
  }),
  defineRoute<z.infer<typeof SignupAuthorizeRequest>>({
    method: 'post',
    path: '/v1/signups/authorize',
    auth: 'account',
    scope: 'redemptions:validate',
    summary: 'May this customer sign up to this plan (with this code)? Redeems nothing; counts toward the guessing defence like validate',
    tags: ['redemptions'],
    body: SignupAuthorizeRequest,
    responses: { 200: { description: 'allowed or not, and whether the plan needs a code', schema: SignupAuthorizeResponse } },
    errors: [429],
    handler: async ({ ctx, account, apiKeyId, body }) => ({ status: 200, body: await authorizeSignup(ctx, account.id, apiKeyId, body) }),
  }),
  defineRoute<undefined, z.infer<typeof CodeReportQuery>>({
    method: 'get',
    path: '/v1/reports/codes',
    auth: 'account',
    scope: 'reports:read',
    summary: 'Codes compared: redemptions, customers, conversion, churn, discount, revenue and lifetime value per code (direct redemptions as code null)',
    tags: reportTags,
    query: CodeReportQuery,
    responses: { 200: { description: 'a page of rows', schema: CodeReportPage } },
    errors: [404],
    handler: async ({ ctx, account, query }) => ({ status: 200, body: await codeReport(ctx, account, query) }),
  }),
  defineRoute<undefined, z.infer<typeof CodeReportCsvQuery>>({
    method: 'get',
    path: '/v1/reports/codes.csv',
    auth: 'account',
    scope: 'reports:read',
    summary: 'The codes report as CSV (streamed), money columns in `currency` (default the account’s)',
    tags: reportTags,
    query: CodeReportCsvQuery,
    responses: { 200: { description: 'CSV, one row per code', schema: CodeReportCsv, contentType: 'text/csv' } },
    errors: [404],
    handler: async ({ ctx, account, query, res }) => streamCsv(ctx, res, await codeReportExport(ctx, account, query)),
  }),
  defineRoute<undefined, z.infer<typeof AttributionReportQuery>>({
    method: 'get',
    path: '/v1/reports/attribution',
    auth: 'account',
    scope: 'reports:read',
    summary: 'Figures per channel, partner or referrer of the redemptions created in [from, to] (local days); groupBy=referrer&sort=-converted is the referral leaderboard',
    tags: reportTags,
    query: AttributionReportQuery,
    responses: { 200: { description: 'one row per value (key null: redemptions without one)', schema: AttributionReport } },
    handler: async ({ ctx, account, query }) => ({ status: 200, body: await attributionReport(ctx, account, query) }),
  }),
  defineRoute<undefined, z.infer<typeof TimeseriesQuery>>({
    method: 'get',
    path: '/v1/reports/timeseries',
    auth: 'account',
    scope: 'reports:read',
    summary: 'Redemptions (by creation), discount and revenue (by invoice period start) per day, week (Monday) or month in the account’s zone; at most 400 buckets',
    tags: reportTags,
    query: TimeseriesQuery,
    responses: { 200: { description: 'one bucket per interval, empty ones included', schema: Timeseries } },
    errors: [404],
    handler: async ({ ctx, account, query }) => ({ status: 200, body: await timeseries(ctx, account, query) }),
  }),
];
