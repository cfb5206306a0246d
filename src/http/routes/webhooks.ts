import {
  DeliveryListQuery, RecoverDeliveries, RecoveredDeliveries, RotateSecret, RotatedSecret, WebhookDelivery, WebhookDeliveryDetail, WebhookDeliveryPage, WebhookEndpoint,
  WebhookEndpointCreate, WebhookEndpointCreated, WebhookEndpointPage, WebhookEndpointPatch, WebhookIdParams,
} from '../../contracts/webhooks';
import { ListQuery } from '../../contracts/common';
import {
  createEndpoint, deleteEndpoint, editEndpoint, getEndpoint, listEndpoints, recoverDeliveries, redeliver, rotateEndpointSecret, sendTestEvent,
} from '../../services/webhook-endpoints';
import { getDelivery, listEndpointDeliveries } from '../../services/webhook-deliveries';
import type { z } from '../openapi';
import { defineRoute } from '../route';

type Params = z.infer<typeof WebhookIdParams>;

export const webhookRoutes = [
  defineRoute<z.infer<typeof WebhookEndpointCreate>>({
    method: 'post',
    path: '/v1/webhook-endpoints',
    auth: 'account',
    scope: 'webhooks:write',
    summary: 'Add a webhook endpoint; the signing secret is shown only in this answer',
    tags: ['webhooks'],
    body: WebhookEndpointCreate,
    responses: { 201: { description: 'the endpoint with its secret', schema: WebhookEndpointCreated } },
    handler: async ({ ctx, account, caller, body }) => {
      return { status: 201, body: await createEndpoint(ctx, account.id, body, caller!) };
    },
  }),
  defineRoute<undefined, z.infer<typeof ListQuery>>({
    method: 'get',
    path: '/v1/webhook-endpoints',
    auth: 'account',
    scope: 'webhooks:write',
    summary: 'Webhook endpoints of the account, oldest first',
    tags: ['webhooks'],
    query: ListQuery.strict(),
    responses: { 200: { description: 'a page of endpoints', schema: WebhookEndpointPage } },
    handler: async ({ ctx, account, query }) => ({ status: 200, body: await listEndpoints(ctx, account.id, query) }),
  }),
  defineRoute<undefined, undefined, Params>({
    method: 'get',
    path: '/v1/webhook-endpoints/:id',
    auth: 'account',
    scope: 'webhooks:write',
    summary: 'A webhook endpoint (without its secret)',
    tags: ['webhooks'],
    params: WebhookIdParams,
    responses: { 200: { description: 'the endpoint', schema: WebhookEndpoint } },
    errors: [404],
    handler: async ({ ctx, account, params }) => ({ status: 200, body: await getEndpoint(ctx, account.id, params.id) }),
  }),
  defineRoute<z.infer<typeof WebhookEndpointPatch>, undefined, Params>({
    method: 'patch',
    path: '/v1/webhook-endpoints/:id',
    auth: 'account',
    scope: 'webhooks:write',
    summary: 'Edit an endpoint; disabled endpoints get no deliveries for events that occur while disabled',
    tags: ['webhooks'],
    params: WebhookIdParams,
    body: WebhookEndpointPatch,
    responses: { 200: { description: 'the endpoint', schema: WebhookEndpoint } },
    errors: [404],
    handler: async ({ ctx, account, caller, params, body }) => {
      return { status: 200, body: await editEndpoint(ctx, account.id, params.id, body, caller!) };
    },
  }),
  defineRoute<undefined, undefined, Params>({
    method: 'delete',
    path: '/v1/webhook-endpoints/:id',
    auth: 'account',
    scope: 'webhooks:write',
    summary: 'Delete an endpoint with its deliveries',
    tags: ['webhooks'],
    params: WebhookIdParams,
    responses: { 204: { description: 'deleted' } },
    errors: [404],
    handler: async ({ ctx, account, caller, params }) => {
      await deleteEndpoint(ctx, account.id, params.id, caller!);
      return { status: 204 };
    },
  }),
  defineRoute<z.infer<typeof RotateSecret>, undefined, Params>({
    method: 'post',
    path: '/v1/webhook-endpoints/:id/rotate-secret',
    auth: 'account',
    scope: 'webhooks:write',
    summary: 'A new signing secret; until the old one expires, deliveries carry both signatures',
    tags: ['webhooks'],
    params: WebhookIdParams,
    body: RotateSecret,
    bodyOptional: true,
    responses: { 200: { description: 'the new secret (shown only here)', schema: RotatedSecret } },
    errors: [404],
    handler: async ({ ctx, account, caller, params, body }) => {
      return { status: 200, body: { secret: await rotateEndpointSecret(ctx, account.id, params.id, body.expiresInSeconds, caller!) } };
    },
  }),
  defineRoute<undefined, undefined, Params>({
    method: 'post',
    path: '/v1/webhook-endpoints/:id/test',
    auth: 'account',
    scope: 'webhooks:write',
    summary: 'Send a webhook.test event to this endpoint only (not an account event)',
    tags: ['webhooks'],
    params: WebhookIdParams,
    responses: { 202: { description: 'the test delivery, queued', schema: WebhookDelivery } },
    errors: [404, 503],
    handler: async ({ ctx, account, params }) => {
      return { status: 202, body: await sendTestEvent(ctx, account.id, params.id) };
    },
  }),
  defineRoute<z.infer<typeof RecoverDeliveries>, undefined, Params>({
    method: 'post',
    path: '/v1/webhook-endpoints/:id/recover',
    auth: 'account',
    scope: 'webhooks:write',
    summary: 'After a receiver’s outage: send again every failed delivery of the endpoint whose event occurred at or after `since` (same webhook-id)',
    tags: ['webhooks'],
    params: WebhookIdParams,
    body: RecoverDeliveries,
    responses: { 202: { description: 'how many failed deliveries were queued again', schema: RecoveredDeliveries } },
    errors: [404, 503],
    handler: async ({ ctx, account, params, body }) => ({ status: 202, body: await recoverDeliveries(ctx, account.id, params.id, body.since) }),
  }),
  defineRoute<undefined, z.infer<typeof DeliveryListQuery>, Params>({
    method: 'get',
    path: '/v1/webhook-endpoints/:id/deliveries',
    auth: 'account',
    scope: 'webhooks:write',
    summary: "An endpoint's deliveries, newest first",
    tags: ['webhooks'],
    params: WebhookIdParams,
    query: DeliveryListQuery,
    responses: { 200: { description: 'a page of deliveries', schema: WebhookDeliveryPage } },
    errors: [404],
    handler: async ({ ctx, account, params, query }) => ({ status: 200, body: await listEndpointDeliveries(ctx, account.id, params.id, query) }),
  }),
  defineRoute<undefined, undefined, Params>({
    method: 'get',
    path: '/v1/webhook-deliveries/:id',
    auth: 'account',
    scope: 'webhooks:write',
    summary: 'A delivery with its attempt log',
    tags: ['webhooks'],
    params: WebhookIdParams,
    responses: { 200: { description: 'the delivery', schema: WebhookDeliveryDetail } },
    errors: [404],
    handler: async ({ ctx, account, params }) => ({ status: 200, body: await getDelivery(ctx, account.id, params.id) }),
  }),
  defineRoute<undefined, undefined, Params>({
    method: 'post',
    path: '/v1/webhook-deliveries/:id/redeliver',
    auth: 'account',
    scope: 'webhooks:write',
    summary: 'A new attempt of the same event to the same endpoint, same webhook-id',
    tags: ['webhooks'],
    params: WebhookIdParams,
    responses: { 202: { description: 'the delivery, pending again', schema: WebhookDelivery } },
    errors: [404, 503],
    handler: async ({ ctx, account, params }) => {
      return { status: 202, body: await redeliver(ctx, account.id, params.id) };
    },
  }),
];
