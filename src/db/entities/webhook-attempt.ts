import { defineEntity, p } from '@mikro-orm/core';
import { WebhookDelivery } from './webhook-delivery';

/** The attempt log: one row per POST of a delivery (response bodies truncated to 4 KB). */
export const WebhookAttempt = defineEntity({
  name: 'WebhookAttempt',
  tableName: 'webhook_attempts',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    delivery: p.manyToOne(WebhookDelivery).deleteRule('cascade'),
    at: p.datetime(),
    statusCode: p.integer().nullable(),
    error: p.text().nullable(),
    durationMs: p.integer(),
    responseBody: p.text().nullable(),
  },
  indexes: [{ name: 'webhook_attempts_delivery_idx', properties: ['delivery', 'id'] }],
});
