import type { z } from '../openapi';
import { defineRoute } from '../route';
import { streamCsv } from '../csv-stream';
import { Batch, BatchCreate, BatchCreated, BatchListQuery, BatchPage, CodesCsv, IdParams, RedemptionsCsv } from '../../contracts/batches';
import { batchCodesExport, createBatch, getBatch, listBatches, type BatchRequestBody } from '../../services/batch-service';
import { couponRedemptionsExport } from '../../services/reports';

type Params = z.infer<typeof IdParams>;

export const batchRoutes = [
  defineRoute<z.infer<typeof BatchCreate>, undefined, Params>({
    method: 'post',
    path: '/v1/coupons/:id/batches',
    auth: 'account',
    scope: 'coupons:write',
    summary: 'Generate a batch of unique codes in the background (up to 1,000,000)',
    tags: ['batches'],
    params: IdParams,
    body: BatchCreate,
    responses: { 202: { description: 'queued; poll GET /v1/batches/{id}', schema: BatchCreated } },
    errors: [404, 409, 422, 503],
    handler: async ({ ctx, account, caller, params, body }) => {
      const batch = await createBatch(ctx, account.id, params.id, body as BatchRequestBody, caller!);
      return { status: 202, body: { batch }, headers: { Location: `/v1/batches/${batch.id}` } };
    },
  }),
  defineRoute<undefined, z.infer<typeof BatchListQuery>>({
    method: 'get',
    path: '/v1/batches',
    auth: 'account',
    scope: 'coupons:read',
    summary: 'Batches of the account (optionally of one coupon), oldest first',
    tags: ['batches'],
    query: BatchListQuery,
    responses: { 200: { description: 'a page of batches', schema: BatchPage } },
    handler: async ({ ctx, account, query }) => ({ status: 200, body: await listBatches(ctx, account.id, query) }),
  }),
  defineRoute<undefined, undefined, Params>({
    method: 'get',
    path: '/v1/batches/:id',
    auth: 'account',
    scope: 'coupons:read',
    summary: 'A batch and its progress',
    tags: ['batches'],
    params: IdParams,
    responses: { 200: { description: 'the batch', schema: Batch } },
    errors: [404],
    handler: async ({ ctx, account, params }) => ({ status: 200, body: await getBatch(ctx, account.id, params.id) }),
  }),
  defineRoute<undefined, undefined, Params>({
    method: 'get',
    path: '/v1/batches/:id/codes.csv',
    auth: 'account',
    scope: 'coupons:read',
    summary: "A batch's codes as CSV, streamed (header code,max_redemptions,expires_at,status)",
    tags: ['batches'],
    params: IdParams,
    responses: { 200: { description: 'CSV', schema: CodesCsv, contentType: 'text/csv' } },
    errors: [404],
    handler: async ({ ctx, account, params, res }) => streamCsv(ctx, res, await batchCodesExport(ctx, account.id, params.id)),
  }),
  defineRoute<undefined, undefined, Params>({
    method: 'get',
    path: '/v1/coupons/:id/redemptions.csv',
    auth: 'account',
    scope: 'reports:read',
    summary: "A coupon's redemptions as CSV, one row per redemption and ledger currency, streamed",
    tags: ['reports'],
    params: IdParams,
    responses: { 200: { description: 'CSV', schema: RedemptionsCsv, contentType: 'text/csv' } },
    errors: [404],
    handler: async ({ ctx, account, params, res }) => streamCsv(ctx, res, await couponRedemptionsExport(ctx, account, params.id)),
  }),
];
