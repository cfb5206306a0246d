import { defineEntity, p } from '@mikro-orm/core';
import { Account } from './account';
import { Batch } from './batch';
import { Coupon } from './coupon';

/**
 * The rows an expiry or limit sweep can still move. No index of `codes` mentions `times_redeemed` or
 * `held` (as a key, an expression or a predicate), so counting a redemption or a hold is a HOT update.
 */
const SWEEPABLE = "batch_id is null and deleted_at is null and state <> 'archived'";

/** A code customers type. `code` is stored normalized (upper case); live codes are unique per account. */
export const Code = defineEntity({
  name: 'Code',
  tableName: 'codes',
  indexes: [
    { name: 'codes_archived_code_idx', properties: ['accountId', 'code'], where: "state = 'archived'" },
    { name: 'codes_coupon_idx', properties: ['couponId', 'id'] },
    { name: 'codes_batch_idx', properties: ['batchId', 'id'], where: 'batch_id is not null' },
    { name: 'codes_coupon_code_idx', properties: ['couponId', 'code', 'id'], where: 'deleted_at is null' },
    { name: 'codes_expiry_due_idx', properties: ['expiresAt'], where: `expires_at is not null and expired_event_at is null and ${SWEEPABLE}` },
    { name: 'codes_limit_due_idx', properties: ['id'], where: `max_redemptions is not null and exhausted_event_at is null and ${SWEEPABLE}` },
  ],
  uniques: [
    { name: 'codes_live_code_unique', properties: ['accountId', 'code'], where: "deleted_at is null and state <> 'archived'" },
  ],
  properties: {
    id: p.bigint('number').primary().autoincrement().columnType('bigint').generated('by default as identity'),
    accountId: p.manyToOne(Account).mapToPk().fieldName('account_id').foreignKeyName('codes_account_id_fkey').deleteRule('cascade'),
    couponId: p.manyToOne(Coupon).mapToPk().fieldName('coupon_id').foreignKeyName('codes_coupon_id_fkey').deleteRule('cascade'),
    code: p.text(),
    state: p.text().default('active'),
    maxRedemptions: p.integer().nullable(),
    timesRedeemed: p.integer().default(0),
    /** Active holds of the code. */
    held: p.integer().default(0),
    expiresAt: p.datetime().nullable(),
    customerId: p.text().nullable(),
    metadata: p.json<Record<string, unknown>>().nullable(),
    batchId: p.manyToOne(Batch).mapToPk().fieldName('batch_id').nullable().foreignKeyName('codes_batch_id_fkey').deleteRule('cascade'),
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
