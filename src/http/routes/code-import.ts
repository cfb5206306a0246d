import { defineRoute, type RouteDef } from '../route';
import { badRequest, conflict, notFound } from '../../errors';
import type { z } from '../openapi';
import { CouponIdParams, CsvBody, ImportResult } from '../../contracts/coupons';
import { parseCodeCsv } from '../../csv/code-import';
import { getCouponRow } from '../../repositories/coupons';
import { importCodes } from '../../repositories/code-import';
import { scheduleExpiries } from '../../queues/expiry-producer';

export const codeImportRoutes: RouteDef[] = [
  defineRoute<string, undefined, z.infer<typeof CouponIdParams>>({
    method: 'post',
    path: '/v1/coupons/:id/codes/import',
    auth: 'account',
    summary: 'Import up to 100,000 codes from CSV (header code[,max_redemptions][,expires_at]); all rows or none',
    tags: ['codes'],
    params: CouponIdParams,
    body: CsvBody,
    bodyType: 'text/csv',
    responses: { 201: { description: 'every row imported', schema: ImportResult } },
    errors: [404, 409, 413],
    handler: async ({ ctx, account, params, req }) => {
      if (!req.is('text/csv')) throw badRequest('body: Content-Type must be text/csv', 'body');
      const em = ctx.orm.em.fork();
      const coupon = await getCouponRow(em, account.id, params.id);
      if (!coupon) throw notFound('coupon');
      if (coupon.state === 'archived') throw conflict('the coupon is archived and read-only');
      const parsed = await parseCodeCsv(req);
      const { imported, expiring } = await importCodes(em, account.id, coupon.id, parsed, ctx.clock.now());
      await scheduleExpiries(ctx, expiring.map((c) => ({ kind: 'code' as const, accountId: account.id, id: c.id, expiresAt: c.expiresAt })));
      return { status: 201, body: { imported } };
    },
  }),
];
