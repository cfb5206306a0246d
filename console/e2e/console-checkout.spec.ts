/**
 * The checkout fields of a coupon (budget, minimum amounts, plan rules, metadata), its budget
 * meter, active holds, earlier batches and invoice preview, and the account settings page.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DateTime } from 'luxon';
import { coupon, expect, expectAccessible, signIn, test, type Account } from './fixtures';

const DOCS = path.resolve(__dirname, '../../docs');
const ZONE = 'America/New_York';

/** An instant as the console shows it (format.ts dateTime). */
const shown = (iso: string) => new Intl.DateTimeFormat('en-US', { timeZone: ZONE, dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
/** Text with every run of white space (Intl's narrow no-break space too) as one space. */
const norm = (s: string) => s.replace(/\s+/g, ' ').trim();
const shownDate = (iso: string) => new Intl.DateTimeFormat('en-US', { timeZone: ZONE, dateStyle: 'medium' }).format(new Date(iso));

async function monthlyPlan(account: Account): Promise<void> {
  await account.api('PUT', '/v1/plans/pro-monthly', { name: 'Pro', kind: 'recurring', interval: { unit: 'month', count: 1 }, currency: 'USD', price: 2000, family: 'pro' });
}

test('coupon form: a budget, minimum amounts, plan rules and metadata are created and round-trip on edit', async ({ page, account }) => {
  await signIn(page, account, '/admin/coupons/new');
  await expect(page.getByRole('heading', { name: 'Create coupon' })).toBeVisible();
  await page.getByLabel('Name').fill('Capped spring');
  await page.getByLabel('Percent off').fill('50');
  await page.getByLabel('Plan families', { exact: true }).fill('pro, Team plans');
  await page.getByLabel('Billing intervals', { exact: true }).fill('month, 3 months');
  await page.getByLabel('Excluded plan ids').fill('pro-legacy');
  await page.getByLabel('Subscription plans').check();
  await page.getByRole('button', { name: 'Add minimum currency' }).click();
  await expect(page.getByLabel('Minimum 1: currency')).toHaveValue('USD');
  await page.getByLabel('Minimum 1: amount').fill('50');
  await page.getByRole('button', { name: 'Add budget currency' }).click();
  await page.getByLabel('Budget 1: amount').fill('100.00');
  await page.getByRole('button', { name: 'Add budget currency' }).click();
  await page.getByLabel('Budget 2: currency').fill('EUR');
  await page.getByLabel('Budget 2: amount').fill('-5');
  await page.getByLabel('Budget period (in the coupon’s time zone)').selectOption('month');
  await page.getByRole('button', { name: 'Add metadata' }).click();
  await page.getByLabel('Metadata 1: key').fill('campaign');
  await page.getByLabel('Metadata 1: value').fill('spring');
  await expectAccessible(page, 'coupon form with checkout fields');

  // the API's error names the EUR amount: shown with the budget, that row marked invalid
  await page.getByRole('button', { name: 'Save coupon' }).click();
  const budget = page.getByRole('group', { name: /^Discount budget/ });
  await expect(budget.getByRole('alert')).toHaveText('limits.budget.amounts.EUR: Too small: expected number to be >=0');
  await expect(page.getByLabel('Budget 2: amount')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel('Budget 1: amount')).not.toHaveAttribute('aria-invalid', 'true');
  await expectAccessible(page, 'coupon form with a budget error');

  await page.getByLabel('Budget 2: amount').fill('80.50');
  await page.getByRole('button', { name: 'Save coupon' }).click();
  await expect(page.getByRole('heading', { name: /Capped spring/ })).toBeVisible();
  const [created] = (await account.api<{ data: Record<string, unknown>[] }>('GET', '/v1/coupons')).data;
  expect([created.appliesTo, created.limits, created.metadata]).toEqual([
    {
      plans: { include: { families: ['pro', 'Team plans'], intervals: [{ unit: 'month', count: 1 }, { unit: 'month', count: 3 }] }, exclude: { planIds: ['pro-legacy'] } },
      planKinds: ['recurring'],
      minimumAmounts: { USD: 5000 },
    },
    { maxRedemptions: null, perCustomer: null, budget: { amounts: { USD: 10000, EUR: 8050 }, period: 'month' } },
    { campaign: 'spring' },
  ]);

  // the detail page: the budget meter before any invoice
  await expect(page.getByText('$0.00 spent of $100.00, $100.00 remaining')).toBeVisible();
  await expect(page.getByText('€0.00 spent of €80.50, €80.50 remaining')).toBeVisible();
  await expect(page.getByText('No customer holds a use of this coupon now.')).toBeVisible();
  await expect(page.getByText('No batch of codes was generated for this coupon yet.')).toBeVisible();
  await expect(page.getByText(/The account has no plans yet/)).toBeVisible();
  await expectAccessible(page, 'coupon detail with checkout panels');

  await page.getByRole('link', { name: 'Edit coupon' }).click();
  await expect(page.getByRole('heading', { name: 'Edit coupon Capped spring' })).toBeVisible();
  // by currency code
  await expect(page.getByLabel('Budget 1: currency')).toHaveValue('EUR');
  await expect(page.getByLabel('Budget 1: amount')).toHaveValue('80.50');
  await expect(page.getByLabel('Budget 2: currency')).toHaveValue('USD');
  await expect(page.getByLabel('Budget 2: amount')).toHaveValue('100.00');
  await expect(page.getByLabel('Budget period (in the coupon’s time zone)')).toHaveValue('month');
  await expect(page.getByLabel('Minimum 1: currency')).toHaveValue('USD');
  await expect(page.getByLabel('Minimum 1: amount')).toHaveValue('50.00');
  await expect(page.getByLabel('Plan families', { exact: true })).toHaveValue('pro, Team plans');
  await expect(page.getByLabel('Billing intervals', { exact: true })).toHaveValue('month, 3 months');
  await expect(page.getByLabel('Excluded plan ids')).toHaveValue('pro-legacy');
  await expect(page.getByLabel('Subscription plans')).toBeChecked();
  await expect(page.getByLabel('One-time plans')).not.toBeChecked();
  await expect(page.getByLabel('Metadata 1: key')).toHaveValue('campaign');
  await expect(page.getByLabel('Metadata 1: value')).toHaveValue('spring');

  // edit the budget and the minimum; remove the EUR budget; add metadata
  await page.getByLabel('Budget 2: amount').fill('120');
  await page.getByRole('button', { name: 'Remove budget 1' }).click();
  await expect(page.getByLabel('Budget 1: currency')).toHaveValue('USD');
  await page.getByLabel('Minimum 1: amount').fill('60.00');
  await page.getByRole('button', { name: 'Add metadata' }).click();
  await page.getByLabel('Metadata 2: key').fill('owner');
  await page.getByLabel('Metadata 2: value').fill('ana');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page).toHaveURL(new RegExp(`/admin/coupons/${created.id as string}$`));
  await expect(page.getByRole('heading', { name: 'Discount budget' })).toBeVisible();
  const edited = await account.api<Record<string, unknown>>('GET', `/v1/coupons/${created.id as string}`);
  expect([edited.appliesTo, edited.limits, edited.metadata, edited.version]).toEqual([
    {
      plans: { include: { families: ['pro', 'Team plans'], intervals: [{ unit: 'month', count: 1 }, { unit: 'month', count: 3 }] }, exclude: { planIds: ['pro-legacy'] } },
      planKinds: ['recurring'],
      minimumAmounts: { USD: 6000 },
    },
    { maxRedemptions: null, perCustomer: null, budget: { amounts: { USD: 12000 }, period: 'month' } },
    { campaign: 'spring', owner: 'ana' },
    2,
  ]);
  await expect(page.getByText('$0.00 spent of $120.00, $120.00 remaining')).toBeVisible();
});

test('coupon detail: the budget meter after an invoice, active holds, earlier batches with their codes.csv', async ({ page, account }) => {
  await monthlyPlan(account);
  const c = await account.api<{ id: string }>('POST', '/v1/coupons', coupon({
    name: 'Half off, capped', code: 'HALF', discount: { type: 'percentage', basisPoints: 5000 }, duration: { type: 'forever' },
    limits: { budget: { amounts: { USD: 1500 }, period: 'month' } },
  }));
  await account.api('POST', '/v1/redemptions', { code: 'HALF', customer: { id: 'cus_1' }, subscriptionId: 'sub_1', planId: 'pro-monthly' }, 201);
  const now = DateTime.now().setZone(ZONE);
  await account.api('POST', '/v1/invoices', {
    invoiceId: 'in_1', subscriptionId: 'sub_1', customerId: 'cus_1', currency: 'USD',
    periodStart: now.toISO(), periodEnd: now.plus({ months: 1 }).toISO(),
    lines: [{ id: 'l1', kind: 'recurring', planId: 'pro-monthly', amount: 2000 }],
  });
  const { hold } = await account.api<{ hold: { expiresAt: string } }>('POST', '/v1/holds', { code: 'HALF', customer: { id: 'cus_holding' }, planId: 'pro-monthly', ttlSeconds: 3600 }, 201);
  const { batch } = await account.api<{ batch: { id: string; createdAt: string } }>('POST', `/v1/coupons/${c.id}/batches`, { count: 5, prefix: 'SPRING-', length: 8 }, 202);
  await expect.poll(async () => (await account.api<{ status: string }>('GET', `/v1/batches/${batch.id}`)).status).toBe('completed');

  await signIn(page, account, `/admin/coupons/${c.id}`);
  // 50 % of 20.00 is 10.00 of the 15.00 budget this month
  await expect(page.getByText('$10.00 spent of $15.00, $5.00 remaining')).toBeVisible();
  await expect(page.getByLabel('Budget in USD')).toHaveAttribute('value', '1000');
  const resets = now.startOf('month').plus({ months: 1 }).toUTC().toISO()!;
  await expect(page.getByText(`Each calendar month, this period since ${shown(now.startOf('month').toUTC().toISO()!)}; resets ${shown(resets)} (${ZONE}).`)).toBeVisible();

  const holds = page.getByRole('table', { name: /^Active holds of Half off, capped/ });
  await expect(holds.getByRole('row')).toHaveCount(2);
  await expect(holds.getByRole('rowheader')).toHaveText('cus_holding');
  const holdCells = (await holds.getByRole('row').nth(1).getByRole('cell').allTextContents()).map(norm);
  expect([holdCells[0], holdCells[1], holdCells[3]]).toEqual(['HALF', 'pro-monthly', norm(shown(hold.expiresAt))]);

  const batches = page.getByRole('table', { name: /^Batches of Half off, capped/ });
  await expect(batches.getByRole('row')).toHaveCount(2);
  await expect(batches.getByRole('rowheader')).toHaveText(shown(batch.createdAt));
  expect((await batches.getByRole('row').nth(1).getByRole('cell').allTextContents()).map(norm)).toEqual(['5', '1', 'Never', 'Completed', 'Download CSV']);
  const download = page.waitForEvent('download');
  await batches.getByRole('button', { name: /^Download CSV of the batch of / }).click();
  const file = await download;
  const lines = fs.readFileSync((await file.path())!, 'utf8').trim().split('\n');
  expect(lines[0]).toBe('code,max_redemptions,expires_at,status');
  expect(lines.slice(1).map((l) => /^SPRING-[A-Z2-9]{8},1,,active$/.test(l))).toEqual([true, true, true, true, true]);
  await expectAccessible(page, 'coupon detail with budget, holds and batches');
});

test('preview: the invoices of a plan with the coupon, exact amounts; a bad cycle count is shown beside its input', async ({ page, account }) => {
  await monthlyPlan(account);
  await account.api('PUT', '/v1/plans/team-yearly', { name: 'Team', kind: 'recurring', interval: { unit: 'year', count: 1 }, currency: 'EUR', price: 99900 });
  const c = await account.api<{ id: string }>('POST', '/v1/coupons', coupon({ name: 'Quarter off twice', discount: { type: 'percentage', basisPoints: 2500 }, duration: { type: 'repeating', cycles: 2 } }));
  await signIn(page, account, `/admin/coupons/${c.id}`);
  const section = page.locator('section', { has: page.getByRole('heading', { name: 'What it does' }) });
  await expect(section.getByLabel('Plan')).toHaveValue('pro-monthly');
  await expect(section.getByLabel('Currency')).toHaveValue('USD');
  await section.getByLabel('Cycles (1 to 36)').fill('40');
  await section.getByRole('button', { name: 'Preview invoices' }).click();
  await expect(section.getByLabel('Cycles (1 to 36)')).toHaveAttribute('aria-invalid', 'true');
  await expect(section.getByRole('alert')).toHaveText('cycles: Too big: expected number to be <=36');

  await section.getByLabel('Cycles (1 to 36)').fill('3');
  const start = DateTime.now().setZone(ZONE).startOf('day');
  await section.getByLabel(`Start date (${ZONE})`).fill(start.toISODate()!);
  await section.getByRole('button', { name: 'Preview invoices' }).click();
  const table = section.getByRole('table', { name: `Invoices of pro-monthly in USD with Quarter off twice (rounding half up; ${ZONE})` });
  await expect(table.getByRole('row')).toHaveCount(4);
  const period = (n: number) => `${shownDate(start.plus({ months: n }).toISO()!)} – ${shownDate(start.plus({ months: n + 1 }).toISO()!)}`;
  const cells = async (n: number) => table.getByRole('row').nth(n).getByRole('cell').allTextContents();
  expect(await table.getByRole('row').nth(1).getByRole('rowheader').textContent()).toBe('1');
  expect(await cells(1)).toEqual([period(0), '$20.00', '−$5.00', '$15.00', '$0.00']);
  expect(await cells(2)).toEqual([period(1), '$20.00', '−$5.00', '$15.00', '$0.00']);
  expect(await cells(3)).toEqual([period(2), '$20.00', '$0.00', '$20.00', '$0.00']);
  await expectAccessible(page, 'coupon preview');
  await section.screenshot({ path: path.join(DOCS, 'console-preview.png') });

  // another plan: its currency is offered
  await section.getByLabel('Plan').selectOption('team-yearly');
  await expect(section.getByLabel('Currency')).toHaveValue('EUR');
  await section.getByLabel('Cycles (1 to 36)').fill('1');
  await section.getByRole('button', { name: 'Preview invoices' }).click();
  const yearly = section.getByRole('table', { name: /^Invoices of team-yearly in EUR/ });
  await expect(yearly.getByRole('row')).toHaveCount(2);
  expect(await yearly.getByRole('row').nth(1).getByRole('cell').allTextContents()).toEqual([
    `${shownDate(start.toISO()!)} – ${shownDate(start.plus({ years: 1 }).toISO()!)}`, '€999.00', '−€249.75', '€749.25', '€0.00',
  ]);
});

test('account settings: time zone, currency, overflow and rounding saved and shown; a bad zone is shown beside its input', async ({ page, account }) => {
  await signIn(page, account, '/admin');
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByRole('heading', { name: 'Account settings' })).toBeVisible();
  await expect(page.getByText(/Every existing redemption keeps the terms, overflow and rounding mode it was made with/)).toBeVisible();
  await expect(page.getByLabel('Time zone')).toHaveValue(ZONE);
  await expect(page.getByLabel('Rounding of percentage discounts')).toHaveValue('half_up');
  await expectAccessible(page, 'account settings');

  await page.getByLabel('Time zone').fill('Mars/Olympus');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByLabel('Time zone')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText('timeZone: must be an IANA time zone such as Europe/Paris')).toBeVisible();
  await expectAccessible(page, 'account settings with an error');

  await page.getByLabel('Time zone').fill('Europe/Berlin');
  await page.getByLabel('Currency').fill('eur');
  await page.getByLabel('When a discount exceeds the invoice (default for new coupons)').selectOption('credit');
  await page.getByLabel('Rounding of percentage discounts').selectOption('half_even');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByText('Settings saved.')).toBeVisible();
  await expect(page.locator('.who')).toContainText('· Europe/Berlin');
  const saved = await account.api<Record<string, unknown>>('GET', '/v1/account');
  expect([saved.timeZone, saved.currency, saved.overflow, saved.rounding]).toEqual(['Europe/Berlin', 'EUR', 'credit', 'half_even']);

  await page.reload();
  await expect(page.getByLabel('Time zone')).toHaveValue('Europe/Berlin');
  await expect(page.getByLabel('Currency')).toHaveValue('EUR');
  await expect(page.getByLabel('When a discount exceeds the invoice (default for new coupons)')).toHaveValue('credit');
  await expect(page.getByLabel('Rounding of percentage discounts')).toHaveValue('half_even');
});
