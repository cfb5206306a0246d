import { defineEntity, p } from '@mikro-orm/core';
import { Account } from './account';
import { Event } from './event';
import { WebhookEndpoint } from './webhook-endpoint';

/**
 * One (event, endpoint) pair, created once by the relay (unique index), or one `webhook.test`
 * (no event; its body is in `payload`). `messageId` is the `webhook-id` every attempt carries.
 */
export const WebhookDelivery = defineEntity({
  name: 'WebhookDelivery',
  tableName: 'webhook_deliveries',
  properties: {
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    account: p.manyToOne(Account).deleteRule('cascade'),
    endpoint: p.manyToOne(WebhookEndpoint).deleteRule('cascade'),
    event: p.manyToOne(Event).deleteRule('cascade').nullable(),
    messageId: p.text(),
    eventType: p.text(),
    payload: p.json<Record<string, unknown>>().nullable(),
    status: p.text().default('pending'),
    attempts: p.integer().default(0),
    attemptsAllowed: p.integer(),
    round: p.integer().default(0),
    lastStatusCode: p.integer().nullable(),
    lastError: p.text().nullable(),
    nextAttemptAt: p.datetime().nullable(),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()).onUpdate(() => new Date()),
    deliveredAt: p.datetime().nullable(),
  },
  uniques: [{ name: 'webhook_deliveries_event_endpoint_key', properties: ['event', 'endpoint'] }],
  indexes: [
    { name: 'webhook_deliveries_endpoint_idx', properties: ['endpoint', 'createdAt', 'id'] },
    { name: 'webhook_deliveries_pending_idx', properties: ['nextAttemptAt'], where: { status: 'pending' } },
  ],
});
