import { defineEntity, p } from '@mikro-orm/core';
import { Account } from './account';
import { Coupon } from './coupon';

export const Batch = defineEntity({
  name: 'Batch',
  tableName: 'batches',
  indexes: [{ name: 'batches_coupon_idx', properties: ['accountId', 'couponId', 'createdAt'] }],
  properties: {
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    accountId: p.manyToOne(Account).mapToPk().fieldName('account_id').foreignKeyName('batches_account_id_fkey').deleteRule('cascade'),
    couponId: p.manyToOne(Coupon).mapToPk().fieldName('coupon_id').foreignKeyName('batches_coupon_id_fkey').deleteRule('cascade'),
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
