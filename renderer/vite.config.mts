// The renderer is an ordinary Vite app so it builds and previews on its own (browser mode, e2e tests);
// the Electron build reuses this file.
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig, type Plugin } from 'vite';

// The dev server injects component CSS through <style> elements; only there may styles be inline.
const relaxStyleCspInDev: Plugin = {
  name: 'keybench-dev-style-csp',
  apply: 'serve',
  transformIndexHtml: (html) => html.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
};

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [svelte(), relaxStyleCspInDev],
  build: {
    outDir: '../out/renderer',
    emptyOutDir: true,
    target: 'chrome120',
  },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
