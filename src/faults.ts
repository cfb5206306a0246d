import { AppError, badRequest, databaseUnavailable, queueUnavailable } from './errors';

/**
 * The one place that tells an outage from a bug: errors meaning "PostgreSQL cannot be reached"
 * become 503 `database_unavailable`, errors meaning "Redis cannot be reached" become 503
 * `queue_unavailable`. HTTP answers and job retries both ask here.
 */

/** Socket-level codes of a peer that is down, refusing, or too slow to connect. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH',
  'ENETUNREACH', 'ECONNABORTED', 'ENOTCONN',
]);

/** PostgreSQL SQLSTATEs that mean the server is going away or not taking connections. */
const PG_UNAVAILABLE = new Set(['57P01', '57P02', '57P03', '53300', '53400', '58000', '58030']);

/** node-postgres and pg-pool messages of a dropped or never-made connection, or a pool acquire that timed out. */
const PG_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|connection error and is not queryable|Client was closed and is not queryable|Cannot use a pool after calling end|the database system is (starting up|shutting down|in recovery mode)|terminating connection due to/i;

/**
 * ioredis messages of a connection that is down (no offline queue) or gave up retrying, and of a
 * Redis Cluster that is failing over or moving slots (CLUSTERDOWN, TRYAGAIN, its client giving up
 * on redirections or finding no node).
 */
const REDIS_MESSAGES = /Stream isn't writeable|enableOfflineQueue|Connection is closed|max retries per request|Connection in subscriber mode|CLUSTERDOWN|TRYAGAIN|Too many Cluster redirections|Failed to refresh slots cache|None of startup nodes is available/i;

interface ErrorLike {
  name?: string;
  code?: unknown;
  message?: string;
  cause?: unknown;
  errors?: unknown[];
}

/** The error, its causes and an AggregateError's members (a failed connect to both IPv4 and IPv6). */
function* chain(err: unknown, depth = 0): Generator<ErrorLike> {
  if (!err || typeof err !== 'object' || depth > 5) return;
  const e = err as ErrorLike;
  yield e;
  if (Array.isArray(e.errors)) for (const inner of e.errors) yield* chain(inner, depth + 1);
  if (e.cause) yield* chain(e.cause, depth + 1);
}

/** An error that ioredis or BullMQ gives when Redis cannot be reached. */
export function isRedisUnavailable(err: unknown): boolean {
  for (const e of chain(err)) {
    if (e.name === 'MaxRetriesPerRequestError') return true;
    if (typeof e.message === 'string' && REDIS_MESSAGES.test(e.message)) return true;
  }
  return false;
}

/** An error that node-postgres, pg-pool or MikroORM gives when PostgreSQL cannot be reached. */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (isRedisUnavailable(err)) return false;
  for (const e of chain(err)) {
    if (e.name === 'ConnectionException') return true;
    const code = typeof e.code === 'string' ? e.code : '';
    if (NETWORK_CODES.has(code) || PG_UNAVAILABLE.has(code) || code.startsWith('08')) return true;
    if (typeof e.message === 'string' && PG_MESSAGES.test(e.message)) return true;
  }
  return false;
}

/**
 * The server ended a statement or transaction of ours for taking too long (statement_timeout,
 * idle_in_transaction_session_timeout, a lock wait) or to break a deadlock: nothing of it was
 * written, and the same request may succeed later. A 503 to a client; to a job, an ordinary
 * failure that spends an attempt (the database is up, so it is not put back without one).
 */
const PG_GAVE_UP = new Set(['57014', '25P03', '55P03', '40P01', '40001']);

function isDatabaseGaveUp(err: unknown): boolean {
  for (const e of chain(err)) {
    if (typeof e.code === 'string' && PG_GAVE_UP.has(e.code)) return true;
  }
  return false;
}

/** PostgreSQL data exceptions (class 22: text it cannot store, a malformed value): bad input, not a fault. */
function isDataException(err: unknown): boolean {
  for (const e of chain(err)) {
    if (typeof e.code === 'string' && /^22[0-9A-Z]{3}$/.test(e.code)) return true;
  }
  return false;
}

export interface HealthView {
  readonly databaseUp: boolean;
  readonly redisUp: boolean;
}

/**
 * The application error an infrastructure error stands for, or null for a bug. An error that
 * names neither service while one of them is known to be down is put down to that outage.
 */
export function faultError(err: unknown, health?: HealthView): AppError | null {
  if (err instanceof AppError) return err;
  if (isRedisUnavailable(err)) return queueUnavailable();
  if (isDatabaseUnavailable(err)) return databaseUnavailable();
  if (isDataException(err)) return badRequest('a value in the request cannot be stored');
  if (isDatabaseGaveUp(err)) return databaseUnavailable();
  if (health && !health.databaseUp) return databaseUnavailable();
  if (health && !health.redisUp) return queueUnavailable();
  return null;
}
