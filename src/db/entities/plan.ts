import { defineEntity, p } from '@mikro-orm/core';
import { Account } from './account';

export const Plan = defineEntity({
  name: 'Plan',
  tableName: 'plans',
  properties: {
    accountId: p.manyToOne(Account).mapToPk().fieldName('account_id').primary().foreignKeyName('plans_account_id_fkey').deleteRule('cascade'),
    id: p.text().primary(),
    name: p.text(),
    kind: p.text(),
    intervalUnit: p.text().nullable(),
    intervalCount: p.integer().nullable(),
    currency: p.text(),
    price: p.bigint('number'),
    family: p.text().nullable(),
    access: p.text().default('open'),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
