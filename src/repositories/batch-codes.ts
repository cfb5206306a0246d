import type { PoolClient } from 'pg';
import { copyIn } from '../db/pg-client';
import type { AttributionColumns } from '../domain';

/**
 * Writing a batch's codes, one large chunk per transaction, on a raw `pg` client. The unique
 * index on live codes decides collisions (with the account's other codes, or with codes written
 * before a crash), and `batches.generated` advances by the rows actually inserted in the same
 * transaction, so a crash at any point leaves `generated` equal to the codes carrying the batch.
 *
 * Two ways to write a chunk:
 * - direct: COPY straight into `codes` inside a savepoint (as fast as a raw COPY). Any
 *   collision makes the COPY fail with a unique violation; the savepoint is rolled back and the
 *   chunk is written the staged way. Collisions are vanishingly rare in a large random space.
 * - staged: COPY into a temporary table, then INSERT ... SELECT ... ON CONFLICT DO NOTHING, which
 *   skips the colliding codes (the caller draws the shortfall again). Used for the rest of a
 *   job once one collision was seen (a crowded space, or a resume overlapping earlier codes).
 */

const STAGE = 'couponflow_batch_stage';
const COLUMNS = '(account_id, coupon_id, code, state, max_redemptions, expires_at, batch_id, channel, partner, referrer_customer_id)';

export interface ChunkTarget {
  accountId: string;
  couponId: string;
  batchId: string;
  maxRedemptions: number | null;
  expiresAt: string | null;
  /** The batch's attribution, given to every code (none when left out). */
  attribution?: AttributionColumns;
}

/** Shared by a job's pipelines: false once a collision was seen. */
export interface WriteMode {
  direct: boolean;
}

export class CouponArchivedError extends Error {
  constructor() {
    super('the coupon was archived while its batch was being generated');
    this.name = 'CouponArchivedError';
  }
}

/** Creates this session's staging table (emptied at every commit). */
export async function prepareStage(client: PoolClient): Promise<void> {
  await client.query(
    `create temp table if not exists ${STAGE} (account_id uuid, coupon_id uuid, code text, state text,
       max_redemptions int, expires_at timestamptz, batch_id uuid, channel text, partner text, referrer_customer_id text) on commit delete rows`,
  );
}

/** The server cancelled a statement for running past `statement_timeout`. */
const isStatementTimeout = (err: unknown) => {
  const e = err as { code?: string; message?: string };
  return e.code === '57014' && /statement timeout/.test(e.message ?? '');
};

/**
 * Session-level lock held while one process generates a batch (another run of the same job, e.g.
 * after a stall, waits here); released when its connection ends, also when the process dies.
 * The session is in no transaction between statements; a wait longer than the pool's statement
 * timeout is cancelled by the server and simply waits again, so no statement (and so no
 * transaction) of the waiting run stays open past that bound while the other run finishes.
 */
export async function lockBatchGeneration(client: PoolClient, batchId: string): Promise<void> {
  for (;;) {
    try {
      await client.query('select pg_advisory_lock(7212008, hashtext($1))', [batchId]);
      return;
    } catch (err) {
      if (!isStatementTimeout(err)) throw err;
    }
  }
}

/** A value in COPY's text format: \N for null; backslash, tab, newline and carriage return escaped. */
export function copyText(v: string | null): string {
  if (v === null) return '\\N';
  return v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

/** Rows per piece of COPY text: small pieces keep memory flat and the socket busy. */
const ROWS_PER_PIECE = 1000;

/** A chunk of same-length codes packed into one buffer: no per-code JS objects kept alive. */
export interface PackedCodes {
  bytes: Buffer;
  width: number;
  count: number;
}

export function packCodes(codes: readonly string[]): PackedCodes {
  const width = codes[0]?.length ?? 0;
  const bytes = Buffer.allocUnsafe(width * codes.length);
  for (let i = 0; i < codes.length; i += 1) {
    const code = codes[i] as string;
    if (code.length !== width) throw new Error('codes of one chunk must have one length');
    bytes.write(code, i * width, 'latin1');
  }
  return { bytes, width, count: codes.length };
}

/**
 * COPY text for a chunk, one row per code in COPY's text format, in pieces. Codes hold only
 * A-Z 0-9 _ - and the other values are uuids, integers and ISO instants: nothing to escape but
 * the attribution strings (copyText).
 */
export function* chunkRows(p: PackedCodes, t: ChunkTarget): Generator<Buffer> {
  const head = Buffer.from(`${t.accountId}\t${t.couponId}\t`, 'latin1');
  const a = t.attribution ?? { channel: null, partner: null, referrerCustomerId: null };
  const tail = Buffer.from(
    `\tactive\t${t.maxRedemptions ?? '\\N'}\t${t.expiresAt ?? '\\N'}\t${t.batchId}\t${copyText(a.channel)}\t${copyText(a.partner)}\t${copyText(a.referrerCustomerId)}\n`,
    'utf8',
  );
  const rowLength = head.length + p.width + tail.length;
  for (let start = 0; start < p.count; start += ROWS_PER_PIECE) {
    const end = Math.min(p.count, start + ROWS_PER_PIECE);
    const piece = Buffer.allocUnsafe((end - start) * rowLength);
    let at = 0;
    for (let i = start; i < end; i += 1) {
      piece.set(head, at);
      piece.set(p.bytes.subarray(i * p.width, (i + 1) * p.width), at + head.length);
      piece.set(tail, at + head.length + p.width);
      at += rowLength;
    }
    yield piece;
  }
}

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505';

async function insertStaged(client: PoolClient, t: ChunkTarget, codes: PackedCodes): Promise<number> {
  await copyIn(client, `copy ${STAGE} ${COLUMNS} from stdin`, chunkRows(codes, t));
  const ins = await client.query(
    `insert into codes ${COLUMNS} select account_id, coupon_id, code, state, max_redemptions, expires_at, batch_id, channel, partner, referrer_customer_id from ${STAGE}
     on conflict (account_id, code) where deleted_at is null and state <> 'archived' do nothing`,
  );
  return ins.rowCount ?? 0;
}

async function insertDirect(client: PoolClient, t: ChunkTarget, codes: PackedCodes): Promise<number | null> {
  await client.query('savepoint batch_chunk');
  try {
    const rows = await copyIn(client, `copy codes ${COLUMNS} from stdin`, chunkRows(codes, t));
    await client.query('release savepoint batch_chunk');
    return rows;
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    await client.query('rollback to savepoint batch_chunk');
    return null;
  }
}

/**
 * Writes one chunk of distinct codes in one transaction; answers how many were inserted
 * (collisions are skipped) and the batch's `generated` after the commit. Never takes the batch
 * past its count.
 */
export async function writeChunk(client: PoolClient, t: ChunkTarget, codes: PackedCodes, mode: WriteMode): Promise<{ inserted: number; generated: number }> {
  await client.query('begin');
  try {
    // share lock (as addCode takes): an archive (for update) waits for this chunk, and a chunk after an archive sees it
    const coupon = await client.query<{ state: string }>('select state from coupons where id = $1 for share', [t.couponId]);
    const state = coupon.rows[0]?.state;
    if (state === undefined || state === 'archived') throw new CouponArchivedError();
    let inserted = mode.direct ? await insertDirect(client, t, codes) : null;
    if (inserted === null) {
      mode.direct = false;
      inserted = await insertStaged(client, t, codes);
    }
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
