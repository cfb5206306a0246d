import { defineEntity, p } from '@mikro-orm/core';
import { Account } from './account';
import { Code } from './code';
import { Coupon } from './coupon';
import { REDEMPTION_TRIGGERS } from '../report-rollup-triggers';

/** A code applied to one subscription, with the coupon terms pinned at that moment. */
export const Redemption = defineEntity({
  name: 'Redemption',
  tableName: 'redemptions',
  triggers: REDEMPTION_TRIGGERS,
  indexes: [
    { name: 'redemptions_subscription_idx', properties: ['subscriptionId', 'accountId', 'createdAt'] },
    { name: 'redemptions_customer_idx', properties: ['customerId', 'accountId', 'couponId'] },
    { name: 'redemptions_coupon_customer_idx', properties: ['couponId', 'customerId', 'status'] },
    { name: 'redemptions_code_customer_idx', properties: ['codeId', 'customerId', 'status'] },
    { name: 'redemptions_window_active_idx', properties: ['id'], where: "status = 'active' and (terms->'duration'->>'type') in ('months', 'until')" },
  ],
  properties: {
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    accountId: p.manyToOne(Account).mapToPk().fieldName('account_id').foreignKeyName('redemptions_account_id_fkey').deleteRule('cascade'),
    couponId: p.manyToOne(Coupon).mapToPk().fieldName('coupon_id').foreignKeyName('redemptions_coupon_id_fkey'),
    couponVersion: p.integer(),
    // nullable since direct coupon redemptions carry no code; deleting a code is still refused
    codeId: p.manyToOne(Code).mapToPk().fieldName('code_id').nullable().foreignKeyName('redemptions_code_id_fkey').deleteRule('no action'),
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
    accountId: p.manyToOne(Account).mapToPk().fieldName('account_id').primary().foreignKeyName('redemption_requests_account_id_fkey').deleteRule('cascade'),
    idempotencyKey: p.text().primary(),
    requestHash: p.text(),
    body: p.json<Record<string, unknown>>(),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
  },
});
