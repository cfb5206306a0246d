import { defineRoute, type RouteDef } from '../route';
import type { z } from '../openapi';
import { CodeParams, CouponIdParams } from '../../contracts/coupons';
import { AccountStats, StatsQuery, UsageStats } from '../../contracts/reports';
import { accountStats, codeStats, couponStats } from '../../services/reports';

const tags = ['reports'];

export const reportRoutes: RouteDef[] = [
  defineRoute<undefined, undefined, z.infer<typeof CouponIdParams>>({
    method: 'get',
    path: '/v1/coupons/:id/stats',
    auth: 'account',
    scope: 'reports:read',
    summary: 'What a coupon brought in: redemptions by status, customers, invoices, discount and revenue per currency, conversion',
    tags,
    params: CouponIdParams,
    responses: { 200: { description: 'the coupon’s figures', schema: UsageStats } },
    errors: [404],
    handler: async ({ ctx, account, params }) => ({ status: 200, body: await couponStats(ctx, account.id, params.id) }),
  }),
  defineRoute<undefined, undefined, z.infer<typeof CodeParams>>({
    method: 'get',
    path: '/v1/codes/:code/stats',
    auth: 'account',
    scope: 'reports:read',
    summary: 'What one code brought in (same figures as a coupon’s); the code is found as GET /v1/codes/{code} finds it',
    tags,
    params: CodeParams,
    responses: { 200: { description: 'the code’s figures', schema: UsageStats } },
    errors: [404],
    handler: async ({ ctx, account, params }) => ({ status: 200, body: await codeStats(ctx, account.id, params.code) }),
  }),
  defineRoute<undefined, z.infer<typeof StatsQuery>>({
    method: 'get',
    path: '/v1/stats',
    auth: 'account',
    scope: 'reports:read',
    summary: 'Account figures: codes created, codes redeemable now, redemptions, top code; from/to are local days in the account’s zone',
    tags,
    query: StatsQuery,
    responses: { 200: { description: 'the account’s figures', schema: AccountStats } },
    handler: async ({ ctx, account, query }) => ({ status: 200, body: await accountStats(ctx, account, query) }),
  }),
];
