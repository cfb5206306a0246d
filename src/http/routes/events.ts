import { defineRoute, type RouteDef } from '../route';
import type { z } from '../openapi';
import { EventPage, EventsQuery } from '../../contracts/coupons';
import { listEvents } from '../../services/events';

export const eventRoutes: RouteDef[] = [
  defineRoute<undefined, z.infer<typeof EventsQuery>>({
    method: 'get',
    path: '/v1/events',
    auth: 'account',
    scope: 'reports:read',
    summary: 'Events after an id, in id order; nextCursor is the last id when the page is full (poll again with after=it). order=desc: newest first, optionally of one type, paged with before=nextCursor',
    tags: ['events'],
    query: EventsQuery,
    responses: { 200: { description: 'a page of events', schema: EventPage } },
    handler: async ({ ctx, account, query }) => ({ status: 200, body: await listEvents(ctx, account.id, query) }),
  }),
];
