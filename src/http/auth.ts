import type { NextFunction, Request, Response } from 'express';
import type { AppContext } from '../context';
import { hashApiKey, safeEqual, type AccountRow } from '../api-keys';

export type { AccountRow };
import { unauthorized } from '../errors';

function bearer(req: Request): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(.+)$/i.exec(h.trim());
  return m ? m[1].trim() : null;
}

export function checkPlatformToken(ctx: AppContext, req: Request): void {
  const token = bearer(req);
  if (!token || !safeEqual(token, ctx.config.platformAdminToken)) throw unauthorized('a valid platform admin token is required');
}

interface CachedKey {
  account: AccountRow;
  apiKeyId: string;
  expires: number;
}

const CACHE_TTL_MS = 5000;
const cache = new Map<string, CachedKey>();

/** Forgets cached accounts (after an account changes in this process). */
export function forgetAccount(accountId: string): void {
  for (const [k, v] of cache) if (v.account.id === accountId) cache.delete(k);
}

/** Resolves an account API key; keys are compared by hash, results cached for a few seconds. */
export async function authenticateAccount(ctx: AppContext, req: Request): Promise<{ account: AccountRow; apiKeyId: string }> {
  const key = bearer(req);
  if (!key) throw unauthorized('an API key is required: Authorization: Bearer <key>');
  const hash = hashApiKey(key);
  const now = Date.now();
  const hit = cache.get(hash);
  if (hit && hit.expires > now) return hit;
  const r = await ctx.orm.em
    .fork()
    .getKysely()
    .selectFrom('api_keys as k')
    .innerJoin('accounts as a', 'a.id', 'k.account_id')
    .select(['k.id as key_id', 'a.id', 'a.name', 'a.time_zone', 'a.currency', 'a.overflow'])
    .where('k.key_hash', '=', hash)
    .where('k.revoked_at', 'is', null)
    .executeTakeFirst();
  if (!r) throw unauthorized('invalid API key');
  const entry: CachedKey = {
    account: { id: r.id, name: r.name, timeZone: r.time_zone, currency: r.currency, overflow: r.overflow },
    apiKeyId: r.key_id,
    expires: now + CACHE_TTL_MS,
  };
  if (cache.size > 10_000) cache.clear();
  cache.set(hash, entry);
  return entry;
}

/** Basic auth for Bull Board. */
export function basicAuth(user: string, password: string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const h = req.headers.authorization ?? '';
    const m = /^Basic\s+(.+)$/i.exec(h);
    if (m) {
      const [u, ...rest] = Buffer.from(m[1], 'base64').toString('utf8').split(':');
      if (safeEqual(u, user) && safeEqual(rest.join(':'), password)) return next();
    }
    res.setHeader('WWW-Authenticate', 'Basic realm="couponflow-admin"');
    res.status(401).json({ error: { code: 'unauthorized', message: 'admin credentials required' } });
  };
}
