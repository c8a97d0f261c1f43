// The bench screen as a technician uses it, against the built renderer and a fake station. Every test
// fails on a console error, an uncaught page error or a CSP violation.
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { test as base, expect, type Page } from '@playwright/test';
import type { KeyTile, StationApi } from '../../electron/contract/index.js';
import type { FakeCall, FakeStation, FakeStationOptions } from '../../renderer/src/fake-station.js';
import { lowestContrast } from './contrast.js';

declare global {
  interface Window {
    station?: StationApi;
    keybenchFake: { createFakeStation(options: FakeStationOptions): FakeStation };
    fakeStation: FakeStation;
  }
}

const ORIGIN = 'http://station.test';
const RUN_DIR = process.env.KEYBENCH_E2E_DIR ?? 'out/e2e/missing-global-setup';
const RENDERER_DIR = join(RUN_DIR, 'renderer');
const FAKE_SCRIPT = join(RUN_DIR, 'fake', 'fake-station.js');
/** What the Electron protocol handler sends; the page also carries it (minus frame-ancestors) as a meta tag. */
const CSP_HEADER =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

interface Bench {
  open(options?: FakeStationOptions): Promise<void>;
  calls(channel?: string): Promise<FakeCall[]>;
  setTile(tile: KeyTile): Promise<void>;
}

