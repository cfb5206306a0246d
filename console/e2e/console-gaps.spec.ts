/**
 * The console's date ranges (overview, performance, usage), the coupon list's sorting, editing a
 * webhook endpoint, resending its failed deliveries, and the live events feed.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { baseUrl, coupon, expect, expectAccessible, signIn, test, type Account } from './fixtures';

const ZONE = 'America/New_York';

/** A day (YYYY-MM-DD) in the account's zone, `offset` days from today. */
function day(offset: number): string {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  const [y, m, d] = today.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + offset)).toISOString().slice(0, 10);
}

/**
 * One coupon (30 % off, forever, channel "partners") with code RANGE30, redeemed now by three
 * customers, each with one paid $50.00 invoice: periods starting 3, 20 and 60 days ago (noon in
 * the zone), each discounted $15.00.
 */
async function seedRange(account: Account): Promise<void> {
  await account.api('PUT', '/v1/plans/box-monthly', { name: 'Box', kind: 'recurring', interval: { unit: 'month', count: 1 }, currency: 'USD', price: 5000 });
  await account.api('POST', '/v1/coupons', coupon({ name: 'Range', code: 'RANGE30', duration: { type: 'forever' }, attribution: { channel: 'partners' } }));
  for (const [n, ago] of [[1, 3], [2, 20], [3, 60]] as const) {
    await account.api('POST', '/v1/redemptions', { code: 'RANGE30', customer: { id: `cus_${n}` }, subscriptionId: `sub_${n}`, planId: 'box-monthly' }, 201);
    const invoice = await account.api<{ discountTotal: number }>('POST', '/v1/invoices', {
      invoiceId: `in_${n}`, subscriptionId: `sub_${n}`, customerId: `cus_${n}`, currency: 'USD', paid: true,
      periodStart: `${day(-ago)}T12:00:00-05:00`, lines: [{ id: 'l1', kind: 'recurring', planId: 'box-monthly', amount: 5000 }],
    });
    expect(invoice.discountTotal).toBe(1500);
  }
}

/** A webhook receiver answering `status()` at the time of each request. */
async function receiver(status: () => number) {
  const received: { webhookId: string; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ webhookId: String(req.headers['webhook-id']), body });
      res.writeHead(status()).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

test('overview: the date range drives the statistics, conversion and per-day figures, and stays in the URL', async ({ page, account }) => {
  await seedRange(account);
  await signIn(page, account, '/admin');
  const stat = (label: string) => page.locator('.stat').filter({ has: page.getByText(label, { exact: true }) }).locator('dd');
  const money = page.getByRole('img', { name: /^Discount and revenue per day/ });
  const redemptions = page.getByRole('img', { name: /^Redemptions per day/ });

  await expect(page.getByRole('heading', { name: `Per day, last 30 days (${ZONE})` })).toBeVisible();
  await expect(money).toHaveAccessibleName(`Discount and revenue per day (USD): discount $30.00, revenue $70.00 from ${day(-29)} to ${day(0)}`);
  await expect(redemptions).toHaveAccessibleName(`Redemptions per day: 3 redemptions from ${day(-29)} to ${day(0)}`);
  await expect(stat('Signups via codes')).toHaveText('3');
  await expect(stat('Conversion')).toHaveText('100.0 %');
  await expectAccessible(page, 'overview with the range picker');

  await page.getByLabel('7 days').check();
  await expect(page).toHaveURL(/range=7/);
  await expect(money).toHaveAccessibleName(`Discount and revenue per day (USD): discount $15.00, revenue $35.00 from ${day(-6)} to ${day(0)}`);
  await page.getByLabel('90 days').check();
  await expect(money).toHaveAccessibleName(`Discount and revenue per day (USD): discount $45.00, revenue $105.00 from ${day(-89)} to ${day(0)}`);

  // a custom range before the redemptions: only the invoice period of 60 days ago, no signups
  await page.getByLabel('Custom').check();
  await page.getByLabel('From (first day)').fill(day(-30));
  await page.getByLabel('To (last day)').fill(day(-100));
  await page.getByRole('button', { name: 'Apply range' }).click();
  await expect(page.getByText('The first day must not be after the last day.')).toBeVisible();
  await page.getByLabel('From (first day)').fill(day(-100));
  await page.getByLabel('To (last day)').fill(day(-30));
  await page.getByRole('button', { name: 'Apply range' }).click();
  await expect(page).toHaveURL(new RegExp(`range=custom&from=${day(-100)}&to=${day(-30)}`));
  await expect(page.getByRole('heading', { name: `Per day, ${day(-100)} to ${day(-30)} (${ZONE})` })).toBeVisible();
  await expect(money).toHaveAccessibleName(`Discount and revenue per day (USD): discount $15.00, revenue $35.00 from ${day(-100)} to ${day(-30)}`);
  await expect(redemptions).toHaveAccessibleName(`Redemptions per day: 0 redemptions from ${day(-100)} to ${day(-30)}`);
  await expect(stat('Signups via codes')).toHaveText('0');
  await expect(stat('Total codes created')).toHaveText('0');
  await expect(stat('Top performing code')).toHaveText('None yet');
  await expect(stat('Conversion')).toHaveText('—');
  await expect(stat('Active codes')).toHaveText('1');
  await expectAccessible(page, 'overview, custom range');

  // kept in the URL: a reload shows the same range
  await page.reload();
  await expect(page.getByLabel('Custom')).toBeChecked();
  await expect(page.getByLabel('From (first day)')).toHaveValue(day(-100));
  await expect(money).toHaveAccessibleName(`Discount and revenue per day (USD): discount $15.00, revenue $35.00 from ${day(-100)} to ${day(-30)}`);
});

