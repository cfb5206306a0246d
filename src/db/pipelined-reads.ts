import type { Pool, QueryResult } from 'pg';
import { Coalescer } from '../coalescer';
import { Pipeline, type Statement } from './pipeline';

/**
 * Reads outside a transaction that concurrent requests send to one pool travel together: the
 * reads made in one turn of the event loop go out on one pooled connection in pipeline mode, in
 * one socket write, and are answered in order. A busy API process then writes to PostgreSQL once
 * per batch rather than once per request (each write costs CPU in the kernel); an idle one sends
 * a lone read as before. Each read is its own implicit transaction with its own Sync, so one that
 * fails fails alone.
 */
type Settled = PromiseSettledResult<QueryResult>;

const readers = new WeakMap<Pool, Coalescer<Statement, Settled>>();
/** Batches of one pool in flight at once (the next gathers while they are answered), and the most reads one carries. */
const READS_MAX = 64;

export async function pipelinedRead(pool: Pool, statement: Statement): Promise<QueryResult> {
  let c = readers.get(pool);
  if (!c) {
    const inFlight = Math.max(1, Math.floor((pool.options.max ?? 10) / 2));
    c = new Coalescer((items) => readTogether(pool, items), { maxInFlight: inFlight, maxBatch: READS_MAX });
    readers.set(pool, c);
  }
  const r = await c.call(statement);
  if (r.status === 'rejected') throw r.reason;
  return r.value;
}

async function readTogether(pool: Pool, statements: Statement[]): Promise<Settled[]> {
  if (statements.length === 1) {
    try {
      return [{ status: 'fulfilled', value: await pool.query(statements[0]) }];
    } catch (reason) {
      return [{ status: 'rejected', reason }];
    }
  }
  const client = await pool.connect();
  const mode = client as unknown as { pipeline: boolean };
  mode.pipeline = true;
  let broken = true;
  try {
    const settled = await new Pipeline(client).settle(statements);
    // a read that failed may have met a broken connection: such a client is not reused
    broken = settled.some((s) => s.status === 'rejected');
    return settled;
  } finally {
    mode.pipeline = false;
    client.release(broken ? true : undefined);
  }
}
