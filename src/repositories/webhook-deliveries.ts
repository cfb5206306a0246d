import { sql } from 'kysely';
import type { Em } from '../db/orm';
import { storedJson, type StoredRow } from '../db/rows';
import { iso, isoOrNull, jsonb } from '../db/values';
import type { WebhookMessage } from '../domain';

/** Webhook deliveries and their attempt log. */

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

export interface DeliveryView {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  webhookId: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

export interface DeliveryRow extends DeliveryView {
  accountId: string;
  attemptsAllowed: number;
  round: number;
  cursorAt: string;
}

export interface AttemptView {
  at: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  responseBody: string | null;
}

const COLUMNS = [
  'id', 'account_id', 'endpoint_id', 'event_id', 'message_id', 'event_type', 'status', 'attempts', 'attempts_allowed', 'round',
  'last_status_code', 'last_error', 'next_attempt_at', 'created_at', 'delivered_at',
] as const;
/** A webhook_deliveries row as this module reads it. */
type DeliveryStoredRow = Pick<StoredRow<'webhook_deliveries'>, (typeof COLUMNS)[number]> & { cursor_at: string };

const cursorAt = sql<string>`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('cursor_at');

/** The one mapping of a webhook_deliveries row. */
function deliveryRowFrom(r: DeliveryStoredRow): DeliveryRow {
  const messageId = r.message_id;
  return {
    id: r.id,
    accountId: r.account_id,
    endpointId: r.endpoint_id,
    // the event's id as GET /v1/events shows it; a test delivery's event is its own message
    eventId: r.event_id === null ? messageId : String(r.event_id),
    eventType: r.event_type,
    webhookId: messageId,
    status: r.status as DeliveryStatus,
    attempts: Number(r.attempts),
    attemptsAllowed: Number(r.attempts_allowed),
    round: Number(r.round),
    lastStatusCode: r.last_status_code === null ? null : Number(r.last_status_code),
    lastError: r.last_error,
    nextAttemptAt: isoOrNull(r.next_attempt_at),
    createdAt: iso(r.created_at),
    deliveredAt: isoOrNull(r.delivered_at),
    cursorAt: r.cursor_at,
  };
}

export function deliveryView(d: DeliveryView): DeliveryView {
  const { id, endpointId, eventId, eventType, webhookId, status, attempts, lastStatusCode, lastError, nextAttemptAt, createdAt, deliveredAt } = d;
  return { id, endpointId, eventId, eventType, webhookId, status, attempts, lastStatusCode, lastError, nextAttemptAt, createdAt, deliveredAt };
}

/** A `webhook.test` delivery: no event row; the message is stored with it. */
export async function insertTestDelivery(em: Em, d: { accountId: string; endpointId: string; message: WebhookMessage; attemptsAllowed: number }): Promise<DeliveryRow> {
  const row = await em
    .getKysely()
    .insertInto('webhook_deliveries')
    .values({
      account_id: d.accountId, endpoint_id: d.endpointId, message_id: d.message.id, event_type: d.message.type,
      payload: jsonb(d.message), attempts_allowed: d.attemptsAllowed, next_attempt_at: sql`now()`,
    })
    .returning([...COLUMNS, cursorAt])
    .executeTakeFirstOrThrow();
  return deliveryRowFrom(row);
}

export async function findDelivery(em: Em, accountId: string, id: string): Promise<DeliveryRow | null> {
  const row = await em.getKysely().selectFrom('webhook_deliveries').select([...COLUMNS, cursorAt]).where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
  return row ? deliveryRowFrom(row) : null;
}

export async function listAttempts(em: Em, deliveryId: string): Promise<AttemptView[]> {
  const rows = await em
    .getKysely()
    .selectFrom('webhook_attempts')
    .select(['at', 'status_code', 'error', 'duration_ms', 'response_body'])
    .where('delivery_id', '=', deliveryId)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    at: iso(r.at),
    statusCode: r.status_code === null ? null : Number(r.status_code),
    error: r.error ?? null,
    durationMs: Number(r.duration_ms),
    responseBody: r.response_body ?? null,
  }));
}

/** Newest first; `after` is the last row's [created_at with microseconds, id]. */
export async function listDeliveries(
  em: Em,
  accountId: string,
  endpointId: string,
  status: DeliveryStatus | undefined,
  after: [string, string] | null,
  limit: number,
): Promise<{ rows: DeliveryRow[]; next: [string, string] | null }> {
  let q = em.getKysely().selectFrom('webhook_deliveries').select([...COLUMNS, cursorAt]).where('endpoint_id', '=', endpointId).where('account_id', '=', accountId);
  if (status) q = q.where('status', '=', status);
  if (after) q = q.where(sql<boolean>`(created_at, id) < (${after[0]}::timestamptz, ${after[1]}::uuid)`);
  const rows = (await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute()).map(deliveryRowFrom);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { rows: page, next: rows.length > limit && last ? [last.cursorAt, last.id] : null };
}

/** A manual redelivery: one more attempt in a new round (a job of an earlier round then does nothing). */
export async function startRedelivery(em: Em, accountId: string, id: string): Promise<DeliveryRow | null> {
  const row = await em
    .getKysely()
    .updateTable('webhook_deliveries')
    .set({
      status: 'pending', round: sql`round + 1`, attempts_allowed: sql`attempts + 1`, next_attempt_at: sql`now()`,
      delivered_at: null, updated_at: sql`now()`,
    })
    .where('id', '=', id)
    .where('account_id', '=', accountId)
    .returning([...COLUMNS, cursorAt])
    .executeTakeFirst();
  return row ? deliveryRowFrom(row) : null;
}

/**
 * Recovery after a receiver's outage: every failed delivery of the endpoint whose event occurred
 * at or after `since` (a test's own creation instant standing for its event's) gets one more
 * attempt in a new round, as a redelivery does. A delivery that is no longer failed when its row
 * is locked is left alone.
 */
export async function startRecovery(em: Em, accountId: string, endpointId: string, since: string): Promise<DeliveryRow[]> {
  const db = em.getKysely();
  const rows = await db
    .updateTable('webhook_deliveries')
    .set({
      status: 'pending', round: sql`round + 1`, attempts_allowed: sql`attempts + 1`, next_attempt_at: sql`now()`,
      delivered_at: null, updated_at: sql`now()`,
    })
    .where('status', '=', 'failed')
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('webhook_deliveries as d')
        .leftJoin('events as e', 'e.id', 'd.event_id')
        .select('d.id')
        .where('d.endpoint_id', '=', endpointId)
        .where('d.account_id', '=', accountId)
        .where('d.status', '=', 'failed')
        .where(sql<boolean>`coalesce(e.created_at, d.created_at) >= ${since}::timestamptz`),
    )
    .returning([...COLUMNS, cursorAt])
    .execute();
  return rows.map(deliveryRowFrom);
}

/** Everything one attempt needs: the delivery, its endpoint's address and secrets, and the message. */
export interface AttemptTarget {
  deliveryId: string;
  accountId: string;
  endpointId: string;
  status: DeliveryStatus;
  round: number;
  attempts: number;
  attemptsAllowed: number;
  messageId: string;
  eventType: string;
  payload: WebhookMessage | null;
  event: { id: string; createdAt: string; data: Record<string, unknown> } | null;
  url: string;
  endpointStatus: 'enabled' | 'disabled';
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: string | null;
}

/** The attempt targets of several deliveries in one read, by delivery id (a delivery that is gone is absent). */
export async function loadAttemptTargets(em: Em, deliveryIds: string[]): Promise<Map<string, AttemptTarget>> {
  const rows = await em
    .getKysely()
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_endpoints as w', 'w.id', 'd.endpoint_id')
    .leftJoin('events as e', 'e.id', 'd.event_id')
    .select([
      'd.id', 'd.account_id', 'd.endpoint_id', 'd.status', 'd.round', 'd.attempts', 'd.attempts_allowed', 'd.message_id', 'd.event_type', 'd.payload',
      'e.id as event_id', 'e.created_at as event_created_at', 'e.data as event_data',
      'w.url', 'w.status as endpoint_status', 'w.secret', 'w.previous_secret', 'w.previous_secret_expires_at',
    ])
    .where('d.id', 'in', [...new Set(deliveryIds)])
    .execute();
  const out = new Map<string, AttemptTarget>();
  for (const r of rows) {
    out.set(r.id, {
      deliveryId: r.id,
      accountId: r.account_id,
      endpointId: r.endpoint_id,
      status: r.status as DeliveryStatus,
      round: Number(r.round),
      attempts: Number(r.attempts),
      attemptsAllowed: Number(r.attempts_allowed),
      messageId: r.message_id,
      eventType: r.event_type,
      payload: storedJson<WebhookMessage>(r.payload),
      event: r.event_id === null || r.event_created_at === null || r.event_data === null
        ? null
        : { id: String(r.event_id), createdAt: iso(r.event_created_at), data: r.event_data },
      url: r.url,
      endpointStatus: r.endpoint_status as AttemptTarget['endpointStatus'],
      secret: r.secret,
      previousSecret: r.previous_secret,
      previousSecretExpiresAt: isoOrNull(r.previous_secret_expires_at),
    });
  }
  return out;
}

export interface AttemptRecord {
  at: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  responseBody: string | null;
  /** The delivery's state after this attempt. */
  status: DeliveryStatus;
  nextAttemptAt: string | null;
}

/** One attempt to log: the delivery, the round it was made in, the attempts it had when read for it, and what happened. */
export interface RecordedAttempt {
  deliveryId: string;
  round: number;
  /** The delivery's attempt count when it was read for this attempt. */
  attemptsBefore: number;
  attempt: AttemptRecord;
}

/**
 * Logs several deliveries' attempts and moves each delivery on, in one statement (so one commit
 * for all of them), each only while its delivery is still pending in the attempt's round with
 * the attempt count it was read with (a redelivery, or a concurrent copy of the attempt — a
 * batch retried after a crash, a job the sweeper gave it meanwhile — leaves nothing to record).
 * Answers, in the input's order, each attempt's number, or null when nothing was recorded for it.
 * A delivery named twice is moved once; its other entry answers null, as a concurrent copy that
 * lost the race would.
 */
export async function recordAttempts(em: Em, items: RecordedAttempt[]): Promise<(number | null)[]> {
  if (items.length === 0) return [];
  const col = <T>(f: (a: RecordedAttempt) => T): T[] => items.map(f);
  const { rows } = await sql<{ n: string; attempts: number }>`
    with input as (
      select * from unnest(
        ${col((i) => i.deliveryId)}::uuid[], ${col((i) => i.round)}::int[], ${col((i) => i.attemptsBefore)}::int[], ${col((i) => i.attempt.status)}::text[],
        ${col((i) => i.attempt.statusCode)}::int[], ${col((i) => i.attempt.error)}::text[], ${col((i) => i.attempt.nextAttemptAt)}::timestamptz[],
        ${col((i) => i.attempt.at)}::timestamptz[], ${col((i) => i.attempt.durationMs)}::int[], ${col((i) => i.attempt.responseBody)}::text[]
      ) with ordinality as i(id, round, attempts_before, status, status_code, error, next_attempt_at, at, duration_ms, response_body, n)),
    moved as (
      update webhook_deliveries d
         set attempts = d.attempts + 1, status = i.status, last_status_code = i.status_code, last_error = i.error,
             next_attempt_at = i.next_attempt_at,
             delivered_at = case when i.status = 'succeeded' then i.at end, updated_at = now()
        from input i
       where d.id = i.id and d.round = i.round and d.attempts = i.attempts_before and d.status = 'pending'
      returning d.id, d.attempts, i.n, i.at, i.status_code, i.error, i.duration_ms, i.response_body),
    logged as (
      insert into webhook_attempts (delivery_id, at, status_code, error, duration_ms, response_body)
      select id, at, status_code, error, duration_ms, response_body from moved order by n)
    select n::text, attempts from moved`.execute(em.getKysely());
  const out: (number | null)[] = items.map(() => null);
  for (const r of rows) out[Number(r.n) - 1] = Number(r.attempts);
  return out;
}

/** Logs one attempt and moves the delivery on (recordAttempts of one). */
export async function recordAttempt(em: Em, item: RecordedAttempt): Promise<number | null> {
  return (await recordAttempts(em, [item]))[0];
}

/** Ends a pending delivery without an attempt (a test whose endpoint was disabled meanwhile). */
export async function failWithoutAttempt(em: Em, deliveryId: string, round: number, error: string): Promise<void> {
  await em
    .getKysely()
    .updateTable('webhook_deliveries')
    .set({ status: 'failed', last_error: error, next_attempt_at: null, updated_at: sql`now()` })
    .where('id', '=', deliveryId)
    .where('round', '=', round)
    .where('status', '=', 'pending')
    .execute();
}
