import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The request a piece of work belongs to, for the log lines and audit records it writes: set
 * by the HTTP app around each request (src/http/app.ts), read by the logger.
 */
export interface RequestScope {
  requestId: string;
}

const storage = new AsyncLocalStorage<RequestScope>();

/** A caller's `X-Request-Id` is kept when it is 1–200 characters of letters, digits and `._:-`; otherwise a new one is made. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,200}$/;

export function isValidRequestId(v: unknown): v is string {
  return typeof v === 'string' && REQUEST_ID_PATTERN.test(v);
}

/** Runs `fn` (and everything it starts) as part of the request. */
export function runInRequest<T>(scope: RequestScope, fn: () => T): T {
  return storage.run(scope, fn);
}

/** The id of the request the caller runs for, if any. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}
