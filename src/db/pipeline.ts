import type { PoolClient, QueryConfig, QueryResult } from 'pg';
import type { Orm } from './orm';
import { pgPool } from './pg-client';

/**
 * A pooled client in node-postgres pipeline mode for one unit of work: every query is written to
 * the socket as soon as it is made, without waiting for the answer to the one before, so a
 * transaction's statements go to the server in a few flights instead of one round trip each.
 * Each statement still gets its own Sync, so an error aborts the transaction and every later
 * statement of the flight fails with it; a COMMIT that follows then answers ROLLBACK.
 */
export async function withPipeline<T>(orm: Orm, fn: (p: Pipeline) => Promise<T>): Promise<T> {
  const client = await (await pgPool(orm)).connect();
  // `pipeline` is read on every query (Client#_pulseQueryQueue), so a checked-out client can
  // switch it for this unit of work and back before it returns to the pool.
  const mode = client as unknown as { pipeline: boolean };
  mode.pipeline = true;
  let broken = false;
  try {
    return await fn(new Pipeline(client));
  } catch (err) {
    broken = true;
    throw err;
  } finally {
    mode.pipeline = false;
    // a client whose work failed may be mid-transaction: destroy it rather than reuse it
    client.release(broken ? true : undefined);
  }
}

export type Statement = QueryConfig;

/** Sends statements without waiting; `flight` waits for a group of them. */
export class Pipeline {
  constructor(private readonly client: PoolClient) {}

  /**
   * Sends every statement at once and waits for all of their answers. Resolves with the results
   * in order when all succeeded; otherwise rejects with the first failure (the later ones are
   * only its consequence), after every answer of the flight arrived.
   */
  async flight(statements: (Statement | string)[]): Promise<QueryResult[]> {
    const settled = await Promise.allSettled(this.send(statements));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.map((s) => (s as PromiseFulfilledResult<QueryResult>).value);
  }

  /**
   * flight over named statements: sends them in the object's order (a null one is left out) and
   * answers each one's result under its name, so no caller reads results by position.
   */
  async named<T extends Record<string, Statement | string | null>>(statements: T): Promise<{ [K in keyof T]: null extends T[K] ? QueryResult | undefined : QueryResult }> {
    const names = Object.keys(statements).filter((k) => statements[k] !== null);
    const results = await this.flight(names.map((k) => statements[k] as Statement | string));
    return Object.fromEntries(names.map((k, i) => [k, results[i]])) as { [K in keyof T]: null extends T[K] ? QueryResult | undefined : QueryResult };
  }

  /** Like flight, but answers every statement's outcome (for a flight whose failure is expected). */
  async settle(statements: (Statement | string)[]): Promise<PromiseSettledResult<QueryResult>[]> {
    return Promise.allSettled(this.send(statements));
  }

  /**
   * Writes a flight's statements to the socket in one write: node-postgres corks the socket
   * around each statement's messages, and an outer cork holds them all until the last is queued.
   */
  private send(statements: (Statement | string)[]): Promise<QueryResult>[] {
    const stream = (this.client as unknown as { connection?: { stream?: { cork?(): void; uncork?(): void } } }).connection?.stream;
    stream?.cork?.();
    try {
      return statements.map((s) => this.client.query(s as QueryConfig));
    } finally {
      stream?.uncork?.();
    }
  }
}
