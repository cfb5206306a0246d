import { rateLimitedMessage } from '../rate-limit';

/** An error with an HTTP status and API.md's machine-readable shape. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly extra?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toBody(): { error: Record<string, unknown> } {
    return { error: { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}), ...this.extra } };
  }
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);
export const conflict = (message: string, field?: string) => new ApiError(409, 'conflict', message, field);
export const badRequest = (message: string, field?: string) => new ApiError(400, 'validation_failed', message, field);
export const unauthorized = (message = 'missing or invalid credentials') => new ApiError(401, 'unauthorized', message);
export const rateLimited = (retryAfterSeconds: number) =>
  new ApiError(429, 'rate_limited', rateLimitedMessage(retryAfterSeconds), undefined, undefined, { 'Retry-After': String(retryAfterSeconds) });
export const queueUnavailable = () => new ApiError(503, 'queue_unavailable', 'the job queue is unavailable; retry later');

/** Postgres unique violation, for mapping duplicates to 409. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint?: string; cause?: unknown };
  if (e && e.code === '23505') return constraint === undefined || e.constraint === constraint;
  if (e && e.cause) return isUniqueViolation(e.cause, constraint);
  return false;
}
