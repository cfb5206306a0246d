import { defineRoute, type RouteDef } from '../route';
import type { z } from '../openapi';
import { Code, CodeCreate, CodeListQuery, CodePage, CodeParams, CodePatch, CouponIdParams } from '../../contracts/coupons';
import { addCode, deleteCode, getCode, listCouponCodes, patchCode, setCodeState } from '../../services/codes';

type CouponParams = z.infer<typeof CouponIdParams>;
type Params = z.infer<typeof CodeParams>;
const tags = ['codes'];

export const codeRoutes: RouteDef[] = [
  defineRoute<undefined, z.infer<typeof CodeListQuery>, CouponParams>({
    method: 'get',
    path: '/v1/coupons/:id/codes',
    auth: 'account',
    scope: 'coupons:read',
    summary: 'A coupon’s codes (deleted ones left out), in creation order or by ?sort=code|-code|timesRedeemed|-timesRedeemed',
    tags,
    params: CouponIdParams,
    query: CodeListQuery,
    responses: { 200: { description: 'a page of codes', schema: CodePage } },
    errors: [404],
    handler: async ({ ctx, account, params, query }) => ({ status: 200, body: await listCouponCodes(ctx, account.id, params.id, query) }),
  }),
  defineRoute<z.infer<typeof CodeCreate>, undefined, CouponParams>({
    method: 'post',
    path: '/v1/coupons/:id/codes',
    auth: 'account',
    scope: 'coupons:write',
    summary: 'Add a code; its limit and expiry may not be looser than the coupon’s (400); a live duplicate → 409',
    tags,
    params: CouponIdParams,
    body: CodeCreate,
    responses: { 201: { description: 'the code', schema: Code } },
    errors: [404, 409],
    handler: async ({ ctx, account, caller, params, body }) => ({ status: 201, body: await addCode(ctx, account.id, params.id, body, caller!) }),
  }),
  defineRoute<undefined, undefined, Params>({
    method: 'get',
    path: '/v1/codes/:code',
    auth: 'account',
    scope: 'coupons:read',
    summary: 'One code (case-insensitive); status is the effective one',
    tags,
    params: CodeParams,
    responses: { 200: { description: 'the code', schema: Code } },
    errors: [404],
    handler: async ({ ctx, account, params }) => ({ status: 200, body: await getCode(ctx, account.id, params.code) }),
  }),
  defineRoute<z.infer<typeof CodePatch>, undefined, Params>({
    method: 'patch',
    path: '/v1/codes/:code',
    auth: 'account',
    scope: 'coupons:write',
    summary: 'Edit a code’s limit, expiry, customer or metadata (never looser than the coupon; not below its use)',
    tags,
    params: CodeParams,
    body: CodePatch,
    responses: { 200: { description: 'the code', schema: Code } },
    errors: [404, 409],
    handler: async ({ ctx, account, caller, params, body }) => ({ status: 200, body: await patchCode(ctx, account.id, params.code, body, caller!) }),
  }),
  ...(['disable', 'enable'] as const).map((action) =>
    defineRoute<undefined, undefined, Params>({
      method: 'post',
      path: `/v1/codes/:code/${action}`,
      auth: 'account',
      scope: 'coupons:write',
      summary: action === 'disable' ? 'Disable a code (active → disabled)' : 'Enable a code (disabled → active)',
      tags,
      params: CodeParams,
      responses: { 200: { description: 'the code', schema: Code } },
      errors: [404, 409],
      handler: async ({ ctx, account, caller, params }) => ({ status: 200, body: await setCodeState(ctx, account.id, params.code, action, caller!) }),
    }),
  ),
  defineRoute<undefined, undefined, Params>({
    method: 'delete',
    path: '/v1/codes/:code',
    auth: 'account',
    scope: 'coupons:write',
    summary: 'Delete a code softly (gone from listings and redemption, kept for history)',
    tags,
    params: CodeParams,
    responses: { 204: { description: 'deleted' } },
    errors: [404, 409],
    handler: async ({ ctx, account, caller, params }) => {
      await deleteCode(ctx, account.id, params.code, caller!);
      return { status: 204 };
    },
  }),
];
