import type { PoolClient } from 'pg';
import { pgPool } from '../../src/db/pg-client';
import { CouponArchivedError, packCodes, prepareStage, writeChunk } from '../../src/repositories/batch-codes';
import { transitionCoupon } from '../../src/services/coupons';
import type { Caller } from '../../src/services/audit-log';
import { startTestApp, type TestAccount, type TestApp } from '../helpers/harness';
import { insertCoupon, sql } from '../helpers/batch-fixtures';

/**
 * A batch chunk and an archive of its coupon at the same time: the chunk takes the same share
 * lock on the coupon as addCode, so it either commits before the archive (which then archives
 * its codes too) or sees the archive and writes nothing. Never an active code on an archived coupon.
 */
const TEST_CALLER: Caller = { actor: { type: 'system', id: 'batch-archive-test', name: 'batch archive test' }, requestId: null, ip: null };
let t: TestApp;
let acct: TestAccount;

beforeAll(async () => {
  t = await startTestApp();
  acct = await t.createAccount();
});
afterAll(async () => {
  await t?.close();
});

async function newBatch(couponId: string, count: number): Promise<string> {
  const [row] = await sql(
    t,
    `insert into batches (account_id, coupon_id, status, count, spec) values (?, ?, 'running', ?, ?::jsonb) returning id`,
    [acct.id, couponId, count, JSON.stringify({ count, codeLength: 8, prefix: '', suffix: '', charset: 'ABCDEFGHJKMNPQRSTUVWXYZ23456789' })],
  );
  return row!.id as string;
}

/** Waits until the backend `pid` is waiting on a lock. */
async function waitUntilBlocked(pid: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const rows = await sql(t, `select wait_event_type from pg_stat_activity where pid = ?`, [pid]);
    if (rows[0]?.wait_event_type === 'Lock') return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`backend ${pid} never waited on a lock`);
}

/** Waits until some backend running a statement containing `text` is waiting on a lock. */
async function waitUntilQueryBlocked(text: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const rows = await sql(t, `select 1 from pg_stat_activity where wait_event_type = 'Lock' and strpos(query, ?) > 0`, [text]);
    if (rows.length > 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no statement with ${text} waited on a lock`);
}

const codesOf = (couponId: string) =>
  sql(t, `select state, batch_id from codes where coupon_id = ? and deleted_at is null order by id`, [couponId]);

test('a chunk started while the coupon is being archived waits for the archive, then fails and writes nothing', async () => {
  const couponId = await insertCoupon(t, acct.id);
  const batchId = await newBatch(couponId, 3);
  const target = { accountId: acct.id, couponId, batchId, maxRedemptions: 1, expiresAt: null };
  const client: PoolClient = await (await pgPool(t.running.ctx.orm)).connect();
  try {
    await prepareStage(client);
    const pid = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
    let chunk: Promise<unknown> | undefined;
    await t.running.ctx.orm.em.fork().transactional(async (tx) => {
      const view = await transitionCoupon(t.running.ctx, acct.id, couponId, 'archive', TEST_CALLER, tx);
      expect(view.status).toBe('archived');
      // the archive holds the coupon's row lock until it commits; the chunk must wait for it
      chunk = writeChunk(client, target, packCodes(['ARCH0001', 'ARCH0002', 'ARCH0003']), { direct: true });
      chunk.catch(() => undefined);
      await waitUntilBlocked(pid);
    });
    await expect(chunk).rejects.toBeInstanceOf(CouponArchivedError);
  } finally {
    client.release(true);
  }
  expect(await codesOf(couponId)).toEqual([]);
  const [batch] = await sql(t, `select generated from batches where id = ?`, [batchId]);
  expect(batch).toEqual({ generated: 0 });
});

test('an archive started while a chunk is being written waits for it, then archives the chunk’s codes', async () => {
  const couponId = await insertCoupon(t, acct.id);
  const batchId = await newBatch(couponId, 2);
  const target = { accountId: acct.id, couponId, batchId, maxRedemptions: 1, expiresAt: null };
  const pool = await pgPool(t.running.ctx.orm);
  const chunkClient = await pool.connect();
  const holder = await pool.connect();
  try {
    await prepareStage(chunkClient);
    // hold the batch row so the chunk stops at its last statement, after its share lock and its codes
    await holder.query('begin');
    await holder.query('select 1 from batches where id = $1 for update', [batchId]);
    const chunkPid = (await chunkClient.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
    const chunk = writeChunk(chunkClient, target, packCodes(['HELD0001', 'HELD0002']), { direct: true });
    chunk.catch(() => undefined);
    await waitUntilBlocked(chunkPid);
    const archive = transitionCoupon(t.running.ctx, acct.id, couponId, 'archive', TEST_CALLER);
    archive.catch(() => undefined);
    // the archive waits on the chunk's share lock of the coupon
    await waitUntilQueryBlocked('from "coupons" as "c"');
    await holder.query('commit');
    await expect(chunk).resolves.toEqual({ inserted: 2, generated: 2 });
    await expect(archive).resolves.toMatchObject({ status: 'archived' });
  } finally {
    chunkClient.release(true);
    holder.release(true);
  }
  expect(await codesOf(couponId)).toEqual([
    { state: 'archived', batch_id: batchId },
    { state: 'archived', batch_id: batchId },
  ]);
});
