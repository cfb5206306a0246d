import { defineRoute } from '../route';
import { z } from '../openapi';
import { JobRef } from '../../contracts/common';
import { RedeemRequest, Redemption, RedemptionCreated, RedemptionListQuery, RedemptionWrapped, Refusal, VoidRequest } from '../../contracts/redemptions';
import { submitCountedRequest } from '../job-reply';
import { listRedemptions, storedRedemptionOutcome, voidRedemption } from '../../services/redemptions';

type RedeemBody = z.infer<typeof RedeemRequest>;

export const redemptionRoutes = [
  defineRoute<RedeemBody>({
    method: 'post',
    path: '/v1/redemptions',
    auth: 'account',
    scope: 'redemptions:write',
    summary: 'Redeem a code on a subscription (waits for the worker; Prefer: respond-async answers 202)',
    tags: ['redemptions'],
    body: RedeemRequest,
    responses: {
      201: { description: 'redeemed', schema: RedemptionCreated },
      202: { description: 'accepted (Prefer: respond-async)', schema: JobRef },
      422: { description: 'refused: error.code is one of the refusal codes', schema: Refusal },
    },
    errors: [409, 429, 503],
    handler: ({ ctx, req, account, apiKeyId, body }) =>
      submitCountedRequest(ctx, req, 'redeem', { accountId: account.id, apiKeyId }, body, (key, hash) => storedRedemptionOutcome(ctx, account.id, key, hash)),
  }),
  defineRoute<z.infer<typeof VoidRequest>, undefined, { id: string }>({
    method: 'post',
    path: '/v1/redemptions/:id/void',
    auth: 'account',
    scope: 'redemptions:write',
    summary: 'Void a redemption: it discounts nothing more and no longer counts against perCustomer',
    tags: ['redemptions'],
    params: z.object({ id: z.uuid() }),
    body: VoidRequest,
    responses: { 200: { description: 'voided', schema: RedemptionWrapped } },
    errors: [404],
    handler: async ({ ctx, account, caller, params, body }) => ({
      status: 200,
      body: { redemption: await voidRedemption(ctx, account.id, params.id, body.reason ?? null, caller!) },
    }),
  }),
  defineRoute<undefined, z.infer<typeof RedemptionListQuery>>({
    method: 'get',
    path: '/v1/redemptions',
    auth: 'account',
    scope: 'reports:read',
    summary: 'List redemptions, by subscription and/or customer, oldest first',
    tags: ['redemptions'],
    query: RedemptionListQuery,
    responses: { 200: { description: 'a page', schema: z.object({ data: z.array(Redemption), nextCursor: z.string().nullable() }) } },
    handler: async ({ ctx, account, query }) => ({ status: 200, body: await listRedemptions(ctx, account.id, query) }),
  }),
];
