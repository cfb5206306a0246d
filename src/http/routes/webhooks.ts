import { decodeCursor, encodeCursor } from '../../cursor';
import { badRequest, notFound } from '../../errors';
import {
  DeliveryListQuery, RotateSecret, RotatedSecret, WebhookDelivery, WebhookDeliveryDetail, WebhookDeliveryPage, WebhookEndpoint,
  WebhookEndpointCreate, WebhookEndpointCreated, WebhookEndpointPage, WebhookEndpointPatch, WebhookIdParams,
} from '../../contracts/webhooks';
import { ListQuery } from '../../contracts/common';
import { deleteEndpoint, endpointView, findEndpoint, listEndpoints } from '../../repositories/webhook-endpoints';
import { deliveryView, findDelivery, listAttempts, listDeliveries } from '../../repositories/webhook-deliveries';
import { isUuid } from '../../services/batch-service';
import { createEndpoint, editEndpoint, redeliver, rotateEndpointSecret, sendTestEvent } from '../../services/webhook-endpoints';
import type { z } from '../openapi';
import { defineRoute } from '../route';

type Params = z.infer<typeof WebhookIdParams>;

/** A list cursor holds the last row's [created_at with microseconds, id]. */
function decodeAfter(cursor: string | undefined, kind: string): [string, string] | null {
  if (cursor === undefined) return null;
  const v = decodeCursor(cursor, kind);
  if (v.length === 2 && typeof v[0] === 'string' && !Number.isNaN(Date.parse(v[0])) && typeof v[1] === 'string' && isUuid(v[1])) return [v[0], v[1]];
  throw badRequest('cursor: is not a cursor this list gave', 'cursor');
}

const endpointNotFound = () => notFound('webhook endpoint');

