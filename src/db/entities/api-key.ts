import { defineEntity, p } from '@mikro-orm/core';
import { Account } from './account';

/**
 * An account's API key with its scopes; only SHA-256 hashes of secrets are stored. After a roll,
 * `previousKeyHash` is the replaced secret's hash, valid until `previousKeyExpiresAt`.
 */
export const ApiKey = defineEntity({
  name: 'ApiKey',
  tableName: 'api_keys',
  indexes: [
    { name: 'api_keys_account_idx', properties: ['accountId'] },
    { name: 'api_keys_previous_key_hash_idx', properties: ['previousKeyHash'], where: 'previous_key_hash is not null' },
  ],
  properties: {
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    accountId: p.manyToOne(Account).mapToPk().fieldName('account_id').foreignKeyName('api_keys_account_id_fkey').deleteRule('cascade'),
    keyHash: p.text().unique('api_keys_key_hash_unique'),
    keyPrefix: p.text(),
    name: p.text(),
    scopes: p.array(),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    expiresAt: p.datetime().nullable(),
    lastUsedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
    previousKeyHash: p.text().nullable(),
    previousKeyExpiresAt: p.datetime().nullable(),
  },
});
