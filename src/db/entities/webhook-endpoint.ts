import { defineEntity, p } from '@mikro-orm/core';
import { Account } from './account';

/** Where an account's events are pushed; `sinceEventId`: only events with a larger id are delivered (creation or last re-enable). */
export const WebhookEndpoint = defineEntity({
  name: 'WebhookEndpoint',
  tableName: 'webhook_endpoints',
  properties: {
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    account: p.manyToOne(Account).deleteRule('cascade'),
    url: p.text(),
    eventTypes: p.array().defaultRaw(`'{}'`),
    description: p.text().nullable(),
    status: p.text().default('enabled'),
    secret: p.text(),
    previousSecret: p.text().nullable(),
    previousSecretExpiresAt: p.datetime().nullable(),
    sinceEventId: p.bigint('string'),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()).onUpdate(() => new Date()),
  },
  indexes: [{ name: 'webhook_endpoints_account_idx', properties: ['account', 'createdAt', 'id'] }],
});
