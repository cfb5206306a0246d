import type { AppContext } from '../context';
import { decodeCursor, encodeCursor } from '../cursor';
import {
  checkCodeNotLooser, checkKeyspace, compactAttribution, couponStatus, keyspaceSize, KEYSPACE_FACTOR, planBatch, type Attribution, type BatchRequest, type BatchSpec,
  type CouponStoredStatus, type DomainError,
} from '../domain';
import { AppError, badRequest, conflict, notFound } from '../errors';
import { enqueueJob } from '../queues/producers';
import type { BatchJobData } from '../queues/payloads';
import { batchCodesQuery } from '../repositories/batch-exports';
import {
  batchView, countLiveCodesWithShape, deleteUnstartedBatch, findBatch, findCouponForBatch, insertBatch, keyspaceFigures, listBatches as listBatchRows,
  lockAccountBatches, type BatchRow, type BatchView,
} from '../repositories/batches';
import type { CsvExportSpec } from './reports';
import { recordChange, type Caller } from './audit-log';
import { isUuid } from '../ids';

/** The batch request: the domain's code spec plus per-code limit and expiry. */
export interface BatchRequestBody extends BatchRequest {
  maxRedemptionsPerCode?: number;
  expiresAt?: string | null;
  attribution?: Partial<Attribution> | null;
}

/** A domain refusal of the request's values, as the 400 API.md describes. */
function invalid(err: DomainError, field?: string): AppError {
  const f = field ?? err.field;
  return badRequest(f ? `${f}: ${err.message}` : err.message, f);
}

/**
 * The codes the batch must hold: its count, the account's live codes of the same shape, and
 * what the account's queued or running batches of that shape have still to write. The exact
 * count of existing codes scans them, so it is skipped when an upper bound (every code row
 * there is) already proves the random space large enough, which is the case for any usual spec.
 */
async function mustHold(em: Parameters<typeof keyspaceFigures>[0], accountId: string, spec: BatchSpec): Promise<number> {
  const { pending, bound } = await keyspaceFigures(em, accountId, spec);
  if (keyspaceSize(spec) >= KEYSPACE_FACTOR * BigInt(spec.count + pending + bound)) return spec.count + pending;
  return spec.count + pending + (await countLiveCodesWithShape(em, accountId, spec));
}

/**
 * Validates a batch request, checks the coupon and the keyspace, inserts the batch row and
 * enqueues its job; all refusals happen here, before anything is written.
 */
/** A batch as its audit records show it: what was asked for, as stored (unset parts left out). */
function batchAudit(b: BatchRow): Record<string, unknown> {
  const orNull = (v: string) => (v === '' ? null : v);
  return {
    couponId: b.couponId, count: b.count, pattern: b.spec.pattern, prefix: orNull(b.spec.prefix), suffix: orNull(b.spec.suffix), charset: b.spec.charset,
    maxRedemptionsPerCode: b.maxRedemptionsPerCode, expiresAt: b.expiresAt, attribution: compactAttribution(b.attribution),
  };
}

export async function createBatch(ctx: AppContext, accountId: string, couponId: string, body: BatchRequestBody, caller: Caller): Promise<BatchView> {
  const planned = planBatch(body);
  if (!planned.ok) throw invalid(planned.error);
  const spec = planned.value;
  if (!isUuid(couponId)) throw notFound('coupon');
  const maxPerCode = body.maxRedemptionsPerCode ?? 1;
  const expiresAt = body.expiresAt ? new Date(body.expiresAt).toISOString() : null;

  const em = ctx.orm.em.fork();
  const now = ctx.clock.now();
  const batch = await em.transactional(async (tx) => {
    await lockAccountBatches(tx, accountId);
    const coupon = await findCouponForBatch(tx, accountId, couponId, true);
    if (!coupon) throw notFound('coupon');
    if (coupon.state === 'archived') throw conflict('the coupon is archived; no codes can be added to it');
    const looser = checkCodeNotLooser({ maxRedemptions: maxPerCode, expiresAt }, coupon);
    if (looser[0]) throw invalid(looser[0], looser[0].field === 'maxRedemptions' ? 'maxRedemptionsPerCode' : 'expiresAt');
    const room = checkKeyspace(spec, await mustHold(tx, accountId, spec));
    if (!room.ok) throw new AppError(room.error.code, room.error.message, room.error.field);
    const row = await insertBatch(tx, { accountId, couponId, spec, maxRedemptionsPerCode: maxPerCode, expiresAt, attribution: body.attribution });
    await recordChange(tx, accountId, caller, now, { action: 'batch.created', target: { type: 'batch', id: row.id }, before: null, after: batchAudit(row) });
    return row;
  });

  const data: BatchJobData = { accountId, batchId: batch.id };
  try {
    await enqueueJob(ctx, { queue: 'batches', name: 'generate-batch', data }, { maxWaiting: ctx.config.queueMaxWaiting });
  } catch (err) {
    // the job could not be queued: the batch goes again, and the log says so
    await ctx.orm.em.fork().transactional(async (tx) => {
      if (await deleteUnstartedBatch(tx, batch.id)) {
        await recordChange(tx, accountId, caller, ctx.clock.now(), { action: 'batch.deleted', target: { type: 'batch', id: batch.id }, before: batchAudit(batch), after: null });
      }
    });
    throw err;
  }
  return batchView(batch);
}

/** GET /v1/batches/{id}: a batch and its progress. */
export async function getBatch(ctx: AppContext, accountId: string, id: string): Promise<BatchView> {
  const batch = isUuid(id) ? await findBatch(ctx.orm.em.fork(), accountId, id) : null;
  if (!batch) throw notFound('batch');
  return batchView(batch);
}

/** The list cursor holds the last row's [created_at with microseconds, id]. */
function decodeAfter(cursor: string | undefined): [string, string] | null {
  if (cursor === undefined) return null;
  const v = decodeCursor(cursor, 'batches');
  if (v.length === 2 && typeof v[0] === 'string' && !Number.isNaN(Date.parse(v[0])) && typeof v[1] === 'string' && isUuid(v[1])) {
    return [v[0], v[1]];
  }
  throw badRequest('cursor: is not a cursor this list gave', 'cursor');
}

/** GET /v1/batches: the account's batches (optionally of one coupon), oldest first. */
export async function listBatches(ctx: AppContext, accountId: string, query: { couponId?: string; limit: number; cursor?: string }) {
  const after = decodeAfter(query.cursor);
  if (query.couponId !== undefined && !isUuid(query.couponId)) return { data: [], nextCursor: null };
  const { rows, next } = await listBatchRows(ctx.orm.em.fork(), accountId, query.couponId, after, query.limit);
  return { data: rows.map(batchView), nextCursor: next ? encodeCursor('batches', next) : null };
}

/** GET /v1/batches/{id}/codes.csv: the codes written so far, status as the coupon is now. */
export async function batchCodesExport(ctx: AppContext, accountId: string, id: string): Promise<CsvExportSpec> {
  const em = ctx.orm.em.fork();
  const batch = isUuid(id) ? await findBatch(em, accountId, id) : null;
  const coupon = batch ? await findCouponForBatch(em, accountId, batch.couponId) : null;
  if (!batch || !coupon) throw notFound('batch');
  const now = ctx.clock.now();
  const status = couponStatus({ ...coupon, storedStatus: coupon.state as CouponStoredStatus }, now);
  return { filename: `batch-${batch.id}-codes.csv`, query: (lit) => batchCodesQuery(lit, batch.id, status, now) };
}
