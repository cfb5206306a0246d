import { defineEntity, p } from '@mikro-orm/core';

/** An account's API key; only its SHA-256 hash is stored. */
export const ApiKey = defineEntity({
  name: 'ApiKey',
  tableName: 'api_keys',
  properties: {
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    accountId: p.uuid(),
    keyHash: p.text().unique('api_keys_key_hash_unique'),
    keyPrefix: p.text(),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    revokedAt: p.datetime().nullable(),
  },
});
