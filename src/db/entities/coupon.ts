import { defineEntity, p } from '@mikro-orm/core';
import { Account } from './account';

/** A coupon's definition. `state` is the stored lifecycle state; the shown status is derived at read time. */
export const Coupon = defineEntity({
  name: 'Coupon',
  tableName: 'coupons',
  indexes: [
    { name: 'coupons_account_idx', properties: ['accountId', 'createdAt', 'id'] },
    { name: 'coupons_expires_idx', properties: ['expiresAt'], where: "expired_event_at is null and state <> 'archived'" },
    {
      name: 'coupons_limit_due_idx',
      properties: ['id'],
      where: "max_redemptions is not null and state <> 'archived' and (exhausted_event_at is null or nearly_exhausted_event_at is null)",
    },
    {
      // the coupon list sorted by name (GET /v1/coupons?sort=name): an expression index, matched by name only
      name: 'coupons_account_name_idx',
      expression: (columns, table, indexName) => `create index "${indexName}" on ${table} (${columns.accountId}, lower(${columns.name}), ${columns.id})`,
    },
  ],
  uniques: [
    {
      // names are unique per account regardless of case among live coupons: an expression index,
      // which the schema comparison matches by name only
      name: 'coupons_live_name_unique',
      expression: (columns, table, indexName) =>
        `create unique index "${indexName}" on ${table} (${columns.accountId}, lower(${columns.name})) where ${columns.state} <> 'archived'`,
    },
  ],
  properties: {
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    accountId: p.manyToOne(Account).mapToPk().fieldName('account_id').foreignKeyName('coupons_account_id_fkey').deleteRule('cascade'),
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
    /** Active holds (each takes a slot of maxRedemptions until consumed, released or expired). */
    held: p.integer().default(0),
    /** limits.budget: {amounts, period} or null. */
    budget: p.json<Record<string, unknown>>().nullable(),
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
    couponId: p.manyToOne(Coupon).mapToPk().fieldName('coupon_id').primary().foreignKeyName('coupon_versions_coupon_id_fkey').deleteRule('cascade'),
    version: p.integer().primary(),
    snapshot: p.json<Record<string, unknown>>(),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
  },
});
