// Browser mode in Chromium: pages served by the WebSocket bridge (electron/web) drive a fake station
// through renderer/src/lib/bridge-client.ts under the bridge's own CSP header. Every test fails on a
// console error, an uncaught page error or a CSP violation.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test as base, expect, type Page } from '@playwright/test';
import { build } from 'vite';
import type { Result, Snapshot, StationEvent } from '../../electron/contract/index.js';
import { startWebBridge, type WebBridge } from '../../electron/web/server.js';
import { CONTENT_SECURITY_POLICY } from '../../electron/web/static.js';
import type { ConnectionState, StationConnection } from '../../renderer/src/lib/bridge-client.js';
import { fakeBackend, SNAPSHOT, type FakeBackend } from '../unit/web/fake-backend.js';

declare global {
  interface Window {
    keybenchBridge: { connectStation(): StationConnection };
    bridgeStation: StationConnection;
    bridgeLog: { states: ConnectionState[]; events: StationEvent[] };
  }
}

const BRIDGE_SCRIPT_DIR = 'out/e2e-bridge';
const BRIDGE_SCRIPT = join(BRIDGE_SCRIPT_DIR, 'bridge-client.js');
/** A page of our own: the client as a classic script plus a few lines that record what it sees. */
const PAGE_DIR = join(BRIDGE_SCRIPT_DIR, 'page');
const PAGE_SCRIPT = `
window.bridgeLog = { states: [], events: [] };
window.bridgeStation = window.keybenchBridge.connectStation();
window.bridgeStation.onConnection((state) => window.bridgeLog.states.push(state));
window.bridgeStation.onEvent((event) => window.bridgeLog.events.push(event));
`;
const PAGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bridge test</title>
<link rel="icon" href="data:,">
<script src="./bridge-client.js"></script><script src="./page.js"></script>
</head><body><p>bridge test</p></body></html>
`;

base.beforeAll(async () => {
  await build({
    configFile: false,
    logLevel: 'warn',
    build: {
      lib: { entry: 'renderer/src/lib/bridge-client.ts', name: 'keybenchBridge', formats: ['iife'], fileName: () => 'bridge-client.js' },
      outDir: BRIDGE_SCRIPT_DIR,
      emptyOutDir: true,
      target: 'chrome120',
      minify: false,
    },
  });
  await mkdir(PAGE_DIR, { recursive: true });
  await writeFile(join(PAGE_DIR, 'index.html'), PAGE_HTML);
  await writeFile(join(PAGE_DIR, 'page.js'), PAGE_SCRIPT);
  await writeFile(join(PAGE_DIR, 'bridge-client.js'), await readFile(BRIDGE_SCRIPT));
});

interface Served {
  bridge: WebBridge;
  backend: FakeBackend;
  secret: string;
}

const test = base.extend<{ problems: string[]; serve: (rendererDir: string) => Promise<Served> }>({
  problems: [
    async ({ page }, use) => {
      const problems: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console: ${message.text()}`);
      });
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      await page.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (event) => {
          console.error(`CSP violation: ${event.violatedDirective} (${event.blockedURI || 'inline'})`);
        });
      });
      await use(problems);
      expect(problems, 'console errors or CSP violations').toEqual([]);
    },
    { auto: true },
  ],
  serve: async ({ page, problems }, use) => {
    const started: WebBridge[] = [];
    await use(async (rendererDir) => {
      const backend = fakeBackend({
        'orders.list': async () => ({ total: 0, items: [] }),
        'keys.wink': async ({ port }) => ({ message: `Winked ${port}` }),
      });
      const bridge = await startWebBridge({ backend, rendererDir, onInternalError: () => {} });
      started.push(bridge);
      // Any request carrying the secret would put it in a server log or a Referer.
      const secret = new URL(bridge.sessionUrl).hash.replace('#session=', '');
      page.on('request', (request) => {
        if (request.url().includes(secret) || Object.values(request.headers()).some((v) => v.includes(secret))) {
          problems.push(`the session secret left the page in a request to ${request.url().split('#')[0]}`);
        }
      });
      return { bridge, backend, secret };
    });
    await page.close();
    await Promise.all(started.map((bridge) => bridge.close()));
  },
});

const connected = (page: Page) => expect.poll(() => page.evaluate(() => window.bridgeLog.states.at(-1))).toBe('connected');

test('a page from the bridge connects under its CSP, calls the station and receives events', async ({ page, serve }) => {
  const { bridge, backend, secret } = await serve(PAGE_DIR);
  const response = await page.goto(bridge.sessionUrl);
  expect(response?.headers()['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
  expect(response?.headers()['x-content-type-options']).toBe('nosniff');
  await connected(page);

  // The secret moved from the address bar into this tab's sessionStorage.
  expect(page.url()).toBe(bridge.url);
  expect(await page.evaluate(() => sessionStorage.getItem('keybench.session'))).toBe(secret);

  const snapshot = await page.evaluate(() => window.bridgeStation.call('station.snapshot', {}));
  expect(snapshot).toEqual({ ok: true, data: SNAPSHOT } satisfies Result<Snapshot>);
  expect(await page.evaluate(() => window.bridgeStation.call('keys.wink', { port: 'virtual:1' }))).toEqual({ ok: true, data: { message: 'Winked virtual:1' } });
  expect(await page.evaluate(() => window.bridgeStation.call('keys.wink', { port: '' }))).toMatchObject({ ok: false, error: { code: 'bad-request' } });

  backend.emit({ type: 'notice', level: 'info', message: 'Batch synced.' });
  await expect.poll(() => page.evaluate(() => window.bridgeLog.events)).toEqual([{ type: 'notice', level: 'info', message: 'Batch synced.' }]);

  // A reload keeps working without the fragment.
  await page.reload();
  await connected(page);
  expect(await page.evaluate(() => window.bridgeStation.call('station.snapshot', {}))).toMatchObject({ ok: true });
});

test('a tab without the session is refused and says so', async ({ page, serve }) => {
  const { bridge } = await serve(PAGE_DIR);
  await page.goto(bridge.url);
  await expect.poll(() => page.evaluate(() => window.bridgeLog.states.at(-1))).toBe('unauthorized');
  expect(await page.evaluate(() => window.bridgeStation.call('station.snapshot', {}))).toMatchObject({ ok: false, error: { code: 'forbidden' } });
});

test('the built renderer runs on the bridge under its CSP', async ({ page, serve }) => {
  const { bridge, backend } = await serve(join(process.env.KEYBENCH_E2E_DIR ?? 'out/e2e/missing-global-setup', 'renderer'));
  // What a browser-mode entry does before the renderer starts: window.station from the bridge client.
  const client = await readFile(BRIDGE_SCRIPT, 'utf8');
  await page.addInitScript({ content: `${client}\nwindow.station = keybenchBridge.connectStation();` });
  const response = await page.goto(bridge.sessionUrl);
  expect(response?.headers()['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
  const tile = page.locator('[data-testid="tile"][data-port="virtual:1"]');
  await expect(tile).toBeVisible();
  backend.emit({ type: 'tile-removed', port: 'virtual:1' });
  await expect(tile).toHaveCount(0);
});
