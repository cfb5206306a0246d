import { defineRoute, type RouteDef } from '../route';
import { badRequest, notFound } from '../../errors';
import type { z } from '../openapi';
import { CodeParams, CouponIdParams } from '../../contracts/coupons';
import { AccountStats, StatsQuery, UsageStats } from '../../contracts/reports';
import { DomainError, resolveReportRange, type ReportRange } from '../../domain';
import { getCouponRow } from '../../repositories/coupons';
import { findCodeRow } from '../../repositories/codes';
import { accountStats, usageStats } from '../../repositories/reports';

const tags = ['reports'];

function range(query: z.infer<typeof StatsQuery>, zone: string): ReportRange {
  try {
    return resolveReportRange(query, zone);
  } catch (err) {
    if (err instanceof DomainError) throw badRequest(err.message, err.field);
    throw err;
  }
}

export const reportRoutes: RouteDef[] = [
  defineRoute<undefined, undefined, z.infer<typeof CouponIdParams>>({
    method: 'get',
    path: '/v1/coupons/:id/stats',
    auth: 'account',
    summary: 'What a coupon brought in: redemptions by status, customers, invoices, discount and revenue per currency, conversion',
    tags,
    params: CouponIdParams,
    responses: { 200: { description: 'the coupon’s figures', schema: UsageStats } },
    errors: [404],
    handler: async ({ ctx, account, params }) => {
      const em = ctx.orm.em.fork();
      const coupon = await getCouponRow(em, account.id, params.id);
      if (!coupon) throw notFound('coupon');
      return { status: 200, body: await usageStats(em, account.id, { couponId: coupon.id }) };
    },
  }),
  defineRoute<undefined, undefined, z.infer<typeof CodeParams>>({
    method: 'get',
    path: '/v1/codes/:code/stats',
    auth: 'account',
    summary: 'What one code brought in (same figures as a coupon’s); the code is found as GET /v1/codes/{code} finds it',
    tags,
    params: CodeParams,
    responses: { 200: { description: 'the code’s figures', schema: UsageStats } },
    errors: [404],
    handler: async ({ ctx, account, params }) => {
      const em = ctx.orm.em.fork();
      const code = await findCodeRow(em, account.id, params.code);
      if (!code) throw notFound('code');
      return { status: 200, body: await usageStats(em, account.id, { codeId: code.id }) };
    },
  }),
  defineRoute<undefined, z.infer<typeof StatsQuery>>({
    method: 'get',
    path: '/v1/stats',
    auth: 'account',
    summary: 'Account figures: codes created, codes redeemable now, redemptions, top code; from/to are local days in the account’s zone',
    tags,
    query: StatsQuery,
    responses: { 200: { description: 'the account’s figures', schema: AccountStats } },
    handler: async ({ ctx, account, query }) => ({
      status: 200,
      body: await accountStats(ctx.orm.em.fork(), account.id, range(query, account.timeZone), ctx.clock.now()),
    }),
  }),
];
