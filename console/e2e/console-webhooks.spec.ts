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
