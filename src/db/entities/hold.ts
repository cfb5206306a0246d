import { defineEntity, p } from '@mikro-orm/core';
import { Account } from './account';
import { Code } from './code';
import { Coupon } from './coupon';

/**
 * A hold: one use of a code (or a direct coupon) reserved for one customer until `expiresAt`.
 * While `status` is `active` it is counted in its coupon's and code's `held`, and against the
 * customer's perCustomer (holds_customer_active_idx); `consumed` (by the redemption
 * `redemption_id`), `released` and `expired` free it.
 */
export const Hold = defineEntity({
  name: 'Hold',
  tableName: 'holds',
  indexes: [
    { name: 'holds_customer_active_idx', properties: ['couponId', 'customerId'], where: "status = 'active'" },
    { name: 'holds_expiry_due_idx', properties: ['expiresAt'], where: "status = 'active'" },
  ],
  properties: {
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    accountId: p.manyToOne(Account).mapToPk().fieldName('account_id').foreignKeyName('holds_account_id_fkey').deleteRule('cascade'),
    couponId: p.manyToOne(Coupon).mapToPk().fieldName('coupon_id').foreignKeyName('holds_coupon_id_fkey').deleteRule('cascade'),
    codeId: p.manyToOne(Code).mapToPk().fieldName('code_id').nullable().foreignKeyName('holds_code_id_fkey').deleteRule('cascade'),
    code: p.text().nullable(),
    customerId: p.text(),
    planId: p.text().nullable(),
    currency: p.text().nullable(),
    action: p.text(),
    status: p.text().default('active'),
    expiresAt: p.datetime(),
    redemptionId: p.uuid().nullable(),
    idempotencyKey: p.text().nullable(),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()).onUpdate(() => new Date()),
    endedAt: p.datetime().nullable(),
  },
});

/** The stored outcome of a hold request, keyed by its idempotency key (a key space of its own). */
export const HoldRequest = defineEntity({
  name: 'HoldRequest',
  tableName: 'hold_requests',
  properties: {
    accountId: p.manyToOne(Account).mapToPk().fieldName('account_id').primary().foreignKeyName('hold_requests_account_id_fkey').deleteRule('cascade'),
    idempotencyKey: p.text().primary(),
    requestHash: p.text(),
    body: p.json<Record<string, unknown>>(),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
  },
});
