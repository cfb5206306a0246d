import { defineRoute, type RouteDef } from '../route';
import type { z } from '../openapi';
import { EventPage, EventsQuery } from '../../contracts/coupons';
import { listEvents } from '../../repositories/events';

export const eventRoutes: RouteDef[] = [
  defineRoute<undefined, z.infer<typeof EventsQuery>>({
    method: 'get',
    path: '/v1/events',
    auth: 'account',
    summary: 'Events after an id, in id order; nextCursor is the last id when the page is full (poll again with after=it)',
    tags: ['events'],
    query: EventsQuery,
    responses: { 200: { description: 'a page of events', schema: EventPage } },
    handler: async ({ ctx, account, query }) => {
      const data = await listEvents(ctx.orm.em.fork(), account.id, query.after, query.limit);
      const nextCursor = data.length === query.limit ? data[data.length - 1].id : null;
      return { status: 200, body: { data, nextCursor } };
    },
  }),
];
