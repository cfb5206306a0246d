import { UnrecoverableError } from 'bullmq';
import type { Pool, PoolClient } from 'pg';
import type { AppContext } from '../context';
import { DomainError, generateCodeChunks } from '../domain';
import { pgPool } from '../db/pg-client';
import { appendEvent } from '../repositories/events';
import { countBatchCodes, lockBatchForRun, markCompleted, markFailed, markRunning, type BatchRow } from '../repositories/batches';
import { CouponArchivedError, lockBatchGeneration, packCodes, prepareStage, writeChunk, type ChunkTarget, type PackedCodes, type WriteMode } from '../repositories/batch-codes';

/** Codes per transaction. */
export const CHUNK_SIZE = 50_000;
/** Chunks written at once, each on its own connection (the database does most of the work). */
export const PIPELINES = 2;
/** Rounds of regeneration for collisions before giving up (each round draws the shortfall). */
const MAX_ROUNDS = 50;
/**
 * Rounds in a row that may draw no new code before a batch gives up. A round's draws can all
 * collide by chance near the end (one code left, a space up to a tenth full: one chance in ten),
 * so one empty round proves nothing; ten in a row at a tenth full is one chance in 10^10.
 */
const MAX_EMPTY_ROUNDS = 10;

export interface Progress {
  generated: number;
  count: number;
}

export type BatchOutcome =
  | { batchId: string; status: 'completed'; count: number; generated: number }
  | { batchId: string; status: 'missing' };

/** A failure that retrying cannot fix: the job fails at once. */
export class BatchAbort extends UnrecoverableError {}

/** Errors no retry of a batch can fix: the coupon was archived, or the random space ran out (a domain error). */
export function isUnrecoverableBatchError(err: unknown): boolean {
  return err instanceof UnrecoverableError || err instanceof CouponArchivedError || err instanceof DomainError;
}

/** Loads the batch and marks it running with `generated` = its codes in the table (the truth). */
async function begin(ctx: AppContext, accountId: string, batchId: string): Promise<BatchRow | null> {
  return ctx.orm.em.fork().transactional(async (tx) => {
    const batch = await lockBatchForRun(tx, accountId, batchId);
    if (!batch) return null;
    if (batch.status === 'completed') return batch;
    if (batch.couponState === 'archived') throw new BatchAbort('the coupon was archived before its batch was generated');
    const generated = await countBatchCodes(tx, batchId);
    await markRunning(tx, batchId, generated);
    return { ...batch, status: 'running', generated };
  });
}

/**
 * The next chunk, packed into one buffer, or null when done. The generator's array of strings
 * never outlives this call, so it dies young instead of piling up in the old generation.
 */
function nextChunk(chunks: Iterator<string[]>, state: { failed: boolean }): PackedCodes | null {
  if (state.failed) return null;
  const next = chunks.next();
  return next.done ? null : packCodes(next.value);
}

/** Draws chunks from the shared generator and writes them until it runs dry or a pipeline fails. */
async function pipeline(
  pool: Pool,
  chunks: Iterator<string[]>,
  target: ChunkTarget,
  mode: WriteMode,
  state: { failed: boolean },
  onChunk: (generated: number) => void,
): Promise<void> {
  const client: PoolClient = await pool.connect();
  let broken = false;
  try {
    await prepareStage(client);
    for (let codes = nextChunk(chunks, state); codes !== null; codes = nextChunk(chunks, state)) {
      const { generated } = await writeChunk(client, target, codes, mode);
      onChunk(generated);
    }
  } catch (err) {
    broken = true;
    state.failed = true;
    throw err;
  } finally {
    client.release(broken ? true : undefined);
  }
}

/** Generates the rest of a running batch: rounds of `count - generated` new codes until exact. */
async function fill(pool: Pool, batch: BatchRow, onProgress: (p: Progress) => Promise<void> | void): Promise<{ generated: number; rounds: number; staged: boolean }> {
  const target: ChunkTarget = {
    accountId: batch.accountId,
    couponId: batch.couponId,
    batchId: batch.id,
    maxRedemptions: batch.maxRedemptionsPerCode,
    expiresAt: batch.expiresAt,
    attribution: batch.attribution,
  };
  let generated = batch.generated;
  const mode: WriteMode = { direct: true };
  let round = 0;
  let emptyRounds = 0;
  while (generated < batch.count) {
    round += 1;
    if (round > MAX_ROUNDS) throw new BatchAbort(`could not draw enough new codes after ${MAX_ROUNDS} rounds; the random space is too full`);
    const before = generated;
    const chunks = generateCodeChunks(batch.spec, batch.count - generated, CHUNK_SIZE);
    const state = { failed: false };
    const results = await Promise.allSettled(
      Array.from({ length: PIPELINES }, () =>
        pipeline(pool, chunks, target, mode, state, (g) => {
          generated = Math.max(generated, g);
          void Promise.resolve(onProgress({ generated, count: batch.count })).catch(() => undefined);
        }),
      ),
    );
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
    emptyRounds = generated === before ? emptyRounds + 1 : 0;
    if (emptyRounds === MAX_EMPTY_ROUNDS) throw new BatchAbort('no new code could be drawn: every candidate is already taken');
  }
  return { generated, rounds: round, staged: !mode.direct };
}

/**
 * Runs a batch job: exactly `count` codes, resumable after a crash at any point (see
 * batch-codes.ts), never twice at once (a session advisory lock per batch), and a no-op for a
 * completed batch.
 */
export async function generateBatch(
  ctx: AppContext,
  accountId: string,
  batchId: string,
  onProgress: (p: Progress) => Promise<void> | void,
): Promise<BatchOutcome> {
  const pool = await pgPool(ctx.orm);
  // The session holding the advisory lock is closed at the end (never returned to the pool),
  // which releases the lock whatever happened.
  const lock = await pool.connect();
  try {
    await lockBatchGeneration(lock, batchId);
    const batch = await begin(ctx, accountId, batchId);
    if (!batch) return { batchId, status: 'missing' };
    if (batch.status === 'completed') return { batchId, status: 'completed', count: batch.count, generated: batch.generated };
    await onProgress({ generated: batch.generated, count: batch.count });
    const startedAt = Date.now();
    const { generated, rounds, staged } = await fill(pool, batch, onProgress);
    ctx.logger.info('batch generated', { batchId, count: batch.count, resumedAt: batch.generated, rounds, staged, ms: Date.now() - startedAt });
    await ctx.orm.em.fork().transactional(async (tx) => {
      if (await markCompleted(tx, batchId)) {
        await appendEvent(tx, accountId, 'batch.completed', { batchId, couponId: batch.couponId, count: batch.count });
      }
    });
    await onProgress({ generated, count: batch.count });
    return { batchId, status: 'completed', count: batch.count, generated };
  } finally {
    lock.release(true);
  }
}

/** Marks a batch failed (its job will not be retried again) with a `batch.failed` event. */
export async function failBatch(ctx: AppContext, accountId: string, batchId: string, error: string): Promise<void> {
  await ctx.orm.em.fork().transactional(async (tx) => {
    const couponId = await markFailed(tx, accountId, batchId, error);
    if (couponId) await appendEvent(tx, accountId, 'batch.failed', { batchId, couponId, error });
  });
}
