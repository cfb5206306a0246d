import { defineEntity, p } from '@mikro-orm/core';
import { Account } from './account';

export const Customer = defineEntity({
  name: 'Customer',
  tableName: 'customers',
  properties: {
    accountId: p.manyToOne(Account).mapToPk().fieldName('account_id').primary().foreignKeyName('customers_account_id_fkey').deleteRule('cascade'),
    id: p.text().primary(),
    email: p.text().nullable(),
    country: p.text().nullable(),
    region: p.text().nullable(),
    postalCode: p.text().nullable(),
    hasPaidSubscription: p.boolean().default(false),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