const test = base.extend<{ problems: string[]; bench: Bench }>({
  problems: [
    async ({ page }, use) => {
      const problems: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console: ${message.text()}`);
      });
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      await use(problems);
      expect(problems, 'console errors or CSP violations').toEqual([]);
    },
    { auto: true },
  ],
  bench: async ({ page }, use) => {
    await page.route(`${ORIGIN}/**`, async (route) => {
      const path = normalize(new URL(route.request().url()).pathname).replace(/^(\.\.[/\\])+/, '');
      const file = join(RENDERER_DIR, path === '/' ? 'index.html' : path);
      try {
        const body = await readFile(file);
        await route.fulfill({ body, contentType: TYPES[extname(file)] ?? 'application/octet-stream', headers: { 'Content-Security-Policy': CSP_HEADER } });
      } catch {
        await route.fulfill({ status: 404, body: 'not found' });
      }
    });
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        console.error(`CSP violation: ${event.violatedDirective} (${event.blockedURI || 'inline'})`);
      });
    });
    // Playwright wraps init scripts in a function, so the IIFE's global is published by hand.
    await page.addInitScript({ content: `${await readFile(FAKE_SCRIPT, 'utf8')}\nwindow.keybenchFake = keybenchFake;` });

    await use({
      async open(options = {}) {
        await page.addInitScript((opts) => {
          const fake = window.keybenchFake.createFakeStation(opts);
          window.fakeStation = fake;
          window.station = Object.freeze({ call: fake.call, onEvent: fake.onEvent });
        }, options);
        await page.goto(`${ORIGIN}/index.html`);
        await expect(page.getByTestId('scan-field')).toBeFocused();
      },
      calls: (channel) => page.evaluate((name) => window.fakeStation.calls.filter((c) => !name || c.channel === name), channel),
      setTile: (tile) => page.evaluate((t) => window.fakeStation.setTile(t), tile),
    });
  },
});

const tile = (page: Page, port: string) => page.locator(`[data-testid="tile"][data-port="${port}"]`);

async function demoTile(page: Page, port: string): Promise<KeyTile> {
  const snapshot = await page.evaluate(() => window.fakeStation.call('station.snapshot', {}));
  if (!snapshot.ok) throw new Error('the fake station did not answer station.snapshot');
  const found = snapshot.data.tiles.find((t) => t.port === port);
  if (!found) throw new Error(`no demo tile on ${port}`);
  return found;
}

test('the simulated org is unmistakable and the top bar shows the counts', async ({ page, bench }) => {
  await bench.open({ orders: 12 });
  await expect(page.getByTestId('simulated-band')).toBeVisible();
  await expect(page.getByTestId('simulated-band')).toContainText('SIMULATED ORG');
  await expect(page.getByTestId('orders-waiting')).toHaveText('12');
  await expect(page.getByTestId('done-today')).toHaveText('37');
  await expect(page.getByTestId('failed-today')).toHaveText('3');
  await expect(page.getByTestId('online-state')).toContainText('Online');
  await expect(page.locator('.top-bar')).toContainText('Sam (bench 2)');

  await page.getByTestId('nav-settings').click();
  await expect(page.getByTestId('simulated-band')).toBeVisible();
});

test('a real org shows no simulated band', async ({ page, bench }) => {
  await bench.open({ simulated: false });
  await expect(page.locator('.top-bar')).toContainText('Acme Corp');
  await expect(page.getByTestId('simulated-band')).toHaveCount(0);
});

test('each tile shows its state as a word and an icon, with the key facts', async ({ page, bench }) => {
  await bench.open();
  const expected: Record<string, string> = {
    'usb:1': 'Enrolling',
    'usb:2': 'Touch now',
    'usb:3': 'Waiting to be touched',
    'usb:4': 'Failed',
    'usb:5': 'Done — remove key',
    'usb:6': 'Quarantined',
    'usb:7': 'Waiting for order',
    'usb:8': 'Checking',
  };
  await expect(page.getByTestId('tile')).toHaveCount(8);
  for (const [port, word] of Object.entries(expected)) {
    const state = tile(page, port).getByTestId('tile-state');
    await expect(state).toHaveText(word);
    await expect(state.locator('svg')).toHaveCount(1);
  }
  await expect(tile(page, 'usb:1')).toContainText('Alice Moreau (alice@example.com)');
  await expect(tile(page, 'usb:1')).toContainText('18273645');
  await expect(tile(page, 'usb:3')).toContainText('no serial');
  await expect(tile(page, 'usb:3')).toContainText('Waiting its turn to be touched');
  await expect(tile(page, 'usb:5').getByTestId('tile-action')).toContainText('Done — remove key');
  await expect(tile(page, 'usb:1').getByTestId('tile-step')).toHaveText('Enrolling with Okta');
  await expect(tile(page, 'usb:1').getByRole('progressbar')).toHaveAttribute('aria-valuenow', '15');

  const elapsed = tile(page, 'usb:1').getByTestId('tile-elapsed');
  const first = await elapsed.textContent();
  await expect(elapsed).not.toHaveText(first ?? '', { timeout: 2500 });
});

test('with no keys the bench says to plug one in', async ({ page, bench }) => {
  await bench.open({ tiles: [] });
  await expect(page.getByTestId('bench-empty')).toContainText('Plug a key into the hub');
});

test('a fast scan reaches orders.scan whole and the field keeps focus', async ({ page, bench }) => {
  await bench.open();
  const field = page.getByTestId('scan-field');
  // A scanner: fast keys ending with Enter, starting with a digit that must not become a shortcut.
  await page.keyboard.type('12345@example.com');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('scan-result')).toContainText('is on Port 7');
  await expect(field).toBeFocused();
  await expect(field).toHaveValue('');
  expect((await bench.calls('orders.scan')).map((c) => c.args)).toEqual([{ code: '12345@example.com' }]);
  await expect(tile(page, 'usb:7').getByTestId('tile-state')).toHaveText('Enrolling');

  // A station refusal reads as a plain sentence, never a stack.
  await page.keyboard.type('NOPE-1');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('scan-result')).toHaveText('No waiting order matches "NOPE-1". Check the barcode, or import the order first.');
  await expect(field).toBeFocused();

  // Clicking around brings focus home, and keys typed while a button has focus land in the field.
  await page.getByTestId('nav-history').click();
  await expect(field).toBeFocused();
  await page.getByTestId('nav-bench').focus();
  await page.keyboard.type('ORD-00020');
  await expect(field).toHaveValue('ORD-00020');
});

test('one touch at a time: the banner names exactly one key', async ({ page, bench }) => {
  await bench.open();
  await expect(page.getByTestId('touch-banner')).toHaveCount(1);
  await expect(page.getByTestId('touch-banner')).toContainText('Touch key 2');
  await expect(page.locator('.tile.touch-now')).toHaveCount(1);
  await expect(page.locator('.tile.touch-now')).toHaveAttribute('data-port', 'usb:2');

  // The first key is touched; the waiting one gets its turn.
  const second = await demoTile(page, 'usb:2');
  const third = await demoTile(page, 'usb:3');
  await bench.setTile({ ...second, state: 'creating-credential', step: 'Creating credential 1 of 1', touch: 'none', progress: 0.6 });
  await bench.setTile({ ...third, touch: 'now' });
  await expect(page.getByTestId('touch-banner')).toContainText('Touch key 3');
  await expect(page.locator('.tile.touch-now')).toHaveCount(1);
  await expect(page.getByTestId('live-assertive')).toContainText('Touch key 3');
});

test('a failed tile says what happened and what to do, and Retry calls jobs.retry', async ({ page, bench }) => {
  await bench.open();
  const failed = tile(page, 'usb:4');
  await expect(failed.getByTestId('failure-cause')).toHaveText('This key already has a PIN.');
  await expect(failed.getByTestId('failure-action')).toContainText('Unplug it, plug it back in, and touch it within 10 seconds to reset.');
  await expect(failed.getByRole('button', { name: 'Skip' })).toBeVisible();
  await expect(failed.getByRole('button', { name: 'Quarantine' })).toBeVisible();

  await failed.getByRole('button', { name: 'Retry' }).click();
  await expect(failed.getByTestId('tile-state')).toHaveText('Enrolling');
  expect((await bench.calls('jobs.retry')).map((c) => c.args)).toEqual([{ port: 'usb:4' }]);
  await expect(page.getByTestId('scan-field')).toBeFocused();
});

test('tiles keep their size when their state changes', async ({ page, bench }) => {
  await bench.open();
  const before = await tile(page, 'usb:1').boundingBox();
  const first = await demoTile(page, 'usb:1');
  await bench.setTile({
    ...first,
    state: 'failed',
    failure: { code: 'x', message: 'Okta refused the enrollment because the rate limit was reached for this org.', action: 'Wait one minute, then press Retry.', retryable: true },
  });
  await expect(tile(page, 'usb:1').getByTestId('tile-state')).toHaveText('Failed');
  expect(await tile(page, 'usb:1').boundingBox()).toEqual(before);
  await expect(page.getByTestId('live-assertive')).toContainText('Port 1 failed');
});

test('importing a CSV lists the bad rows by line number', async ({ page, bench }) => {
  await bench.open();
  await page.getByTestId('open-queue').click();
  const csv = ['user,delivery', 'ann@example.com,email', 'not-an-email,email', 'ben@example.com,print', ',email', ''].join('\n');
  await page.getByTestId('import-file').setInputFiles({ name: 'orders.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });

  const result = page.getByTestId('import-result');
  await expect(result).toContainText('2 orders added');
  await expect(page.getByTestId('import-errors').locator('li')).toHaveCount(2);
  await expect(page.getByTestId('import-errors').locator('li').nth(0)).toContainText('Line 3');
  await expect(page.getByTestId('import-errors').locator('li').nth(1)).toContainText('Line 5');
  await page.keyboard.press('Escape');
  await expect(result).toBeHidden();
  await expect(page.getByTestId('scan-field')).toBeFocused();

  // The same file dropped anywhere on the window imports too.
  const dataTransfer = await page.evaluateHandle((text) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([text], 'dropped.csv', { type: 'text/csv' }));
    return transfer;
  }, csv);
  await page.dispatchEvent('main', 'dragenter', { dataTransfer });
  await page.dispatchEvent('main', 'drop', { dataTransfer });
  await expect(result).toContainText('2 orders added');
  expect((await bench.calls('orders.import')).map((c) => (c.args as { fileName: string }).fileName)).toEqual(['orders.csv', 'dropped.csv']);
});

test('the queue drawer keeps 10,000 orders to a few rows in the DOM and reaches the last one', async ({ page, bench }) => {
  await bench.open({ orders: 10_000 });
  await page.getByTestId('open-queue').click();
  await expect(page.getByTestId('queue-count')).toHaveText('10,000 orders shown');
  await expect(page.getByTestId('order-row').first()).toBeVisible();
  expect(await page.locator('[role="listitem"]').count()).toBeLessThan(100);

  await page.getByTestId('virtual-list').evaluate((list) => list.scrollTo({ top: list.scrollHeight }));
  await expect(page.locator('[data-order-id="ORD-10000"]')).toBeVisible();
  expect(await page.locator('[role="listitem"]').count()).toBeLessThan(100);

  await page.getByRole('button', { name: 'Pull pending orders from Okta' }).click();
  await expect(page.getByTestId('queue-drawer')).toContainText('Pulled 3 pending orders from Okta.');
  await expect(page.getByTestId('queue-count')).toHaveText('10,003 orders shown');

  await page.getByTestId('queue-search').fill('ORD-0999');
  await expect(page.getByTestId('queue-count')).toHaveText('10 orders shown');
  await page.getByTestId('scan-field').focus();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('queue-drawer')).toHaveCount(0);
  await expect(page.getByTestId('scan-field')).toBeFocused();
});

test('settings never echo a token back', async ({ page, bench }) => {
  const token = 'ssws-00aBcDeF-very-secret-token-42';
  await bench.open();
  await page.getByTestId('nav-settings').click();
  await expect(page.getByTestId('credentials-state')).toHaveText('Not configured');
  await page.getByTestId('org-url').fill('https://acme.okta.com');
  await page.getByTestId('token-input').fill(token);
  await page.getByRole('button', { name: 'Save credentials' }).click();

  await expect(page.getByTestId('credentials-state')).toContainText('Configured');
  await expect(page.getByTestId('token-input')).toHaveValue('');
  await expect(page.getByTestId('token-input')).toHaveAttribute('type', 'password');
  await expect(page.getByTestId('simulated-band')).toHaveCount(0);
  expect(await page.content()).not.toContain(token);
  expect(await page.locator('body').innerText()).not.toContain(token);
  const values = await page.evaluate(() => [...document.querySelectorAll('input, textarea')].map((el) => (el as HTMLInputElement).value));
  expect(values.join('\n')).not.toContain(token);
  await expect(page.getByTestId('jwks')).toHaveValue(/"kid": "station-enc-1"/);
  expect(await bench.calls('settings.setCredentials')).toEqual([
    { channel: 'settings.setCredentials', args: { kind: 'ssws', orgUrl: 'https://acme.okta.com', token: '[redacted]' } },
  ]);
});

test('a sample mailer prints on the saved printer from the keyboard and says how to check it', async ({ page, bench }) => {
  await bench.open();
  await page.getByTestId('nav-settings').click();
  const form = page.getByTestId('printing-form');
  const sample = page.getByTestId('sample-mailer');
  const button = sample.getByRole('button', { name: 'Print a sample mailer' });
  await expect(button).toBeDisabled();
  await expect(button).toHaveAccessibleDescription(/Choose a printer/);

  await form.getByTestId('printer-select').selectOption('HP_LaserJet_M404');
  await form.getByTestId('paper-select').selectOption('letter');
  await expect(sample.getByTestId('sample-hint')).toHaveText('Save the printing settings first: the sample prints on the saved printer.');
  await expect(button).toBeDisabled();
  await form.getByRole('button', { name: 'Save printing settings' }).click();
  await expect(button).toBeEnabled();
  await expect(sample.getByTestId('sample-hint')).toContainText('Prints on HP_LaserJet_M404 on US Letter, with no PIN,');

  await button.focus();
  await page.keyboard.press('Enter');
  await expect(sample.getByRole('status')).toHaveText(
    'Sample mailer sent to HP_LaserJet_M404: hold it behind a window envelope; the address must sit inside the dashed outline.',
  );
  expect(await bench.calls('printers.sample')).toEqual([{ channel: 'printers.sample', args: { paper: 'letter' } }]);
  const lowest = await lowestContrast(page, '[data-testid="sample-hint"], [data-testid="sample-message"]');
  expect(lowest.ratio, `contrast of "${lowest.text}"`).toBeGreaterThanOrEqual(4.5);
});

test('digit keys focus tiles, Esc cancels the focused step, ? opens the shortcut sheet', async ({ page, bench }) => {
  await bench.open();
  await page.keyboard.press('3');
  await expect(tile(page, 'usb:3')).toBeFocused();
  await expect(page.getByTestId('scan-field')).toHaveValue('');
  await page.keyboard.press('1');
  await expect(tile(page, 'usb:1')).toBeFocused();

  await page.keyboard.press('Escape');
  await expect.poll(async () => (await bench.calls('jobs.cancelStep')).map((c) => c.args)).toEqual([{ port: 'usb:1' }]);
  await expect(tile(page, 'usb:1').getByTestId('tile-state')).toHaveText('Failed');

  await page.getByTestId('scan-field').focus();
  await page.keyboard.press('?');
  const sheet = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(sheet).toBeVisible();
  await page.keyboard.press('Tab');
  await expect(sheet.getByRole('button', { name: 'Close' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(sheet).toBeHidden();
  await expect(page.getByTestId('scan-field')).toBeFocused();
});

test('history shows the charts and exports a file', async ({ page, bench }) => {
  await bench.open();
  await page.getByTestId('nav-history').click();
  await expect(page.getByTestId('chart-per-hour').locator('rect')).toHaveCount(24);
  await expect(page.getByTestId('chart-causes').locator('li')).toHaveCount(3);
  await expect(page.getByTestId('history-row').first()).toBeVisible();
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export CSV' }).click();
  expect((await download).suggestedFilename()).toBe('keybench-history.csv');
});

test('a key pulled mid-job offers Retry and Dismiss, and Dismiss calls jobs.dismiss', async ({ page, bench }) => {
  await bench.open();
  const failed = await demoTile(page, 'usb:4');
  await bench.setTile({
    ...failed,
    failure: { code: 'key-removed', message: 'The key was removed in the middle of provisioning.', action: 'Press Retry to put the order back in the queue, or Dismiss.', retryable: true },
  });
  const pulled = tile(page, 'usb:4');
  await expect(pulled.getByTestId('failure-cause')).toHaveText('The key was removed in the middle of provisioning.');
  await expect(pulled.getByRole('button', { name: 'Retry' })).toBeVisible();
  await expect(pulled.getByRole('button', { name: 'Skip' })).toHaveCount(0);
  await pulled.getByRole('button', { name: 'Dismiss' }).click();
  await expect(pulled).toHaveCount(0);
  expect((await bench.calls('jobs.dismiss')).map((c) => c.args)).toEqual([{ port: 'usb:4' }]);
});

test('a key programmed offline reads "Awaiting activation"', async ({ page, bench }) => {
  await bench.open();
  const done = await demoTile(page, 'usb:5');
  await bench.setTile({ ...done, state: 'awaiting-activation', step: 'Programmed — remove key; it activates on sync' });
  await expect(tile(page, 'usb:5').getByTestId('tile-state')).toHaveText('Awaiting activation');
  await expect(tile(page, 'usb:5').getByTestId('tile-action')).toContainText('It activates in Okta on the next sync.');
});

test('a quarantined key stays marked until it is unplugged', async ({ page, bench }) => {
  await bench.open();
  const quarantined = await demoTile(page, 'usb:6');
  await bench.setTile({ ...quarantined, state: 'checking', step: 'Reading the key' });
  await expect(tile(page, 'usb:6').getByTestId('tile-state')).toHaveText('Quarantined');
  await page.evaluate(() => window.fakeStation.removeTile('usb:6'));
  await expect(tile(page, 'usb:6')).toHaveCount(0);
  await bench.setTile({ ...quarantined, state: 'checking', step: 'Reading the key' });
  await expect(tile(page, 'usb:6').getByTestId('tile-state')).toHaveText('Checking');
});

for (const colorScheme of ['light', 'dark'] as const) {
  test(`the bench in the ${colorScheme} theme meets AA contrast`, async ({ page, bench }, testInfo) => {
    await page.setViewportSize({ width: 1920, height: 1300 });
    await page.emulateMedia({ colorScheme });
    await bench.open();
    const background = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    expect(background).toBe(colorScheme === 'dark' ? 'rgb(13, 16, 20)' : 'rgb(238, 240, 243)');
    const texts = '[data-testid="tile-state"], .tile h3, .tile dt, .tile dd, .tile .step, .tile .elapsed, .tile .action p, .touch-banner, .top-bar dt, .top-bar dd, .scan label, nav button';
    const lowest = await lowestContrast(page, texts);
    expect(lowest.ratio, `contrast of "${lowest.text}"`).toBeGreaterThanOrEqual(4.5);

    const path = join(testInfo.project.outputDir, 'screenshots', `bench-${colorScheme}.png`);
    await page.screenshot({ path, animations: 'disabled' });
    await testInfo.attach(`bench-${colorScheme}`, { path, contentType: 'image/png' });
  });
}
