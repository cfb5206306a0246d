import type { Em } from '../db/orm';
import { iso, isoOrNull } from '../db/values';
import { attributionColumns, type Attribution, type AttributionColumns, type BatchSpec } from '../domain';

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


const columns = (t = '') =>
  `${t}id, ${t}account_id, ${t}coupon_id, ${t}status, ${t}count, ${t}generated, ${t}spec, ${t}max_redemptions_per_code,
   ${t}expires_at, ${t}error, ${t}created_at, ${t}completed_at, ${t}channel, ${t}partner, ${t}referrer_customer_id,
   to_char(${t}created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_at`;
const COLUMNS = columns();

function toRow(r: Record<string, unknown>): BatchRow & { cursorAt: string } {
  return {
    id: r.id as string,
    accountId: r.account_id as string,
    couponId: r.coupon_id as string,
    status: r.status as BatchStatus,
    count: Number(r.count),
    generated: Number(r.generated),
    maxRedemptionsPerCode: r.max_redemptions_per_code === null ? null : Number(r.max_redemptions_per_code),
    expiresAt: isoOrNull(r.expires_at),
    error: (r.error as string | null) ?? null,
    createdAt: iso(r.created_at),
    completedAt: isoOrNull(r.completed_at),
    spec: r.spec as BatchSpec,
    attribution: attributionColumns({ channel: r.channel as string | null, partner: r.partner as string | null, referrerCustomerId: r.referrer_customer_id as string | null }),
    cursorAt: r.cursor_at as string,
  };
}

export function batchView(b: BatchView): BatchView {
  const { id, couponId, status, count, generated, maxRedemptionsPerCode, expiresAt, error, createdAt, completedAt } = b;
  return { id, couponId, status, count, generated, maxRedemptionsPerCode, expiresAt, error, createdAt, completedAt };
}

export interface CouponForBatch {
  id: string;
  state: string;
  validFrom: string | null;
  expiresAt: string | null;
  maxRedemptions: number | null;
  timesRedeemed: number;
}

/** The coupon a batch is for, in the account; `forShare` keeps it from being archived meanwhile. */
export async function findCouponForBatch(em: Em, accountId: string, couponId: string, forShare = false): Promise<CouponForBatch | null> {
  const rows = await em.execute(
    `select id, state, valid_from, expires_at, max_redemptions, times_redeemed from coupons
      where id = ? and account_id = ?${forShare ? ' for share' : ''}`,
    [couponId, accountId],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    id: r.id as string,
    state: r.state as string,
    validFrom: isoOrNull(r.valid_from),
    expiresAt: isoOrNull(r.expires_at),
    maxRedemptions: r.max_redemptions === null ? null : Number(r.max_redemptions),
    timesRedeemed: Number(r.times_redeemed),
  };
}

/** Serializes batch creation per account, so two requests cannot both pass the keyspace check. */
export async function lockAccountBatches(tx: Em, accountId: string): Promise<void> {
  await tx.execute(`select pg_advisory_xact_lock(7212007, hashtext(?))`, [accountId]);
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
  const rows = await em.execute(
    `select (select coalesce(sum(count - generated), 0) from batches
              where account_id = ? and status in ('queued', 'running')
                and spec->>'prefix' = ? and spec->>'suffix' = ? and (spec->>'codeLength')::int = ?) as pending,
            (select coalesce(max(id), 0) from codes) as bound`,
    [accountId, shape.prefix, shape.suffix, shape.codeLength],
  );
  return { pending: Number(rows[0]?.pending ?? 0), bound: Number(rows[0]?.bound ?? 0) };
}

