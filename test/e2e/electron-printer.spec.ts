// The desktop app's printer end to end, with only Electron's shell swapped for Chromium: the real
// ElectronPrinter offers the PDF in a real OneTimeDocuments store, protocol.ts's own buildAppResponse serves
// app://station (renderer files with their per-path CSP, the one-time documents route) through a plain HTTP
// server, and a Playwright page stands in for the hidden BrowserWindow: it loads print.html, its title is
// polled into 'page-title-updated', and webContents.print becomes Chromium's print pipeline (page.pdf), whose
// output lands in a paper tray. Electron's binary cannot run here; everything else is the shipped code.
import { EventEmitter } from 'node:events';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, expect, test as base, type BrowserContext, type Page } from '@playwright/test';
import { PRINT_PAGE_CSP } from '../../electron/contract/print-page.js';
import { planKeyLabel, renderKeyLabel, type KeyLabelInput } from '../../electron/core/station/documents/key-label.js';
import { pinMailerLayout, renderPinMailer, type MailerPaper } from '../../electron/core/station/documents/pin-mailer.js';
import type { MailerContent } from '../../electron/core/station/job-ports.js';
import { StationMailerDesk } from '../../electron/core/station/mailer-desk.js';
import { OneTimeDocuments } from '../../electron/core/station/printing/one-time-documents.js';
import { PrintError, type Printer } from '../../electron/core/station/printing/printer.js';
import {
  ElectronPrinter,
  SYSTEM_DEFAULT_PRINTER,
  type ElectronPrinterInfo,
  type ElectronPrintOptions,
  type PrintPageContents,
  type PrintWindow,
  type PrintWindowOptions,
} from '../../electron/main/electron-printer.js';
import { APP_ORIGIN } from '../../electron/main/origin.js';
import { buildAppResponse, DOCUMENT_GONE_MESSAGE, STATION_CSP } from '../../electron/main/protocol.js';
import { decodeQr, rasterise } from '../unit/helpers/pdf-peer.js';
import { expectSameSheets, faithful, fidelity, grow, rasterisePage, sheets } from './print-compare.js';
import { watchProblems } from './serve-station.js';

const RUN_DIR = process.env.KEYBENCH_E2E_DIR ?? 'out/e2e/missing-global-setup';

/** Eight digits: a string that turns up in a browser profile by chance about as often as never. */
const PIN = '58203917';
const ORDER_ID = 'ORD-2025-0117';
const STATION = 'bench-1';
const OFFICE: ElectronPrinterInfo = { name: 'Office', displayName: 'Office', description: 'Office laser (2nd floor)', options: {} };
/** How often the stand-in window reads the page's title; Electron pushes title changes, so this only adds latency. */
const TITLE_POLL_MS = 20;
const MICRONS_PER_INCH = 25_400;

const CONTENT: MailerContent = {
  recipient: {
    name: 'Grace Hopper',
    email: 'grace@example.com',
    address: { street: '7 Compiler Row', city: 'Arlington', state: 'VA', postalCode: '22201', country: 'United States' },
  },
  org: { name: 'Example Corp', signInUrl: 'https://example.okta.com' },
  key: { model: 'YubiKey 5C NFC', serial: '31415926' },
  orderId: ORDER_ID,
  minPinLength: 8,
  forceChangePin: true,
  issuedAt: new Date('2025-05-06T08:15:00Z'),
};

const LABEL: KeyLabelInput = {
  model: 'YubiKey 5C NFC',
  serial: '31415926',
  user: 'grace@example.com',
  enrollmentId: 'fwf9z8y7x6w5v4u3t2s1',
  orderId: ORDER_ID,
  batchId: 'batch-9',
  issuedAt: new Date('2025-05-06T08:15:00Z'),
};

/** One request the app:// stand-in answered, as protocol.ts answered it. */
interface Served {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly contentType: string | null;
  readonly csp: string | null;
}

interface AppServer {
  /** `http://127.0.0.1:<port>/`: what app://station/ is rewritten to. */
  readonly base: string;
  readonly log: Served[];
  close(): Promise<void>;
}

