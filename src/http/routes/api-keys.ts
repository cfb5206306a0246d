import { defineRoute, type RouteDef } from '../route';
import type { z } from '../openapi';
import { ListQuery } from '../../contracts/common';
import { ApiKey, ApiKeyCreate, ApiKeyIdParams, ApiKeyPage, ApiKeyRoll, ApiKeyWithSecret } from '../../contracts/api-keys';
import { createApiKey, currentKey, getApiKey, listApiKeys, revokeKey, rollKey } from '../../services/api-keys';

type Params = z.infer<typeof ApiKeyIdParams>;
const tags = ['api keys'];

export const apiKeyRoutes: RouteDef[] = [
  defineRoute<z.infer<typeof ApiKeyCreate>>({
    method: 'post',
    path: '/v1/api-keys',
    auth: 'account',
    scope: 'keys:write',
    summary: 'Create an API key with some of the calling key’s scopes; its secret is shown only in this answer',
    tags,
    body: ApiKeyCreate,
    responses: { 201: { description: 'the key and its secret', schema: ApiKeyWithSecret } },
    handler: async ({ ctx, account, key, caller, body }) => ({ status: 201, body: await createApiKey(ctx, account.id, key!, body, caller!) }),
  }),
  defineRoute<undefined, z.infer<typeof ListQuery>>({
    method: 'get',
    path: '/v1/api-keys',
    auth: 'account',
    scope: 'keys:write',
    summary: 'The account’s API keys that are not revoked, oldest first (never a secret)',
    tags,
    query: ListQuery.strict(),
    responses: { 200: { description: 'a page of keys', schema: ApiKeyPage } },
    handler: async ({ ctx, account, query }) => ({ status: 200, body: await listApiKeys(ctx, account.id, query) }),
  }),
  // before /v1/api-keys/:id, which would otherwise take "current" for an id
  defineRoute({
    method: 'get',
    path: '/v1/api-keys/current',
    auth: 'account',
    scope: 'any',
    summary: 'The calling key (no secret)',
    tags,
    responses: { 200: { description: 'the key', schema: ApiKey } },
    handler: async ({ ctx, account, key }) => ({ status: 200, body: await currentKey(ctx, account.id, key!.id) }),
  }),
  defineRoute<undefined, undefined, Params>({
    method: 'get',
    path: '/v1/api-keys/:id',
    auth: 'account',
    scope: 'keys:write',
    summary: 'One API key (no secret)',
    tags,
    params: ApiKeyIdParams,
    responses: { 200: { description: 'the key', schema: ApiKey } },
    errors: [404],
    handler: async ({ ctx, account, params }) => ({ status: 200, body: await getApiKey(ctx, account.id, params.id) }),
  }),
  defineRoute<undefined, undefined, Params>({
    method: 'delete',
    path: '/v1/api-keys/:id',
    auth: 'account',
    scope: 'keys:write',
    summary: 'Revoke an API key: 401 unauthorized from then on',
    tags,
    params: ApiKeyIdParams,
    responses: { 204: { description: 'revoked' } },
    errors: [404],
    handler: async ({ ctx, account, caller, params }) => {
      await revokeKey(ctx, account.id, params.id, caller!);
      return { status: 204 };
    },
  }),
  defineRoute<z.infer<typeof ApiKeyRoll>, undefined, Params>({
    method: 'post',
    path: '/v1/api-keys/:id/roll',
    auth: 'account',
    scope: 'keys:write',
    summary: 'A new secret for the key; the replaced one keeps working for expiresInSeconds (default 86400, 0: not at all)',
    tags,
    params: ApiKeyIdParams,
    body: ApiKeyRoll,
    bodyOptional: true,
    responses: { 200: { description: 'the key and its new secret', schema: ApiKeyWithSecret } },
    errors: [404],
    handler: async ({ ctx, account, key, caller, params, body }) => ({
      status: 200,
      body: await rollKey(ctx, account.id, key!, params.id, body.expiresInSeconds, caller!),
    }),
  }),
];
