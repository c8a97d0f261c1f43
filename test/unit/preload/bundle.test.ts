// The preload runs sandboxed, where `require` knows only 'electron': bundle it the way the desktop build
// does (one CommonJS file, everything but electron inlined) and run it with exactly that require.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const outDir = mkdtempSync(join(tmpdir(), 'keybench-preload-'));
let code = '';

beforeAll(async () => {
  await build({
    configFile: false,
    logLevel: 'silent',
    root: process.cwd(),
    build: {
      ssr: true,
      outDir,
      emptyOutDir: true,
      minify: false,
      lib: { entry: { index: 'electron/preload/index.ts' }, formats: ['cjs'] },
      rolldownOptions: { external: ['electron', ...builtinModules, ...builtinModules.map((m) => `node:${m}`)] },
    },
    ssr: { noExternal: true },
  });
  code = readFileSync(join(outDir, 'index.cjs'), 'utf8');
}, 30_000);

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('preload bundle', () => {
  it('requires nothing but electron', () => {
    expect([...new Set(code.match(/require\(["'][^"']+["']\)/g))]).toEqual(['require("electron")']);
  });

  it('exposes window.station with exactly call and onEvent when run with the sandbox require', async () => {
    const exposeInMainWorld = vi.fn();
    const ipcRenderer = { invoke: vi.fn(async () => ({ ok: true, data: { message: 'ok' } })), on: vi.fn(), removeListener: vi.fn() };
    const sandboxRequire = (name: string) => {
      if (name !== 'electron') throw new Error(`a sandboxed preload cannot require ${name}`);
      return { contextBridge: { exposeInMainWorld }, ipcRenderer };
    };
    const module = { exports: {} };
    runInNewContext(code, { require: sandboxRequire, module, exports: module.exports });
    expect(exposeInMainWorld).toHaveBeenCalledTimes(1);
    const [key, api] = exposeInMainWorld.mock.calls[0]!;
    expect(key).toBe('station');
    expect(Object.keys(api).sort()).toEqual(['call', 'onEvent']);
    expect(await api.call('keys.wink', { port: 'usb-1' })).toEqual({ ok: true, data: { message: 'ok' } });
    expect(ipcRenderer.invoke).toHaveBeenCalledWith('station:call', 'keys.wink', { port: 'usb-1' });
  });
});
