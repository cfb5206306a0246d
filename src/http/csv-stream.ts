import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import type { Response } from 'express';
import type { PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { AppContext } from '../context';
import { errorFields } from '../logger';

export interface CsvExport {
  /** File name offered to the client. */
  filename: string;
  /**
   * The SELECT whose rows are the file, built with `literal` for every value (COPY takes no
   * bind parameters); its column names are the header line.
   */
  query: (literal: (value: string) => string) => string;
  /** Session settings for the export's transaction, e.g. `{ TimeZone: 'Europe/Paris' }`. */
  settings?: Record<string, string>;
}

/**
 * Streams a query's rows as CSV straight from PostgreSQL (`COPY (...) TO STDOUT WITH CSV
 * HEADER`) to the response, with back-pressure: memory stays constant whatever the row count.
 * Runs in a read-only transaction so every row comes from one snapshot. A failure before the
 * first byte is thrown (the error handler answers it); after that the response is cut short.
 * Exports read from a streaming replica when DATABASE_READ_URL names one that answers.
 */
export async function streamCsv(ctx: AppContext, res: Response, spec: CsvExport): Promise<undefined> {
  const { client }: { client: PoolClient } = await ctx.reads.connect();
  let ok = false;
  try {
    await client.query('begin transaction read only');
    for (const [name, value] of Object.entries(spec.settings ?? {})) {
      await client.query('select set_config($1, $2, true)', [name, value]);
    }
    const sql = `copy (${spec.query((v) => client.escapeLiteral(v))}) to stdout with (format csv, header)`;
    const copy = client.query(copyTo(sql));
    // The header line arrives first: an error in the query rejects here, before any byte is sent.
    await once(copy, 'readable');
    res.status(200);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${spec.filename}"`);
    res.setHeader('Cache-Control', 'no-store');
    try {
      await pipeline(copy, res);
    } catch (err) {
      ctx.logger.warn('csv export cut short', { filename: spec.filename, ...errorFields(err) });
      res.destroy();
      return undefined;
    }
    await client.query('commit');
    ok = true;
    return undefined;
  } finally {
    // A connection left mid-COPY or mid-transaction is closed rather than reused.
    client.release(ok ? undefined : true);
  }
}
