import type { Response } from 'express';
import { AppError, REFUSAL_ERROR_CODES } from '../errors';

/** The one mapping from application error codes to HTTP statuses. */
const STATUS_OF_CODE: Readonly<Record<string, number>> = {
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  idempotency_conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  queue_unavailable: 503,
  queue_full: 503,
  database_unavailable: 503,
  job_failed: 503,
};

export function httpStatusOf(code: string): number {
  const status = STATUS_OF_CODE[code];
  if (status !== undefined) return status;
  if (REFUSAL_ERROR_CODES.has(code)) return 422;
  return 500;
}

/** Headers an error adds to its answer (`Retry-After`). */
export function errorHeaders(err: AppError): Record<string, string> {
  return err.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(err.retryAfterSeconds) };
}

/** Answers an application error with its status, headers and API.md's body. */
export function sendAppError(res: Response, err: AppError): void {
  for (const [k, v] of Object.entries(errorHeaders(err))) res.setHeader(k, v);
  res.status(httpStatusOf(err.code)).json(err.toBody());
}
