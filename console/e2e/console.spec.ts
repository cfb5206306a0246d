import fs from 'node:fs';
import path from 'node:path';
import { DateTime } from 'luxon';
import { baseUrl, coupon, expect, expectAccessible, signIn, test } from './fixtures';

const DOCS = path.resolve(__dirname, '../../docs');

test('signs in with an account key kept in sessionStorage only, and signing out forgets it', async ({ page, account }) => {
  await page.goto(`${baseUrl()}/admin/coupons`);
  await expect(page.getByRole('heading', { name: 'Couponflow console' })).toBeVisible();
  await expectAccessible(page, 'sign-in');
  await page.getByLabel('Account API key').fill('not-a-key');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByText('This API key was not accepted.')).toBeVisible();

  await page.getByLabel('Account API key').fill(account.apiKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Coupons' })).toBeVisible();
  expect(await page.evaluate(() => sessionStorage.getItem('couponflow.apiKey'))).toBe(account.apiKey);
  expect(await page.evaluate(() => ({ local: localStorage.length, cookie: document.cookie }))).toEqual({ local: 0, cookie: '' });
  expect(page.url()).not.toContain(account.apiKey);
  await expect(page.getByRole('link', { name: 'Queues (Bull Board)' })).toHaveAttribute('href', '/admin/queues');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByLabel('Account API key')).toBeVisible();
  expect(await page.evaluate(() => sessionStorage.getItem('couponflow.apiKey'))).toBeNull();
});

