import type { NextFunction, Request, Response } from 'express';
import type { AppContext } from '../context';
import { safeEqual, type AccountRow } from '../api-keys';
import { unauthorized } from '../errors';
import { authenticateKey, type CallingKey } from '../services/api-keys';

export type { AccountRow, CallingKey };

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

/** Resolves an account API key (401 when it names no live key); see authenticateKey. */
export async function authenticateAccount(ctx: AppContext, req: Request): Promise<{ account: AccountRow; key: CallingKey }> {
  const secret = bearer(req);
  if (!secret) throw unauthorized('an API key is required: Authorization: Bearer <key>');
  return authenticateKey(ctx, secret);
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
