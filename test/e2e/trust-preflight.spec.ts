// Browser mode against the real station for the settings a batch depends on: the preflight check of the
// org, the trust settings (MDS blob, policy, AAGUID allow-list) and printing. `keybench serve` with its
// embedded Okta simulator runs as a child process; nothing is faked. Every test fails on a console error,
// a page error or a CSP violation.
import { test as base, expect, type Page } from '@playwright/test';
import { lowestContrast } from './contrast.js';
import { withStation } from './serve-station.js';

const test = base.extend<{ page: Page }>({
  page: async ({ page }, use) => {
    await withStation(page, ['--virtual', '0'], async () => {
      await page.getByTestId('nav-settings').click();
      await use(page);
    });
  },
});

test.describe.configure({ timeout: 40_000 });

const A_YUBIKEY_AAGUID = 'cb69481e-8ff7-4039-93ec-0a2729a154a8';

/** The session lives in sessionStorage, so a reload reconnects; settings must come back from the station. */
async function reloadSettings(page: Page) {
  await page.reload();
  await expect(page.getByTestId('scan-field')).toBeFocused();
  await page.getByTestId('nav-settings').click();
}

test('preflight finds nothing wrong with the simulator and runs again on demand', async ({ page }) => {
  const panel = page.getByTestId('preflight-panel');
  await panel.getByTestId('preflight-users').fill('alice@example.com');
  // Keyboard only: the button is reached and pressed without the mouse.
  await panel.getByTestId('preflight-run').focus();
  await page.keyboard.press('Enter');
  const checks = panel.getByTestId('preflight-check');
  await expect(checks.first()).toBeVisible({ timeout: 15_000 });
  expect(await checks.count()).toBeGreaterThan(1);
  await expect(panel.locator('[data-status="fail"]')).toHaveCount(0);
  // A warning is allowed (an SSWS token carries no scopes to check), but never without its fix.
  const warnings = panel.locator('[data-status="warn"]');
  for (const warning of await warnings.all()) await expect(warning).toContainText('Fix:');
  await expect(panel.getByTestId('preflight-summary')).toContainText(/All \d+ checks passed|Ready, with \d+ warnings?/);
  await expect(checks.filter({ hasText: 'alice@example.com' })).not.toHaveCount(0);
  await panel.screenshot({ path: 'test-results/screenshots/preflight.png' });

  await panel.getByTestId('preflight-users').fill('nobody-here@example.com');
  await panel.getByRole('button', { name: 'Check the org again' }).click();
  const unknown = panel.locator('[data-status="fail"]').filter({ hasText: 'nobody-here@example.com' });
  await expect(unknown).toHaveCount(1, { timeout: 15_000 });
  await expect(unknown).toContainText('Fix:');
});

test('trust: a bad MDS blob is refused in plain words, and policy and allow-list are saved', async ({ page }) => {
  const panel = page.getByTestId('trust-panel');
  await expect(panel.getByTestId('mds-status')).toBeVisible();

  await panel.getByTestId('mds-file').setInputFiles({ name: 'blob.jwt', mimeType: 'text/plain', buffer: Buffer.from('this is not a signed metadata blob') });
  const message = panel.getByTestId('mds-message');
  await expect(message).toHaveClass(/error-text/, { timeout: 10_000 });
  await expect(message).not.toHaveText('');

  await panel.getByTestId('aaguid-allow-list').fill(`${A_YUBIKEY_AAGUID}\nnot-an-aaguid`);
  await expect(panel.getByTestId('aaguid-problems')).toContainText('Line 2');
  await expect(panel.getByRole('button', { name: 'Save trust settings' })).toBeDisabled();
  await panel.getByTestId('aaguid-allow-list').fill(A_YUBIKEY_AAGUID.toUpperCase());
  await panel.getByTestId('policy-record-only').check();
  await expect(panel.getByTestId('record-only-warning')).toBeVisible();
  await panel.screenshot({ path: 'test-results/screenshots/trust.png' });
  await panel.getByRole('button', { name: 'Save trust settings' }).click();
  await expect(panel.getByTestId('trust-form').getByRole('status')).toHaveText('Trust settings saved.');

  await reloadSettings(page);
  await expect(page.getByTestId('aaguid-allow-list')).toHaveValue(A_YUBIKEY_AAGUID);
  await expect(page.getByTestId('policy-record-only')).toBeChecked();
});

test('printing: the printer picker says why printing is unavailable, and paper and label size are saved', async ({ page }) => {
  const form = page.getByTestId('printing-form');
  await expect(form.getByTestId('printer-select').locator('option').first()).toHaveText('No printer chosen');
  // A fresh station has no printer chosen: the sample mailer waits for one and says so.
  const sample = page.getByTestId('sample-mailer');
  await expect(sample.getByRole('button', { name: 'Print a sample mailer' })).toBeDisabled();
  await expect(sample.getByTestId('sample-hint')).toHaveText('Choose a printer and save the printing settings to print a sample mailer.');
  // Either printers were found, or the station says why none can be used; never a silent empty list.
  await expect(async () => {
    const options = await form.getByTestId('printer-select').locator('option').count();
    const problem = (await form.getByTestId('printer-problem').textContent())?.trim() ?? '';
    expect(options > 1 || problem.length > 0).toBe(true);
  }).toPass({ timeout: 10_000 });
  await form.getByTestId('paper-select').selectOption('letter');
  await form.getByTestId('label-size-select').selectOption('4x6in');
  await form.getByRole('button', { name: 'Save printing settings' }).click();
  await expect(form.getByRole('status')).toHaveText('Printing settings saved.');
  await page.getByTestId('printing-form').screenshot({ path: 'test-results/screenshots/printing.png' });

  await reloadSettings(page);
  await expect(page.getByTestId('paper-select')).toHaveValue('letter');
  await expect(page.getByTestId('label-size-select')).toHaveValue('4x6in');
});

for (const colorScheme of ['light', 'dark'] as const) {
  test(`preflight results and trust warnings meet AA contrast in the ${colorScheme} theme`, async ({ page }) => {
    await page.emulateMedia({ colorScheme });
    await page.getByTestId('preflight-run').click();
    await expect(page.getByTestId('preflight-check').first()).toBeVisible({ timeout: 15_000 });
    await page.getByTestId('policy-record-only').check();
    await expect(page.getByTestId('record-only-warning')).toBeVisible();
    const texts = '[data-testid="preflight-check"] .look, [data-testid="preflight-check"] p, [data-testid="preflight-summary"] p, .warning, .card dt, .card dd, .card label, [data-testid="sample-hint"]';
    const lowest = await lowestContrast(page, texts);
    expect(lowest.ratio, `contrast of "${lowest.text}"`).toBeGreaterThanOrEqual(4.5);
    await page.getByTestId('preflight-panel').screenshot({ path: `test-results/screenshots/preflight-${colorScheme}.png`, animations: 'disabled' });
  });
}