/** Exact count of the account's live codes with this prefix, suffix and length. */
export async function countLiveCodesWithShape(em: Em, accountId: string, shape: Shape): Promise<number> {
  const rows = await em.execute(
    `select count(*) as n from codes
      where account_id = ? and deleted_at is null and state <> 'archived'
        and length(code) = ? and starts_with(code, ?) and right(code, ?) = ?`,
    [accountId, shape.codeLength, shape.prefix, shape.suffix.length, shape.suffix],
  );
  return Number(rows[0]?.n ?? 0);
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
  const rows = await tx.execute(
    `insert into batches (account_id, coupon_id, status, count, spec, max_redemptions_per_code, expires_at, channel, partner, referrer_customer_id)
     values (?, ?, 'queued', ?, ?::jsonb, ?, ?, ?, ?, ?) returning ${COLUMNS}`,
    [b.accountId, b.couponId, b.spec.count, JSON.stringify(b.spec), b.maxRedemptionsPerCode, b.expiresAt, ...Object.values(attributionColumns(b.attribution))],
  );
  return toRow(rows[0] as Record<string, unknown>);
}

/** Removes a batch whose job could not be enqueued (nothing was generated for it). */
export async function deleteUnstartedBatch(em: Em, batchId: string): Promise<void> {
  await em.execute(`delete from batches where id = ? and status = 'queued' and generated = 0`, [batchId]);
}

export async function findBatch(em: Em, accountId: string, batchId: string): Promise<BatchRow | null> {
  const rows = await em.execute(`select ${COLUMNS} from batches where id = ? and account_id = ?`, [batchId, accountId]);
  return rows[0] ? toRow(rows[0] as Record<string, unknown>) : null;
}

/** One page in (created_at, id) order; `after` is the last row's [cursorAt, id]. */
export async function listBatches(
  em: Em,
  accountId: string,
  couponId: string | undefined,
  after: [string, string] | null,
  limit: number,
): Promise<{ rows: BatchRow[]; next: [string, string] | null }> {
  const where = ['account_id = ?'];
  const params: unknown[] = [accountId];
  if (couponId !== undefined) {
    where.push('coupon_id = ?');
    params.push(couponId);
  }
  if (after) {
    where.push('(created_at, id) > (?::timestamptz, ?::uuid)');
    params.push(after[0], after[1]);
  }
  const rows = await em.execute(
    `select ${COLUMNS} from batches where ${where.join(' and ')} order by created_at, id limit ?`,
    [...params, limit + 1],
  );
  const mapped = rows.map((r) => toRow(r as Record<string, unknown>));
  const page = mapped.slice(0, limit);
  const last = page[page.length - 1];
  return { rows: page, next: mapped.length > limit && last ? [last.cursorAt, last.id] : null };
}

/** Locks the batch for its job; null when it no longer exists. */
export async function lockBatchForRun(tx: Em, accountId: string, batchId: string): Promise<(BatchRow & { couponState: string }) | null> {
  const rows = await tx.execute(
    `select ${columns('b.')}, c.state as coupon_state
       from batches b join coupons c on c.id = b.coupon_id
      where b.id = ? and b.account_id = ? for update of b`,
    [batchId, accountId],
  );
  const r = rows[0] as Record<string, unknown> | undefined;
  return r ? { ...toRow(r), couponState: r.coupon_state as string } : null;
}

/** The truth about a batch's progress: its codes in the table. */
export async function countBatchCodes(tx: Em, batchId: string): Promise<number> {
  const rows = await tx.execute(`select count(*) as n from codes where batch_id = ?`, [batchId]);
  return Number(rows[0]?.n ?? 0);
}

export async function markRunning(tx: Em, batchId: string, generated: number): Promise<void> {
  await tx.execute(`update batches set status = 'running', generated = ?, error = null, updated_at = now() where id = ?`, [generated, batchId]);
}

/** Completes a batch once; false when it was already completed. */
export async function markCompleted(tx: Em, batchId: string): Promise<boolean> {
  const rows = await tx.execute(
    `update batches set status = 'completed', completed_at = now(), updated_at = now()
      where id = ? and status <> 'completed' returning id`,
    [batchId],
  );
  return rows.length === 1;
}

/** Fails a batch that is not completed; the coupon id when it did. */
export async function markFailed(tx: Em, accountId: string, batchId: string, error: string): Promise<string | null> {
  const rows = await tx.execute(
    `update batches set status = 'failed', error = ?, updated_at = now()
      where id = ? and account_id = ? and status <> 'completed' returning coupon_id`,
    [error.slice(0, 1000), batchId, accountId],
  );
  return rows[0] ? (rows[0].coupon_id as string) : null;
}
