import { defineEntity, p } from '@mikro-orm/core';

/** The relay's cursor (one row, id 1): every event up to `lastEventId` has its deliveries. */
export const WebhookRelay = defineEntity({
  name: 'WebhookRelay',
  tableName: 'webhook_relay',
  properties: {
    id: p.integer().primary().autoincrement(false),
    lastEventId: p.bigint('string'),
  },
});
