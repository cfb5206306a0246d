import type { AppContext } from '../context';
import { badRequest } from '../errors';
import { listEventsNewestFirst } from '../repositories/event-feed';
import { listEvents as listEventsAfter, type EventView } from '../repositories/events';

/**
 * GET /v1/events: the ascending feed after an id (never skipping, see eventsHorizon), or with
 * order=desc newest first, optionally of one type, paged with `before`. nextCursor is the last id
 * when the page is full.
 */
export async function listEvents(
  ctx: AppContext,
  accountId: string,
  query: { order?: 'asc' | 'desc'; after: number; before?: number; type?: string; limit: number },
): Promise<{ data: EventView[]; nextCursor: string | null }> {
  let data: EventView[];
  if (query.order === 'desc') {
    if (query.after !== 0) throw badRequest('after: pages the ascending feed; with order=desc use before', 'after');
    data = await listEventsNewestFirst(ctx.orm.em.fork(), accountId, query);
  } else {
    if (query.before !== undefined) throw badRequest('before: only with order=desc', 'before');
    if (query.type !== undefined) throw badRequest('type: only with order=desc', 'type');
    data = await listEventsAfter(ctx.orm.em.fork(), accountId, query.after, query.limit);
  }
  return { data, nextCursor: data.length === query.limit ? data[data.length - 1].id : null };
}
