import dns, { type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { ipLiteralOfHost, isPrivateAddress, RESPONSE_LOG_LIMIT_BYTES } from '../domain';

/**
 * The webhook POST. The SSRF guard runs where the connection is made: the agents' `lookup`
 * refuses a host name that resolves to a private address (so a name that changes its answer
 * after creation — DNS rebinding — is caught on the address actually connected to), and an IP
 * literal is checked before connecting. Redirects are never followed.
 */

/**
 * A refused destination. Its message is stored in the delivery's attempt log, which the account
 * reads: it names the host only, never the address the host resolved to (that would tell an
 * account what the service's internal names resolve to).
 */
export class PrivateDestinationError extends Error {
  constructor(host: string) {
    super(`${host} resolves to a private, loopback or link-local address`);
    this.name = 'PrivateDestinationError';
  }
}

function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as LookupAddress[];
      if (!allowPrivate && list.some((a) => isPrivateAddress(a.address))) return callback(new PrivateDestinationError(hostname) as NodeJS.ErrnoException, '', 0);
      if (list.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      callback(null, list[0].address, list[0].family);
    });
  };
}

export interface Agents {
  http: http.Agent;
  https: https.Agent;
  close(): void;
}

/** Keep-alive agents whose every new connection goes through the guard. */
export function createAgents(allowPrivate: boolean): Agents {
  const lookup = guardedLookup(allowPrivate);
  const a = { http: new http.Agent({ keepAlive: true, lookup }), https: new https.Agent({ keepAlive: true, lookup }) };
  return { ...a, close: () => { a.http.destroy(); a.https.destroy(); } };
}

export interface PostResult {
  statusCode: number | null;
  /** The first RESPONSE_LOG_LIMIT_BYTES bytes of the answer's body. */
  body: string | null;
  location?: string;
  retryAfter?: string;
  /** Why no answer was read (connection refused, timeout, private destination). */
  error: string | null;
  durationMs: number;
}

export async function postWebhook(
  agents: Agents,
  url: string,
  headers: Record<string, string>,
  body: string,
  opts: { timeoutMs: number; allowPrivate: boolean },
): Promise<PostResult> {
  const started = performance.now();
  const done = (r: Omit<PostResult, 'durationMs'>): PostResult => ({ ...r, durationMs: Math.round(performance.now() - started) });
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return done({ statusCode: null, body: null, error: 'invalid URL' });
  }
  const literal = ipLiteralOfHost(target.hostname);
  if (literal !== null && !opts.allowPrivate && isPrivateAddress(literal)) {
    return done({ statusCode: null, body: null, error: new PrivateDestinationError(target.hostname).message });
  }
  const secure = target.protocol === 'https:';
  if (!secure && !(opts.allowPrivate && target.protocol === 'http:')) return done({ statusCode: null, body: null, error: 'only https is allowed' });
  return new Promise<PostResult>((resolve) => {
    let settled = false;
    const finish = (r: Omit<PostResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(done(r));
    };
    const req = (secure ? https : http).request(
      target,
      {
        method: 'POST',
        agent: secure ? agents.https : agents.http,
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'Couponflow-Webhooks/1', ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        res.on('data', (c: Buffer) => {
          if (kept < RESPONSE_LOG_LIMIT_BYTES) {
            const part = c.subarray(0, RESPONSE_LOG_LIMIT_BYTES - kept);
            chunks.push(part);
            kept += part.length;
          }
        });
        res.on('end', () =>
          finish({
            statusCode: res.statusCode ?? null,
            body: Buffer.concat(chunks).toString('utf8'),
            location: res.headers.location,
            retryAfter: res.headers['retry-after'],
            error: null,
          }),
        );
        res.on('error', (err) => finish({ statusCode: res.statusCode ?? null, body: null, error: err.message }));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      finish({ statusCode: null, body: null, error: `no complete answer within ${opts.timeoutMs} ms` });
    }, opts.timeoutMs);
    req.on('error', (err) => finish({ statusCode: null, body: null, error: err.message || (err as NodeJS.ErrnoException).code || 'connection failed' }));
    req.end(body);
  });
}
