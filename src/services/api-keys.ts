import type { AppContext } from '../context';
import type { Em } from '../db/orm';
import { generateApiKey, hashApiKey, type AccountRow } from '../api-keys';
import { decodeCursorOf, encodeCursor } from '../cursor';
import { recordChange, type Caller } from './audit-log';
import { firstScopeNotGranted, type ApiScope } from '../domain';
import { badRequest, forbidden, notFound, unauthorized } from '../errors';
import { errorFields } from '../logger';
import { isDatabaseUnavailable } from '../faults';
import {
  findApiKey, findKeyBySecretHash, insertApiKey, listApiKeys as listKeyRows, replaceKeySecret, revokeApiKey, touchApiKey, type ApiKeyRow,
} from '../repositories/api-keys';
import { isUuid } from '../ids';

/**
 * API keys: who calls, with which scopes. Secrets are shown once (at creation and at a roll)
 * and stored only as SHA-256 hashes; `prefix` is a secret's first PREFIX_LENGTH characters.
 */

export const PREFIX_LENGTH = 8;
/** lastUsedAt is written at most once per key in this many seconds. */
export const LAST_USED_EVERY_SECONDS = 60;
/** How long this process trusts what it read about a secret (revocations in this process apply at once). */
const CACHE_TTL_MS = 5000;

/** The key a request authenticated with. */
export interface CallingKey {
  id: string;
  name: string;
  scopes: string[];
}

