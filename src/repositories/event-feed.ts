import type { Em } from '../db/orm';
import { EVENT_COLUMNS, eventFromRow, type EventView } from './events';

/**
 * Events newest first (the console's feed): ids below `before` when given, optionally of one
 * type. Reading history backwards does not need the ascending feed's no-skip guarantee.
 */
export async function listEventsNewestFirst(
  em: Em,
  accountId: string,
  q: { before?: number; type?: string; limit: number },
): Promise<EventView[]> {
  let query = em
    .getKysely()
    .selectFrom('events')
    .select(EVENT_COLUMNS)
    .where('account_id', '=', accountId);
  if (q.before !== undefined) query = query.where('id', '<', q.before);
  if (q.type !== undefined) query = query.where('type', '=', q.type);
  const rows = await query.orderBy('id', 'desc').limit(q.limit).execute();
  return rows.map(eventFromRow);
}
