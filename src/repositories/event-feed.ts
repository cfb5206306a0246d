import type { Em } from '../db/orm';
import type { EventView } from './events';

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
    .select(['id', 'type', 'created_at', 'data'])
    .where('account_id', '=', accountId);
  if (q.before !== undefined) query = query.where('id', '<', q.before);
  if (q.type !== undefined) query = query.where('type', '=', q.type);
  const rows = await query.orderBy('id', 'desc').limit(q.limit).execute();
  return rows.map((r) => ({
    id: String(r.id),
    type: r.type,
    createdAt: new Date(r.created_at as unknown as string).toISOString(),
    data: r.data as Record<string, unknown>,
  }));
}