test('performance and usage: the range drives the attribution tables and the redemptions shown', async ({ page, account }) => {
  await seedRange(account);
  await signIn(page, account, '/admin/performance');
  const channel = page.getByRole('table', { name: /Redemptions by channel/ });
  await expect(channel).toHaveAccessibleName('Redemptions by channel, created in the last 30 days (America/New_York) (money in USD)');
  await expect(channel.locator('tbody tr')).toHaveCount(1);
  await expect(channel.locator('tbody tr').locator('th, td')).toHaveText(['partners', '3', '3', '3', '100.0 %', '3 / 0', '$45.00', '$105.00', '$35.00']);
  const codes = page.getByRole('table', { name: /^Codes by/ });
  await expect(codes.locator('tbody tr')).toHaveCount(1);

  await page.getByLabel('Custom').check();
  await page.getByLabel('From (first day)').fill(day(-100));
  await page.getByLabel('To (last day)').fill(day(-1));
  await page.getByRole('button', { name: 'Apply range' }).click();
  await expect(page.getByText(`No redemptions created from ${day(-100)} to ${day(-1)} (${ZONE}).`).first()).toBeVisible();
  await expect(channel).toHaveCount(0);
  // the codes report has no date range: it keeps every redemption
  await expect(codes.locator('tbody tr td').nth(2)).toHaveText('3');
  await expectAccessible(page, 'performance, custom range');
  await page.getByLabel('7 days').check();
  await expect(channel.locator('tbody tr').locator('th, td').nth(1)).toHaveText('3');

  const [{ id }] = (await account.api<{ data: { id: string }[] }>('GET', '/v1/coupons')).data;
  await page.goto(`${baseUrl()}/admin/coupons/${id}/usage`);
  const table = page.getByRole('table', { name: 'Redemptions of coupon Range' });
  await expect(page.getByLabel('All time')).toBeChecked();
  await expect(table.locator('tbody tr')).toHaveCount(3);
  await page.getByLabel('Custom').check();
  await page.getByLabel('From (first day)').fill(day(-100));
  await page.getByLabel('To (last day)').fill(day(-1));
  await page.getByRole('button', { name: 'Apply range' }).click();
  await expect(page.getByText('No redemptions match these filters.')).toBeVisible();
  await expectAccessible(page, 'usage, no match in the range');
  await page.getByLabel('7 days').check();
  await expect(page.getByRole('table', { name: 'Redemptions of coupon Range, last 7 days' }).locator('tbody tr')).toHaveCount(3);
});

