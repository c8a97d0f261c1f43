// The renderer is an ordinary Vite app so it builds and previews on its own (browser mode, e2e tests);
// the Electron build reuses this file. Two pages: the station (index.html) and the print page (print.html),
// which draws PDFs with pdf.js and needs pdf.js's standard font files beside it.
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig, type Plugin } from 'vite';
import { STANDARD_FONTS_DIR } from './src/print/standard-fonts.ts';

// The dev server injects component CSS through <style> elements; only there may styles be inline.
const relaxStyleCspInDev: Plugin = {
  name: 'keybench-dev-style-csp',
  apply: 'serve',
  transformIndexHtml: (html) => html.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
};

/**
 * Copies pdf.js's standard font files (and their licences) into the build, where the print page fetches them.
 * Only builds have them: the print page is tried out with `vite build` + `vite preview`, not the dev server.
 */
const pdfjsStandardFonts: Plugin = {
  name: 'keybench-pdfjs-standard-fonts',
  apply: 'build',
  async generateBundle() {
    const packageJson = await this.resolve('pdfjs-dist/package.json', `${import.meta.dirname}/index.html`);
    if (!packageJson) this.error('pdfjs-dist is not installed, so the print page has no fonts to draw with.');
    const fontsDir = `${packageJson.id.slice(0, packageJson.id.lastIndexOf('/'))}/standard_fonts`;
    for (const name of await this.fs.readdir(fontsDir)) {
      this.emitFile({ type: 'asset', fileName: `${STANDARD_FONTS_DIR}${name}`, source: await this.fs.readFile(`${fontsDir}/${name}`) });
    }
  },
};

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [svelte(), relaxStyleCspInDev, pdfjsStandardFonts],
  build: {
    outDir: '../out/renderer',
    emptyOutDir: true,
    target: 'chrome120',
    rolldownOptions: {
      input: { index: `${import.meta.dirname}/index.html`, print: `${import.meta.dirname}/print.html` },
    },
  },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
