import type { Em } from '../db/orm';
import { pgArray } from '../db/pg-array';

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
  await em.execute(
    `insert into events (account_id, type, data)
     select * from unnest(?::uuid[], ?::text[], ?::jsonb[])`,
    [pgArray(events.map((e) => e.accountId)), pgArray(events.map((e) => e.type)), pgArray(events.map((e) => JSON.stringify(e.data)))],
  );
}

export async function appendEvent(em: Em, accountId: string, type: string, data: Record<string, unknown>): Promise<void> {
  await appendEvents(em, [{ accountId, type, data }]);
}

export interface EventView {
  id: string;
  type: string;
  createdAt: string;
  data: Record<string, unknown>;
}

/** Events after an id, in id order. */
export async function listEvents(em: Em, accountId: string, after: number, limit: number): Promise<EventView[]> {
  const rows = await em.execute(
    `select id, type, created_at, data from events where account_id = ? and id > ? order by id limit ?`,
    [accountId, after, limit],
  );
  return rows.map((r) => ({
    id: String(r.id),
    type: r.type as string,
    createdAt: new Date(r.created_at as string).toISOString(),
    data: r.data as Record<string, unknown>,
  }));
}
