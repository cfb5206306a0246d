import { defineEntity, p } from '@mikro-orm/core';

/** A code customers type. `code` is stored normalized (upper case); live codes are unique per account. */
export const Code = defineEntity({
  name: 'Code',
  tableName: 'codes',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    accountId: p.uuid(),
    couponId: p.uuid(),
    code: p.text(),
    state: p.text().default('active'),
    maxRedemptions: p.integer().nullable(),
    timesRedeemed: p.integer().default(0),
    expiresAt: p.datetime().nullable(),
    customerId: p.text().nullable(),
    metadata: p.json<Record<string, unknown>>().nullable(),
    batchId: p.uuid().nullable(),
    expiredEventAt: p.datetime().nullable(),
    exhaustedEventAt: p.datetime().nullable(),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()).onUpdate(() => new Date()),
    deletedAt: p.datetime().nullable(),
    channel: p.text().nullable(),
    partner: p.text().nullable(),
    referrerCustomerId: p.text().nullable(),
  },
});
