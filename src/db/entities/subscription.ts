import { defineEntity, p } from '@mikro-orm/core';

/** One row per billing-system subscription: the row lock that serializes its redemptions and invoices. */
export const Subscription = defineEntity({
  name: 'Subscription',
  tableName: 'subscriptions',
  properties: {
    accountId: p.uuid().primary(),
    id: p.text().primary(),
    customerId: p.text().nullable(),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    status: p.text().default('active'),
    cancelledAt: p.datetime().nullable(),
  },
});
