/**
 * What makes a redemption or hold request with an idempotency key count once: an advisory lock
 * of its own class, the stored outcome. One set of statements per kind of request, on its own
 * outcome table. (Without a key, the request's id is its row's, and the context read answers the
 * row an earlier run of its job wrote: `written` in redemption-context.ts.)
 */
import type { Statement } from '../db/pipeline';
import { preparedStatement } from '../db/sql-text';
import type { JobOutcome } from '../queues/outcomes';

/** The statements of one kind of request, all named (prepared) for the pipelined hot path. */
export interface RequestKeys {
  /** Serializes work on one idempotency key for the rest of the transaction. */
  lock(accountId: string, key: string): Statement;
  /** The outcome stored under a key: `request_hash`, `body`. */
  stored(accountId: string, key: string): Statement;
  /** Stores the outcome of a request under its key, as its answer body (kept when one is already stored). */
  store(accountId: string, key: string, requestHash: string, outcome: JobOutcome): Statement;
}

/**
 * The statements of a kind of request. `lockClass`: its advisory lock class, in the two-key
 * form (`objsubid` 2), so it never meets the events id bounds the feed's horizon reads (one-key
 * form, events_id_bound); other keys of the same 32-bit hash just wait for each other.
 */
function requestKeys(kind: string, lockClass: number, outcomes: string): RequestKeys {
  const lock = preparedStatement(`cf_lock_${kind}_key`, `select pg_advisory_xact_lock(${lockClass}, hashtext(:lockKey))`, ['lockKey']);
  const stored = preparedStatement(`cf_stored_${kind}_outcome`,
    `select request_hash, body from ${outcomes} where account_id = :accountId and idempotency_key = :key`, ['accountId', 'key']);
  const store = preparedStatement(`cf_store_${kind}_outcome`,
    `insert into ${outcomes} (account_id, idempotency_key, request_hash, body) values (:accountId, :key, :requestHash, :body::jsonb)
     on conflict (account_id, idempotency_key) do nothing`, ['accountId', 'key', 'requestHash', 'body']);
  return {
    lock: (accountId, key) => lock({ lockKey: `${accountId}|${key}` }),
    stored: (accountId, key) => stored({ accountId, key }),
    store: (accountId, key, requestHash, outcome) => store({ accountId, key, requestHash, body: JSON.stringify(outcome.ok ? outcome.body : { error: outcome.error }) }),
  };
}

/** The advisory lock class of redemption idempotency keys. */
export const IDEMPOTENCY_LOCK_CLASS = 7212030;
/** The advisory lock class of hold idempotency keys. */
export const HOLD_IDEMPOTENCY_LOCK_CLASS = 7212031;

export const redemptionKeys = requestKeys('redemption', IDEMPOTENCY_LOCK_CLASS, 'redemption_requests');
export const holdKeys = requestKeys('hold', HOLD_IDEMPOTENCY_LOCK_CLASS, 'hold_requests');
