import { couponStatus, type CouponStoredStatus } from '../../domain';
import { batchCodesQuery, couponRedemptionsQuery } from '../../repositories/batch-exports';
import { batchView, findBatch, findCouponForBatch, listBatches } from '../../repositories/batches';
import { createBatch, isUuid, type BatchRequestBody } from '../../services/batch-service';
import { streamCsv } from '../csv-stream';
import { decodeCursor, encodeCursor } from '../../cursor';
import { badRequest, notFound } from '../../errors';
import type { z } from '../openapi';
import { defineRoute } from '../route';
import { Batch, BatchCreate, BatchCreated, BatchListQuery, BatchPage, CodesCsv, IdParams, RedemptionsCsv } from '../../contracts/batches';

type Params = z.infer<typeof IdParams>;

/** The list cursor holds the last row's [created_at with microseconds, id]. */
function decodeAfter(cursor: string | undefined): [string, string] | null {
  if (cursor === undefined) return null;
  const v = decodeCursor(cursor, 'batches');
  if (v.length === 2 && typeof v[0] === 'string' && !Number.isNaN(Date.parse(v[0])) && typeof v[1] === 'string' && isUuid(v[1])) {
    return [v[0], v[1]];
  }
  throw badRequest('cursor: is not a cursor this list gave', 'cursor');
}

export const batchRoutes = [
  defineRoute<z.infer<typeof BatchCreate>, undefined, Params>({
    method: 'post',
    path: '/v1/coupons/:id/batches',
    auth: 'account',
    summary: 'Generate a batch of unique codes in the background (up to 1,000,000)',
    tags: ['batches'],
    params: IdParams,
    body: BatchCreate,
    responses: { 202: { description: 'queued; poll GET /v1/batches/{id}', schema: BatchCreated } },
    errors: [404, 409, 422, 503],
    handler: async ({ ctx, account, params, body }) => {
      const batch = await createBatch(ctx, account.id, params.id, body as BatchRequestBody);
      return { status: 202, body: { batch: batchView(batch) }, headers: { Location: `/v1/batches/${batch.id}` } };
    },
  }),
  defineRoute<undefined, z.infer<typeof BatchListQuery>>({
    method: 'get',
    path: '/v1/batches',
    auth: 'account',
    summary: 'Batches of the account (optionally of one coupon), oldest first',
    tags: ['batches'],
    query: BatchListQuery,
    responses: { 200: { description: 'a page of batches', schema: BatchPage } },
    handler: async ({ ctx, account, query }) => {
      const after = decodeAfter(query.cursor);
      if (query.couponId !== undefined && !isUuid(query.couponId)) return { status: 200, body: { data: [], nextCursor: null } };
      const { rows, next } = await listBatches(ctx.orm.em.fork(), account.id, query.couponId, after, query.limit);
      return { status: 200, body: { data: rows.map(batchView), nextCursor: next ? encodeCursor('batches', next) : null } };
    },
  }),
  defineRoute<undefined, undefined, Params>({
    method: 'get',
    path: '/v1/batches/:id',
    auth: 'account',
    summary: 'A batch and its progress',
    tags: ['batches'],
    params: IdParams,
    responses: { 200: { description: 'the batch', schema: Batch } },
    errors: [404],
    handler: async ({ ctx, account, params }) => {
      const batch = isUuid(params.id) ? await findBatch(ctx.orm.em.fork(), account.id, params.id) : null;
      if (!batch) throw notFound('batch');
      return { status: 200, body: batchView(batch) };
    },
  }),
  defineRoute<undefined, undefined, Params>({
    method: 'get',
    path: '/v1/batches/:id/codes.csv',
    auth: 'account',
    summary: "A batch's codes as CSV, streamed (header code,max_redemptions,expires_at,status)",
    tags: ['batches'],
    params: IdParams,
    responses: { 200: { description: 'CSV', schema: CodesCsv, contentType: 'text/csv' } },
    errors: [404],
    handler: async ({ ctx, account, params, res }) => {
      const em = ctx.orm.em.fork();
      const batch = isUuid(params.id) ? await findBatch(em, account.id, params.id) : null;
      const coupon = batch ? await findCouponForBatch(em, account.id, batch.couponId) : null;
      if (!batch || !coupon) throw notFound('batch');
      const now = ctx.clock.now();
      const status = couponStatus({ ...coupon, storedStatus: coupon.state as CouponStoredStatus }, now);
      return streamCsv(ctx, res, {
        filename: `batch-${batch.id}-codes.csv`,
        query: (lit) => batchCodesQuery(lit, batch.id, status, now),
      });
    },
  }),
  defineRoute<undefined, undefined, Params>({
    method: 'get',
    path: '/v1/coupons/:id/redemptions.csv',
    auth: 'account',
    summary: "A coupon's redemptions as CSV, one row per redemption and ledger currency, streamed",
    tags: ['reports'],
    params: IdParams,
    responses: { 200: { description: 'CSV', schema: RedemptionsCsv, contentType: 'text/csv' } },
    errors: [404],
    handler: async ({ ctx, account, params, res }) => {
      const coupon = isUuid(params.id) ? await findCouponForBatch(ctx.orm.em.fork(), account.id, params.id) : null;
      if (!coupon) throw notFound('coupon');
      return streamCsv(ctx, res, {
        filename: `coupon-${coupon.id}-redemptions.csv`,
        query: (lit) => couponRedemptionsQuery(lit, account.id, coupon.id),
        settings: { TimeZone: account.timeZone },
      });
    },
  }),
];
