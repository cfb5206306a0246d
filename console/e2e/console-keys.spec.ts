/** API keys and scopes, and the audit log: /v1/api-keys and /v1/audit-log. */
import path from 'node:path';
import { DateTime } from 'luxon';
import type { Locator, Page } from '@playwright/test';
import { baseUrl, coupon, expect, expectAccessible, signIn, test, type Account } from './fixtures';

const DOCS = path.resolve(__dirname, '../../docs');

test.use({ permissions: ['clipboard-read', 'clipboard-write'] });

/** The status of a call made with a secret (not the account's own key). */
async function statusWith(secret: string, p: string): Promise<number> {
  return (await fetch(`${baseUrl()}${p}`, { headers: { Authorization: `Bearer ${secret}` } })).status;
}

async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByLabel('Account API key')).toBeVisible();
}

/** The row of one field in a record's before/after table. */
const fieldRow = (within: Locator, field: string) => within.locator('table.changes tr').filter({ has: within.page().locator('th code', { hasText: new RegExp(`^${field}$`) }) });

test.describe('a key with some scopes', () => {
  // the coupon page asks for its figures, which this key may not read: a 403 the page shows
  test.use({ expectedStatuses: ['403'] });

  test('creates a key with limited scopes, shows its secret once, signs in with it, offers only what it allows, rolls and revokes keys', async ({ page, account }) => {
    const c = await account.api<{ id: string }>('POST', '/v1/coupons', coupon({ name: 'Spring sale', code: 'SPRING30' }));
    await signIn(page, account, '/admin/api-keys');
    await expect(page.getByRole('heading', { name: 'API keys' })).toBeVisible();
    await expect(page.getByRole('banner')).toContainText('key default');
    const table = page.getByRole('table', { name: /API keys/ });
    await expect(table.getByRole('row', { name: /default \(this key\)/ })).toContainText('*');
    await expectAccessible(page, 'API keys');

    // the filter's no-match state, and back
    await page.getByLabel('Filter by name, scope or prefix').fill('nothing like it');
    await expect(page.getByText('No API keys match these filters.')).toBeVisible();
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect(table.getByRole('row')).toHaveCount(2);

    const expires = DateTime.now().setZone('America/New_York').plus({ days: 30 }).startOf('minute');
    await page.getByLabel('Key name').fill('Support desk');
    await expect(page.getByText('Read the audit log: who changed what, and what it was before.')).toBeVisible();
    await page.getByLabel('coupons:read', { exact: true }).check();
    await page.getByLabel('audit:read', { exact: true }).check();
    await page.getByLabel('Expires (America/New_York; empty: never)').fill(expires.toFormat("yyyy-MM-dd'T'HH:mm"));
    await page.getByRole('button', { name: 'Create key' }).click();

    const secretField = page.getByLabel('API key secret');
    await expect(secretField).toBeVisible();
    const secret = await secretField.inputValue();
    await page.getByRole('button', { name: 'Copy secret' }).click();
    await expect(page.getByText('Copied.')).toBeVisible();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    const row = table.getByRole('row', { name: /Support desk/ });
    await expect(row).toContainText('coupons:read');
    await expect(row).toContainText('audit:read');
    await expect(row).toContainText(`${secret.slice(0, 8)}…`);
    await expect(row).toContainText('Active');
    await expectAccessible(page, 'API keys (secret shown)');
    const { data: keys } = await account.api<{ data: { id: string; name: string; scopes: string[]; prefix: string; expiresAt: string | null }[] }>('GET', '/v1/api-keys');
    const support = keys.find((k) => k.name === 'Support desk')!;
    expect(support).toMatchObject({ scopes: ['coupons:read', 'audit:read'], prefix: secret.slice(0, 8), expiresAt: expires.toUTC().toISO({ suppressMilliseconds: false }) });
    await page.reload();
    await expect(table.getByRole('row', { name: /Support desk/ })).toBeVisible();
    await expect(page.getByLabel('API key secret')).toHaveCount(0);
    await page.screenshot({ path: path.join(DOCS, 'console-keys.png'), fullPage: true });

    // signed in with the new key: its name in the header; what it may not do is disabled, naming the scope
    await signOut(page);
    await signIn(page, { ...account, apiKey: secret }, `/admin/coupons/${c.id}`);
    await expect(page.getByRole('banner')).toContainText('key Support desk');
    await expect(page.getByRole('heading', { name: /Spring sale/ })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Disable coupon' })).toBeDisabled();
    await expect(page.getByRole('button', { name: 'Edit coupon' })).toBeDisabled();
    await expect(page.getByText('Changing this coupon needs the coupons:write scope, which this API key lacks.')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Disable code SPRING30' })).toBeDisabled();
    await expect(page.getByRole('button', { name: 'Add code' })).toBeDisabled();
    await expect(page.getByRole('link', { name: 'View usage', exact: true })).toBeEnabled();
    // its figures need reports:read: the 403 names the scope in the section's error state
    await expect(page.getByRole('alert').filter({ hasText: 'Could not load figures' })).toContainText('Needs the reports:read scope');
    await expect(page.getByRole('table', { name: 'Changes, newest first' }).locator(':scope > tbody > tr > td:nth-child(3)')).toHaveText(['coupon.created']);
    await expectAccessible(page, 'coupon detail, read-only key');
    await page.getByRole('link', { name: 'Coupons', exact: true }).click();
    await expect(page.getByRole('button', { name: 'Create coupon' })).toBeDisabled();
    await page.getByRole('link', { name: 'API keys' }).click();
    const refused = page.getByRole('alert').filter({ hasText: 'Could not load API keys' });
    await expect(refused).toContainText('Needs the keys:write scope');
    await expect(refused.getByRole('button', { name: 'Retry' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Create key' })).toBeDisabled();
    await expect(page.getByText('Creating a key needs the keys:write scope, which this API key lacks.')).toBeVisible();
    await expectAccessible(page, 'API keys, refused');

    // back with the account key: roll a key with an overlap, then revoke the new one through the dialog
    await signOut(page);
    await signIn(page, account, '/admin/api-keys');
    const billing = await account.api<{ apiKey: { id: string }; secret: string }>('POST', '/v1/api-keys', { name: 'Billing sync', scopes: ['invoices:write'] }, 201);
    await page.reload();
    await page.getByRole('button', { name: 'Roll key Billing sync' }).click();
    const roll = page.getByRole('dialog', { name: 'Roll key Billing sync' });
    await expect(roll.getByRole('button', { name: 'Cancel' })).toBeFocused();
    await roll.getByLabel('The old secret keeps working for').selectOption({ label: '1 hour' });
    await roll.getByRole('button', { name: 'Roll key' }).click();
    await expect(page.getByText('Key Billing sync rolled; the old secret keeps working for 1 hour')).toBeVisible();
    const rolled = await page.getByLabel('API key secret').inputValue();
    expect(rolled).not.toBe(billing.secret);
    expect(await statusWith(rolled, '/v1/api-keys/current')).toBe(200);
    expect(await statusWith(billing.secret, '/v1/api-keys/current')).toBe(200);

    await page.getByRole('button', { name: 'Revoke key Support desk' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke key Support desk' });
    await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
    await expectAccessible(page, 'revoke dialog');
    await dialog.getByRole('button', { name: 'Revoke key' }).click();
    await expect(page.getByText('Key Support desk is revoked.')).toBeVisible();
    await expect(table.getByRole('row', { name: /Support desk/ })).toHaveCount(0);
    expect(await statusWith(secret, '/v1/account')).toBe(401);
  });
});

async function seedHistory(account: Account): Promise<{ couponId: string; editorId: string; endpointId: string }> {
  const c = await account.api<{ id: string }>('POST', '/v1/coupons', coupon({ name: 'Spring sale' }));
  const editor = await account.api<{ apiKey: { id: string }; secret: string }>('POST', '/v1/api-keys', { name: 'Editor', scopes: ['coupons:write'] }, 201);
  const res = await fetch(`${baseUrl()}/v1/coupons/${c.id}`, {
    method: 'PATCH',
    headers: { Authorization: `Bearer ${editor.secret}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'Spring sale 2' }),
  });
  expect(res.status).toBe(200);
  const ep = await account.api<{ id: string }>('POST', '/v1/webhook-endpoints', { url: 'http://127.0.0.1:9/couponflow', description: 'CRM' }, 201);
  return { couponId: c.id, editorId: editor.apiKey.id, endpointId: ep.id };
}

test('the audit log lists changes newest first with each field before and after, filters by target, actor, action and date, and pages show their own history', async ({ page, account }) => {
  const { couponId, editorId, endpointId } = await seedHistory(account);
  await signIn(page, account, '/admin/audit-log');
  const table = page.getByRole('table', { name: /Audit records, newest first/ });
  const actions = () => table.locator(':scope > tbody > tr > td:nth-child(3)');
  await expect(actions()).toHaveText(['webhook_endpoint.created', 'coupon.updated', 'api_key.created', 'coupon.created', 'api_key.created', 'account.created']);
  const updated = table.locator(':scope > tbody > tr').nth(1);
  await expect(updated).toContainText('Editor');
  await expect(updated.getByRole('link', { name: `Coupon ${couponId}` })).toBeVisible();
  const change = fieldRow(updated, 'name');
  await expect(change.locator('td.before')).toHaveText('Spring sale');
  await expect(change.locator('td.after')).toHaveText('Spring sale 2');
  await expectAccessible(page, 'audit log');
  await page.screenshot({ path: path.join(DOCS, 'console-audit.png'), fullPage: true });

  await page.getByLabel('Target type').selectOption('coupon');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/targetType=coupon/);
  await expect(actions()).toHaveText(['coupon.updated', 'coupon.created']);
  await page.getByLabel('Action').fill('coupon.updated');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(actions()).toHaveText(['coupon.updated']);

  await page.getByRole('button', { name: 'Clear filters' }).first().click();
  await expect(actions()).toHaveCount(6);
  await page.getByLabel('Actor (API key id)').fill(editorId);
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(actions()).toHaveText(['coupon.updated']);
  await page.getByLabel('Actor (API key id)').fill('');
  await page.getByLabel('Target id').fill(endpointId);
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(actions()).toHaveText(['webhook_endpoint.created']);

  // a date range in the account's zone: today holds every record, tomorrow none
  const today = DateTime.now().setZone('America/New_York');
  await page.getByRole('button', { name: 'Clear filters' }).first().click();
  await page.getByLabel('From (America/New_York)').fill(today.toISODate()!);
  await page.getByLabel('To, inclusive (America/New_York)').fill(today.toISODate()!);
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(actions()).toHaveCount(6);
  await page.getByLabel('From (America/New_York)').fill(today.plus({ days: 1 }).toISODate()!);
  await page.getByLabel('To, inclusive (America/New_York)').fill(today.plus({ days: 2 }).toISODate()!);
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page.getByText('No audit records match these filters.')).toBeVisible();
  await expectAccessible(page, 'audit log, no match');
  await page.getByRole('status').getByRole('button', { name: 'Clear filters' }).click();
  await expect(actions()).toHaveCount(6);

  // the coupon's own history on its page, and the endpoint's on its page
  await table.getByRole('link', { name: `Coupon ${couponId}` }).first().click();
  const history = page.getByRole('table', { name: 'Changes, newest first' });
  await expect(history.locator(':scope > tbody > tr > td:nth-child(3)')).toHaveText(['coupon.updated', 'coupon.created']);
  const nameRow = fieldRow(history.locator(':scope > tbody > tr').first(), 'name');
  await expect(nameRow.locator('td.before')).toHaveText('Spring sale');
  await expect(nameRow.locator('td.after')).toHaveText('Spring sale 2');
  await expectAccessible(page, 'coupon history');
  await page.goto(`${baseUrl()}/admin/webhooks/${endpointId}`);
  const endpointHistory = page.getByRole('region', { name: 'Endpoint history' });
  await expect(endpointHistory.locator('table:not(.changes) > tbody > tr > td:nth-child(3)')).toHaveText(['webhook_endpoint.created']);
  await expect(fieldRow(endpointHistory, 'url').locator('td.before')).toHaveText('none');
  await expect(fieldRow(endpointHistory, 'url').locator('td.after')).toHaveText('http://127.0.0.1:9/couponflow');
  await expectAccessible(page, 'endpoint history');
});

test.describe('the audit log when the service fails', () => {
  test.use({ expectedStatuses: ['503'] });

  test('the audit log shows a no-match state, and a load error with Retry', async ({ page, account }) => {
    await signIn(page, account, '/admin/audit-log?targetType=coupon');
    await expect(page.getByText('No audit records match these filters.')).toBeVisible();
    await page.route('**/v1/audit-log?*', (route) => route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: { code: 'database_unavailable', message: 'the database is unavailable; retry later' } }) }));
    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    const failed = page.getByRole('alert').filter({ hasText: 'Could not load audit records' });
    await expect(failed).toContainText('the database is unavailable');
    await page.unroute('**/v1/audit-log?*');
    await failed.getByRole('button', { name: 'Retry' }).click();
    await expect(page.getByRole('table', { name: /Audit records/ }).locator(':scope > tbody > tr > td:nth-child(3)')).toHaveText(['api_key.created', 'account.created']);
    await page.goto(`${baseUrl()}/admin/audit-log?action=coupon.created`);
    await expect(page.getByText('No audit records match these filters.')).toBeVisible();
    await expectAccessible(page, 'audit log, empty filter');
  });
});
