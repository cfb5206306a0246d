import { randomBytes } from 'node:crypto';
import AxeBuilder from '@axe-core/playwright';
import { test as base, expect, type Page } from '@playwright/test';

export { expect };

export interface Account {
  id: string;
  apiKey: string;
  /** Calls the /v1 API with the account's key; throws on an unexpected status. */
  api<T = unknown>(method: string, path: string, body?: unknown, expectStatus?: number): Promise<T>;
}

export const baseUrl = () => process.env.CONSOLE_URL!;

/** Creates an account through the platform route (each test gets its own, so lists start empty). */
export async function createAccount(body: Record<string, unknown> = {}): Promise<Account> {
  const res = await fetch(`${baseUrl()}/v1/accounts`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${process.env.PLATFORM_TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: `Acme ${randomBytes(2).toString('hex')}`, timeZone: 'America/New_York', currency: 'USD', ...body }),
  });
  if (res.status !== 201) throw new Error(`account: ${res.status} ${await res.text()}`);
  const { account, apiKey } = (await res.json()) as { account: { id: string }; apiKey: string };
  return {
    id: account.id,
    apiKey,
    async api<T>(method: string, path: string, payload?: unknown, expectStatus?: number): Promise<T> {
      const r = await fetch(`${baseUrl()}${path}`, {
        method,
        headers: { Authorization: `Bearer ${apiKey}`, ...(payload === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: payload === undefined ? undefined : JSON.stringify(payload),
      });
      const text = await r.text();
      if (expectStatus !== undefined ? r.status !== expectStatus : r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${text}`);
      return (text ? JSON.parse(text) : undefined) as T;
    },
  };
}

/**
 * API answers a page provokes on purpose: a validation error or conflict shown beside its field,
 * a refused key at sign-in, and the statuses a test names (`expectedStatuses`, e.g. a 403 for a key
 * without a scope). Chromium logs every 4xx fetch as a console error.
 */
function expectedStatus(text: string, url: string, more: readonly string[]): boolean {
  const m = /^Failed to load resource: the server responded with a status of (\d{3})\b/.exec(text);
  if (!m) return false;
  return m[1] === '400' || m[1] === '409' || (m[1] === '401' && new URL(url).pathname === '/v1/account') || more.includes(m[1]);
}

export const test = base.extend<{ account: Account; consoleErrors: string[]; expectedStatuses: string[] }>({
  expectedStatuses: [[], { option: true }],
  account: async ({}, use) => {
    await use(await createAccount());
  },
  consoleErrors: [
    async ({ page, expectedStatuses }, use) => {
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' && !expectedStatus(m.text(), m.location().url, expectedStatuses)) errors.push(`${m.text()} (${m.location().url})`);
      });
      page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
      await use(errors);
      expect(errors, 'console errors').toEqual([]);
    },
    { auto: true },
  ],
});

/** Signs in through the form at a console path, and waits for the page to show. */
export async function signIn(page: Page, account: Account, path = '/admin/coupons'): Promise<void> {
  await page.goto(baseUrl() + path);
  await page.getByLabel('Account API key').fill(account.apiKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
}

/** An axe scan of the page as it is: no serious or critical violation. */
export async function expectAccessible(page: Page, label: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | ')}`);
  expect(bad, `axe violations on ${label}`).toEqual([]);
}

export const coupon = (overrides: Record<string, unknown> = {}) => ({
  name: 'Launch week early bird',
  discount: { type: 'percentage', basisPoints: 3000 },
  duration: { type: 'repeating', cycles: 3 },
  ...overrides,
});
