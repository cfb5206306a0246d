import { defineEntity, p } from '@mikro-orm/core';

/** A coupon's definition. `state` is the stored lifecycle state; the shown status is derived at read time. */
export const Coupon = defineEntity({
  name: 'Coupon',
  tableName: 'coupons',
  properties: {
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    accountId: p.uuid(),
    name: p.text(),
    description: p.text().nullable(),
    state: p.text(),
    discount: p.json<Record<string, unknown>>(),
    duration: p.json<Record<string, unknown>>(),
    appliesTo: p.json<Record<string, unknown>>(),
    eligibility: p.json<Record<string, unknown>>(),
    overflow: p.text(),
    stackable: p.boolean().default(false),
    maxRedemptions: p.integer().nullable(),
    perCustomer: p.integer().nullable(),
    validFrom: p.datetime().nullable(),
    expiresAt: p.datetime().nullable(),
    expiresOn: p.text().nullable(),
    expiresAfterDays: p.integer().nullable(),
    timeZone: p.text(),
    timesRedeemed: p.integer().default(0),
    version: p.integer().default(1),
    metadata: p.json<Record<string, unknown>>().nullable(),
    expiredEventAt: p.datetime().nullable(),
    exhaustedEventAt: p.datetime().nullable(),
    nearlyExhaustedEventAt: p.datetime().nullable(),
    grantsAccess: p.boolean().default(false),
    channel: p.text().nullable(),
    partner: p.text().nullable(),
    referrerCustomerId: p.text().nullable(),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});

export const CouponVersion = defineEntity({
  name: 'CouponVersion',
  tableName: 'coupon_versions',
  properties: {
    couponId: p.uuid().primary(),
    version: p.integer().primary(),
    snapshot: p.json<Record<string, unknown>>(),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
  },
});
