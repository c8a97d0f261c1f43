// Browser mode against the real station for what happens around a job: a key pulled mid-job, the station
// killed mid-job and started again, and a batch programmed offline then synced. `keybench serve` (and,
// where an org must outlive the station, `keybench sim`) run as child processes; nothing is faked between
// the page and the simulator.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test, expect, type Page } from '@playwright/test';
import { KEYBENCH_CLI, serveArgs, stop, watchProblems } from './serve-station.js';

interface Child {
  child: ChildProcess;
  /** What it printed up to the line that was waited for. */
  lines: string[];
}

/** Starts a keybench command and resolves once it printed a line starting with `ready`. */
async function start(args: string[], ready: string, env: NodeJS.ProcessEnv = {}): Promise<Child> {
  const child = spawn(process.execPath, [KEYBENCH_CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += String(d)));
  const lines: string[] = [];
  for await (const line of createInterface({ input: child.stdout! })) {
    lines.push(line);
    if (line.startsWith(ready)) return { child, lines };
  }
  throw new Error(`keybench ${args[0]} exited before it was ready:\n${stderr}`);
}

async function serve(dataDir: string, extra: string[], env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; link: string }> {
  const { child, lines } = await start(serveArgs(dataDir, extra), 'Open:', env);
  return { child, link: /^Open: (\S+)/.exec(lines.at(-1)!)![1]! };
}

async function sim(extra: string[] = []): Promise<{ child: ChildProcess; url: string; token: string }> {
  const { child, lines } = await start(['sim', '--token', 'e2e-sim-token-0123456789', ...extra], 'API token');
  const url = lines.map((line) => /^Okta simulator listening on (\S+)/.exec(line)?.[1]).find(Boolean);
  if (!url) throw new Error(`keybench sim printed no URL: ${lines.join(' | ')}`);
  return { child, url, token: 'e2e-sim-token-0123456789' };
}

test.describe.configure({ timeout: 60_000 });

const tiles = (page: Page) => page.locator('[data-testid="tile"]');

test('a key pulled mid-job leaves a tile that says so until it is dismissed', async ({ page }) => {
  const problems = await watchProblems(page);
  const dataDir = await mkdtemp(join(tmpdir(), 'keybench-e2e-'));
  const station = await serve(dataDir, ['--virtual', '1', '--virtual-knobs=--unplug-during makeCredential']);
  try {
    await page.goto(station.link);
    await expect(tiles(page).getByTestId('tile-state')).toHaveText(['Waiting for order'], { timeout: 10_000 });
    await page.getByTestId('scan-field').fill('alice@example.com');
    await page.getByTestId('scan-field').press('Enter');
    const tile = tiles(page).filter({ hasText: 'alice@example.com' });
    await expect(tile.getByTestId('failure-cause')).toHaveText('The key was removed in the middle of provisioning.', { timeout: 15_000 });
    await expect(tile.getByTestId('failure-action')).toContainText('Retry');
    await expect(tile.getByTestId('tile-state')).toHaveText('Failed');
    await tile.getByRole('button', { name: 'Dismiss' }).click();
    await expect(tiles(page)).toHaveCount(0);
    expect(problems, 'console errors or CSP violations').toEqual([]);
  } finally {
    await stop(station.child);
    await rm(dataDir, { recursive: true, force: true });
  }
});

const ALICE_ID = '00us2hPODQncCkxef0g3';

async function factorStatuses(simUrl: string, token: string, userId: string): Promise<string[]> {
  const response = await fetch(`${simUrl}/webauthn-registration/api/v1/users/${userId}/enrollments`, { headers: { Authorization: `SSWS ${token}`, Accept: 'application/json' } });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { status?: unknown }[];
  return body.map((f) => String(f.status));
}

