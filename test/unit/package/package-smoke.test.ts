// Packages the app the way a release does, minus what needs the network (electron-anchors.md §3): the
// electron-vite build and electron-builder `--dir` against a stub Electron distribution, with fuses off (they
// need the real binary's sentinel) and no native rebuild. The checks are on what a station would install.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../../..');
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
  main: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  build: Record<string, unknown>;
};
const ELECTRON_VERSION = pkg.devDependencies['electron']!;

interface AsarEntry {
  readonly size: number;
  readonly unpacked: boolean;
}

/** Reads an asar's file list: a 16-byte pickle header (sizes, little-endian) then the JSON directory tree. */
function readAsar(file: string): Map<string, AsarEntry> {
  const buf = readFileSync(file);
  const jsonLength = buf.readUInt32LE(12);
  const root = JSON.parse(buf.subarray(16, 16 + jsonLength).toString('utf8')) as AsarNode;
  const entries = new Map<string, AsarEntry>();
  const walk = (node: AsarNode, prefix: string): void => {
    for (const [name, child] of Object.entries(node.files ?? {})) {
      const path = prefix ? `${prefix}/${name}` : name;
      if (child.files) walk(child, path);
      else entries.set(path, { size: Number(child.size ?? 0), unpacked: child.unpacked === true });
    }
  };
  walk(root, '');
  return entries;
}
interface AsarNode {
  files?: Record<string, AsarNode>;
  size?: number | string;
  unpacked?: boolean;
}

function directorySize(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? directorySize(path) : statSync(path).size;
  }
  return total;
}