test('coupons: sorted by name, redemptions and creation in both directions, the sort kept in the URL', async ({ page, account }) => {
  await account.api('PUT', '/v1/plans/box-monthly', { name: 'Box', kind: 'recurring', interval: { unit: 'month', count: 1 }, currency: 'USD', price: 5000 });
  // created in this order; redeemed 2, 0 and 1 times
  for (const [name, code, n] of [['banana', 'BAN-1', 2], ['Apple', 'APP-1', 0], ['Cherry', 'CHE-1', 1]] as const) {
    await account.api('POST', '/v1/coupons', coupon({ name, code }));
    for (let i = 0; i < n; i++) await account.api('POST', '/v1/redemptions', { code, customer: { id: `cus_${code}_${i}` }, subscriptionId: `sub_${code}_${i}`, planId: 'box-monthly' }, 201);
  }
  await signIn(page, account, '/admin/coupons');
  const table = page.getByRole('table', { name: /^Coupons/ });
  const names = table.locator('tbody tr td:first-child');
  const header = (name: string | RegExp) => table.getByRole('columnheader', { name });
  await expect(names).toHaveText(['banana', 'Apple', 'Cherry']);
  await expect(header(/^Created/)).toHaveAttribute('aria-sort', 'ascending');

  await table.getByRole('button', { name: 'Name' }).click();
  await expect(page).toHaveURL(/sort=name/);
  await expect(names).toHaveText(['Apple', 'banana', 'Cherry']);
  await expect(header('Name')).toHaveAttribute('aria-sort', 'ascending');
  await expect(header(/^Created/)).not.toHaveAttribute('aria-sort', /.*/);
  await table.getByRole('button', { name: 'Name' }).click();
  await expect(page).toHaveURL(/sort=-name/);
  await expect(names).toHaveText(['Cherry', 'banana', 'Apple']);
  await expect(header('Name')).toHaveAttribute('aria-sort', 'descending');

  await table.getByRole('button', { name: 'Redeemed' }).click();
  await expect(page).toHaveURL(/sort=-timesRedeemed/);
  await expect(names).toHaveText(['banana', 'Cherry', 'Apple']);
  await expect(header('Redeemed')).toHaveAttribute('aria-sort', 'descending');
  await expectAccessible(page, 'coupons sorted');
  await table.getByRole('button', { name: 'Redeemed' }).click();
  await expect(names).toHaveText(['Apple', 'Cherry', 'banana']);
  await expect(header('Redeemed')).toHaveAttribute('aria-sort', 'ascending');

  await table.getByRole('button', { name: /^Created/ }).click();
  await expect(names).toHaveText(['Cherry', 'Apple', 'banana']);
  await expect(header(/^Created/)).toHaveAttribute('aria-sort', 'descending');
  await page.reload();
  await expect(names).toHaveText(['Cherry', 'Apple', 'banana']);
  // a search keeps the sort
  await page.getByLabel('Search by name').fill('an');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(names).toHaveText(['banana']);
  await expect(page).toHaveURL(/sort=-createdAt/);
});

test('webhooks: an endpoint edited (URL, event types, description), refusals beside their fields, the change shown', async ({ page, account }) => {
  const rx = await receiver(() => 204);
  try {
    const ep = await account.api<{ id: string }>('POST', '/v1/webhook-endpoints', { url: `${rx.url}/before`, description: 'CRM' });
    await signIn(page, account, `/admin/webhooks/${ep.id}`);
    await expect(page.getByRole('heading', { name: new RegExp(`Endpoint ${rx.url}/before`) })).toBeVisible();
    await page.getByRole('button', { name: 'Edit endpoint' }).click();
    const form = page.getByRole('region', { name: 'Edit endpoint' });
    await expect(form.getByLabel('Endpoint URL')).toHaveValue(`${rx.url}/before`);
    await expect(form.getByLabel('Description (optional)')).toHaveValue('CRM');

    await form.getByLabel('Endpoint URL').fill('https://user:secret@example.com/hooks');
    await form.getByRole('button', { name: 'Save endpoint' }).click();
    await expect(form.getByLabel('Endpoint URL')).toHaveAttribute('aria-invalid', 'true');
    await expect(form.locator('.field-invalid')).toHaveCount(1);
    await expect(form.locator('.field-invalid .field-error')).toContainText('url');
    await expect(form.locator('.field-invalid')).toContainText('Endpoint URL');
    await expectAccessible(page, 'endpoint edit with an error');

    await form.getByLabel('Endpoint URL').fill(`${rx.url}/after`);
    await form.getByLabel('Event types (empty: every type)').fill('coupon.created, coupon.nope');
    await form.getByRole('button', { name: 'Save endpoint' }).click();
    await expect(form.getByLabel('Event types (empty: every type)')).toHaveAttribute('aria-invalid', 'true');
    await expect(form.getByLabel('Endpoint URL')).not.toHaveAttribute('aria-invalid', 'true');

    await form.getByLabel('Event types (empty: every type)').fill('coupon.created, code.disabled');
    await form.getByLabel('Description (optional)').fill('Billing sync');
    await form.getByRole('button', { name: 'Save endpoint' }).click();
    await expect(page.getByText('Endpoint saved.')).toBeVisible();
    await expect(page.getByRole('heading', { name: new RegExp(`Endpoint ${rx.url}/after`) })).toBeVisible();
    await expect(page.getByText('Events: coupon.created, code.disabled · Billing sync')).toBeVisible();
    expect(await account.api('GET', `/v1/webhook-endpoints/${ep.id}`)).toMatchObject({
      url: `${rx.url}/after`, eventTypes: ['coupon.created', 'code.disabled'], description: 'Billing sync',
    });
    await page.getByRole('link', { name: '← Webhooks' }).click();
    await expect(page.getByRole('row', { name: new RegExp(`${rx.url}/after`) })).toContainText('Billing sync');
  } finally {
    await rx.close();
  }
});

