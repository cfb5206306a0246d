/**
 * Pages on the growth reports (/v1/reports/timeseries, /v1/reports/attribution, /v1/reports/codes)
 * and attribution fields: they need those routes in the service.
 */
import path from 'node:path';
import { coupon, expect, expectAccessible, signIn, test, type Account } from './fixtures';

const DOCS = path.resolve(__dirname, '../../docs');

async function seed(account: Account): Promise<void> {
  await account.api('PUT', '/v1/plans/box-monthly', { name: 'Box', kind: 'recurring', interval: { unit: 'month', count: 1 }, currency: 'USD', price: 5000 });
  const partner = await account.api<{ id: string }>('POST', '/v1/coupons', coupon({ name: 'Partner fifty', code: 'PARTNER50', duration: { type: 'forever' }, attribution: { channel: 'partners', partner: 'XYZ' } }));
  await account.api('POST', `/v1/coupons/${partner.id}/codes`, { code: 'PARTNER-EMAIL', attribution: { channel: 'email' } });
  const referral = await account.api<{ id: string }>('POST', '/v1/coupons', coupon({ name: 'Referral', duration: { type: 'forever' }, attribution: { channel: 'referral' } }));
  await account.api('POST', `/v1/coupons/${referral.id}/codes`, { code: 'REFER-ANNA', attribution: { referrerCustomerId: 'cus_anna' } });
  await account.api('POST', `/v1/coupons/${referral.id}/codes`, { code: 'REFER-BOB', attribution: { referrerCustomerId: 'cus_bob' } });
  let n = 0;
  const redeem = async (code: string, paid: boolean) => {
    n += 1;
    await account.api('POST', '/v1/redemptions', { code, customer: { id: `cus_${n}` }, subscriptionId: `sub_${n}`, planId: 'box-monthly' }, 201);
    if (paid) {
      await account.api('POST', '/v1/invoices', {
        invoiceId: `in_${n}`, subscriptionId: `sub_${n}`, customerId: `cus_${n}`, currency: 'USD', paid: true,
        periodStart: new Date().toISOString(), periodEnd: new Date(Date.now() + 30 * 86_400_000).toISOString(),
        lines: [{ id: 'l1', kind: 'recurring', planId: 'box-monthly', amount: 5000 }],
      });
    }
  };
  await redeem('PARTNER50', true);
  await redeem('PARTNER50', false);
  await redeem('PARTNER50', false);
  await redeem('PARTNER-EMAIL', true);
  await redeem('REFER-ANNA', true);
  await redeem('REFER-ANNA', true);
  await redeem('REFER-BOB', false);
}

test('overview: code statistics, conversion and per-day charts over 30 and 90 days in the account zone', async ({ page, account }) => {
  await seed(account);
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await signIn(page, account, '/admin');
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
  const stat = (label: string) => page.locator('.stat').filter({ has: page.getByText(label, { exact: true }) }).locator('dd');
  await expect(stat('Active codes')).toHaveText('4');
  await expect(stat('Total codes created')).toHaveText('4');
  await expect(stat('Signups via codes')).toHaveText('7');
  await expect(stat('Top performing code')).toHaveText('PARTNER50 (3)');
  // 4 of 7 redemptions have a paid invoice
  await expect(stat('Conversion')).toHaveText('57.1 %');
  await expect(page.getByRole('heading', { name: 'Per day, last 30 days (America/New_York)' })).toBeVisible();
  await expect(page.getByRole('img', { name: /Redemptions per day: 7 redemptions from/ })).toBeVisible();
  await expect(page.getByRole('img', { name: /Discount and revenue per day \(USD\): discount \$60\.00, revenue \$140\.00/ })).toBeVisible();
  await expect(page.locator('.chart canvas')).toHaveCount(2);
  await expectAccessible(page, 'overview');
  await page.screenshot({ path: path.join(DOCS, 'console-overview.png'), fullPage: true });

  await page.getByLabel('90 days').check();
  await expect(page.getByRole('heading', { name: 'Per day, last 90 days (America/New_York)' })).toBeVisible();
  await expect(page.getByRole('img', { name: /Redemptions per day: 7 redemptions from/ })).toBeVisible();
  const series = requests.filter((u) => u.includes('/v1/reports/timeseries')).map((u) => new URL(u).searchParams);
  const last = series[series.length - 1];
  const days = (Date.parse(last.get('to')!) - Date.parse(last.get('from')!)) / 86_400_000 + 1;
  expect([last.get('interval'), days]).toEqual(['day', 90]);
});

test('performance: codes report sortable by redemptions, conversion and revenue; attribution by channel and partner; referral leaderboard', async ({ page, account }) => {
  await seed(account);
  await signIn(page, account, '/admin/performance');
  const codes = page.getByRole('table', { name: /^Codes by/ });
  const order = () => codes.locator('tbody th').allTextContents();
  await expect(codes.locator('tbody tr')).toHaveCount(4);
  expect(await order()).toEqual(['PARTNER50', 'REFER-ANNA', 'PARTNER-EMAIL', 'REFER-BOB']);
  await expect(codes.getByRole('columnheader', { name: 'Redemptions' })).toHaveAttribute('aria-sort', 'descending');
  await codes.getByRole('button', { name: 'Conversion' }).click();
  await expect(page).toHaveURL(/sort=-conversionRate/);
  await expect(codes.getByRole('columnheader', { name: 'Conversion' })).toHaveAttribute('aria-sort', 'descending');
  await expect.poll(order).toEqual(['PARTNER-EMAIL', 'REFER-ANNA', 'PARTNER50', 'REFER-BOB']);
  await codes.getByRole('button', { name: 'Revenue' }).click();
  await expect(page).toHaveURL(/sort=-revenue/);
  await expect.poll(order).toEqual(['REFER-ANNA', 'PARTNER-EMAIL', 'PARTNER50', 'REFER-BOB']);

  const channel = page.getByRole('table', { name: /Redemptions by channel/ });
  await expect(channel.locator('tbody th')).toHaveText(['partners', 'referral', 'email']);
  const partner = page.getByRole('table', { name: /Redemptions by partner/ });
  await expect(partner.locator('tbody th')).toHaveText(['XYZ', '(none)']);
  const board = page.getByRole('table', { name: /Referrers by converted signups/ });
  // converted: cus_anna 2, no referrer 2 (PARTNER50's paid one and PARTNER-EMAIL), cus_bob 0; a tie goes by key, the null key last
  await expect(board.locator('tbody th')).toHaveText(['cus_anna', '(none)', 'cus_bob']);
  await expectAccessible(page, 'performance');
});
