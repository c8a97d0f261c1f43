// Browser mode against the real station for what happens after a job: its record, a PIN held until the
// key's delivery is confirmed, the audit trail, and the one-time PIN mailer download. `keybench serve`
// (the core, the embedded Okta simulator and virtual keys) runs as a child process; nothing is faked.
// Every test fails on a console error, a page error or a CSP violation.
import { readFile } from 'node:fs/promises';
import { test as base, expect, type Page } from '@playwright/test';
import { withStation } from './serve-station.js';

const test = base.extend<{ page: Page }>({
  page: async ({ page }, use) => {
    await withStation(page, ['--virtual', '1'], () => use(page));
  },
});

test.describe.configure({ timeout: 60_000 });

const tiles = (page: Page) => page.locator('[data-testid="tile"]');

/** Provisions a key for `login`, the PIN delivered the way its order says (an imported order carries its own delivery). */
async function provision(page: Page, login: string, delivery: 'email' | 'print' | 'hold' = 'email') {
  await expect(tiles(page).getByTestId('tile-state')).toHaveText(['Waiting for order'], { timeout: 10_000 });
  await page.getByTestId('open-queue').click();
  const csv = ['user,delivery', `${login},${delivery}`, ''].join('\n');
  await page.getByTestId('import-file').setInputFiles({ name: 'order.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await expect(page.getByTestId('import-result')).toContainText('1 order added');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('import-result')).toHaveCount(0);
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('queue-drawer')).toHaveCount(0);
  await expect(tiles(page).getByTestId('tile-state')).toHaveText(['Done — remove key'], { timeout: 20_000 });
}

const historyRow = (page: Page, login: string) => page.getByTestId('history-row').filter({ hasText: login });

test.describe('with delivery "hold"', () => {
  test('a held PIN is sent once the key is confirmed delivered, and the job record says so', async ({ page }) => {
    await provision(page, 'alice@example.com', 'hold');
    await expect(tiles(page).getByTestId('tile-finished')).toHaveText(/^Done (just now|1 min ago)$/);

    await page.getByTestId('nav-history').click();
    await expect(historyRow(page, 'alice@example.com').getByTestId('pin-badge')).toHaveText('PIN held');

    // Keyboard: the row is a button; Enter opens the record.
    await historyRow(page, 'alice@example.com').focus();
    await page.keyboard.press('Enter');
    const record = page.getByTestId('job-record');
    await expect(record.getByTestId('record-outcome')).toHaveText('Done');
    await expect(record.getByTestId('record-timeline').locator('li').first()).toBeVisible();
    expect(await record.getByTestId('record-timeline').locator('li').count()).toBeGreaterThan(2);
    await expect(record.getByTestId('record-attestation')).toContainText(/Trusted|Not trusted/);
    await expect(record.getByTestId('record-key')).toContainText('AAGUID');
    await expect(page.getByRole('button', { name: 'Confirm delivery — send PIN' })).toBeVisible();
    await page.screenshot({ path: 'test-results/screenshots/job-record.png' });
    await page.keyboard.press('Escape');
    await expect(record).toHaveCount(0);

    await page.getByTestId('history-held').click();
    const held = page.getByTestId('held-row').filter({ hasText: 'alice@example.com' });
    await expect(held).toHaveCount(1);
    await held.getByRole('checkbox').focus();
    await page.keyboard.press('Space');
    await expect(page.getByTestId('confirm-selected')).toContainText('(1)');
    await page.screenshot({ path: 'test-results/screenshots/held-pins.png' });
    await page.getByTestId('confirm-selected').click();
    await expect(page.getByTestId('confirm-count')).toContainText('1 selected key');
    await page.getByRole('button', { name: 'Send 1 PIN' }).click();
    await expect(page.getByTestId('delivery-result')).toContainText('1 PIN sent', { timeout: 10_000 });
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('held-row')).toHaveCount(0);

    await page.getByTestId('history-jobs').click();
    await expect(historyRow(page, 'alice@example.com').getByTestId('pin-badge')).toHaveText('PIN sent');
    await historyRow(page, 'alice@example.com').click();
    await expect(record.getByTestId('record-delivery').filter({ hasText: 'Sent by Okta' })).toHaveCount(1);
    await expect(page.getByRole('button', { name: 'Confirm delivery — send PIN' })).toHaveCount(0);
  });

  test('a delivered-orders file sends the PINs it matches and lists the lines it could not', async ({ page }) => {
    await provision(page, 'bob@example.com', 'hold');
    await page.getByTestId('nav-history').click();
    await page.getByTestId('history-held').click();
    await expect(page.getByTestId('held-row')).toHaveCount(1);
    const csv = ['login', 'bob@example.com', 'nobody@example.com', ''].join('\n');
    await page.getByTestId('delivered-file').setInputFiles({ name: 'delivered.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    const result = page.getByTestId('delivery-result');
    await expect(result).toContainText('1 PIN sent', { timeout: 10_000 });
    await expect(page.getByTestId('delivery-errors')).toContainText('Line 3');
    await page.screenshot({ path: 'test-results/screenshots/delivered-file-result.png' });
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('held-row')).toHaveCount(0);
  });
});

test('the audit trail verifies intact and exports as JSON lines', async ({ page }) => {
  await provision(page, 'carol@example.com');
  await page.getByTestId('nav-history').click();
  await page.getByTestId('history-audit').click();
  await page.getByRole('button', { name: 'Verify audit trail' }).click();
  await expect(page.getByTestId('audit-result').locator('[data-verdict]')).toHaveAttribute('data-verdict', 'intact', { timeout: 10_000 });
  await page.screenshot({ path: 'test-results/screenshots/audit-trail.png' });

  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export audit (JSON lines)' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/\.jsonl$/);
  const lines = (await readFile(await file.path(), 'utf8')).trim().split('\n');
  expect(lines.length).toBeGreaterThan(0);
  for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
  expect(lines.join('\n')).toContain('carol@example.com');
});

test.describe('with delivery "print"', () => {
  test('a printed PIN mailer downloads once, at once, and the page says to print it now', async ({ page }) => {
    const download = page.waitForEvent('download', { timeout: 30_000 });
    await provision(page, 'alice@example.com', 'print');
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/\.pdf$/);
    expect((await readFile(await file.path())).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    await expect(page.getByTestId('notice').filter({ hasText: 'print it now; it cannot be downloaded again' })).toHaveCount(1);
  });
});