test('webhooks: failed deliveries resent since an instant, the count shown, then delivered', async ({ page, account }) => {
  let status = 503;
  const rx = await receiver(() => status);
  try {
    const ep = await account.api<{ id: string }>('POST', '/v1/webhook-endpoints', { url: `${rx.url}/hooks` });
    await account.api('POST', '/v1/coupons', coupon({ name: 'One' }));
    await account.api('POST', '/v1/coupons', coupon({ name: 'Two' }));
    await signIn(page, account, `/admin/webhooks/${ep.id}`);
    const deliveries = page.getByRole('table', { name: 'Deliveries, newest first' });
    // two attempts each (WEBHOOK_RETRY_SCHEDULE_MS=1000), then failed
    await expect(deliveries.locator('tbody tr').filter({ hasText: 'Failed' })).toHaveCount(2, { timeout: 30_000 });
    expect(rx.received).toHaveLength(4);
    status = 204;

    await expect(page.getByLabel(`Failed since (${ZONE})`)).toHaveValue(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/);
    await page.getByRole('button', { name: 'Resend failed deliveries' }).click();
    await expect(page.getByText('2 failed deliveries sent again.')).toBeVisible();
    await expect(deliveries.locator('tbody tr').filter({ hasText: 'Succeeded' })).toHaveCount(2, { timeout: 30_000 });
    expect(rx.received).toHaveLength(6);
    expect(new Set(rx.received.slice(4).map((r) => r.webhookId))).toEqual(new Set(rx.received.slice(0, 4).map((r) => r.webhookId)));
    await expectAccessible(page, 'deliveries resent');

    await page.getByRole('button', { name: 'Resend failed deliveries' }).click();
    await expect(page.getByText('No failed deliveries since then: nothing was sent again.')).toBeVisible();
  } finally {
    await rx.close();
  }
});

test('events: live, a new event shown without reload and marked new; nothing fetched while paused', async ({ page, account }) => {
  await account.api('POST', '/v1/coupons', coupon({ name: 'First' }));
  const polls: string[] = [];
  page.on('request', (r) => {
    if (new URL(r.url()).pathname === '/v1/events') polls.push(r.url());
  });
  await page.clock.install();
  await signIn(page, account, '/admin/events');
  const table = page.getByRole('table', { name: /^Events/ });
  await expect(table.locator('tbody tr')).toHaveCount(1);
  await expect(page.getByRole('button', { name: 'Pause live updates' })).toHaveAttribute('aria-pressed', 'false');

  const second = await account.api<{ id: string }>('POST', '/v1/coupons', coupon({ name: 'Second' }));
  const row = (couponId: string) => table.locator('tbody tr').filter({ hasText: couponId });
  await expect(row(second.id)).toBeVisible();
  await expect(row(second.id)).toHaveClass(/row-new/);
  await expect(row(second.id)).toContainText('New');
  await expect(table.locator('tbody tr').first()).toContainText(second.id);
  await expect(table.locator('.row-new')).toHaveCount(1);
  await expectAccessible(page, 'events, live');

  await page.getByRole('button', { name: 'Pause live updates' }).click();
  const resume = page.getByRole('button', { name: 'Resume live updates' });
  await expect(resume).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByText('Paused: new events are not fetched.')).toBeVisible();
  const third = await account.api<{ id: string }>('POST', '/v1/coupons', coupon({ name: 'Third' }));
  // ten seconds of the page's time pass at once: no poll is due while paused
  await page.clock.pauseAt(Date.now() + 1000);
  const before = polls.length;
  await page.clock.runFor(10_000);
  // a request made after any poll would have been: the requests arrive in order
  await page.evaluate(() => fetch('/healthz'));
  expect(polls.length).toBe(before);
  await expect(row(third.id)).toHaveCount(0);

  await resume.click();
  await expect(page.getByRole('button', { name: 'Pause live updates' })).toHaveAttribute('aria-pressed', 'false');
  await page.clock.runFor(2_500);
  await page.clock.resume();
  await expect(row(third.id)).toBeVisible();
  await expect(table.locator('.row-new')).toHaveCount(2);
});
