import { sql } from 'kysely';
import type { Em } from '../db/orm';
import type { StoredRow } from '../db/rows';
import { iso } from '../db/values';

export interface EventInput {
  accountId: string;
  type: string;
  data: Record<string, unknown>;
}

/**
 * Appends events in one statement. Call it with the EntityManager of the transaction that makes
 * the change, so the events commit (or roll back) with it.
 */
export async function appendEvents(em: Em, events: EventInput[]): Promise<void> {
  if (events.length === 0) return;
  await em
    .getKysely()
    .insertInto('events')
    .values(events.map((e) => ({ account_id: e.accountId, type: e.type, data: e.data })))
    .execute();
}

export async function appendEvent(em: Em, accountId: string, type: string, data: Record<string, unknown>): Promise<void> {
  await appendEvents(em, [{ accountId, type, data }]);
}

/**
 * The feed's horizon: the highest event id at or below which every id is committed or rolled
 * back. The sequence's last drawn value is read first; then the smallest id bound still locked
 * by an inserting transaction (the `events_id_bound` trigger, Migration20261125000400) caps it.
 * Those bounds are one-key advisory locks whose high half is 2^30 plus the id's high half; no
 * other advisory lock of the service is taken in that form and range.
 * A reader must use it in a later statement than this one (a newer snapshot), never inside the
 * same statement: a transaction may end between the two reads.
 */
export async function eventsHorizon(em: Em): Promise<string> {
  const { rows } = await sql<{ horizon: string }>`
    select least(s.v, coalesce((
             select min(((l.classid::bigint - 1073741824) << 32) | l.objid::bigint)
               from pg_locks l
              where l.locktype = 'advisory' and l.objsubid = 1 and l.classid >= 1073741824 and l.classid < 2147483648 and s.v is not null
                and l.database = (select oid from pg_database where datname = current_database())) - 1, s.v))::text as horizon
      from (select case when is_called then last_value else last_value - 1 end as v from events_id_seq) s`.execute(em.getKysely());
  return rows[0].horizon;
}

export interface EventView {
  id: string;
  type: string;
  createdAt: string;
  data: Record<string, unknown>;
}

/** The columns of an events row that its view shows. */
export const EVENT_COLUMNS = ['id', 'type', 'created_at', 'data'] as const;

/** The one mapping of an events row (the ascending feed and the console's newest-first one). */
export function eventFromRow(r: Pick<StoredRow<'events'>, (typeof EVENT_COLUMNS)[number]>): EventView {
  return { id: String(r.id), type: r.type, createdAt: iso(r.created_at), data: r.data };
}

/**
 * Events after an id, in id order, up to the horizon: an event is served only once every event
 * with a lower id is committed or rolled back, so a poller that saw id N never misses one below N.
 */
export async function listEvents(em: Em, accountId: string, after: number, limit: number): Promise<EventView[]> {
  const horizon = await eventsHorizon(em);
  const rows = await em
    .getKysely()
    .selectFrom('events')
    .select(EVENT_COLUMNS)
    .where('account_id', '=', accountId)
    .where('id', '>', after)
    .where('id', '<=', Number(horizon))
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map(eventFromRow);
}