/** app://station over HTTP: every request goes through buildAppResponse unchanged, its Response streamed back. */
async function serveAppOrigin(rendererDir: string, documents: OneTimeDocuments, problems: string[]): Promise<AppServer> {
  const log: Served[] = [];
  const answer = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const method = request.method ?? 'GET';
    const url = `${APP_ORIGIN}${request.url ?? '/'}`;
    const reply = await buildAppResponse({ url, method }, rendererDir, readFile, { documents });
    log.push({ method, path: new URL(url).pathname, status: reply.status, contentType: reply.headers.get('content-type'), csp: reply.headers.get('content-security-policy') });
    response.writeHead(reply.status, Object.fromEntries(reply.headers));
    if (reply.body) {
      const reader = reply.body.getReader();
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) response.write(chunk.value);
    }
    response.end();
  };
  const server = createServer((request, response) => {
    answer(request, response).catch((error: unknown) => {
      problems.push(`app server: ${error instanceof Error ? error.message : String(error)}`);
      response.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}/`,
    log,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** What came out of the printer for one job: the options Electron was given, and Chromium's print of the page. */
interface Sheet {
  readonly options: ElectronPrintOptions;
  readonly pdf: Uint8Array;
}

/** webContents as far as the printer sees it: title events and title, load failures, crashes, print. */
class PageContents extends EventEmitter implements PrintPageContents {
  #title = '';

  constructor(
    private readonly page: Promise<Page>,
    private readonly tray: Sheet[],
  ) {
    super();
  }

  getTitle(): string {
    return this.#title;
  }

  /** Electron emits page-title-updated whenever the title changes; so does this, once it has seen it. */
  observeTitle(title: string): void {
    if (title === this.#title) return;
    this.#title = title;
    this.emit('page-title-updated', {}, title, true);
  }

  /**
   * Electron's print options turned into Chromium's printToPDF ones: the paper in micrometres becomes the
   * sheet (in inches: Playwright converts mm at a rounded 3.78 px), margins 'none' become zero margins.
   * printToPDF steps an explicit paper size up to the next whole point, which a printer driver does not
   * (measured: A4 595.28 → 595.92 pt wide, the 62 mm label 89.2 → 90 pt high, its ink then 0.34 mm off and 11
   * grey levels apart), so the page's own @page rule is preferred here. The tests hold the paper Electron is
   * asked for to the document's size (0.01 pt) and the printed sheet to it too (0.5 pt): paper and page agree,
   * as they must for a printer to print the page unscaled.
   */
  print(options: ElectronPrintOptions, callback: (success: boolean, failureReason: string) => void): void {
    this.page
      .then((page) =>
        page.pdf({
          width: `${options.pageSize.width / MICRONS_PER_INCH}in`,
          height: `${options.pageSize.height / MICRONS_PER_INCH}in`,
          landscape: options.landscape,
          printBackground: options.printBackground,
          preferCSSPageSize: true,
          margin: { top: '0', right: '0', bottom: '0', left: '0' },
        }),
      )
      .then(
        (pdf) => {
          this.tray.push({ options, pdf });
          callback(true, '');
        },
        (error: unknown) => callback(false, error instanceof Error ? error.message : String(error)),
      );
  }
}

/** A hidden BrowserWindow: a page of its own in the test's browser, created when the window is. */
class PagePrintWindow implements PrintWindow {
  readonly webContents: PageContents;
  /** Every URL loadURL was given (app://station/...), in order. */
  readonly loaded: string[] = [];
  /** Scripts of dedicated workers the page started. */
  readonly workers: string[] = [];
  readonly page: Promise<Page>;
  readonly problems: Promise<string[]>;
  #closed: Promise<void> | undefined;

  constructor(
    context: BrowserContext,
    options: PrintWindowOptions,
    private readonly base: string,
    tray: Sheet[],
  ) {
    this.page = context.newPage();
    this.webContents = new PageContents(this.page, tray);
    this.problems = this.page.then(async (page) => {
      await page.setViewportSize({ width: options.width, height: options.height });
      const problems = await watchProblems(page);
      page.on('worker', (worker) => {
        this.workers.push(new URL(worker.url()).pathname);
        worker.on('console', (message) => message.type() === 'error' && problems.push(`worker: ${message.text()}`));
      });
      page.on('crash', () => this.webContents.emit('render-process-gone', {}, { reason: 'crashed' }));
      void this.#pollTitle(page);
      return problems;
    });
  }

  async loadURL(url: string): Promise<void> {
    this.loaded.push(url);
    if (!url.startsWith(`${APP_ORIGIN}/`)) throw new Error('the stand-in window serves app://station only');
    const page = await this.page;
    await this.problems;
    try {
      await page.goto(this.base + url.slice(APP_ORIGIN.length + 1));
    } catch (error) {
      // Electron reports a failed load twice: did-fail-load, and loadURL rejecting with the net error's name.
      const code = /net::(ERR_[A-Z_]+)/.exec(error instanceof Error ? error.message : '')?.[1] ?? 'ERR_FAILED';
      this.webContents.emit('did-fail-load', {}, -2, code, url, true);
      throw Object.assign(new Error(`${code} loading the print page`), { code });
    }
    this.webContents.observeTitle(await page.title());
  }

  isDestroyed(): boolean {
    return this.#closed !== undefined;
  }

  destroy(): void {
    this.#closed ??= this.page.then((page) => page.close());
  }

  /** Resolves once the page is closed; rejects when the printer never destroyed the window. */
  closed(): Promise<void> {
    return this.#closed ?? Promise.reject(new Error('the print window was never destroyed'));
  }

  async #pollTitle(page: Page): Promise<void> {
    while (!page.isClosed()) {
      try {
        this.webContents.observeTitle(await page.title());
      } catch {
        // Between two documents, or closed under the poll: the next round tells which.
      }
      await new Promise((resolve) => setTimeout(resolve, TITLE_POLL_MS));
    }
  }
}

/** The store the printer offers to, remembering each copy it was handed (to prove they end up zeroed). */
class WatchedDocuments extends OneTimeDocuments {
  readonly offered: Uint8Array[] = [];

  override offer(pdf: Uint8Array, fileName: string, ttlMs?: number): { token: string; expiresAt: string } {
    this.offered.push(pdf);
    return super.offer(pdf, fileName, ttlMs);
  }
}

interface Bench {
  printer: ElectronPrinter;
  documents: WatchedDocuments;
  server: AppServer;
  context: BrowserContext;
  /** Chromium's user-data directory: what it wrote to disk. */
  profileDir: string;
  windows: PagePrintWindow[];
  tray: Sheet[];
  /** Closes the browser, so everything it meant to write is on disk. */
  closeBrowser(): Promise<void>;
  /** Console errors, page and worker errors, CSP violations of every window so far. */
  problems(): Promise<string[]>;
}

const test = base.extend<{ bench: Bench }>({
  bench: async ({ launchOptions }, use) => {
    const profileDir = await mkdtemp(join(tmpdir(), 'keybench-e2e-profile-'));
    const serverProblems: string[] = [];
    const documents = new WatchedDocuments();
    const server = await serveAppOrigin(`${RUN_DIR}/renderer`, documents, serverProblems);
    const context = await chromium.launchPersistentContext(profileDir, { ...launchOptions, headless: true });
    let open = true;
    const closeBrowser = async (): Promise<void> => {
      if (open) await context.close();
      open = false;
    };
    const windows: PagePrintWindow[] = [];
    const tray: Sheet[] = [];
    const printer = new ElectronPrinter({
      documents,
      openWindow: (options) => {
        const window = new PagePrintWindow(context, options, server.base, tray);
        windows.push(window);
        return window;
      },
      listPrinters: async () => [OFFICE],
      pageTimeoutMs: 15_000,
      printTimeoutMs: 15_000,
    });
    const problems = async () => [...serverProblems, ...(await Promise.all(windows.map((window) => window.problems))).flat()];
    try {
      await use({ printer, documents, server, context, profileDir, windows, tray, closeBrowser, problems });
      expect(await problems(), 'console errors, CSP violations or server failures').toEqual([]);
    } finally {
      await closeBrowser();
      documents.close();
      await server.close();
      await rm(profileDir, { recursive: true, force: true });
    }
  },
});

interface PrintedMailer {
  receipt: Awaited<ReturnType<StationMailerDesk['print']>>;
  /** The desk's own rendering, as handed to the printer (zeroed by the desk once printing settled). */
  handed: Uint8Array;
  /** The same mailer rendered here from the same input: the bytes the paper must reproduce. */
  original: Uint8Array;
}

/** Prints a PIN mailer the way the station does: StationMailerDesk rendering it for ElectronPrinter, printer Office. */
async function printMailer(bench: Bench, paper: MailerPaper): Promise<PrintedMailer> {
  const handedOver: Uint8Array[] = [];
  // Passes every call on unchanged; it only keeps hold of the bytes the desk rendered.
  const printer: Printer = {
    list: (signal) => bench.printer.list(signal),
    print: (request, signal) => {
      handedOver.push(request.pdf);
      return bench.printer.print(request, signal);
    },
  };
  const desk = new StationMailerDesk(() => ({ printer, name: OFFICE.name }), () => paper, STATION);
  const receipt = await desk.print(CONTENT, PIN);
  const original = await renderPinMailer({ ...CONTENT, pin: PIN, paper, station: STATION });
  expect(handedOver).toHaveLength(1);
  return { receipt, handed: handedOver[0]!, original };
}

function isZeroed(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes.every((byte) => byte === 0);
}

/** Electron's print options as the printer must send them for a true-size, margin-free, dialog-free job. */
function expectTrueSizeJob(options: ElectronPrintOptions, size: { width: number; height: number }): void {
  expect(options).toMatchObject({ silent: true, printBackground: true, color: true, landscape: false, margins: { marginType: 'none' } });
  // Micrometres: half a micrometre of rounding is 0.0014 pt.
  expect(Math.abs((options.pageSize.width / MICRONS_PER_INCH) * 72 - size.width)).toBeLessThanOrEqual(0.01);
  expect(Math.abs((options.pageSize.height / MICRONS_PER_INCH) * 72 - size.height)).toBeLessThanOrEqual(0.01);
}

for (const paper of ['a4', 'letter'] as const satisfies readonly MailerPaper[]) {
  test(`a ${paper} PIN mailer from the mailer desk prints on Office at its true size, leaving no copy behind`, async ({ bench }) => {
    test.setTimeout(25_000);
    const { receipt, handed, original } = await printMailer(bench, paper);
    expect(receipt).toEqual({ printer: 'Office', via: 'electron' });

    const layout = pinMailerLayout(paper);
    expect(bench.tray).toHaveLength(1);
    const [sheet] = bench.tray;
    expectTrueSizeJob(sheet!.options, layout.page);
    expect(sheet!.options.deviceName).toBe('Office');
    await expectSameSheets(original, sheet!.pdf);
    const printed = await sheets(sheet!.pdf);
    // The address must be where the envelope window shows it, and the PIN inside its box.
    const regions = { address: layout.window, pin: grow(layout.pinBox, -1.5) };
    const result = fidelity(await rasterisePage(original, layout.page), await rasterisePage(sheet!.pdf, layout.page), regions);
    test.info().annotations.push({ type: 'measured', description: JSON.stringify({ printed, result }) });
    expect(faithful(result), JSON.stringify(result)).toBe(true);

    // One window, destroyed and closed; nothing left in the store; every copy of the PDF zeroed.
    expect(bench.windows).toHaveLength(1);
    const [window] = bench.windows;
    expect(window!.isDestroyed()).toBe(true);
    await window!.closed();
    expect((await window!.page).isClosed()).toBe(true);
    expect(bench.documents.size).toBe(0);
    expect(isZeroed(handed), 'the desk wiped the mailer it rendered').toBe(true);
    expect(bench.documents.offered).toHaveLength(1);
    expect(isZeroed(bench.documents.offered[0]!), "the store's copy is zeroed").toBe(true);
  });
}

test("the print page runs under protocol.ts's headers: document, pdf.js worker and fonts load without a CSP violation", async ({ bench }) => {
  test.setTimeout(20_000);
  await printMailer(bench, 'a4');
  expect(bench.tray).toHaveLength(1);

  const log = bench.server.log;
  const page = log.filter((entry) => entry.path === '/print.html');
  expect(page).toEqual([{ method: 'GET', path: '/print.html', status: 200, contentType: 'text/html; charset=utf-8', csp: PRINT_PAGE_CSP }]);
  // The worker runs under the policy its own script was served with: the station's, connect-src 'none'.
  const worker = log.filter((entry) => /\/pdf\.worker[^/]*\.m?js$/.test(entry.path));
  expect(worker).toHaveLength(1);
  expect(worker[0]).toMatchObject({ status: 200, csp: STATION_CSP, contentType: expect.stringMatching(/^text\/javascript/) });
  expect(bench.windows[0]!.workers, 'pdf.js ran in a real worker, not on the page').toEqual([worker[0]!.path]);
  const fonts = log.filter((entry) => entry.path.startsWith('/standard_fonts/'));
  expect(fonts.length).toBeGreaterThan(0);
  for (const font of fonts) expect(font, font.path).toMatchObject({ status: 200, csp: STATION_CSP });
  const documents = log.filter((entry) => entry.path.startsWith('/documents/'));
  expect(documents).toEqual([expect.objectContaining({ method: 'GET', status: 200, contentType: 'application/pdf' })]);
  // Every other file of the page (its module scripts and stylesheet) was served, with the station's policy.
  for (const entry of log.filter((served) => served.path !== '/print.html')) expect(entry, entry.path).toMatchObject({ status: 200, csp: STATION_CSP });
  test.info().annotations.push({ type: 'served', description: JSON.stringify(log.map((entry) => `${entry.status} ${entry.path}`)) });

  expect(await bench.problems()).toEqual([]);
});

/** Byte strings that only a copy of the printed document could contain. */
interface Needle {
  readonly name: string;
  readonly bytes: Buffer;
}

function documentNeedles(original: Uint8Array, pin: string): { needles: Needle[]; id: Buffer } {
  const trailer = /\/ID \[<([0-9a-f]+)>/i.exec(Buffer.from(original).toString('latin1'));
  if (!trailer) throw new Error('the original mailer has no /ID in its trailer');
  const id = trailer[1]!;
  const middle = Math.floor(original.length / 2);
  return {
    id: Buffer.from(id.toLowerCase(), 'latin1'),
    needles: [
      { name: 'document /ID', bytes: Buffer.from(id.toLowerCase(), 'latin1') },
      { name: 'document /ID (upper case)', bytes: Buffer.from(id.toUpperCase(), 'latin1') },
      { name: 'document bytes', bytes: Buffer.from(original.subarray(middle, middle + 48)) },
      { name: 'PIN (UTF-8)', bytes: Buffer.from(pin, 'utf8') },
      { name: 'PIN (UTF-16LE)', bytes: Buffer.from(pin, 'utf16le') },
    ],
  };
}

async function filesUnder(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await filesUnder(path)));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

interface DiskScan {
  files: number;
  bytes: number;
  /** `file: what was found`, for every hit. */
  hits: string[];
}

/** Reads every regular file under `dir` (files Chromium deletes mid-scan are skipped) and reports each needle found. */
async function scanForDocument(dir: string, original: Uint8Array, pin: string): Promise<DiskScan> {
  const { needles, id } = documentNeedles(original, pin);
  const pdfMagic = Buffer.from('%PDF-', 'latin1');
  const scan: DiskScan = { files: 0, bytes: 0, hits: [] };
  for (const path of await filesUnder(dir)) {
    let data: Buffer;
    try {
      data = await readFile(path);
    } catch {
      continue;
    }
    scan.files += 1;
    scan.bytes += data.length;
    const where = path.slice(dir.length + 1);
    for (const needle of needles) if (data.includes(needle.bytes)) scan.hits.push(`${where}: ${needle.name}`);
    if (data.includes(pdfMagic) && data.includes(id)) scan.hits.push(`${where}: a PDF carrying the document's /ID`);
  }
  return scan;
}

test("nothing of the mailer is left on disk in Chromium's profile", async ({ bench }) => {
  test.setTimeout(20_000);
  const { original } = await printMailer(bench, 'a4');
  expect(bench.tray).toHaveLength(1);

  // The scan finds what it looks for: a profile-like folder with a copy of the mailer and the PIN as UTF-16.
  const control = await mkdtemp(join(tmpdir(), 'keybench-e2e-scan-control-'));
  try {
    await writeFile(join(control, 'blob'), original);
    await writeFile(join(control, 'text'), Buffer.from(`pin=${PIN};`, 'utf16le'));
    const found = await scanForDocument(control, original, PIN);
    expect(found.hits).toEqual(expect.arrayContaining(['blob: document /ID', 'blob: document bytes', "blob: a PDF carrying the document's /ID", 'text: PIN (UTF-16LE)']));
  } finally {
    await rm(control, { recursive: true, force: true });
  }

  const whileOpen = await scanForDocument(bench.profileDir, original, PIN);
  await bench.closeBrowser();
  const afterClose = await scanForDocument(bench.profileDir, original, PIN);
  test.info().annotations.push({ type: 'scanned', description: JSON.stringify({ whileOpen, afterClose }) });
  expect(afterClose.files).toBeGreaterThan(10);
  expect(whileOpen.hits).toEqual([]);
  expect(afterClose.hits).toEqual([]);
});

test('a 62 mm key label printed through ElectronPrinter fills the label exactly and its QR code scans', async ({ bench }) => {
  test.setTimeout(20_000);
  const original = await renderKeyLabel(LABEL, '62mm');
  const plan = planKeyLabel(LABEL, '62mm');
  const receipt = await bench.printer.print({ pdf: new Uint8Array(original), title: `keybench label ${ORDER_ID}`, media: '62mm' });
  // No printer chosen: Chromium's default, which Electron is told by leaving deviceName out.
  expect(receipt).toEqual({ printer: SYSTEM_DEFAULT_PRINTER, via: 'electron' });

  expect(bench.tray).toHaveLength(1);
  const [sheet] = bench.tray;
  expect(sheet!.options).not.toHaveProperty('deviceName');
  expectTrueSizeJob(sheet!.options, plan);
  await expectSameSheets(original, sheet!.pdf);
  const printed = await sheets(sheet!.pdf);

  const qr = { x: plan.qr.x, y: plan.qr.y, width: plan.qr.size, height: plan.qr.size };
  const result = fidelity(await rasterisePage(original, plan), await rasterisePage(sheet!.pdf, plan), { qr });
  test.info().annotations.push({ type: 'measured', description: JSON.stringify({ printed, label: { width: plan.width, height: plan.height }, result }) });
  expect(faithful(result), JSON.stringify(result)).toBe(true);
  const [code] = await rasterise(sheet!.pdf, 300, grow(qr, 2));
  expect(decodeQr(code!)).toBe(ORDER_ID);
});

test('the document is served once: after the print, its link answers 404 "already printed or expired"', async ({ bench }) => {
  test.setTimeout(20_000);
  await bench.printer.print({ pdf: await renderKeyLabel(LABEL, '62mm'), title: 'keybench label', media: '62mm' });
  expect(bench.tray).toHaveLength(1);

  const [window] = bench.windows;
  const hash = new URL(window!.loaded[0]!).hash;
  expect(hash).toMatch(/^#documents\/[A-Za-z0-9_-]{43}$/);
  const path = `/${hash.slice(1)}`;
  expect(bench.server.log.filter((entry) => entry.path === path)).toEqual([expect.objectContaining({ method: 'GET', status: 200 })]);

  const again = await fetch(new URL(path.slice(1), bench.server.base), { cache: 'no-store' });
  expect(again.status).toBe(404);
  expect(await again.text()).toBe(DOCUMENT_GONE_MESSAGE);
  expect(bench.documents.size).toBe(0);
});

test('an unknown printer name is refused before any print window opens or the document is offered', async ({ bench }) => {
  const pagesBefore = bench.context.pages().length;
  const attempt = bench.printer.print({ pdf: await renderKeyLabel(LABEL, '62mm'), printer: 'Basement', title: 'keybench label', media: '62mm' });
  await expect(attempt).rejects.toBeInstanceOf(PrintError);
  await expect(attempt).rejects.toMatchObject({ code: 'unknown-printer', message: expect.stringMatching(/Basement.*known printers: Office/) });
  expect(bench.windows).toHaveLength(0);
  expect(bench.context.pages()).toHaveLength(pagesBefore);
  expect(bench.documents.offered).toHaveLength(0);
  expect(bench.server.log).toEqual([]);
  expect(bench.tray).toHaveLength(0);
});
