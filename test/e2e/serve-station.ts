// A real station for browser-mode tests: `keybench serve` (the core, the embedded Okta simulator and virtual
// keys) as a child process serving the renderer that global setup built, and a page that fails its test on
// a console error, a page error or a CSP violation.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { expect, type Page } from '@playwright/test';

const RUN_DIR = process.env.KEYBENCH_E2E_DIR ?? 'out/e2e/missing-global-setup';
export const KEYBENCH_CLI = 'electron/cli/keybench.mjs';

/** The arguments of `keybench serve` on `dataDir`, without USB, serving the built renderer. */
export function serveArgs(dataDir: string, extra: string[]): string[] {
  return ['serve', '--data', dataDir, '--no-usb', '--renderer', join(RUN_DIR, 'renderer'), ...extra];
}

export interface ServedStation {
  child: ChildProcess;
  /** The link `keybench serve` printed, session included. */
  link: string;
  /** A fresh temporary folder the station keeps its data in. */
  dataDir: string;
}

/** Starts a station on a fresh data folder and resolves once it printed its link. */
export async function serve(args: string[]): Promise<ServedStation> {
  const dataDir = await mkdtemp(join(tmpdir(), 'keybench-e2e-'));
  const child = spawn(process.execPath, [KEYBENCH_CLI, ...serveArgs(dataDir, args)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += String(d)));
  for await (const line of createInterface({ input: child.stdout! })) {
    const link = /^Open: (\S+)/.exec(line)?.[1];
    if (link) return { child, link, dataDir };
  }
  throw new Error(`keybench serve exited before printing its link:\n${stderr}`);
}

/** Signals a child process and waits until it exited (at once if it already had). */
export async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

/** Collects the page's console errors, page errors and CSP violations from now on, into the array returned. */
export async function watchProblems(page: Page): Promise<string[]> {
  const problems: string[] = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(e.message));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective}`));
  });
  return problems;
}

/**
 * Opens `page` on a fresh station started with `args`, runs `use` once the scan field has focus, then fails
 * if the page reported a problem. The station and its data are gone afterwards, whatever happened.
 */
export async function withStation(page: Page, args: string[], use: (link: string) => Promise<void>): Promise<void> {
  const problems = await watchProblems(page);
  const station = await serve(args);
  try {
    await page.goto(station.link);
    await expect(page.getByTestId('scan-field')).toBeFocused();
    await use(station.link);
    expect(problems, 'console errors or CSP violations').toEqual([]);
  } finally {
    await stop(station.child);
    await rm(station.dataDir, { recursive: true, force: true });
  }
}
