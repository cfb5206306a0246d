import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Pool, PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Orm } from './orm';

/**
 * Makes a checked-out client that loses its connection go back to the pool at once (as broken,
 * so the pool drops it), and makes every later `release()` of it a no-op.
 *
 * Kysely's controlled transactions (which MikroORM's `transactional` uses) release their
 * connection only when BEGIN, COMMIT or ROLLBACK succeeds: when the server goes away under a
 * transaction, its client is never released, and after a few outages every pooled slot is held by
 * a dead client — the pool then answers nothing but "timeout exceeded when trying to connect",
 * though the server is back. Whoever held the client finds it closed at its next query.
 */
export function releaseLostClients(pool: Pool): void {
  type Callback = (err: Error | undefined, client?: PoolClient, done?: (release?: Error | boolean) => void) => void;
  const connect = pool.connect.bind(pool) as (cb: Callback) => void;
  const guard = (client: PoolClient): PoolClient => {
    const release = client.release.bind(client);
    let released = false;
    const lost = () => {
      if (released) return;
      released = true;
      release(new Error('the connection to PostgreSQL ended while the client was checked out'));
    };
    client.once('end', lost);
    client.release = (err?: Error | boolean) => {
      client.off('end', lost);
      if (released) return;
      released = true;
      release(err);
    };
    return client;
  };
  // pg-pool's connect answers a callback (as pool.query calls it) or, without one, a promise
  (pool as unknown as { connect: (cb?: Callback) => Promise<PoolClient> | undefined }).connect = (cb?: Callback) => {
    const answer = new Promise<PoolClient>((resolve, reject) => connect((err, client) => (err || !client ? reject(err) : resolve(guard(client)))));
    if (!cb) return answer;
    answer.then((client) => cb(undefined, client, client.release), (err: Error) => cb(err));
    return undefined;
  };
}

/**
 * Raw `pg` access for what MikroORM cannot do (COPY in and out, session advisory locks): the
 * clients come from MikroORM's own pool, so they share its limits and close with it.
 */
export async function pgPool(orm: Orm): Promise<Pool> {
  return orm.em.getConnection().getNativeClient();
}

/**
 * Runs `fn` with a pooled client. A client whose work failed is destroyed rather than returned
 * to the pool: it may be mid-COPY or mid-transaction.
 */
export async function withPgClient<T>(orm: Orm, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await (await pgPool(orm)).connect();
  let failed = false;
  try {
    return await fn(client);
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    client.release(failed ? true : undefined);
  }
}

/**
 * `COPY ... FROM STDIN` of the given pieces of COPY text, written with back-pressure (the next
 * piece waits until the socket drains); resolves with the rows copied.
 */
export async function copyIn(client: PoolClient, sql: string, pieces: Iterable<string | Uint8Array>): Promise<number> {
  const stream = client.query(copyFrom(sql)) as Writable & { rowCount: number };
  const done = new Promise<number>((resolve, reject) => {
    stream.on('error', reject);
    stream.on('finish', () => resolve(stream.rowCount));
  });
  done.catch(() => undefined); // observed below; never an unhandled rejection
  for (const piece of pieces) {
    if (!stream.write(piece)) await Promise.race([once(stream, 'drain'), done]);
  }
  stream.end();
  return done;
}
