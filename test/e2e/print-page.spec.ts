// The print page (renderer/print.html) in Chromium: real PIN mailers and key labels, rendered by the station's
// own renderers, offered once through browser mode's real server (static files + one-time documents route),
// drawn by pdf.js and printed by Chromium's print pipeline (page.pdf, the one webContents.print uses). The
// printed PDF must reproduce the original at its true size; poppler reads both.
import { test as base, expect, type Page } from '@playwright/test';
import { parsePrintPageTitle, PRINT_PAGE_FILE, printPageHash, type PrintPageStatus } from '../../electron/contract/print-page.js';
import { planKeyLabel, renderKeyLabel, type LabelSize } from '../../electron/core/station/documents/key-label.js';
import { FONTS, inch, mm, renderPdf } from '../../electron/core/station/documents/pdf-bytes.js';
import { pinMailerLayout, renderPinMailer, type MailerPaper } from '../../electron/core/station/documents/pin-mailer.js';
import { OneTimeDocuments } from '../../electron/core/station/printing/one-time-documents.js';
import { startWebBridge, type WebBridge } from '../../electron/web/server.js';
import { decodeQr, rasterise } from '../unit/helpers/pdf-peer.js';
import { SAMPLE_ORDER_ID, sampleLabel, sampleMailer } from '../unit/helpers/sample-documents.js';
import { fakeBackend } from '../unit/web/fake-backend.js';
import { COMPARE_DPI, expectSameSheets, faithful, fidelity, grow, MAX_EDGE_SHIFT_MM, MAX_MEAN_DIFFERENCE, rasterisePage } from './print-compare.js';
import { watchProblems } from './serve-station.js';

const RUN_DIR = process.env.KEYBENCH_E2E_DIR ?? 'out/e2e/missing-global-setup';

const ORDER_ID = SAMPLE_ORDER_ID;
const MAILER = sampleMailer();
// The label these specs were measured with: Chromium rounds a sheet's length up to its own grid, so another
// continuous-tape length could land just past the half-point sheet tolerance in print-compare.ts.
const LABEL = sampleLabel({ user: 'ada@example.com', batchId: 'batch-7' });

/** What pdf.js draws Helvetica, Helvetica-Bold and Courier-Bold with (pdfkit embeds none of them). */
const STANDARD_FONT_FILES = ['LiberationSans-Regular.ttf', 'LiberationSans-Bold.ttf', 'FoxitFixedBold.pfb'];

interface Station {
  bridge: WebBridge;
  documents: OneTimeDocuments;
  /** Console errors, page errors and CSP violations; the test fails if any is left at its end. */
  problems: string[];
}

const test = base.extend<{ station: Station }>({
  station: async ({ page }, use) => {
    const problems = await watchProblems(page);
    const documents = new OneTimeDocuments();
    const bridge = await startWebBridge({
      backend: fakeBackend(),
      rendererDir: `${RUN_DIR}/renderer`,
      documents,
      onInternalError: (where) => problems.push(`server: ${where}`),
    });
    try {
      await use({ bridge, documents, problems });
      expect(problems, 'console errors or CSP violations').toEqual([]);
    } finally {
      documents.close();
      await bridge.close();
    }
  },
});

/** Offers a copy of `pdf` (the route zeroes what it sends) and opens the print page on it. */
async function openPrintPage(page: Page, station: Station, pdf: Uint8Array): Promise<string> {
  const { token } = station.documents.offer(new Uint8Array(pdf), 'document.pdf');
  await openWithHash(page, station, printPageHash(token));
  return token;
}

/** A fresh load every time: the same page with another fragment would not run again. */
async function openWithHash(page: Page, station: Station, hash: string): Promise<void> {
  await page.goto('about:blank');
  await page.goto(`${station.bridge.url}${PRINT_PAGE_FILE}${hash}`);
}

/** What the page reports once it is done; the title is the only channel the Electron printer reads. */
async function finalStatus(page: Page): Promise<PrintPageStatus> {
  let status: PrintPageStatus | undefined;
  await expect.poll(async () => (status = parsePrintPageTitle(await page.title())), { timeout: 10_000 }).toBeDefined();
  return status!;
}

/** Ready with one page of the document's size (pdfkit writes sizes rounded to 6 decimals). */
function expectReady(status: PrintPageStatus, size: { width: number; height: number }): void {
  expect(status).toMatchObject({ state: 'ready', pages: 1 });
  expect(status.state === 'ready' && status.widthPt).toBeCloseTo(size.width, 4);
  expect(status.state === 'ready' && status.heightPt).toBeCloseTo(size.height, 4);
}

/** Chromium's print pipeline at the sheet size the page asked for, without margins. */
function printToPdf(page: Page, options: { scale?: number } = {}): Promise<Uint8Array> {
  return page.pdf({ preferCSSPageSize: true, printBackground: true, margin: { top: '0', right: '0', bottom: '0', left: '0' }, ...options });
}

/** Records which of pdf.js's font files the page fetched, and with what status. */
function watchFontFetches(page: Page): Map<string, number> {
  const fetched = new Map<string, number>();
  page.on('response', (response) => {
    const file = /\/standard_fonts\/([^/]+)$/.exec(new URL(response.url()).pathname)?.[1];
    if (file) fetched.set(file, response.status());
  });
  return fetched;
}

