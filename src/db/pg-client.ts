import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Pool, PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Orm } from './orm';

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
