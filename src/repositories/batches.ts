import { sql } from 'kysely';
import type { Em } from '../db/orm';
import { storedJson, type Db, type StoredRow } from '../db/rows';
import { iso, isoOrNull, jsonb, tstz } from '../db/values';
import { attributionColumns, type Attribution, type AttributionColumns, type BatchSpec } from '../domain';
import { getCouponRow, type CouponRow } from './coupons';

/** Batch rows and the figures batch creation checks. Generation itself is in batch-codes.ts. */

export type BatchStatus = 'queued' | 'running' | 'completed' | 'failed';

export interface BatchView {
  id: string;
  couponId: string;
  status: BatchStatus;
  count: number;
  generated: number;
  maxRedemptionsPerCode: number | null;
  expiresAt: string | null;
  error: string | null;
  createdAt: string;
  completedAt: string | null;
}

export interface BatchRow extends BatchView {
  accountId: string;
  spec: BatchSpec;
  /** Given to every code of the batch. */
  attribution: AttributionColumns;
}


const COLUMNS = [
  'id', 'account_id', 'coupon_id', 'status', 'count', 'generated', 'spec', 'max_redemptions_per_code',
  'expires_at', 'error', 'created_at', 'completed_at', 'channel', 'partner', 'referrer_customer_id',
] as const;

/** A batches row as selectBatches reads it. */
type BatchStoredRow = Pick<StoredRow<'batches'>, (typeof COLUMNS)[number]> & { cursor_at: string };

