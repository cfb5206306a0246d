import { defineEntity, p } from '@mikro-orm/core';

export const Batch = defineEntity({
  name: 'Batch',
  tableName: 'batches',
  properties: {
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    accountId: p.uuid(),
    couponId: p.uuid(),
    status: p.text().default('queued'),
    count: p.integer(),
    generated: p.integer().default(0),
    spec: p.json<Record<string, unknown>>(),
    maxRedemptionsPerCode: p.integer().nullable(),
    expiresAt: p.datetime().nullable(),
    error: p.text().nullable(),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()).onUpdate(() => new Date()),
    completedAt: p.datetime().nullable(),
    channel: p.text().nullable(),
    partner: p.text().nullable(),
    referrerCustomerId: p.text().nullable(),
  },
});
