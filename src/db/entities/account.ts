import { defineEntity, p } from '@mikro-orm/core';

export const Account = defineEntity({
  name: 'Account',
  tableName: 'accounts',
  properties: {
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    name: p.text(),
    timeZone: p.text().default('UTC'),
    currency: p.text().default('USD'),
    overflow: p.text().default('cap'),
    /** How percentages round: half_up, half_even, down or up. */
    rounding: p.text().default('half_up'),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
