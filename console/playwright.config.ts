import { defineConfig } from '@playwright/test';

/**
 * Browser tests of the admin console: Debian's Chromium (/usr/bin/chromium, or CHROMIUM_PATH)
 * against the built service, started once on a fresh database and queue prefix by global-setup.
 */
export default defineConfig({
  testDir: './e2e',
  globalSetup: './e2e/global-setup.ts',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  outputDir: '../test-results/console',
  use: {
    browserName: 'chromium',
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] },
    viewport: { width: 1366, height: 900 },
    locale: 'en-US',
    timezoneId: 'UTC',
    acceptDownloads: true,
    trace: 'off',
    screenshot: 'only-on-failure',
  },
});