/** A key as the API shows it (never its secret). */
export interface ApiKeyView {
  id: string;
  name: string;
  scopes: string[];
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

/** A key as its audit records show it: never its secret, nor the prefix of one. */
export function apiKeyAudit(k: ApiKeyRow): Record<string, unknown> {
  return { name: k.name, scopes: k.scopes, expiresAt: k.expiresAt };
}

const keyTarget = (id: string) => ({ type: 'api_key' as const, id });

export function apiKeyView(k: ApiKeyRow): ApiKeyView {
  return { id: k.id, name: k.name, scopes: k.scopes, prefix: k.prefix, createdAt: k.createdAt, expiresAt: k.expiresAt, lastUsedAt: k.lastUsedAt };
}

interface CachedKey {
  account: AccountRow;
  key: CallingKey;
  expiresAt: string | null;
  replacedSecretUntil: string | null;
  cachedUntil: number;
}

const cache = new Map<string, CachedKey>();
/** When this process last wrote each key's lastUsedAt (epoch ms of the context's clock). */
const lastTouched = new Map<string, number>();

/** Forgets what this process cached about an account's keys (after the account or a key changes). */
export function forgetAccount(accountId: string): void {
  for (const [k, v] of cache) if (v.account.id === accountId) cache.delete(k);
}

function forgetKey(keyId: string): void {
  for (const [k, v] of cache) if (v.key.id === keyId) cache.delete(k);
}

/** lastUsedAt writes still running, by key: GET /v1/api-keys/current waits for its own. */
const touching = new Map<string, Promise<void>>();

/**
 * Writes lastUsedAt when this process has not in the last minute (and the database agrees), off
 * the request's path: the request does not wait for it, and a failed write is dropped (a
 * connection error silently: an outage is logged once elsewhere).
 */
function noteUse(ctx: AppContext, keyId: string, now: string): void {
  const at = Date.parse(now);
  const last = lastTouched.get(keyId);
  if (last !== undefined && at - last < LAST_USED_EVERY_SECONDS * 1000 && at >= last) return;
  if (lastTouched.size > 10_000) lastTouched.clear();
  lastTouched.set(keyId, at);
  const write = touchApiKey(ctx.orm.em.fork(), keyId, now, LAST_USED_EVERY_SECONDS)
    .catch((err: unknown) => {
      if (!isDatabaseUnavailable(err)) ctx.logger.warn('API key lastUsedAt not written', { keyId, ...errorFields(err) });
    })
    .finally(() => {
      if (touching.get(keyId) === write) touching.delete(keyId);
    });
  touching.set(keyId, write);
}

/**
 * The account and key of a secret; 401 when it names no live key, or the key or this secret
 * (replaced by a roll) has expired. What was read is cached for a few seconds per process.
 */
export async function authenticateKey(ctx: AppContext, secret: string): Promise<{ account: AccountRow; key: CallingKey }> {
  const hash = hashApiKey(secret);
  let entry = cache.get(hash);
  if (!entry || entry.cachedUntil <= Date.now()) {
    cache.delete(hash);
    const found = await findKeyBySecretHash(ctx.orm.em.fork(), hash);
    if (!found) throw unauthorized('invalid API key');
    entry = {
      account: found.account,
      key: { id: found.key.id, name: found.key.name, scopes: found.key.scopes },
      expiresAt: found.key.expiresAt,
      replacedSecretUntil: found.replacedSecretUntil,
      cachedUntil: Date.now() + CACHE_TTL_MS,
    };
    if (cache.size > 10_000) cache.clear();
    cache.set(hash, entry);
  }
  const now = ctx.clock.now();
  if (entry.expiresAt !== null && Date.parse(now) >= Date.parse(entry.expiresAt)) throw unauthorized('the API key has expired');
  if (entry.replacedSecretUntil !== null && Date.parse(now) >= Date.parse(entry.replacedSecretUntil)) throw unauthorized('invalid API key');
  noteUse(ctx, entry.key.id, now);
  return { account: entry.account, key: entry.key };
}

function newSecret(): { secret: string; keyHash: string; prefix: string } {
  const secret = generateApiKey();
  return { secret, keyHash: hashApiKey(secret), prefix: secret.slice(0, PREFIX_LENGTH) };
}

/** Inserts a key with a new secret in the caller's transaction; answers the row and the secret (to show once). */
export async function insertKeyWithSecret(
  tx: Em,
  k: { accountId: string; name: string; scopes: string[]; expiresAt: string | null },
  now: string,
): Promise<{ row: ApiKeyRow; secret: string }> {
  const s = newSecret();
  const row = await insertApiKey(tx, { ...k, keyHash: s.keyHash, prefix: s.prefix, createdAt: now });
  return { row, secret: s.secret };
}

/**
 * POST /v1/api-keys: a key with the asked scopes (deduplicated, in the order given), each of
 * which the calling key must hold (403 naming the first it lacks); an expiry must be in the future.
 */
export async function createApiKey(
  ctx: AppContext,
  accountId: string,
  key: CallingKey,
  input: { name: string; scopes: ApiScope[]; expiresAt?: string | null },
  caller: Caller,
): Promise<{ apiKey: ApiKeyView; secret: string }> {
  const scopes = [...new Set(input.scopes)];
  const missing = firstScopeNotGranted(key.scopes, scopes);
  if (missing !== null) throw forbidden(missing, `scopes: this key lacks ${missing}, and a key cannot give a scope it lacks`);
  const now = ctx.clock.now();
  const expiresAt = input.expiresAt ? new Date(input.expiresAt).toISOString() : null;
  if (expiresAt !== null && Date.parse(expiresAt) <= Date.parse(now)) throw badRequest('expiresAt: must be in the future', 'expiresAt');
  return ctx.orm.em.fork().transactional(async (tx) => {
    const { row, secret } = await insertKeyWithSecret(tx, { accountId, name: input.name, scopes, expiresAt }, now);
    await recordChange(tx, accountId, caller, now, { action: 'api_key.created', target: keyTarget(row.id), before: null, after: apiKeyAudit(row) });
    return { apiKey: apiKeyView(row), secret };
  });
}

/** GET /v1/api-keys: the account's keys that are not revoked, oldest first, without secrets. */
export async function listApiKeys(ctx: AppContext, accountId: string, query: { limit: number; cursor?: string }) {
  const after = query.cursor === undefined ? null : (decodeCursorOf(query.cursor, 'api-keys', ['timestamp', 'uuid']) as [string, string]);
  const { rows, next } = await listKeyRows(ctx.orm.em.fork(), accountId, after, query.limit);
  return { data: rows.map(apiKeyView), nextCursor: next ? encodeCursor('api-keys', next) : null };
}

/** GET /v1/api-keys/{id} (a revoked key is 404). */
export async function getApiKey(ctx: AppContext, accountId: string, id: string): Promise<ApiKeyView> {
  const row = isUuid(id) ? await findApiKey(ctx.orm.em.fork(), accountId, id) : null;
  if (!row) throw notFound('API key');
  return apiKeyView(row);
}

/** DELETE /v1/api-keys/{id}: revoked, answered 401 from then on (by other API processes within CACHE_TTL_MS). */
export async function revokeKey(ctx: AppContext, accountId: string, id: string, caller: Caller): Promise<void> {
  const now = ctx.clock.now();
  await ctx.orm.em.fork().transactional(async (tx) => {
    const row = isUuid(id) ? await findApiKey(tx, accountId, id, { lock: true }) : null;
    if (!row) throw notFound('API key');
    await revokeApiKey(tx, row.id, now);
    await recordChange(tx, accountId, caller, now, { action: 'api_key.revoked', target: keyTarget(row.id) });
  });
  forgetKey(id);
}

/**
 * POST /v1/api-keys/{id}/roll: a new secret; the one it replaces keeps working for
 * `expiresInSeconds` (0: not at all). A roll hands the key's powers to the caller, so the caller
 * must hold every scope of the key (403 naming the first it lacks).
 */
export async function rollKey(
  ctx: AppContext,
  accountId: string,
  key: CallingKey,
  id: string,
  expiresInSeconds: number,
  caller: Caller,
): Promise<{ apiKey: ApiKeyView; secret: string }> {
  const now = ctx.clock.now();
  const rolled = await ctx.orm.em.fork().transactional(async (tx) => {
    const row = isUuid(id) ? await findApiKey(tx, accountId, id, { lock: true }) : null;
    if (!row) throw notFound('API key');
    const missing = firstScopeNotGranted(key.scopes, row.scopes);
    if (missing !== null) throw forbidden(missing, `this key lacks ${missing}, which the key to roll holds`);
    const s = newSecret();
    const replacedUntil = expiresInSeconds > 0 ? new Date(Date.parse(now) + expiresInSeconds * 1000).toISOString() : null;
    await replaceKeySecret(tx, row.id, { keyHash: s.keyHash, prefix: s.prefix, replacedUntil });
    await recordChange(tx, accountId, caller, now, { action: 'api_key.rolled', target: keyTarget(row.id) });
    return { apiKey: apiKeyView({ ...row, prefix: s.prefix }), secret: s.secret };
  });
  forgetKey(id);
  return rolled;
}

/** GET /v1/api-keys/current: the calling key as stored now. */
export async function currentKey(ctx: AppContext, accountId: string, keyId: string): Promise<ApiKeyView> {
  await touching.get(keyId);
  const row = await findApiKey(ctx.orm.em.fork(), accountId, keyId);
  if (!row) throw unauthorized('invalid API key');
  return apiKeyView(row);
}