export const webhookRoutes = [
  defineRoute<z.infer<typeof WebhookEndpointCreate>>({
    method: 'post',
    path: '/v1/webhook-endpoints',
    auth: 'account',
    summary: 'Add a webhook endpoint; the signing secret is shown only in this answer',
    tags: ['webhooks'],
    body: WebhookEndpointCreate,
    responses: { 201: { description: 'the endpoint with its secret', schema: WebhookEndpointCreated } },
    handler: async ({ ctx, account, body }) => {
      const row = await createEndpoint(ctx, account.id, body);
      return { status: 201, body: { ...endpointView(row), secret: row.secret } };
    },
  }),
  defineRoute<undefined, z.infer<typeof ListQuery>>({
    method: 'get',
    path: '/v1/webhook-endpoints',
    auth: 'account',
    summary: 'Webhook endpoints of the account, oldest first',
    tags: ['webhooks'],
    query: ListQuery.strict(),
    responses: { 200: { description: 'a page of endpoints', schema: WebhookEndpointPage } },
    handler: async ({ ctx, account, query }) => {
      const { rows, next } = await listEndpoints(ctx.orm.em.fork(), account.id, decodeAfter(query.cursor, 'webhook-endpoints'), query.limit);
      return { status: 200, body: { data: rows.map(endpointView), nextCursor: next ? encodeCursor('webhook-endpoints', next) : null } };
    },
  }),
  defineRoute<undefined, undefined, Params>({
    method: 'get',
    path: '/v1/webhook-endpoints/:id',
    auth: 'account',
    summary: 'A webhook endpoint (without its secret)',
    tags: ['webhooks'],
    params: WebhookIdParams,
    responses: { 200: { description: 'the endpoint', schema: WebhookEndpoint } },
    errors: [404],
    handler: async ({ ctx, account, params }) => {
      const row = isUuid(params.id) ? await findEndpoint(ctx.orm.em.fork(), account.id, params.id) : null;
      if (!row) throw endpointNotFound();
      return { status: 200, body: endpointView(row) };
    },
  }),
  defineRoute<z.infer<typeof WebhookEndpointPatch>, undefined, Params>({
    method: 'patch',
    path: '/v1/webhook-endpoints/:id',
    auth: 'account',
    summary: 'Edit an endpoint; disabled endpoints get no deliveries for events that occur while disabled',
    tags: ['webhooks'],
    params: WebhookIdParams,
    body: WebhookEndpointPatch,
    responses: { 200: { description: 'the endpoint', schema: WebhookEndpoint } },
    errors: [404],
    handler: async ({ ctx, account, params, body }) => {
      if (!isUuid(params.id)) throw endpointNotFound();
      const row = await editEndpoint(ctx, account.id, params.id, body);
      return { status: 200, body: endpointView(row) };
    },
  }),
  defineRoute<undefined, undefined, Params>({
    method: 'delete',
    path: '/v1/webhook-endpoints/:id',
    auth: 'account',
    summary: 'Delete an endpoint with its deliveries',
    tags: ['webhooks'],
    params: WebhookIdParams,
    responses: { 204: { description: 'deleted' } },
    errors: [404],
    handler: async ({ ctx, account, params }) => {
      if (!isUuid(params.id) || !(await deleteEndpoint(ctx.orm.em.fork(), account.id, params.id))) throw endpointNotFound();
      return { status: 204 };
    },
  }),
  defineRoute<z.infer<typeof RotateSecret>, undefined, Params>({
    method: 'post',
    path: '/v1/webhook-endpoints/:id/rotate-secret',
    auth: 'account',
    summary: 'A new signing secret; until the old one expires, deliveries carry both signatures',
    tags: ['webhooks'],
    params: WebhookIdParams,
    body: RotateSecret,
    bodyOptional: true,
    responses: { 200: { description: 'the new secret (shown only here)', schema: RotatedSecret } },
    errors: [404],
    handler: async ({ ctx, account, params, body }) => {
      if (!isUuid(params.id)) throw endpointNotFound();
      return { status: 200, body: { secret: await rotateEndpointSecret(ctx, account.id, params.id, body.expiresInSeconds) } };
    },
  }),
  defineRoute<undefined, undefined, Params>({
    method: 'post',
    path: '/v1/webhook-endpoints/:id/test',
    auth: 'account',
    summary: 'Send a webhook.test event to this endpoint only (not an account event)',
    tags: ['webhooks'],
    params: WebhookIdParams,
    responses: { 202: { description: 'the test delivery, queued', schema: WebhookDelivery } },
    errors: [404, 503],
    handler: async ({ ctx, account, params }) => {
      if (!isUuid(params.id)) throw endpointNotFound();
      return { status: 202, body: deliveryView(await sendTestEvent(ctx, account.id, params.id)) };
    },
  }),
  defineRoute<undefined, z.infer<typeof DeliveryListQuery>, Params>({
    method: 'get',
    path: '/v1/webhook-endpoints/:id/deliveries',
    auth: 'account',
    summary: "An endpoint's deliveries, newest first",
    tags: ['webhooks'],
    params: WebhookIdParams,
    query: DeliveryListQuery,
    responses: { 200: { description: 'a page of deliveries', schema: WebhookDeliveryPage } },
    errors: [404],
    handler: async ({ ctx, account, params, query }) => {
      const em = ctx.orm.em.fork();
      const after = decodeAfter(query.cursor, 'webhook-deliveries');
      if (!isUuid(params.id) || !(await findEndpoint(em, account.id, params.id))) throw endpointNotFound();
      const { rows, next } = await listDeliveries(em, account.id, params.id, query.status, after, query.limit);
      return { status: 200, body: { data: rows.map(deliveryView), nextCursor: next ? encodeCursor('webhook-deliveries', next) : null } };
    },
  }),
  defineRoute<undefined, undefined, Params>({
    method: 'get',
    path: '/v1/webhook-deliveries/:id',
    auth: 'account',
    summary: 'A delivery with its attempt log',
    tags: ['webhooks'],
    params: WebhookIdParams,
    responses: { 200: { description: 'the delivery', schema: WebhookDeliveryDetail } },
    errors: [404],
    handler: async ({ ctx, account, params }) => {
      const em = ctx.orm.em.fork();
      const row = isUuid(params.id) ? await findDelivery(em, account.id, params.id) : null;
      if (!row) throw notFound('webhook delivery');
      return { status: 200, body: { ...deliveryView(row), attemptLog: await listAttempts(em, row.id) } };
    },
  }),
  defineRoute<undefined, undefined, Params>({
    method: 'post',
    path: '/v1/webhook-deliveries/:id/redeliver',
    auth: 'account',
    summary: 'A new attempt of the same event to the same endpoint, same webhook-id',
    tags: ['webhooks'],
    params: WebhookIdParams,
    responses: { 202: { description: 'the delivery, pending again', schema: WebhookDelivery } },
    errors: [404, 503],
    handler: async ({ ctx, account, params }) => {
      if (!isUuid(params.id)) throw notFound('webhook delivery');
      return { status: 202, body: deliveryView(await redeliver(ctx, account.id, params.id)) };
    },
  }),
];
