import { sha256 } from '../hash';

/**
 * Job id of a redemption request. With an idempotency key: one job per (account, key, request),
 * so a replay of the same request waits for (or reads) the same job, while another request under
 * the key is another job, which the worker answers 409 once the key holds an outcome (or counts,
 * when the first was refused 400 and pinned nothing). Without a key: the request's own id.
 */
export function redemptionJobId(accountId: string, key: string | undefined, requestHash: string, requestId: string): string {
  return key === undefined ? `red-${requestId}` : `red-${accountId}-${sha256(`${key}\n${requestHash}`).slice(0, 40)}`;
}
