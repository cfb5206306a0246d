import { REFUSAL_CODES } from './domain';

/**
 * An application error: a machine-readable code, a human sentence naming the field, and optional
 * details. It carries no HTTP status; `src/http/errors.ts` maps codes to statuses in one place.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly field?: string,
    /** Extra members of the error body (for example `rows` of a CSV import). */
    readonly details?: Record<string, unknown>,
    /** When the caller may try again (rate limits, full queues). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'AppError';
  }

  toBody(): { error: Record<string, unknown> } {
    return { error: { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}), ...this.details } };
  }
}

/** Codes that are business refusals (422): every redemption refusal and the batch keyspace refusal. */
export const REFUSAL_ERROR_CODES: ReadonlySet<string> = new Set<string>([...REFUSAL_CODES, 'keyspace_too_small']);

export const notFound = (what: string) => new AppError('not_found', `${what} not found`);
export const conflict = (message: string, field?: string) => new AppError('conflict', message, field);
export const badRequest = (message: string, field?: string) => new AppError('validation_failed', message, field);
export const unauthorized = (message = 'missing or invalid credentials') => new AppError('unauthorized', message);
/** 403: the calling key lacks a scope (`requiredScope` in the error body). */
export const forbidden = (requiredScope: string, message: string) => new AppError('forbidden', message, undefined, { requiredScope });
export const payloadTooLarge = (message: string) => new AppError('payload_too_large', message, 'body');
export const idempotencyConflict = () =>
  new AppError('idempotency_conflict', 'idempotencyKey: was used with a different request body', 'idempotencyKey');
/** A plan id that names no registered plan (`field` is where it was given: planId, fromPlanId, lines[i].planId). */
export const unknownPlan = (field: string, planId: string) => badRequest(`${field}: no plan "${planId}" is registered`, field);
export const queueUnavailable = () => new AppError('queue_unavailable', 'the job queue (Redis) is unavailable; retry later');
export const databaseUnavailable = () => new AppError('database_unavailable', 'the database is unavailable; retry later');
/** Seconds a client is told to wait when a queue holds QUEUE_MAX_WAITING jobs not yet started. */
export const QUEUE_FULL_RETRY_AFTER_SECONDS = 5;
export const queueFull = (queue: string) =>
  new AppError('queue_full', `the ${queue} queue is full; retry in ${QUEUE_FULL_RETRY_AFTER_SECONDS} s`, undefined, undefined, QUEUE_FULL_RETRY_AFTER_SECONDS);
export const jobFailed = () => new AppError('job_failed', 'the job could not be processed; retry later');
export function rateLimitedMessage(retryAfterSeconds: number): string {
  return `too many attempts with unknown codes; retry in ${retryAfterSeconds} s`;
}
export const rateLimited = (retryAfterSeconds: number) =>
  new AppError('rate_limited', rateLimitedMessage(retryAfterSeconds), undefined, undefined, retryAfterSeconds);

/** The SQLSTATE of a Postgres error (looked for through `cause`), or undefined. */
export function sqlState(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, i = 0; e && i < 5; e = e.cause as typeof e, i++) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  }
  return undefined;
}

/** Postgres unique violation, for mapping duplicates to 409. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint?: string; cause?: unknown };
  if (e && e.code === '23505') return constraint === undefined || e.constraint === constraint;
  if (e && e.cause) return isUniqueViolation(e.cause, constraint);
  return false;
}
