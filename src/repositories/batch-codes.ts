import type { PoolClient } from 'pg';
import { copyIn } from '../db/pg-client';

/**
 * Writing a batch's codes, one large chunk per transaction, on a raw `pg` client:
 * COPY the chunk into a temporary staging table, move it into `codes` with one
 * INSERT ... SELECT whose ON CONFLICT lets the live-code unique index reject collisions (with
 * the account's other codes, or with codes written before a crash), and advance
 * `batches.generated` by the rows actually inserted, in the same transaction. A crash at any
 * point therefore leaves `generated` equal to the number of codes carrying the batch id.
 */

const STAGE = 'couponflow_batch_stage';

export interface ChunkTarget {
  accountId: string;
  couponId: string;
  batchId: string;
  maxRedemptions: number | null;
  expiresAt: string | null;
}

export class CouponArchivedError extends Error {
  constructor() {
    super('the coupon was archived while its batch was being generated');
    this.name = 'CouponArchivedError';
  }
}

/** Creates this session's staging table (emptied at every commit). */
export async function prepareStage(client: PoolClient): Promise<void> {
  await client.query(`create temp table if not exists ${STAGE} (code text not null) on commit delete rows`);
}

/**
 * Session-level lock held while one process generates a batch (another run of the same job, e.g.
 * after a stall, waits here); released when its connection ends, also when the process dies.
 */
export async function lockBatchGeneration(client: PoolClient, batchId: string): Promise<void> {
  await client.query('select pg_advisory_lock(7212008, hashtext($1))', [batchId]);
}

/** COPY text for a chunk: one code per line (codes hold only A-Z 0-9 _ -, nothing to escape). */
export function chunkPayload(codes: string[]): string {
  return codes.join('\n') + '\n';
}

/**
 * Writes one chunk of distinct codes (`payload` from chunkPayload); answers how many were
 * inserted (collisions are skipped) and the batch's `generated` after the commit. Never takes
 * the batch past its count.
 */
export async function writeChunk(client: PoolClient, t: ChunkTarget, payload: string): Promise<{ inserted: number; generated: number }> {
  await client.query('begin');
  try {
    const coupon = await client.query<{ state: string }>('select state from coupons where id = $1', [t.couponId]);
    const state = coupon.rows[0]?.state;
    if (state === undefined || state === 'archived') throw new CouponArchivedError();
    await copyIn(client, `copy ${STAGE} (code) from stdin`, payload);
    const ins = await client.query(
      `insert into codes (account_id, coupon_id, code, state, max_redemptions, expires_at, batch_id)
       select $1, $2, code, 'active', $3, $4, $5 from ${STAGE}
       on conflict (account_id, code) where deleted_at is null and state <> 'archived' do nothing`,
      [t.accountId, t.couponId, t.maxRedemptions, t.expiresAt, t.batchId],
    );
    const inserted = ins.rowCount ?? 0;
    const up = await client.query<{ generated: number }>(
      `update batches set generated = generated + $1, updated_at = now()
        where id = $2 and generated + $1 <= count returning generated`,
      [inserted, t.batchId],
    );
    if (up.rowCount !== 1) throw new Error(`batch ${t.batchId} would pass its count; chunk rolled back`);
    await client.query('commit');
    return { inserted, generated: Number(up.rows[0]!.generated) };
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  }
}
