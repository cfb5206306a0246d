import { defineRoute, type RouteDef } from '../route';
import { badRequest } from '../../errors';
import type { z } from '../openapi';
import { CouponIdParams, CsvBody, ImportResult } from '../../contracts/coupons';
import { importCodes } from '../../services/code-imports';

export const codeImportRoutes: RouteDef[] = [
  defineRoute<string, undefined, z.infer<typeof CouponIdParams>>({
    method: 'post',
    path: '/v1/coupons/:id/codes/import',
    auth: 'account',
    scope: 'coupons:write',
    summary: 'Import up to 100,000 codes from CSV (header code[,max_redemptions][,expires_at]); all rows or none',
    tags: ['codes'],
    params: CouponIdParams,
    body: CsvBody,
    bodyType: 'text/csv',
    responses: { 201: { description: 'every row imported', schema: ImportResult } },
    errors: [404, 409, 413],
    handler: async ({ ctx, account, caller, params, req }) => {
      if (!req.is('text/csv')) throw badRequest('body: Content-Type must be text/csv', 'body');
      return { status: 201, body: { imported: await importCodes(ctx, account.id, params.id, req, caller!) } };
    },
  }),
];
