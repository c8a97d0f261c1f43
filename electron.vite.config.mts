// The desktop build (electron-vite 6): main and the HID host as two entries of one Node build (ESM, since
// the package is "type": "module"; `dependencies` stay external, node-hid among them), the preload as one
// self-contained CommonJS file (a sandboxed preload can require nothing but 'electron'), and the renderer
// from renderer/vite.config.mts, which also builds on its own for browser mode.
//   out/main/index.js  out/main/hid-host.js  out/preload/index.cjs  out/renderer/{index,print}.html
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { mergeConfig } from 'vite';
import rendererConfig from './renderer/vite.config.mts';

const root = import.meta.dirname;

export default defineConfig({
  main: {
    build: {
      outDir: resolve(root, 'out/main'),
      externalizeDeps: true,
      lib: {
        entry: {
          index: resolve(root, 'electron/main/index.ts'),
          'hid-host': resolve(root, 'electron/hid-host/index.ts'),
        },
        formats: ['es'],
      },
    },
  },
  preload: {
    build: {
      outDir: resolve(root, 'out/preload'),
      // zod and the contract are bundled in; only 'electron' stays a require.
      externalizeDeps: false,
      isolatedEntries: true,
      lib: {
        entry: { index: resolve(root, 'electron/preload/index.ts') },
        formats: ['cjs'],
      },
    },
  },
  renderer: mergeConfig(rendererConfig, {
    root: resolve(root, 'renderer'),
    build: {
      // electron-vite resolves a relative outDir against the project root, not the renderer root.
      outDir: resolve(root, 'out/renderer'),
      // The station page and the print page (the hidden window that prints PIN mailers and labels on Windows).
      rolldownOptions: { input: { index: resolve(root, 'renderer/index.html'), print: resolve(root, 'renderer/print.html') } },
    },
  }),
});
