// Browser mode against the real station: `keybench serve` (the core, the embedded Okta simulator and
// virtual keys in a child process) serving the built renderer to Chromium. No fake anywhere between the
// page and the simulator. Every test fails on a console error, a page error or a CSP violation.
import { test as base, expect, type Page } from '@playwright/test';
import { withStation } from './serve-station.js';

interface Station {
  link: string;
  page: Page;
}

const test = base.extend<{ station: Station }>({
  station: async ({ page }, use) => {
    await withStation(page, ['--virtual', '2'], (link) => use({ link, page }));
  },
});

const tiles = (page: Page) => page.locator('[data-testid="tile"]');

test('two keys are provisioned in parallel from two scans', async ({ station: { page } }) => {
  await expect(page.getByTestId('simulated-band')).toBeVisible();
  await expect(tiles(page)).toHaveCount(2);
  await expect(tiles(page).getByTestId('tile-state')).toHaveText(['Waiting for order', 'Waiting for order'], { timeout: 10_000 });
  const scan = page.getByTestId('scan-field');
  await scan.fill('alice@example.com');
  await scan.press('Enter');
  await scan.fill('bob@example.com');
  await scan.press('Enter');
  await expect(scan).toBeFocused();
  await expect(tiles(page).getByTestId('tile-state')).toHaveText(['Done — remove key', 'Done — remove key'], { timeout: 20_000 });
  await expect(tiles(page).filter({ hasText: 'alice@example.com' })).toHaveCount(1);
  await expect(tiles(page).filter({ hasText: 'bob@example.com' })).toHaveCount(1);
  await expect(page.getByTestId('done-today')).toHaveText('2');
  await page.screenshot({ path: 'test-results/screenshots/station-done.png' });

  await page.getByTestId('nav-history').click();
  const history = page.getByTestId('virtual-list');
  await expect(history.getByText('alice@example.com')).toBeVisible();
  await expect(history.getByText('bob@example.com')).toBeVisible();
});

test('importing a CSV with bad rows queues the good ones and lists the bad ones by line', async ({ station: { page } }) => {
  await expect(tiles(page).getByTestId('tile-state')).toHaveText(['Waiting for order', 'Waiting for order'], { timeout: 10_000 });
  await page.getByTestId('open-queue').click();
  const csv = ['user,delivery', 'carol@example.com,hold', ',email', 'dave@example.com,pigeon', ''].join('\n');
  await page.getByTestId('import-file').setInputFiles({ name: 'orders.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await expect(page.getByTestId('import-result')).toContainText('1 order added');
  await expect(page.getByTestId('import-errors').locator('li')).toHaveCount(2);
  await expect(page.getByTestId('import-errors').locator('li').nth(0)).toContainText('Line 3');
  await expect(page.getByTestId('import-errors').locator('li').nth(1)).toContainText('Line 4');
  await page.keyboard.press('Escape');
  // The good row went straight to a ready key.
  await expect(tiles(page).filter({ hasText: 'carol@example.com' }).getByTestId('tile-state')).toHaveText('Done — remove key', { timeout: 20_000 });
});

test('settings take an org token without ever showing it again', async ({ station: { page } }) => {
  const token = 'ssws-00aBcDeF-e2e-secret-token-42';
  await page.getByTestId('nav-settings').click();
  await expect(page.getByTestId('settings-org')).toContainText('(simulator)');
  // A reserved .invalid host: the station may try to reach it, and nothing on the network answers.
  await page.getByTestId('org-url').fill('https://bench-test.invalid');
  await page.getByTestId('token-input').fill(token);
  await page.getByRole('button', { name: 'Save credentials' }).click();
  await expect(page.getByTestId('credentials-state')).toContainText('Configured');
  await expect(page.getByTestId('settings-org')).toHaveText('https://bench-test.invalid');
  await expect(page.getByTestId('token-input')).toHaveValue('');
  await expect(page.getByTestId('simulated-band')).toHaveCount(0);
  expect(await page.content()).not.toContain(token);
  const values = await page.evaluate(() => [...document.querySelectorAll('input, textarea')].map((el) => (el as HTMLInputElement).value));
  expect(values.join('\n')).not.toContain(token);
});
