import { defineEntity, p } from '@mikro-orm/core';

export const Plan = defineEntity({
  name: 'Plan',
  tableName: 'plans',
  properties: {
    accountId: p.uuid().primary(),
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
