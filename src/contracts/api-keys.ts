import { z } from './zod';
import { Instant, page } from './common';
import { API_SCOPES, ROTATION_DEFAULT_SECONDS, ROTATION_MAX_SECONDS } from '../domain';

export const ApiScope = z.enum(API_SCOPES).openapi('ApiScope', {
  description: '`*`: everything; each `:write` includes its `:read`; `redemptions:write` includes `redemptions:validate`',
});

export const ApiKeyCreate = z
  .object({
    name: z.string().trim().min(1).max(200),
    scopes: z.array(ApiScope).min(1).max(API_SCOPES.length).openapi({ description: 'each one the calling key holds (else 403 forbidden)' }),
    expiresAt: Instant.nullish().openapi({ description: 'when the key stops working (absent or null: never)' }),
  })
  .strict()
  .openapi('ApiKeyCreate');

export const ApiKeyRoll = z
  .object({
    expiresInSeconds: z.number().int().min(0).max(ROTATION_MAX_SECONDS).default(ROTATION_DEFAULT_SECONDS).openapi({
      description: 'how long the replaced secret keeps working (0: not at all)',
    }),
  })
  .strict()
  .openapi('ApiKeyRoll');

export const ApiKey = z
  .object({
    id: z.string(),
    name: z.string(),
    scopes: z.array(ApiScope),
    prefix: z.string().openapi({ description: "the secret's first 8 characters", example: 'cf_Ab3dE' }),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    lastUsedAt: z.string().nullable().openapi({ description: 'written at most once a minute' }),
  })
  .openapi('ApiKey');

export const ApiKeyWithSecret = z.object({ apiKey: ApiKey, secret: z.string().openapi({ description: 'shown only in this answer' }) }).openapi('ApiKeyWithSecret');
export const ApiKeyPage = page(ApiKey).openapi('ApiKeyPage');
export const ApiKeyIdParams = z.object({ id: z.string().min(1).max(255) });
