import { defineEntity, p } from '@mikro-orm/core';
import { ACCOUNT_TRIGGERS } from '../report-rollup-triggers';

export const Account = defineEntity({
  name: 'Account',
  tableName: 'accounts',
  triggers: ACCOUNT_TRIGGERS,
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