test('Bull Board stays at /admin/queues behind basic auth; the console itself asks for none', async ({ request }) => {
  const board = await request.get(`${baseUrl()}/admin/queues`);
  expect(board.status()).toBe(401);
  const authed = await request.get(`${baseUrl()}/admin/queues`, { headers: { Authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` } });
  expect(authed.status()).toBe(200);
  expect(await authed.text()).toMatch(/bull/i);
  for (const p of ['/admin', '/admin/', '/admin/coupons/123/usage']) {
    const res = await request.get(baseUrl() + p);
    expect(res.status(), p).toBe(200);
    expect(await res.text(), p).toContain('<div id="root">');
  }
});

test('creates a coupon through the form with every kind of field', async ({ page, account }) => {
  // a window that starts 30 days from now (America/New_York midnight), so the coupon is scheduled whatever today is
  const validFrom = DateTime.now().setZone('America/New_York').plus({ days: 30 }).startOf('day');
  const lastDay = validFrom.plus({ days: 6 });
  await signIn(page, account);
  await expect(page.getByText('No coupons yet.')).toBeVisible();
  await page.getByRole('link', { name: 'Create your first coupon' }).click();
  await expect(page.getByRole('heading', { name: 'Create coupon' })).toBeVisible();
  await expect(page.getByText('Validity (dates and times in America/New_York, the coupon\'s time zone)')).toBeVisible();
  await expectAccessible(page, 'coupon form');

  await page.getByLabel('Name').fill('Partner fifty');
  await page.getByLabel('Internal description').fill('Partnership with XYZ Company');
  await page.getByLabel('First code (optional)').fill('partner50');
  await page.getByLabel('Discount type').selectOption('fixed_amount');
  await page.getByLabel('Amount off').fill('50.00');
  await page.getByLabel('Duration').selectOption('repeating');
  await page.getByLabel('Billing cycles').fill('3');
  await page.getByLabel('Recurring').check();
  await page.getByLabel('Customers').selectOption('new');
  await page.getByLabel('Email domains (empty: any)').fill('example.com, *.example.org');
  await page.getByLabel('Total redemptions (empty: unlimited)').fill('500');
  await page.getByLabel('Per customer (empty: unlimited)').fill('1');
  await page.getByLabel('Valid from (America/New_York; empty: now)').fill(validFrom.toFormat("yyyy-MM-dd'T'HH:mm"));
  await page.getByLabel('Expires').selectOption('on');
  await page.getByLabel('Last valid day (ends at midnight America/New_York)').fill(lastDay.toISODate()!);
  await page.getByLabel('When the discount exceeds the invoice').selectOption('cap');
  await page.getByRole('button', { name: 'Save coupon' }).click();

  await expect(page.getByRole('heading', { name: /Partner fifty/ })).toBeVisible();
  await expect(page.getByRole('cell', { name: 'PARTNER50' })).toBeVisible();
  const { data } = await account.api<{ data: Record<string, unknown>[] }>('GET', '/v1/coupons');
  expect(data).toHaveLength(1);
  expect(data[0]).toMatchObject({
    name: 'Partner fifty',
    description: 'Partnership with XYZ Company',
    discount: { type: 'fixed_amount', amounts: { USD: 5000 } },
    duration: { type: 'repeating', cycles: 3 },
    appliesTo: { plans: 'all', lineKinds: ['recurring'] },
    eligibility: { customers: 'new', emailDomains: ['example.com', '*.example.org'] },
    limits: { maxRedemptions: 500, perCustomer: 1 },
    validFrom: validFrom.toUTC().toISO(),
    expiresOn: lastDay.toISODate(),
    expiresAt: lastDay.plus({ days: 1 }).startOf('day').toUTC().toISO(),
    overflow: 'cap',
    code: 'PARTNER50',
    status: 'scheduled',
  });
  await expectAccessible(page, 'coupon detail');
});

test('shows the API validation error beside the field it names', async ({ page, account }) => {
  await signIn(page, account, '/admin/coupons/new');
  await page.getByLabel('Name').fill('Bad domain');
  await page.getByLabel('Percent off').fill('25');
  await page.getByLabel('Email domains (empty: any)').fill('not a domain');
  await page.getByRole('button', { name: 'Save coupon' }).click();
  const field = page.getByLabel('Email domains (empty: any)');
  await expect(field).toHaveAttribute('aria-invalid', 'true');
  const describedBy = (await field.getAttribute('aria-describedby'))!.split(' ');
  const error = page.locator(`[id="${describedBy[describedBy.length - 1]}"]`);
  await expect(error).toHaveText('eligibility.emailDomains[0]: must be a domain such as example.com or *.example.com');
  await expect(page.getByRole('heading', { name: 'Create coupon' })).toBeVisible();
  await expectAccessible(page, 'coupon form with an error');
  expect((await account.api<{ data: unknown[] }>('GET', '/v1/coupons')).data).toEqual([]);
});

test('lists coupons with search, status filter and cursor pagination kept in the URL', async ({ page, account }) => {
  for (let i = 1; i <= 27; i++) await account.api('POST', '/v1/coupons', coupon({ name: `Spring ${String(i).padStart(2, '0')}` }));
  await account.api('POST', '/v1/coupons', coupon({ name: 'Winter draft', status: 'draft' }));
  await signIn(page, account);
  const table = page.getByRole('table', { name: 'Coupons' });
  await expect(table.getByRole('row')).toHaveCount(26);
  await expect(table.getByRole('row').nth(1)).toContainText('Spring 01');
  await expect(table.getByRole('row').nth(1)).toContainText('Active');
  await page.getByRole('navigation', { name: 'Coupon pages' }).getByRole('button', { name: 'Next' }).click();
  await expect(page).toHaveURL(/cursor=/);
  await expect(table.getByRole('row')).toHaveCount(4);
  await expect(table.getByRole('row').nth(3)).toContainText('Winter draft');
  await expect(table.getByRole('row').nth(3)).toContainText('Draft');
  await page.reload();
  await expect(table.getByRole('row')).toHaveCount(4);
  await page.getByRole('button', { name: 'Previous' }).click();
  await expect(table.getByRole('row').nth(1)).toContainText('Spring 01');
  await expect(page.getByRole('button', { name: 'Previous' })).toBeDisabled();

  await page.getByLabel('Status').selectOption('draft');
  await expect(page).toHaveURL(/status=draft/);
  await expect(table.getByRole('row')).toHaveCount(2);
  await page.getByLabel('Status').selectOption('');
  await page.getByLabel('Search by name').fill('spring 2');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/q=spring\+2/);
  await expect(table.getByRole('row')).toHaveCount(9);
  await page.getByLabel('Search by name').fill('autumn');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByText('No coupons match these filters.')).toBeVisible();
  await expectAccessible(page, 'coupons no-match');
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await expect(table.getByRole('row')).toHaveCount(26);
  await expectAccessible(page, 'coupons list');
});

test('coupon detail: add a code, import a CSV showing every bad line, disable a code through the dialog, delete one by typing it', async ({ page, account }) => {
  const year = DateTime.now().setZone('America/New_York').year + 1;
  const c = await account.api<{ id: string }>('POST', '/v1/coupons', coupon({ limits: { maxRedemptions: 100 } }));
  await account.api('POST', `/v1/coupons/${c.id}/codes`, { code: 'VIPACCESS2026', maxRedemptions: 50, expiresAt: `${year}-12-31T23:59:00-05:00`, metadata: { description: 'Beta testers' } });
  await signIn(page, account, `/admin/coupons/${c.id}`);
  const codes = page.getByRole('table', { name: 'Codes of Launch week early bird' });
  await expect(codes.getByRole('row')).toHaveCount(2);
  const headers = await codes.getByRole('columnheader').allTextContents();
  expect(headers).toEqual(['Code', 'Description / attribution', 'Discount', 'Usage count', 'Usage limit', 'Expiration date', 'Status', 'Actions']);
  await expect(codes.getByRole('row').nth(1)).toHaveText(new RegExp(`VIPACCESS2026\\s*Beta testers\\s*30 % off\\s*0\\s*50\\s*Dec 31, ${year}\\s*Active`));

  await page.getByLabel('Code', { exact: true }).fill('friendrefer');
  await page.getByRole('button', { name: 'Add code' }).click();
  await expect(page.getByText('Code FRIENDREFER added.')).toBeVisible();
  await expect(codes.getByRole('row', { name: /FRIENDREFER/ })).toContainText('100 (coupon total)');

  const csv = 'code,max_redemptions\nGOOD1,5\nbad code,1\nGOOD2,x\nFRIENDREFER,1\n';
  await page.getByLabel('CSV file').setInputFiles({ name: 'codes.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.getByRole('button', { name: 'Import codes' }).click();
  const bad = page.getByRole('table', { name: /Lines that could not be imported/ });
  await expect(bad).toBeVisible();
  const lines = await bad.locator('tbody tr td:first-child').allTextContents();
  expect(lines).toEqual(['3', '4', '5']);
  await expect(codes.getByRole('row')).toHaveCount(3);
  await page.getByLabel('CSV file').setInputFiles({ name: 'codes.csv', mimeType: 'text/csv', buffer: Buffer.from('code,max_redemptions\nGOOD1,5\nGOOD2,7\n') });
  await page.getByRole('button', { name: 'Import codes' }).click();
  await expect(page.getByText('Imported 2 codes.')).toBeVisible();
  await expect(codes.getByRole('row')).toHaveCount(5);

  await codes.getByRole('button', { name: 'Disable code VIPACCESS2026' }).click();
  const dialog = page.getByRole('dialog', { name: 'Disable code VIPACCESS2026' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await expect(dialog).toContainText('Existing redemptions keep their discount.');
  await expectAccessible(page, 'disable dialog');
  await dialog.getByRole('button', { name: 'Disable code' }).click();
  await expect(dialog).toBeHidden();
  await expect(codes.getByRole('row', { name: /VIPACCESS2026/ })).toContainText('Disabled');
  expect((await account.api<{ status: string }>('GET', '/v1/codes/VIPACCESS2026')).status).toBe('disabled');

  await codes.getByRole('button', { name: 'Delete code GOOD2' }).click();
  const del = page.getByRole('dialog', { name: 'Delete code GOOD2' });
  await expect(del.getByRole('button', { name: 'Delete code' })).toBeDisabled();
  await del.getByLabel('Type GOOD2 to confirm').fill('GOOD2');
  await del.getByRole('button', { name: 'Delete code' }).click();
  await expect(codes.getByRole('row')).toHaveCount(4);
  await account.api('GET', '/v1/codes/GOOD2', undefined, 404);

  await page.locator('section.codes').screenshot({ path: path.join(DOCS, 'console-codes.png') });
  await expectAccessible(page, 'coupon detail with codes');
});

test('generates a 20,000-code batch, watches the progress reach 100 % and downloads codes.csv', async ({ page, account }) => {
  const c = await account.api<{ id: string }>('POST', '/v1/coupons', coupon({ name: 'Mailer batch' }));
  await signIn(page, account, `/admin/coupons/${c.id}`);
  await page.getByLabel('Number of codes').fill('20000');
  await page.getByLabel('Prefix (optional)').fill('MAIL-');
  await page.getByRole('button', { name: 'Generate codes' }).click();
  const bar = page.getByLabel('Batch progress');
  await expect(bar).toBeVisible();
  await expect(bar).toHaveAttribute('value', '100', { timeout: 60_000 });
  await expect(page.getByText('Completed: 20,000 of 20,000 codes (100 %)')).toBeVisible();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download codes.csv' }).click()]);
  expect(download.suggestedFilename()).toBe('codes.csv');
  const text = fs.readFileSync((await download.path())!, 'utf8');
  const rows = text.trim().split('\n');
  expect(rows[0]).toBe('code,max_redemptions,expires_at,status');
  expect(rows).toHaveLength(20_001);
  expect(new Set(rows.slice(1).map((r) => r.split(',')[0])).size).toBe(20_000);
  expect(rows.slice(1).every((r) => /^MAIL-[A-Z0-9]{12},1,,active$/.test(r))).toBe(true);
  await expect(page.getByRole('table', { name: 'Codes of Mailer batch' }).getByRole('row')).toHaveCount(26);
  await expectAccessible(page, 'batch done');
});

test('shows a code\'s usage and downloads it as CSV', async ({ page, account }) => {
  const c = await account.api<{ id: string }>('POST', '/v1/coupons', coupon({ name: 'Referral', code: 'REFER-ANNA', discount: { type: 'fixed_amount', amounts: { USD: 2000 } }, duration: { type: 'once' } }));
  await account.api('POST', `/v1/coupons/${c.id}/codes`, { code: 'REFER-BOB' });
  await account.api('PUT', '/v1/plans/box-monthly', { name: 'Box', kind: 'recurring', interval: { unit: 'month', count: 1 }, currency: 'USD', price: 5000 });
  const redeem = (code: string, customer: string, email: string) =>
    account.api('POST', '/v1/redemptions', { code, customer: { id: customer, email }, subscriptionId: `sub_${customer}`, planId: 'box-monthly' }, 201);
  await redeem('REFER-ANNA', 'cus_1', 'one@example.com');
  await redeem('REFER-ANNA', 'cus_2', 'two@example.com');
  await redeem('REFER-BOB', 'cus_3', 'three@example.com');
  await account.api('POST', '/v1/invoices', {
    invoiceId: 'in_1', subscriptionId: 'sub_cus_1', customerId: 'cus_1', currency: 'USD', paid: true,
    periodStart: new Date().toISOString(), periodEnd: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    lines: [{ id: 'l1', kind: 'recurring', planId: 'box-monthly', amount: 5000 }],
  });

  await signIn(page, account, `/admin/coupons/${c.id}`);
  await page.getByRole('link', { name: 'View usage of code REFER-ANNA' }).click();
  await expect(page.getByRole('heading', { name: 'Usage of code REFER-ANNA' })).toBeVisible();
  const table = page.getByRole('table', { name: 'Redemptions of code REFER-ANNA' });
  await expect(table.getByRole('row')).toHaveCount(3);
  await expect(table.getByRole('row').nth(1)).toHaveText(/cus_1\s*one@example.com\s*REFER-ANNA.*Ended\s*1\s*\$20\.00\s*\$30\.00/);
  await expect(table.getByRole('row').nth(2)).toHaveText(/cus_2\s*two@example.com\s*REFER-ANNA.*Active\s*0\s*—\s*—/);
  await expect(page.getByRole('definition').filter({ hasText: '50.0 %' })).toBeVisible();
  await expectAccessible(page, 'usage');

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
  expect(download.suggestedFilename()).toBe('code-REFER-ANNA-redemptions.csv');
  const lines = fs.readFileSync((await download.path())!, 'utf8').trim().split('\n');
  expect(lines[0]).toBe('customer_id,email,code,redeemed_at,status,invoices,discount,revenue,currency');
  expect(lines.slice(1).map((l) => l.split(',').filter((_, i) => i !== 3).join(','))).toEqual([
    'cus_1,one@example.com,REFER-ANNA,ended,1,2000,3000,USD',
    'cus_2,two@example.com,REFER-ANNA,active,0,0,0,',
  ]);

  await page.getByRole('link', { name: /Back to Referral/ }).click();
  await page.getByRole('link', { name: 'View usage', exact: true }).click();
  await expect(page.getByRole('table', { name: 'Redemptions of coupon Referral' }).getByRole('row')).toHaveCount(4);
});

test('coupon lifecycle actions confirm in a dialog naming the coupon', async ({ page, account }) => {
  const c = await account.api<{ id: string }>('POST', '/v1/coupons', coupon({ name: 'Seasonal', status: 'draft' }));
  await signIn(page, account, `/admin/coupons/${c.id}`);
  await page.getByRole('button', { name: 'Activate coupon' }).click();
  await expect(page.getByRole('heading', { name: /Seasonal\s*Active/ })).toBeVisible();
  await page.getByRole('button', { name: 'Clone coupon' }).click();
  await expect(page.getByRole('heading', { name: /Seasonal \(copy\)\s*Draft/ })).toBeVisible();
  await page.getByRole('button', { name: 'Delete coupon' }).click();
  const del = page.getByRole('dialog', { name: 'Delete coupon Seasonal (copy)' });
  await del.getByLabel('Type Seasonal (copy) to confirm').fill('Seasonal (copy)');
  await del.getByRole('button', { name: 'Delete coupon' }).click();
  await expect(page.getByRole('heading', { name: 'Coupons' })).toBeVisible();
  await page.getByRole('link', { name: 'Seasonal' }).click();
  await page.getByRole('button', { name: 'Archive coupon' }).click();
  const dialog = page.getByRole('dialog', { name: 'Archive coupon Seasonal' });
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await dialog.getByRole('button', { name: 'Archive coupon' }).click();
  await expect(page.getByRole('heading', { name: /Seasonal\s*Archived/ })).toBeVisible();
  await expect(page.getByRole('table', { name: 'Versions, oldest first' }).getByRole('row')).not.toHaveCount(0);
});

test('events: newest first, filtered by type', async ({ page, account }) => {
  await signIn(page, account, '/admin/events');
  await expect(page.getByText('No events yet.')).toBeVisible();
  const a = await account.api<{ id: string }>('POST', '/v1/coupons', coupon({ name: 'First' }));
  const b = await account.api<{ id: string }>('POST', '/v1/coupons', coupon({ name: 'Second' }));
  await account.api('POST', `/v1/coupons/${a.id}/disable`);
  await page.reload();
  const table = page.getByRole('table', { name: /Events/ });
  await expect(table.locator('tbody th').first()).toHaveText('coupon.disabled');
  const types = await table.locator('tbody th').allTextContents();
  expect(types[0]).toBe('coupon.disabled');
  const ids = (await table.locator('tbody tr td:first-child').allTextContents()).map(Number);
  expect(ids).toEqual([...ids].sort((x, y) => y - x));
  await expectAccessible(page, 'events');
  await page.getByLabel('Event type').fill('coupon.created');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/type=coupon\.created/);
  await expect(table.locator('tbody th')).toHaveText(['coupon.created', 'coupon.created']);
  await expect(table.locator('tbody tr').first()).toContainText(b.id);
  await expect(table.locator('tbody tr').nth(1)).toContainText(a.id);
  await page.getByLabel('Event type').fill('code.deleted');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page.getByText('No events match these filters.')).toBeVisible();
});

test('/docs is Swagger UI on /openapi.json from the service\'s own files', async ({ page }) => {
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`${baseUrl()}/docs`);
  await expect(page.getByRole('heading', { name: /Couponflow/ })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Authorize', exact: true })).toBeVisible();
  await expect(page.getByText('/v1/coupons/{id}/batches').first()).toBeVisible();
  expect(requests.filter((u) => !u.startsWith(baseUrl()))).toEqual([]);
});

test('editing a coupon\'s name keeps every term the form cannot show', async ({ page, account }) => {
  await account.api('PUT', '/v1/plans/pro-annual', { name: 'Pro annual', kind: 'recurring', interval: { unit: 'year', count: 1 }, currency: 'USD', price: 20000, family: 'pro' });
  const terms = {
    discount: { type: 'fixed_amount', amounts: { EUR: 450, USD: 500 } },
    appliesTo: { plans: { include: { families: ['pro'] }, exclude: { intervals: [{ unit: 'month', count: 1 }] } }, planKinds: ['recurring'] },
    expiresAt: `${new Date().getUTCFullYear() + 5}-01-01T12:00:00.000Z`,
  };
  const c = await account.api<{ id: string; version: number }>('POST', '/v1/coupons', coupon({ name: 'Annual push', ...terms }));
  await signIn(page, account, `/admin/coupons/${c.id}/edit`);
  await page.getByLabel('Name').fill('Annual push 2027');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByRole('heading', { name: /Annual push 2027/ })).toBeVisible();
  const saved = await account.api<Record<string, unknown>>('GET', `/v1/coupons/${c.id}`);
  expect({ name: saved.name, discount: saved.discount, appliesTo: saved.appliesTo, expiresAt: saved.expiresAt, version: saved.version })
    .toEqual({ name: 'Annual push 2027', ...terms, version: c.version });
});
