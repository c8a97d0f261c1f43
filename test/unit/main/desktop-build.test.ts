// The desktop build (electron-vite) runs here even though Electron's binary does not: build it into a
// temp folder and check what electron-builder would ship — entries in place, a sandbox-loadable preload,
// and a main bundle that needs nothing beyond Node, Electron and the package's runtime dependencies.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { main: string; dependencies: Record<string, string> };
let out: string;

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'keybench-desktop-'));
  const run = spawnSync(process.execPath, ['node_modules/electron-vite/bin/electron-vite.js', 'build', '--outDir', out, '--logLevel', 'error'], { encoding: 'utf8', timeout: 180_000 });
  if (run.status !== 0) throw new Error(`electron-vite build failed:\n${run.stdout}\n${run.stderr}`);
}, 200_000);

afterAll(() => rmSync(out, { recursive: true, force: true }));

/** Bare package names a bundle imports or requires (relative chunks left out). */
function importedPackages(code: string): Set<string> {
  const names = new Set<string>();
  for (const m of code.matchAll(/(?:from\s*|import\s*\(|require\()\s*["']([^"'./][^"']*)["']/g)) {
    const spec = m[1]!;
    names.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
  }
  return names;
}

describe('desktop build', () => {
  it('puts main, the hid-host and the preload where package.json and main expect them', () => {
    expect(pkg.main).toBe('out/main/index.js');
    for (const file of ['main/index.js', 'main/hid-host.js', 'preload/index.cjs', 'renderer/index.html']) {
      expect(() => readFileSync(join(out, file))).not.toThrow();
    }
  });

  it('bundles the preload into one CommonJS file that requires only electron (sandboxed preloads can load nothing else)', () => {
    const preload = readFileSync(join(out, 'preload/index.cjs'), 'utf8');
    expect([...importedPackages(preload)]).toEqual(['electron']);
  });

  it('ships a main process that imports only Node, Electron and runtime dependencies', () => {
    const allowed = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`), 'electron', ...Object.keys(pkg.dependencies)]);
    const chunks = readdirSync(join(out, 'main')).filter((f) => f.endsWith('.js'));
    expect(chunks).toEqual(expect.arrayContaining(['index.js', 'hid-host.js']));
    for (const file of chunks.map((f) => `main/${f}`)) {
      const missing = [...importedPackages(readFileSync(join(out, file), 'utf8'))].filter((name) => !allowed.has(name) && !allowed.has(name.replace(/^node:/, '')));
      expect(missing, `${file} imports packages that are not runtime dependencies`).toEqual([]);
    }
  });
});
