import { sql } from 'kysely';
import type { Em } from '../db/orm';
import type { RowUpdate, StoredRow } from '../db/rows';
import { iso, isoOrNull } from '../db/values';
import { appendEvent } from './events';

/** Webhook endpoints of an account. Secrets leave this module only for signing and at creation/rotation. */

export type EndpointStatus = 'enabled' | 'disabled';

export interface EndpointView {
  id: string;
  url: string;
  eventTypes: string[];
  description: string | null;
  status: EndpointStatus;
  createdAt: string;
  updatedAt: string;
}

export interface EndpointRow extends EndpointView {
  accountId: string;
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: string | null;
  cursorAt: string;
}

/** The last id the events sequence handed out: events that occur from now on have larger ids. */
const lastEventId = sql<string>`(select case when is_called then last_value else last_value - 1 end from events_id_seq)`;

/**
 * `enabled_event_ids` holds the ids of the events that occur while the endpoint is enabled. An
 * enable opens a span after every event so far; a disable closes the open span at the last event
 * so far (events that drew their id before it occurred while it was enabled, whenever they commit).
 */
const openSpan = sql<string>`int8multirange(int8range(${lastEventId}, null, '(]'))`;
const closedSpans = sql<string>`enabled_event_ids * int8multirange(int8range(null, ${lastEventId}, '(]'))`;

const COLUMNS = [
  'id', 'account_id', 'url', 'event_types', 'description', 'status', 'secret', 'previous_secret',
  'previous_secret_expires_at', 'created_at', 'updated_at',
] as const;

/** A webhook_endpoints row as this module reads it. */
type EndpointStoredRow = Pick<StoredRow<'webhook_endpoints'>, (typeof COLUMNS)[number]> & { cursor_at: string };

/** The one mapping of a webhook_endpoints row. */
function endpointRowFrom(r: EndpointStoredRow): EndpointRow {
  return {
    id: r.id,
    accountId: r.account_id,
    url: r.url,
    eventTypes: r.event_types,
    description: r.description,
    status: r.status as EndpointStatus,
    secret: r.secret,
    previousSecret: r.previous_secret,
    previousSecretExpiresAt: isoOrNull(r.previous_secret_expires_at),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    cursorAt: r.cursor_at,
  };
}

export function endpointView(e: EndpointView): EndpointView {
  const { id, url, eventTypes, description, status, createdAt, updatedAt } = e;
  return { id, url, eventTypes, description, status, createdAt, updatedAt };
}

const cursorAt = sql<string>`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('cursor_at');

export async function insertEndpoint(
  em: Em,
  e: { accountId: string; url: string; eventTypes: string[]; description: string | null; secret: string },
): Promise<EndpointRow> {
  const row = await em
    .getKysely()
    .insertInto('webhook_endpoints')
    .values({ account_id: e.accountId, url: e.url, event_types: e.eventTypes, description: e.description, secret: e.secret, enabled_event_ids: openSpan })
    .returning([...COLUMNS, cursorAt])
    .executeTakeFirstOrThrow();
  return endpointRowFrom(row);
}

export async function findEndpoint(em: Em, accountId: string, id: string, lock = false): Promise<EndpointRow | null> {
  let q = em.getKysely().selectFrom('webhook_endpoints').select([...COLUMNS, cursorAt]).where('id', '=', id).where('account_id', '=', accountId);
  if (lock) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  return row ? endpointRowFrom(row) : null;
}

/** Oldest first; `after` is the last row's [created_at with microseconds, id]. */
export async function listEndpoints(em: Em, accountId: string, after: [string, string] | null, limit: number): Promise<{ rows: EndpointRow[]; next: [string, string] | null }> {
  let q = em.getKysely().selectFrom('webhook_endpoints').select([...COLUMNS, cursorAt]).where('account_id', '=', accountId);
  if (after) q = q.where(sql<boolean>`(created_at, id) > (${after[0]}::timestamptz, ${after[1]}::uuid)`);
  const rows = (await q.orderBy('created_at').orderBy('id').limit(limit + 1).execute()).map(endpointRowFrom);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { rows: page, next: rows.length > limit && last ? [last.cursorAt, last.id] : null };
}

export interface EndpointPatch {
  url?: string;
  eventTypes?: string[];
  description?: string | null;
  status?: EndpointStatus;
}

/**
 * Edits an endpoint. Enabling a disabled endpoint opens a span after every event so far, so events
 * that occurred while it was disabled are never delivered to it; disabling an enabled one closes
 * its span, so every event that occurred before is still delivered, however late the relay is.
 */
export async function updateEndpoint(em: Em, accountId: string, id: string, patch: EndpointPatch): Promise<EndpointRow | null> {
  const set: RowUpdate<'webhook_endpoints'> = { updated_at: sql<Date>`now()` };
  if (patch.url !== undefined) set.url = patch.url;
  if (patch.eventTypes !== undefined) set.event_types = patch.eventTypes;
  if (patch.description !== undefined) set.description = patch.description;
  if (patch.status !== undefined) {
    set.status = patch.status;
    set.enabled_event_ids =
      patch.status === 'enabled'
        ? sql<string>`case when status = 'disabled' then enabled_event_ids + ${openSpan} else enabled_event_ids end`
        : sql<string>`case when status = 'enabled' then ${closedSpans} else enabled_event_ids end`;
  }
  const row = await em
    .getKysely()
    .updateTable('webhook_endpoints')
    .set(set)
    .where('id', '=', id)
    .where('account_id', '=', accountId)
    .returning([...COLUMNS, cursorAt])
    .executeTakeFirst();
  return row ? endpointRowFrom(row) : null;
}

export async function setEndpointSecrets(
  tx: Em,
  id: string,
  s: { secret: string; previousSecret: string | null; previousSecretExpiresAt: string | null },
): Promise<void> {
  await tx
    .getKysely()
    .updateTable('webhook_endpoints')
    .set({ secret: s.secret, previous_secret: s.previousSecret, previous_secret_expires_at: s.previousSecretExpiresAt === null ? null : new Date(s.previousSecretExpiresAt), updated_at: sql`now()` })
    .where('id', '=', id)
    .execute();
}

export async function deleteEndpoint(em: Em, accountId: string, id: string): Promise<boolean> {
  const r = await em.getKysely().deleteFrom('webhook_endpoints').where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/**
 * A 410: disables the endpoint once, with its `webhook_endpoint.disabled` event in the same
 * transaction; answers the endpoint's account, or null when it was not enabled.
 */
export async function disableGoneEndpoint(tx: Em, endpointId: string, deliveryId: string): Promise<string | null> {
  const row = await tx
    .getKysely()
    .updateTable('webhook_endpoints')
    .set({ status: 'disabled', enabled_event_ids: closedSpans, updated_at: sql`now()` })
    .where('id', '=', endpointId)
    .where('status', '=', 'enabled')
    .returning(['account_id', 'url'])
    .executeTakeFirst();
  if (!row) return null;
  await appendEvent(tx, row.account_id, 'webhook_endpoint.disabled', { endpointId, url: row.url, reason: 'gone', deliveryId });
  return row.account_id;
}
