/** The webhooks page on /v1/webhook-endpoints and /v1/webhook-deliveries: it needs those routes. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, expectAccessible, signIn, test } from './fixtures';

test.use({ permissions: ['clipboard-read', 'clipboard-write'] });

test('creates an endpoint (secret shown once, copied), sends a test, reads the attempt log, redelivers and disables', async ({ page, account }) => {
  const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  try {
    await signIn(page, account, '/admin/webhooks');
    await expect(page.getByText('No endpoints yet.')).toBeVisible();
    await expectAccessible(page, 'webhooks (empty)');
    await page.getByLabel('Endpoint URL').fill(url);
    await page.getByLabel('Description (optional)').fill('CRM sync');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const secret = page.getByLabel('Signing secret');
    await expect(secret).toHaveValue(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const value = await secret.inputValue();
    await page.getByRole('button', { name: 'Copy secret' }).click();
    await expect(page.getByText('Copied.')).toBeVisible();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(value);
    await expectAccessible(page, 'webhooks (secret shown)');
    await page.reload();
    await expect(page.getByLabel('Signing secret')).toHaveCount(0);

    await page.getByRole('link', { name: url }).click();
    await expect(page.getByRole('heading', { name: new RegExp(`Endpoint ${url}`) })).toBeVisible();
    await page.getByRole('button', { name: 'Send test event' }).click();
    const deliveries = page.getByRole('table', { name: 'Deliveries, newest first' });
    await expect(deliveries.getByRole('row', { name: /webhook\.test/ })).toContainText('Succeeded', { timeout: 30_000 });
    expect(received).toHaveLength(1);
    expect(JSON.parse(received[0].body)).toMatchObject({ type: 'webhook.test', sequence: null });
    expect(received[0].headers['webhook-signature']).toMatch(/^v1,/);
    await deliveries.getByRole('button', { name: 'Show attempts' }).click();
    const log = page.getByRole('table', { name: 'Attempt log of webhook.test' });
    await expect(log.locator('tbody tr')).toHaveCount(1);
    await expect(log.locator('tbody tr')).toContainText('204');
    await expectAccessible(page, 'webhook deliveries');

    await deliveries.getByRole('button', { name: 'Redeliver' }).click();
    await expect.poll(() => received.length, { timeout: 30_000 }).toBe(2);
    expect(received[1].headers['webhook-id']).toBe(received[0].headers['webhook-id']);

    await page.getByRole('button', { name: 'Disable endpoint' }).click();
    const dialog = page.getByRole('dialog', { name: `Disable endpoint ${url}` });
    await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
    await dialog.getByRole('button', { name: 'Disable endpoint' }).click();
    await expect(page.getByRole('heading', { name: new RegExp(`Endpoint ${url}\\s*Disabled`) })).toBeVisible();

    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByRole('dialog', { name: `Rotate the secret of ${url}` }).getByRole('button', { name: 'Rotate secret' }).click();
    await expect(page.getByLabel('Signing secret')).toHaveValue(/^whsec_/);
    expect(await page.getByLabel('Signing secret').inputValue()).not.toBe(value);
  } finally {
    await new Promise((r) => server.close(r));
  }
});

test('an id read from the URL stays one segment of the API path: ..%2F cannot reach another resource', async ({ page, account, consoleErrors }) => {
  const ep = await account.api<{ id: string; url: string }>('POST', '/v1/webhook-endpoints', { url: 'https://hooks.example.invalid/keep' });
  const coupon = await account.api<{ id: string }>('POST', '/v1/coupons', { name: 'Keep me', discount: { type: 'percentage', basisPoints: 1000 }, duration: { type: 'once' } });
  const calls: string[] = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith('/v1/') && u.pathname !== '/v1/account' && u.pathname !== '/v1/api-keys/current') calls.push(`${r.method()} ${u.pathname}`);
  });

  // a coupon page whose id names the endpoint: its Delete coupon would delete the endpoint
  const toEndpoint = `..%2Fwebhook-endpoints%2F${ep.id}`;
  await signIn(page, account, `/admin/coupons/${toEndpoint}`);
  await expect(page.getByRole('alert')).toContainText('Could not load the coupon');
  await expect(page.getByRole('button', { name: 'Delete coupon' })).toHaveCount(0);
  expect([...new Set(calls)]).toEqual([`GET /v1/coupons/${toEndpoint}`]);

  // an endpoint page whose id names the coupon: its Delete endpoint would delete the coupon
  calls.length = 0;
  const toCoupon = `..%2Fcoupons%2F${coupon.id}`;
  await page.goto(`${new URL(page.url()).origin}/admin/webhooks/${toCoupon}`);
  await expect(page.getByRole('alert').first()).toContainText('Could not load the endpoint');
  await expect(page.getByRole('button', { name: 'Delete endpoint' })).toHaveCount(0);
  expect([...new Set(calls)].sort()).toEqual([`GET /v1/webhook-endpoints/${toCoupon}`, `GET /v1/webhook-endpoints/${toCoupon}/deliveries`]);

  expect((await account.api<{ id: string }>('GET', `/v1/webhook-endpoints/${ep.id}`)).id).toBe(ep.id);
  expect((await account.api<{ id: string }>('GET', `/v1/coupons/${coupon.id}`)).id).toBe(coupon.id);
  // the 404s of those reads are the expected answer (Chromium logs each one as a console error)
  const expected = consoleErrors.filter((e) => /status of 404/.test(e) && (e.includes(toEndpoint) || e.includes(toCoupon)));
  expect(expected.length).toBeGreaterThan(0);
  consoleErrors.splice(0, consoleErrors.length, ...consoleErrors.filter((e) => !expected.includes(e)));
});