/** Bare package names a bundle imports (relative chunks and Node builtins left out). */
function importedPackages(code: string): string[] {
  const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
  const names = new Set<string>();
  for (const m of code.matchAll(/(?:from\s*|import\s*\(\s*|require\(\s*|import\s+)["']([^"'./][^"']*)["']/g)) {
    const spec = m[1]!;
    if (builtins.has(spec) || builtins.has(spec.split('/')[0]!)) continue;
    names.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
  }
  return [...names];
}

let stage: string;
let resources: string;
let asar: Map<string, AsarEntry>;

beforeAll(() => {
  stage = mkdtempSync(join(tmpdir(), 'keybench-package-'));
  // A copy of the project whose out/ is this test's own build: everything else is a link to the checkout, so
  // electron-builder sees the real sources, tests and node_modules it must leave out.
  const project = join(stage, 'project');
  mkdirSync(project);
  for (const name of readdirSync(repo)) {
    if (['out', 'dist', '.git'].includes(name)) continue;
    symlinkSync(join(repo, name), join(project, name));
  }
  const vite = spawnSync(process.execPath, [join(repo, 'node_modules/electron-vite/bin/electron-vite.js'), 'build', '--outDir', join(project, 'out'), '--logLevel', 'error'], {
    cwd: repo, encoding: 'utf8', timeout: 120_000,
  });
  if (vite.status !== 0) throw new Error(`electron-vite build failed:\n${vite.stdout}\n${vite.stderr}`);

  // A stand-in for the Electron zip: the files electron-builder copies and renames, no Chromium.
  const electronDist = join(stage, 'electron-dist');
  mkdirSync(join(electronDist, 'resources'), { recursive: true });
  writeFileSync(join(electronDist, 'electron'), '#!/bin/sh\necho "stub Electron for packaging tests" >&2\nexit 1\n');
  chmodSync(join(electronDist, 'electron'), 0o755);
  writeFileSync(join(electronDist, 'version'), ELECTRON_VERSION);
  for (const name of ['LICENSE', 'LICENSES.chromium.html', 'chrome-sandbox']) writeFileSync(join(electronDist, name), '');

  const config = join(stage, 'electron-builder.json');
  writeFileSync(config, JSON.stringify({
    ...pkg.build,
    electronFuses: null,
    electronDist,
    npmRebuild: false,
    directories: { ...(pkg.build['directories'] as object), output: join(stage, 'dist') },
  }));
  const builder = spawnSync(process.execPath, [join(repo, 'node_modules/electron-builder/cli.js'), '--linux', 'dir', '--x64', '--publish', 'never', '--projectDir', project, '--config', config], {
    cwd: project, encoding: 'utf8', timeout: 220_000, env: { ...process.env, CI: 'true' },
  });
  if (builder.status !== 0) throw new Error(`electron-builder --dir failed:\n${builder.stdout}\n${builder.stderr}`);
  resources = join(stage, 'dist/linux-unpacked/resources');
  asar = readAsar(join(resources, 'app.asar'));
}, 240_000);

afterAll(() => {
  if (stage) rmSync(stage, { recursive: true, force: true });
});

describe('packaged app (electron-builder --dir, Linux x64)', () => {
  it('holds the built main, hid-host, preload and renderer, and a main entry that points at them', () => {
    for (const file of ['out/main/index.js', 'out/main/hid-host.js', 'out/preload/index.cjs', 'out/renderer/index.html']) {
      expect(asar.has(file), file).toBe(true);
    }
    expect(asar.has(pkg.main)).toBe(true);
  });

  it("holds the print page with pdf.js's worker and the standard font files it draws mailers with", () => {
    expect(asar.has('out/renderer/print.html')).toBe(true);
    const files = [...asar.keys()];
    expect(files.some((p) => /^out\/renderer\/assets\/pdf\.worker[^/]*\.mjs$/.test(p)), 'pdf.js worker').toBe(true);
    for (const font of ['LiberationSans-Regular.ttf', 'LiberationSans-Bold.ttf', 'FoxitFixedBold.pfb']) {
      expect(asar.has(`out/renderer/standard_fonts/${font}`), font).toBe(true);
    }
  });

  it('ships no sources, tests, configs, source maps or lockfiles', () => {
    const topLevel = new Set([...asar.keys()].map((p) => p.split('/')[0]));
    expect([...topLevel].sort()).toEqual(['node_modules', 'out', 'package.json']);
    const own = [...asar.keys()].filter((p) => !p.startsWith('node_modules/'));
    expect(own.filter((p) => /\.(ts|mts|svelte|map)$/.test(p))).toEqual([]);
  });

  it('ships no dev dependencies', () => {
    const present = Object.keys(pkg.devDependencies).filter((name) => [...asar.keys()].some((p) => p.startsWith(`node_modules/${name}/`)));
    expect(present).toEqual([]);
  });

  it('ships every package the main process and the hid-host import', () => {
    const bundles = [...asar.keys()].filter((p) => /^out\/main\/[^/]+\.js$/.test(p));
    expect(bundles.length).toBeGreaterThanOrEqual(2);
    const code = bundles.map((p) => readFileSync(join(stage, 'project', p), 'utf8')).join('\n');
    const missing = importedPackages(code).filter((name) => name !== 'electron' && !asar.has(`node_modules/${name}/package.json`));
    expect(missing).toEqual([]);
  });

  it("unpacks node-hid's Linux prebuild and better-sqlite3's binary next to the asar, and drops other platforms' prebuilds", () => {
    const natives = ['node_modules/node-hid/prebuilds/HID_hidraw-linux-x64/node-napi-v4.node', 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'];
    for (const file of natives) {
      expect(asar.get(file)?.unpacked, file).toBe(true);
      expect(existsSync(join(resources, 'app.asar.unpacked', file)), file).toBe(true);
    }
    const prebuilds = readdirSync(join(resources, 'app.asar.unpacked/node_modules/node-hid/prebuilds'));
    expect(prebuilds.filter((d) => /darwin|win32/.test(d))).toEqual([]);
    expect(prebuilds).toContain('HID-linux-x64');
  });

  it("leaves out better-sqlite3's build leftovers and sources", () => {
    const leftovers = [...asar.keys()].filter((p) => /^node_modules\/better-sqlite3\/(deps|src|build\/Release\/(obj|test_extension))/.test(p));
    expect(leftovers).toEqual([]);
  });

  it('ships the kiosk udev rule where the deb after-install script and the AppImage offer read it', () => {
    expect(readFileSync(join(resources, 'udev/70-keybench-kiosk.rules'), 'utf8')).toBe(readFileSync(join(repo, 'build/linux/70-keybench-kiosk.rules'), 'utf8'));
  });

  it('reports the size of what the app adds to Electron', () => {
    const asarBytes = statSync(join(resources, 'app.asar')).size;
    const unpackedBytes = directorySize(join(resources, 'app.asar.unpacked'));
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
    console.info(`[package] app.asar ${mb(asarBytes)} (${asar.size} files), app.asar.unpacked ${mb(unpackedBytes)}`);
    // About 35 MB today, mostly runtime dependencies (pdfkit and its fonts, zod, @peculiar); a jump past 48 MB
    // means something that should not ship (a dev tool, a source tree, another platform's binaries) does.
    expect(asarBytes + unpackedBytes).toBeLessThan(48 * 1024 * 1024);
  });
});
