import { defineEntity, p } from '@mikro-orm/core';

/** A code applied to one subscription, with the coupon terms pinned at that moment. */
export const Redemption = defineEntity({
  name: 'Redemption',
  tableName: 'redemptions',
  properties: {
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    accountId: p.uuid(),
    couponId: p.uuid(),
    couponVersion: p.integer(),
    codeId: p.bigint('number').nullable(),
    code: p.text().nullable(),
    customerId: p.text(),
    subscriptionId: p.text(),
    planId: p.text(),
    action: p.text(),
    status: p.text().default('active'),
    terms: p.json<Record<string, unknown>>(),
    stackable: p.boolean().default(false),
    cyclesApplied: p.integer().default(0),
    anchor: p.datetime().nullable(),
    lastCountedDiscounted: p.boolean().default(false),
    idempotencyKey: p.text().nullable(),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()).onUpdate(() => new Date()),
    endedAt: p.datetime().nullable(),
    endedReason: p.text().nullable(),
    voidedAt: p.datetime().nullable(),
    voidReason: p.text().nullable(),
    channel: p.text().nullable(),
    partner: p.text().nullable(),
    referrerCustomerId: p.text().nullable(),
  },
});

/** The stored outcome of a redemption request, keyed by its idempotency key. */
export const RedemptionRequest = defineEntity({
  name: 'RedemptionRequest',
  tableName: 'redemption_requests',
  properties: {
    accountId: p.uuid().primary(),
    idempotencyKey: p.text().primary(),
    requestHash: p.text(),
    statusCode: p.integer(),
    body: p.json<Record<string, unknown>>(),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
  },
});
