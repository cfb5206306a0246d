import { defineEntity, p } from '@mikro-orm/core';

/** Append-only: one row per state change, written in the change's own transaction. */
export const Event = defineEntity({
  name: 'Event',
  tableName: 'events',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    accountId: p.uuid(),
    type: p.text(),
    data: p.json<Record<string, unknown>>(),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
  },
});
