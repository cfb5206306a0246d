import { defineRoute, type RouteDef } from '../route';
import type { z } from '../openapi';
import { EventPage, EventsQuery } from '../../contracts/coupons';
import { listEvents } from '../../repositories/events';
import { listEventsNewestFirst } from '../../repositories/event-feed';
import { badRequest } from '../../errors';

export const eventRoutes: RouteDef[] = [
  defineRoute<undefined, z.infer<typeof EventsQuery>>({
    method: 'get',
    path: '/v1/events',
    auth: 'account',
    summary: 'Events after an id, in id order; nextCursor is the last id when the page is full (poll again with after=it). order=desc: newest first, optionally of one type, paged with before=nextCursor',
    tags: ['events'],
    query: EventsQuery,
    responses: { 200: { description: 'a page of events', schema: EventPage } },
    handler: async ({ ctx, account, query }) => {
      let data;
      if (query.order === 'desc') {
        if (query.after !== 0) throw badRequest('after: pages the ascending feed; with order=desc use before', 'after');
        data = await listEventsNewestFirst(ctx.orm.em.fork(), account.id, query);
      } else {
        if (query.before !== undefined) throw badRequest('before: only with order=desc', 'before');
        if (query.type !== undefined) throw badRequest('type: only with order=desc', 'type');
        data = await listEvents(ctx.orm.em.fork(), account.id, query.after, query.limit);
      }
      const nextCursor = data.length === query.limit ? data[data.length - 1].id : null;
      return { status: 200, body: { data, nextCursor } };
    },
  }),
];