/** A batch's columns (alias `b`) and its list cursor: created_at with microseconds, in UTC. */
function selectBatches(db: Db) {
  return db
    .selectFrom('batches as b')
    .select([
      ...COLUMNS.map((c) => `b.${c}` as const),
      sql<string>`to_char(b.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('cursor_at'),
    ]);
}

/** The one mapping of a batches row; the jsonb spec is narrowed to the domain's BatchSpec here, once. */
function batchRowFrom(r: BatchStoredRow): BatchRow & { cursorAt: string } {
  return {
    id: r.id,
    accountId: r.account_id,
    couponId: r.coupon_id,
    status: r.status as BatchStatus,
    count: Number(r.count),
    generated: Number(r.generated),
    maxRedemptionsPerCode: r.max_redemptions_per_code === null ? null : Number(r.max_redemptions_per_code),
    expiresAt: isoOrNull(r.expires_at),
    error: r.error,
    createdAt: iso(r.created_at),
    completedAt: isoOrNull(r.completed_at),
    spec: storedJson<BatchSpec>(r.spec),
    attribution: attributionColumns({ channel: r.channel, partner: r.partner, referrerCustomerId: r.referrer_customer_id }),
    cursorAt: r.cursor_at,
  };
}

export function batchView(b: BatchView): BatchView {
  const { id, couponId, status, count, generated, maxRedemptionsPerCode, expiresAt, error, createdAt, completedAt } = b;
  return { id, couponId, status, count, generated, maxRedemptionsPerCode, expiresAt, error, createdAt, completedAt };
}

/** What batch creation and the exports read of the coupon. */
export type CouponForBatch = Pick<CouponRow, 'id' | 'state' | 'validFrom' | 'expiresAt' | 'maxRedemptions' | 'timesRedeemed'>;

/** The coupon a batch is for, in the account; `forShare` keeps it from being archived meanwhile. */
export async function findCouponForBatch(em: Em, accountId: string, couponId: string, forShare = false): Promise<CouponForBatch | null> {
  return getCouponRow(em, accountId, couponId, forShare ? { lock: 'share' } : {});
}

/** Serializes batch creation per account, so two requests cannot both pass the keyspace check. */
export async function lockAccountBatches(tx: Em, accountId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(7212007, hashtext(${accountId}))`.execute(tx.getKysely());
}

export interface Shape {
  prefix: string;
  suffix: string;
  codeLength: number;
}

/**
 * Cheap figures for the keyspace check: codes still to be written by the account's queued or
 * running batches of the same shape, and an upper bound on every code row there is (the highest
 * id: ids only grow), read from the primary key in O(log n).
 */
export async function keyspaceFigures(em: Em, accountId: string, shape: Shape): Promise<{ pending: number; bound: number }> {
  const db = em.getKysely();
  const pending = db
    .selectFrom('batches')
    .select(sql<string>`coalesce(sum(count - generated), 0)`.as('n'))
    .where('account_id', '=', accountId)
    .where('status', 'in', ['queued', 'running'])
    .where(sql<string>`spec->>'prefix'`, '=', shape.prefix)
    .where(sql<string>`spec->>'suffix'`, '=', shape.suffix)
    .where(sql<number>`(spec->>'codeLength')::int`, '=', shape.codeLength);
  const bound = db.selectFrom('codes').select(sql<string>`coalesce(max(id), 0)`.as('n'));
  const row = await db.selectNoFrom([pending.as('pending'), bound.as('bound')]).executeTakeFirst();
  return { pending: Number(row?.pending ?? 0), bound: Number(row?.bound ?? 0) };
}

/** Exact count of the account's live codes with this prefix, suffix and length. */
export async function countLiveCodesWithShape(em: Em, accountId: string, shape: Shape): Promise<number> {
  const row = await em
    .getKysely()
    .selectFrom('codes')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('account_id', '=', accountId)
    .where('deleted_at', 'is', null)
    .where('state', '<>', 'archived')
    .where(sql<boolean>`length(code) = ${shape.codeLength}::int and starts_with(code, ${shape.prefix}::text) and right(code, ${shape.suffix.length}::int) = ${shape.suffix}::text`)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export interface BatchInsert {
  accountId: string;
  couponId: string;
  spec: BatchSpec;
  maxRedemptionsPerCode: number;
  expiresAt: string | null;
  attribution?: Partial<Attribution> | null;
}

export async function insertBatch(tx: Em, b: BatchInsert): Promise<BatchRow> {
  const db = tx.getKysely();
  const { id } = await db
    .insertInto('batches')
    .values({
      account_id: b.accountId, coupon_id: b.couponId, status: 'queued', count: b.spec.count, spec: jsonb(b.spec),
      max_redemptions_per_code: b.maxRedemptionsPerCode, expires_at: tstz(b.expiresAt),
      ...(({ channel, partner, referrerCustomerId }) => ({ channel, partner, referrer_customer_id: referrerCustomerId }))(attributionColumns(b.attribution)),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return batchRowFrom(await selectBatches(db).where('b.id', '=', id).executeTakeFirstOrThrow());
}

/** Removes a batch whose job could not be enqueued (nothing was generated for it). */
export async function deleteUnstartedBatch(em: Em, batchId: string): Promise<boolean> {
  const r = await em.getKysely().deleteFrom('batches').where('id', '=', batchId).where('status', '=', 'queued').where('generated', '=', 0).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function findBatch(em: Em, accountId: string, batchId: string): Promise<BatchRow | null> {
  const row = await selectBatches(em.getKysely()).where('b.id', '=', batchId).where('b.account_id', '=', accountId).executeTakeFirst();
  return row ? batchRowFrom(row) : null;
}

/** One page in (created_at, id) order; `after` is the last row's [cursorAt, id]. */
export async function listBatches(
  em: Em,
  accountId: string,
  couponId: string | undefined,
  after: [string, string] | null,
  limit: number,
): Promise<{ rows: BatchRow[]; next: [string, string] | null }> {
  let q = selectBatches(em.getKysely()).where('b.account_id', '=', accountId);
  if (couponId !== undefined) q = q.where('b.coupon_id', '=', couponId);
  if (after) q = q.where(sql<boolean>`(b.created_at, b.id) > (${after[0]}::timestamptz, ${after[1]}::uuid)`);
  const rows = await q.orderBy('b.created_at').orderBy('b.id').limit(limit + 1).execute();
  const mapped = rows.map(batchRowFrom);
  const page = mapped.slice(0, limit);
  const last = page[page.length - 1];
  return { rows: page, next: mapped.length > limit && last ? [last.cursorAt, last.id] : null };
}

/** Locks the batch for its job; null when it no longer exists. */
export async function lockBatchForRun(tx: Em, accountId: string, batchId: string): Promise<(BatchRow & { couponState: string }) | null> {
  const r = await selectBatches(tx.getKysely())
    .innerJoin('coupons as c', 'c.id', 'b.coupon_id')
    .select('c.state as coupon_state')
    .where('b.id', '=', batchId)
    .where('b.account_id', '=', accountId)
    .forUpdate('b')
    .executeTakeFirst();
  return r ? { ...batchRowFrom(r), couponState: r.coupon_state } : null;
}

/** The truth about a batch's progress: its codes in the table. */
export async function countBatchCodes(tx: Em, batchId: string): Promise<number> {
  const row = await tx.getKysely().selectFrom('codes').select((eb) => eb.fn.countAll<string>().as('n')).where('batch_id', '=', batchId).executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function markRunning(tx: Em, batchId: string, generated: number): Promise<void> {
  await tx
    .getKysely()
    .updateTable('batches')
    .set({ status: 'running', generated, error: null, updated_at: sql<Date>`now()` })
    .where('id', '=', batchId)
    .execute();
}

/** Completes a batch once; false when it was already completed. */
export async function markCompleted(tx: Em, batchId: string): Promise<boolean> {
  const rows = await tx
    .getKysely()
    .updateTable('batches')
    .set({ status: 'completed', completed_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
    .where('id', '=', batchId)
    .where('status', '<>', 'completed')
    .returning('id')
    .execute();
  return rows.length === 1;
}

/** Fails a batch that is not completed; the coupon id when it did. */
export async function markFailed(tx: Em, accountId: string, batchId: string, error: string): Promise<string | null> {
  const row = await tx
    .getKysely()
    .updateTable('batches')
    .set({ status: 'failed', error: error.slice(0, 1000), updated_at: sql<Date>`now()` })
    .where('id', '=', batchId)
    .where('account_id', '=', accountId)
    .where('status', '<>', 'completed')
    .returning('coupon_id')
    .executeTakeFirst();
  return row ? row.coupon_id : null;
}