test('a station killed mid-job and started again finishes the order with exactly one active factor', async ({ page }) => {
  const problems = await watchProblems(page);
  const org = await sim();
  const dataDir = await mkdtemp(join(tmpdir(), 'keybench-e2e-'));
  const env = { KEYBENCH_OKTA_TOKEN: org.token, KEYBENCH_PASSPHRASE: 'e2e passphrase for the station keys' };
  // Slow credential creation keeps the job mid-way long enough to kill the station there.
  const args = ['--org', org.url, '--virtual', '1', '--virtual-knobs=--latency makeCredential:3000'];
  let station = await serve(dataDir, args, env);
  try {
    await page.goto(station.link);
    await expect(page.getByTestId('simulated-band')).toHaveCount(0);
    await expect(tiles(page).getByTestId('tile-state')).toHaveText(['Waiting for order'], { timeout: 10_000 });
    await page.getByTestId('scan-field').fill('alice@example.com');
    await page.getByTestId('scan-field').press('Enter');
    await expect(tiles(page).getByTestId('tile-state')).toHaveText([/Touch now|Creating credential/], { timeout: 15_000 });
    const firstLink = station.link;
    await stop(station.child, 'SIGKILL');

    station = await serve(dataDir, args, env);
    await page.goto(station.link);
    const tile = tiles(page).filter({ hasText: 'alice@example.com' });
    await expect(tile.getByTestId('tile-state')).toHaveText('Done — remove key', { timeout: 30_000 });
    expect(await factorStatuses(org.url, org.token, ALICE_ID).then((s) => s.filter((x) => x === 'ACTIVE'))).toEqual(['ACTIVE']);
    // The page tried to reconnect to the killed station; that, and only that, is expected.
    const killedStation = new URL(firstLink).host;
    expect(problems.filter((p) => !(p.includes(`ws://${killedStation}/`) && p.includes('ERR_CONNECTION_REFUSED'))), 'console errors or CSP violations').toEqual([]);
  } finally {
    await stop(station.child);
    await stop(org.child);
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('orders enrolled ahead are programmed while the org is frozen and activate once it answers again', async ({ page }) => {
  const problems = await watchProblems(page);
  const org = await sim();
  const dataDir = await mkdtemp(join(tmpdir(), 'keybench-e2e-'));
  // No keys at first: imported orders must wait to be enrolled ahead instead of going straight to a key.
  await writeFile(join(dataDir, 'settings.json'), JSON.stringify({ virtualKeys: 0 }));
  const station = await serve(dataDir, ['--org', org.url, '--probe-ms', '300'], { KEYBENCH_OKTA_TOKEN: org.token });
  try {
    await page.goto(station.link);
    await expect(page.getByTestId('online-state').locator('dd')).toHaveText('Online');
    await page.getByTestId('open-queue').click();
    const csv = ['user,delivery', 'bob@example.com,hold', 'carol@example.com,hold', ''].join('\n');
    await page.getByTestId('import-file').setInputFiles({ name: 'orders.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await expect(page.getByTestId('import-result')).toContainText('2 orders added');
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('import-result')).toHaveCount(0);
    await page.getByTestId('enroll-ahead').click({ timeout: 5_000 });
    await expect(page.getByTestId('queue-message')).toHaveText(/^2 orders enrolled ahead/, { timeout: 10_000 });
    await expect(page.getByTestId('enrolled-ahead')).toHaveText('2');
    await page.keyboard.press('Escape');

    // Frozen, not killed: a restarted simulator would have forgotten the enrollments.
    org.child.kill('SIGSTOP');
    await expect(page.getByTestId('online-state').locator('dd')).toHaveText('Offline', { timeout: 10_000 });

    await page.getByTestId('nav-settings').click();
    await page.getByLabel('Virtual keys (simulator)').fill('2');
    await page.getByRole('button', { name: 'Save station settings' }).click();
    await page.getByTestId('nav-bench').click();
    await expect(tiles(page).getByTestId('tile-state')).toHaveText(['Awaiting activation', 'Awaiting activation'], { timeout: 20_000 });
    await expect(page.getByTestId('pending-activations')).toHaveText('2');
    await expect(page.getByTestId('online-state').locator('dd')).toHaveText('Offline');

    org.child.kill('SIGCONT');
    await expect(page.getByTestId('online-state').locator('dd')).toHaveText('Online', { timeout: 10_000 });
    // Back online the probe syncs by itself; nothing is left to activate.
    await expect(page.getByTestId('sync-state')).toHaveCount(0, { timeout: 15_000 });
    await expect(page.getByTestId('done-today')).toHaveText('2');
    await page.getByTestId('open-queue').click();
    await page.getByTestId('queue-state').selectOption('done');
    await expect(page.getByTestId('order-row')).toHaveCount(2);
    expect(problems, 'console errors or CSP violations').toEqual([]);
  } finally {
    org.child.kill('SIGCONT');
    await stop(station.child);
    await stop(org.child);
    await rm(dataDir, { recursive: true, force: true });
  }
});
