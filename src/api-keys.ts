import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface AccountRow {
  id: string;
  name: string;
  timeZone: string;
  currency: string;
  overflow: string;
  /** How percentages round (half_up, half_even, down, up); pinned in each redemption's terms. */
  rounding: string;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function generateApiKey(): string {
  return 'cf_' + randomBytes(24).toString('base64url');
}

export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}
