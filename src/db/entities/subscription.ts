import { defineEntity, p } from '@mikro-orm/core';
import { Account } from './account';

/** One row per billing-system subscription: the row lock that serializes its redemptions and invoices. */
export const Subscription = defineEntity({
  name: 'Subscription',
  tableName: 'subscriptions',
  properties: {
    accountId: p.manyToOne(Account).mapToPk().fieldName('account_id').primary().foreignKeyName('subscriptions_account_id_fkey').deleteRule('cascade'),
    id: p.text().primary(),
    customerId: p.text().nullable(),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    status: p.text().default('active'),
    cancelledAt: p.datetime().nullable(),
  },
});
