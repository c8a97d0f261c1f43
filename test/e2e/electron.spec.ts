// The desktop app itself: the electron-vite build launched by Playwright's Electron driver with a fresh
// user-data folder (so the embedded simulator and two virtual keys), checking the boundaries the
// browser-mode suites cannot see — the app:// origin, the preload's exact surface, the window's sandbox —
// and one scan provisioning a key end to end. Where no Electron binary can be had, the suite only skips.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron as electron, test, expect, type ElectronApplication, type Page } from '@playwright/test';
import { electronBinary } from '../../electron/cli/commands/start.js';

const binary = electronBinary();

test.skip(binary === undefined, 'Electron binary not available on this machine; the Electron suite runs where it can be downloaded');
test.describe.configure({ mode: 'serial', timeout: 120_000 });

let app: ElectronApplication;
let page: Page;
let userData: string;

test.beforeAll(async () => {
  if (binary === undefined) return;
  execFileSync(process.execPath, ['node_modules/electron-vite/bin/electron-vite.js', 'build'], { stdio: 'inherit' });
  userData = await mkdtemp(join(tmpdir(), 'keybench-electron-'));
  app = await electron.launch({ executablePath: binary, args: ['out/main/index.js', `--user-data-dir=${userData}`] });
  page = await app.firstWindow();
});

test.afterAll(async () => {
  if (binary === undefined) return;
  await app?.close();
  await rm(userData, { recursive: true, force: true });
});

test('the window shows the station from app://station', async () => {
  await expect(page.getByTestId('scan-field')).toBeFocused({ timeout: 20_000 });
  expect(new URL(page.url()).origin + '/').toBe('app://station/');
});

test('the page sees exactly call and onEvent on window.station', async () => {
  const surface = await page.evaluate(() => Object.keys((window as unknown as { station: object }).station).sort());
  expect(surface).toEqual(['call', 'onEvent']);
  expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
});

test('the window is sandboxed and context-isolated', async () => {
  const prefs = await app.evaluate(({ BrowserWindow }) => {
    const web = BrowserWindow.getAllWindows()[0]!.webContents;
    const p = (web as unknown as { getLastWebPreferences(): Record<string, unknown> }).getLastWebPreferences();
    return { sandbox: p.sandbox, contextIsolation: p.contextIsolation, nodeIntegration: p.nodeIntegration };
  });
  expect(prefs).toEqual({ sandbox: true, contextIsolation: true, nodeIntegration: false });
});

test('a scan provisions a virtual key', async () => {
  const tiles = page.locator('[data-testid="tile"]');
  await expect(tiles.getByTestId('tile-state').first()).toHaveText('Waiting for order', { timeout: 20_000 });
  await page.getByTestId('scan-field').fill('alice@example.com');
  await page.getByTestId('scan-field').press('Enter');
  await expect(tiles.filter({ hasText: 'alice@example.com' }).getByTestId('tile-state')).toHaveText('Done — remove key', { timeout: 30_000 });
});
