import { defineRoute } from '../route';
import type { z } from '../openapi';
import { JobRef } from '../../contracts/common';
import { Refusal } from '../../contracts/redemptions';
import {
  HoldListQuery, HoldPage, HoldParams, HoldReleaseQuery, HoldRequest, HoldWrapped, PreviewRequest, PreviewResult, QualificationList, QualificationRequest,
} from '../../contracts/checkout';
import { submitCountedRequest } from '../job-reply';
import { getHold, listHolds, releaseHold, storedHoldOutcome } from '../../services/holds';
import { previewInvoices } from '../../services/previews';
import { qualify } from '../../services/qualifications';

type HoldBody = z.infer<typeof HoldRequest>;

/** Holds, qualifications and invoice previews (API.md "Checkout" and "Previews and rounding"). */
export const checkoutRoutes = [
  defineRoute<HoldBody>({
    method: 'post',
    path: '/v1/holds',
    auth: 'account',
    scope: 'redemptions:write',
    summary: 'Hold one use of a code (or direct coupon) for a customer until expiresAt: it counts against every limit like a redemption (waits for the worker; Prefer: respond-async answers 202)',
    tags: ['checkout'],
    body: HoldRequest,
    responses: {
      201: { description: 'held', schema: HoldWrapped },
      202: { description: 'accepted (Prefer: respond-async)', schema: JobRef },
      422: { description: 'refused: error.code is one of the redemption refusal codes', schema: Refusal },
    },
    errors: [409, 429, 503],
    handler: ({ ctx, req, account, apiKeyId, body }) =>
      submitCountedRequest(ctx, req, 'hold', { accountId: account.id, apiKeyId }, body, (key, hash) => storedHoldOutcome(ctx, account.id, key, hash)),
  }),
  defineRoute<undefined, z.infer<typeof HoldListQuery>>({
    method: 'get',
    path: '/v1/holds',
    auth: 'account',
    scope: 'redemptions:write',
    summary: 'The account’s holds (optionally of one coupon, with one status as of now), soonest expiry first',
    tags: ['checkout'],
    query: HoldListQuery,
    responses: { 200: { description: 'a page of holds', schema: HoldPage } },
    handler: async ({ ctx, account, query }) => ({ status: 200, body: await listHolds(ctx, account.id, query) }),
  }),
  defineRoute<undefined, undefined, z.infer<typeof HoldParams>>({
    method: 'get',
    path: '/v1/holds/:id',
    auth: 'account',
    scope: 'redemptions:write',
    summary: 'A hold, its status as of now (an active hold past its expiry reads expired)',
    tags: ['checkout'],
    params: HoldParams,
    responses: { 200: { description: 'the hold', schema: HoldWrapped } },
    errors: [404],
    handler: async ({ ctx, account, params }) => ({ status: 200, body: { hold: await getHold(ctx, account.id, params.id) } }),
  }),
  defineRoute<undefined, z.infer<typeof HoldReleaseQuery>, z.infer<typeof HoldParams>>({
    method: 'delete',
    path: '/v1/holds/:id',
    auth: 'account',
    scope: 'redemptions:write',
    summary: 'Release an active hold: its use is free again',
    tags: ['checkout'],
    params: HoldParams,
    query: HoldReleaseQuery,
    responses: { 204: { description: 'released' }, 422: { description: 'hold_not_active', schema: Refusal } },
    errors: [404],
    handler: async ({ ctx, account, params, query }) => {
      await releaseHold(ctx, account.id, params.id, query.customerId);
      return { status: 204 };
    },
  }),
  defineRoute<z.infer<typeof QualificationRequest>>({
    method: 'post',
    path: '/v1/qualifications',
    auth: 'account',
    scope: 'redemptions:validate',
    summary: 'The direct coupons and the given codes this customer could redeem now (limits, per-customer counts, holds and budgets honoured), largest discount on the plan’s price first; writes nothing',
    tags: ['checkout'],
    body: QualificationRequest,
    responses: { 200: { description: 'the offers', schema: QualificationList } },
    errors: [429],
    handler: async ({ ctx, account, apiKeyId, body }) => ({ status: 200, body: await qualify(ctx, account.id, apiKeyId, body) }),
  }),
  defineRoute<z.infer<typeof PreviewRequest>>({
    method: 'post',
    path: '/v1/previews/invoices',
    auth: 'account',
    scope: 'redemptions:validate',
    summary: 'The next invoices of a subscription (1–36 cycles), discounted by the invoice worker’s own function with its redemptions and the listed coupons as if redeemed at startsAt; writes nothing',
    tags: ['checkout'],
    body: PreviewRequest,
    responses: {
      200: { description: 'one invoice per cycle', schema: PreviewResult },
      422: { description: 'a listed coupon would be refused: its refusal code, error.field coupons[i]', schema: Refusal },
    },
    errors: [429],
    handler: async ({ ctx, account, apiKeyId, body }) => ({ status: 200, body: await previewInvoices(ctx, account, apiKeyId, body) }),
  }),
];
