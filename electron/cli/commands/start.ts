// `keybench start` (what `npm start` runs): builds the app, then launches Electron when its binary can be
// had, and otherwise says so in one line and serves the same station in browser mode.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { EXIT, type Output } from '../usage.js';
import { serveCommand } from './serve.js';

const require = createRequire(import.meta.url);

/** The Electron executable if it is on disk, without triggering Electron's lazy download. */
export function electronBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  let packageDir: string;
  try {
    packageDir = dirname(require.resolve('electron/package.json'));
  } catch {
    return undefined;
  }
  const override = env.ELECTRON_OVERRIDE_DIST_PATH;
  const relative = existsSync(join(packageDir, 'path.txt')) ? readFileSync(join(packageDir, 'path.txt'), 'utf8').trim() : undefined;
  const candidate = override ? join(override, relative ?? 'electron') : relative ? join(packageDir, 'dist', relative) : undefined;
  return candidate && existsSync(candidate) ? candidate : undefined;
}

/** Electron 42+ fetches its binary on first require; give it one chance (it fails fast offline). */
function tryFetchElectron(): string | undefined {
  spawnSync(process.execPath, ['-e', "require('electron')"], { stdio: 'ignore', timeout: 180_000 });
  return electronBinary();
}

async function buildRenderer(io: Output): Promise<void> {
  const { build } = await import('vite');
  io.out('Building the station UI…');
  await build({ configFile: 'renderer/vite.config.mts', logLevel: 'warn' });
}

export async function startCommand(argv: string[], io: Output): Promise<number> {
  await buildRenderer(io);
  const binary = electronBinary() ?? tryFetchElectron();
  if (!binary) {
    io.out('Electron is not available on this machine (its binary could not be downloaded), so keybench starts in browser mode.');
    return serveCommand(argv, io);
  }
  const { build } = await import('electron-vite');
  await build({ configFile: 'electron.vite.config.mts' });
  const child = spawn(binary, ['.', ...argv], { stdio: 'inherit' });
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? EXIT.failed)));
}
