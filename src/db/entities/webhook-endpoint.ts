import { defineEntity, p } from '@mikro-orm/core';
import { Account } from './account';

/**
 * Where an account's events are pushed. `enabledEventIds` (an int8multirange) holds the ids of the
 * events that occur while it is enabled, one range per enabled span (from creation or a re-enable
 * to a disable, the last one open while enabled): the relay delivers exactly those events.
 */
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
    enabledEventIds: p.string().columnType('int8multirange'),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()).onUpdate(() => new Date()),
  },
  indexes: [{ name: 'webhook_endpoints_account_idx', properties: ['account', 'createdAt', 'id'] }],
});
