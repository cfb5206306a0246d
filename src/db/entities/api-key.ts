import { defineEntity, p } from '@mikro-orm/core';
import { Account } from './account';

/** An account's API key; only its SHA-256 hash is stored. */
export const ApiKey = defineEntity({
  name: 'ApiKey',
  tableName: 'api_keys',
  indexes: [{ name: 'api_keys_account_idx', properties: ['accountId'] }],
  properties: {
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    accountId: p.manyToOne(Account).mapToPk().fieldName('account_id').foreignKeyName('api_keys_account_id_fkey').deleteRule('cascade'),
    keyHash: p.text().unique('api_keys_key_hash_unique'),
    keyPrefix: p.text(),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    revokedAt: p.datetime().nullable(),
  },
});
