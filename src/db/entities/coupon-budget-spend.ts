import { defineEntity, p } from '@mikro-orm/core';
import { Account } from './account';
import { Coupon } from './coupon';

/**
 * What invoices took from a coupon's budget in one period and currency (`period` day, week,
 * month, or life with `period_start` 1970-01-01). Invoices lock the row in their transaction
 * before they compute, so concurrent invoices never pass the budget; `exhausted_event_at` marks
 * the period's one `coupon.budget_exhausted`. Keyed by coupon then period start, so the latest
 * period of a coupon is one index probe.
 */
export const CouponBudgetSpend = defineEntity({
  name: 'CouponBudgetSpend',
  tableName: 'coupon_budget_spend',
  properties: {
    couponId: p.manyToOne(Coupon).mapToPk().fieldName('coupon_id').primary().foreignKeyName('coupon_budget_spend_coupon_id_fkey').deleteRule('cascade'),
    periodStart: p.datetime().primary(),
    currency: p.text().primary(),
    period: p.text().primary(),
    accountId: p.manyToOne(Account).mapToPk().fieldName('account_id').foreignKeyName('coupon_budget_spend_account_id_fkey').deleteRule('cascade'),
    spent: p.bigint('number').default(0),
    exhaustedEventAt: p.datetime().nullable(),
    updatedAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
