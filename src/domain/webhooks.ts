/**
 * Webhook delivery rules (SPEC §3.12, API.md "Webhooks"): which endpoint wants which event, the
 * message body, which secrets sign, what an answer means, and when the next attempt is due.
 */

/** Response bodies longer than this are cut in the attempt log. */
export const RESPONSE_LOG_LIMIT_BYTES = 4096;
/** `Retry-After` is honoured within these bounds (a shorter one waits 1 s, a longer one 24 h). */
export const RETRY_AFTER_MIN_MS = 1000;
export const RETRY_AFTER_MAX_MS = 86_400_000;
/** Rotation: how long the previous secret keeps signing, in seconds. */
export const ROTATION_DEFAULT_SECONDS = 86_400;
export const ROTATION_MAX_SECONDS = 604_800;

/** An endpoint with no types listed receives every type. */
export function endpointWants(eventTypes: readonly string[], type: string): boolean {
  return eventTypes.length === 0 || eventTypes.includes(type);
}

export interface WebhookMessage {
  id: string;
  type: string;
  createdAt: string;
  sequence: number | null;
  data: Record<string, unknown>;
}

/** The `webhook-id` of an event's deliveries. */
export const messageIdOfEvent = (eventId: string | number): string => `evt_${eventId}`;

/** The body of an event's deliveries: `sequence` is the event id as a number. */
export function eventMessage(e: { id: string | number; type: string; createdAt: string; data: Record<string, unknown> }): WebhookMessage {
  return { id: messageIdOfEvent(e.id), type: e.type, createdAt: e.createdAt, sequence: Number(e.id), data: e.data };
}

/** The body of a test delivery: its own id, no sequence. */
export function testMessage(uuid: string, endpointId: string, createdAt: string): WebhookMessage {
  return { id: `evt_test_${uuid}`, type: 'webhook.test', createdAt, sequence: null, data: { endpointId } };
}

export interface SigningSecrets {
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: string | null;
}

/** The secrets that sign at `now`: the current one, then the previous one until it expires (never more than two). */
export function signingSecrets(s: SigningSecrets, now: string): string[] {
  const previousValid = s.previousSecret !== null && s.previousSecretExpiresAt !== null && Date.parse(s.previousSecretExpiresAt) > Date.parse(now);
  return previousValid ? [s.secret, s.previousSecret as string] : [s.secret];
}

/**
 * A rotation: the new secret signs from now on; the one it replaces keeps signing for
 * `expiresInSeconds` (0: not at all). A previous secret still valid is dropped.
 */
export function rotateSecret(current: string, fresh: string, expiresInSeconds: number, now: string): SigningSecrets {
  if (expiresInSeconds <= 0) return { secret: fresh, previousSecret: null, previousSecretExpiresAt: null };
  return { secret: fresh, previousSecret: current, previousSecretExpiresAt: new Date(Date.parse(now) + expiresInSeconds * 1000).toISOString() };
}

export type AttemptVerdict =
  | { kind: 'succeeded' }
  /** 410: the delivery fails and the endpoint is disabled; never retried. */
  | { kind: 'gone'; error: string }
  | { kind: 'failed'; error: string };

/** What an answer means: 2xx succeeds, 410 is gone, anything else (redirects included) fails. */
export function judgeResponse(statusCode: number, location?: string): AttemptVerdict {
  if (statusCode >= 200 && statusCode < 300) return { kind: 'succeeded' };
  if (statusCode === 410) return { kind: 'gone', error: 'HTTP 410: the endpoint is gone; it was disabled' };
  if (statusCode >= 300 && statusCode < 400) {
    return { kind: 'failed', error: `HTTP ${statusCode}: redirects are not followed${location ? ` (to ${location})` : ''}` };
  }
  return { kind: 'failed', error: `HTTP ${statusCode}` };
}

/** `Retry-After` (delta-seconds or an HTTP date) in milliseconds from `now`, within 1 s–24 h; null when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now: string): number | null {
  if (header === undefined) return null;
  const v = header.trim();
  let ms: number;
  if (/^\d+$/.test(v)) ms = Number(v) * 1000;
  else {
    const at = Date.parse(v);
    if (Number.isNaN(at) || !/[a-z]/i.test(v)) return null;
    ms = at - Date.parse(now);
  }
  return Math.min(RETRY_AFTER_MAX_MS, Math.max(RETRY_AFTER_MIN_MS, ms));
}

/**
 * The delay before the attempt after attempt number `attempt` (1-based) failed: the schedule's
 * entry for it, or the receiver's `Retry-After` when it gave one. Null when the schedule is used
 * up (N delays allow N + 1 attempts).
 */
export function nextAttemptDelayMs(schedule: readonly number[], attempt: number, retryAfter: number | null): number | null {
  if (attempt < 1 || attempt > schedule.length) return null;
  return retryAfter ?? schedule[attempt - 1];
}

/** Attempts a new delivery may make under a schedule of N delays. */
export const attemptsAllowed = (schedule: readonly number[]): number => schedule.length + 1;