for (const paper of ['a4', 'letter'] as const satisfies readonly MailerPaper[]) {
  test(`a ${paper} PIN mailer prints at its true size, address in the window and PIN in its box`, async ({ page, station }) => {
    // Two prints and three full-page rasters: about 6 s alone, more on a busy 2-core runner.
    test.setTimeout(45_000);
    const original = await renderPinMailer({ ...MAILER, paper });
    const layout = pinMailerLayout(paper);
    const fonts = watchFontFetches(page);
    await openPrintPage(page, station, original);
    expectReady(await finalStatus(page), layout.page);
    for (const file of STANDARD_FONT_FILES) expect(fonts.get(file), file).toBe(200);

    const printed = await printToPdf(page);
    await expectSameSheets(original, printed);
    // The address must be where the window shows it, and the PIN inside its box, clear of the pattern around it.
    const regions = { address: layout.window, pin: grow(layout.pinBox, -1.5) };
    const want = await rasterisePage(original, layout.page);
    const result = fidelity(want, await rasterisePage(printed, layout.page), regions);
    expect(faithful(result), JSON.stringify(result)).toBe(true);

    // Negative control: the same page shrunk by 1 % (what "fit to page" does) fails each criterion on its own.
    const control = fidelity(want, await rasterisePage(await printToPdf(page, { scale: 0.99 }), layout.page), regions);
    expect(faithful(control), JSON.stringify(control)).toBe(false);
    expect(control.meanDifference, JSON.stringify(control)).toBeGreaterThan(MAX_MEAN_DIFFERENCE);
    expect(Math.max(...Object.values(control.edgeShiftMm)), JSON.stringify(control)).toBeGreaterThan(MAX_EDGE_SHIFT_MM);
  });
}

for (const size of ['62mm', '4x6in'] as const satisfies readonly LabelSize[]) {
  test(`a ${size} key label prints at its true size and its QR code still scans`, async ({ page, station }) => {
    const original = await renderKeyLabel(LABEL, size);
    const plan = planKeyLabel(LABEL, size);
    await openPrintPage(page, station, original);
    expectReady(await finalStatus(page), plan);

    const printed = await printToPdf(page);
    await expectSameSheets(original, printed);
    const qr = { x: plan.qr.x, y: plan.qr.y, width: plan.qr.size, height: plan.qr.size };
    const label = { x: 0, y: 0, width: plan.width, height: plan.height };
    const result = fidelity(await rasterisePage(original, plan), await rasterisePage(printed, plan), { qr, label });
    expect(faithful(result), JSON.stringify(result)).toBe(true);
    const [code] = await rasterise(printed, 300, grow(qr, 2));
    expect(decodeQr(code!)).toBe(ORDER_ID);
  });
}

/** A document of `sizes.length` pages (points), each with a large page number near its top-left corner. */
function numberedPages(sizes: readonly (readonly [number, number])[]): Promise<Uint8Array> {
  const [first, ...rest] = sizes;
  return renderPdf({ size: first!, title: 'pages', issuedAt: new Date('2025-03-14T09:30:00Z') }, (doc) => {
    doc.font(FONTS.bold).fontSize(40).text('1', 20, 20);
    rest.forEach((size, index) => doc.addPage({ size: [...size], margin: 0 }).font(FONTS.bold).fontSize(40).text(String(index + 2), 20, 20));
  });
}

test('each page of a longer document prints on a sheet of its own, with no blank sheet after the last', async ({ page, station }) => {
  const sheet = [inch(4), inch(6)] as const;
  const original = await numberedPages([sheet, sheet, sheet]);
  await openPrintPage(page, station, original);
  expect(await finalStatus(page)).toMatchObject({ state: 'ready', pages: 3 });

  const printed = await printToPdf(page);
  await expectSameSheets(original, printed);
  const want = await rasterise(original, COMPARE_DPI);
  const got = await rasterise(printed, COMPARE_DPI);
  const number = { x: 10, y: 10, width: 60, height: 60 };
  for (const index of [0, 1, 2]) {
    const result = fidelity(want[index]!, got[index]!, { number });
    expect(faithful(result), `page ${index + 1}: ${JSON.stringify(result)}`).toBe(true);
  }
});

test('a document whose pages differ in size is refused: one print job has one paper size', async ({ page, station }) => {
  await openPrintPage(page, station, await numberedPages([[inch(4), inch(6)], [mm(62), mm(29)]]));
  expect(await finalStatus(page)).toMatchObject({ state: 'failed', reason: expect.stringMatching(/Page 2 .* different size/) });
  expect(await page.locator('canvas').count()).toBe(0);
});

test('the document is served once: after the page took it, a fetch and a second page get nothing', async ({ page, station }) => {
  const token = await openPrintPage(page, station, await renderKeyLabel(LABEL, '62mm'));
  expect(await finalStatus(page)).toMatchObject({ state: 'ready' });
  expect(station.documents.size).toBe(0);
  expect(await page.evaluate((path) => fetch(path, { cache: 'no-store' }).then((r) => r.status), `documents/${token}`)).toBe(404);

  await openWithHash(page, station, printPageHash(token));
  const again = await finalStatus(page);
  expect(again).toMatchObject({ state: 'failed', reason: expect.stringMatching(/no longer holds this document.*Nothing was printed/) });
  expect(await page.locator('canvas').count()).toBe(0);
  // Chromium logs every 404 as a console error: exactly the two refusals above, nothing else.
  expect(station.problems.splice(0)).toEqual(Array(2).fill('Failed to load resource: the server responded with a status of 404 (Not Found)'));
});

test('a print page opened without a document link says so in its title and draws nothing', async ({ page, station }) => {
  for (const hash of ['', '#documents/not-a-token', '#session=abc']) {
    await openWithHash(page, station, hash);
    expect(await finalStatus(page), hash).toMatchObject({ state: 'failed', reason: expect.stringMatching(/without a valid document link/) });
    expect(await page.locator('canvas').count()).toBe(0);
  }
});
