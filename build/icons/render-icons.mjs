// Renders build/icons/icon.svg into the PNGs electron-builder uses: build/icons/<N>x<N>.png for Linux and
// build/icon.png (1024 px), from which electron-builder derives the Windows .ico and the macOS .icns.
// Run after editing the SVG: node build/icons/render-icons.mjs (needs Chromium at /usr/bin/chromium).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const here = import.meta.dirname;
const sizes = [16, 24, 32, 48, 64, 128, 256, 512, 1024];
const svg = readFileSync(join(here, 'icon.svg'));
const src = `data:image/svg+xml;base64,${svg.toString('base64')}`;

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
try {
  const page = await browser.newPage({ deviceScaleFactor: 1 });
  for (const size of sizes) {
    await page.setViewportSize({ width: size, height: size });
    await page.setContent(`<body style="margin:0"><img src="${src}" width="${size}" height="${size}" style="display:block"></body>`);
    await page.locator('img').evaluate((img) => img.decode());
    const png = await page.screenshot({ clip: { x: 0, y: 0, width: size, height: size }, omitBackground: true });
    writeFileSync(join(here, `${size}x${size}.png`), png);
    if (size === 1024) writeFileSync(join(here, '..', 'icon.png'), png);
  }
} finally {
  await browser.close();
}
