import { defineRoute, type RouteDef } from '../route';
import type { z } from '../openapi';
import {
  Coupon,
  CouponClone,
  CouponCreate,
  CouponIdParams,
  CouponListQuery,
  CouponPage,
  CouponPatch,
  CouponVersionPage,
} from '../../contracts/coupons';
import { ListQuery } from '../../contracts/common';
import { cloneCoupon, createCoupon, deleteCoupon, getCoupon, listCoupons, listCouponVersions, patchCoupon, transitionCoupon } from '../../services/coupons';
import type { LifecycleAction } from '../../domain';

type Params = z.infer<typeof CouponIdParams>;
const tags = ['coupons'];

const LIFECYCLE: { action: LifecycleAction; summary: string }[] = [
  { action: 'activate', summary: 'Activate a draft coupon (draft → active)' },
  { action: 'disable', summary: 'Disable an active coupon (active → disabled)' },
  { action: 'enable', summary: 'Enable a disabled coupon (disabled → active)' },
  { action: 'archive', summary: 'Archive a coupon and its codes (irreversible; a no-op when already archived)' },
];

export const couponRoutes: RouteDef[] = [
  defineRoute<z.infer<typeof CouponCreate>>({
    method: 'post',
    path: '/v1/coupons',
    auth: 'account',
    scope: 'coupons:write',
    summary: 'Create a coupon (optionally with its first code); its time zone is the account’s',
    tags,
    body: CouponCreate,
    responses: { 201: { description: 'the coupon', schema: Coupon } },
    errors: [409],
    handler: async ({ ctx, account, caller, body }) => ({ status: 201, body: await createCoupon(ctx, account.id, body, caller!) }),
  }),
  defineRoute<undefined, z.infer<typeof CouponListQuery>>({
    method: 'get',
    path: '/v1/coupons',
    auth: 'account',
    scope: 'coupons:read',
    summary: 'List coupons in creation order or sorted by name or times redeemed, optionally by derived status or name fragment',
    tags,
    query: CouponListQuery,
    responses: { 200: { description: 'a page of coupons', schema: CouponPage } },
    handler: async ({ ctx, account, query }) => ({ status: 200, body: await listCoupons(ctx, account.id, query) }),
  }),
  defineRoute<undefined, undefined, Params>({
    method: 'get',
    path: '/v1/coupons/:id',
    auth: 'account',
    scope: 'coupons:read',
    summary: 'One coupon',
    tags,
    params: CouponIdParams,
    responses: { 200: { description: 'the coupon', schema: Coupon } },
    errors: [404],
    handler: async ({ ctx, account, params }) => ({ status: 200, body: await getCoupon(ctx, account.id, params.id) }),
  }),
  defineRoute<z.infer<typeof CouponPatch>, undefined, Params>({
    method: 'patch',
    path: '/v1/coupons/:id',
    auth: 'account',
    scope: 'coupons:write',
    summary: 'Edit a coupon; a terms change makes a new version (limits below usage and archived coupons → 409)',
    tags,
    params: CouponIdParams,
    body: CouponPatch,
    responses: { 200: { description: 'the coupon', schema: Coupon } },
    errors: [404, 409],
    handler: async ({ ctx, account, caller, params, body }) => ({ status: 200, body: await patchCoupon(ctx, account.id, params.id, body, caller!) }),
  }),
  ...LIFECYCLE.map(({ action, summary }) =>
    defineRoute<undefined, undefined, Params>({
      method: 'post',
      path: `/v1/coupons/:id/${action}`,
      auth: 'account',
      scope: 'coupons:write',
      summary,
      tags,
      params: CouponIdParams,
      responses: { 200: { description: 'the coupon', schema: Coupon } },
      errors: [404, 409],
      handler: async ({ ctx, account, caller, params }) => ({ status: 200, body: await transitionCoupon(ctx, account.id, params.id, action, caller!) }),
    }),
  ),
  defineRoute<z.infer<typeof CouponClone>, undefined, Params>({
    method: 'post',
    path: '/v1/coupons/:id/clone',
    auth: 'account',
    scope: 'coupons:write',
    summary: 'Clone a coupon: same terms and time zone, draft, no codes; optional JSON body {name} (default "<name> (copy)")',
    tags,
    params: CouponIdParams,
    body: CouponClone,
    bodyOptional: true,
    responses: { 201: { description: 'the new coupon', schema: Coupon } },
    errors: [404, 409],
    handler: async ({ ctx, account, caller, params, body }) => ({ status: 201, body: await cloneCoupon(ctx, account.id, params.id, body.name, caller!) }),
  }),
  defineRoute<undefined, undefined, Params>({
    method: 'delete',
    path: '/v1/coupons/:id',
    auth: 'account',
    scope: 'coupons:write',
    summary: 'Delete a never-redeemed coupon with its codes (a redeemed one → 409: archive it)',
    tags,
    params: CouponIdParams,
    responses: { 204: { description: 'deleted' } },
    errors: [404, 409],
    handler: async ({ ctx, account, caller, params }) => {
      await deleteCoupon(ctx, account.id, params.id, caller!);
      return { status: 204 };
    },
  }),
  defineRoute<undefined, z.infer<typeof ListQuery>, Params>({
    method: 'get',
    path: '/v1/coupons/:id/versions',
    auth: 'account',
    scope: 'coupons:read',
    summary: 'A coupon’s version history, oldest first',
    tags,
    params: CouponIdParams,
    query: ListQuery.strict(),
    responses: { 200: { description: 'a page of versions', schema: CouponVersionPage } },
    errors: [404],
    handler: async ({ ctx, account, params, query }) => ({ status: 200, body: await listCouponVersions(ctx, account.id, params.id, query) }),
  }),
];
