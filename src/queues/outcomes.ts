import type { AppError } from '../errors';

/** An error as API.md shapes it: a code, a sentence naming the field, and optional details. */
export interface ErrorBody {
  code: string;
  message: string;
  field?: string;
  [detail: string]: unknown;
}

/**
 * What a job whose caller waits for it answers (redemptions, invoices): the body on success, or
 * the error with its code. No HTTP status: the HTTP edge (src/http/errors.ts) maps a code to its
 * status, and a success to the route's own (201 for a redemption, 200 for an invoice).
 */
export type JobOutcome<T extends object = Record<string, unknown>> =
  | { ok: true; body: T }
  | { ok: false; error: ErrorBody; retryAfterSeconds?: number };

export function succeeded<T extends object>(body: T): JobOutcome<T> {
  return { ok: true, body };
}

/** The outcome of an application error (a refusal, a conflict, bad input). */
export function refused(err: AppError): JobOutcome<never> {
  const { error } = err.toBody() as { error: ErrorBody };
  return err.retryAfterSeconds === undefined ? { ok: false, error } : { ok: false, error, retryAfterSeconds: err.retryAfterSeconds };
}

/** The outcome a stored answer body stands for (an idempotency key's: `{error}` or the success body). */
export function outcomeOfBody(body: Record<string, unknown>): JobOutcome {
  const error = body.error as ErrorBody | undefined;
  return error && typeof error === 'object' && typeof error.code === 'string' ? { ok: false, error } : { ok: true, body };
}
