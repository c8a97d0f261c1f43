import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { documentPathFromHash, printPageTitle, type PrintPageStatus } from '../../../electron/contract/print-page.js';
import { OneTimeDocuments } from '../../../electron/core/station/printing/one-time-documents.js';
import { PrintError, type PrintReceipt, type PrintRequest } from '../../../electron/core/station/printing/printer.js';
import {
  ElectronPrinter,
  printersFrom,
  printWindowOptions,
  SYSTEM_DEFAULT_PRINTER,
  toPrinterInfo,
  type ElectronPrinterInfo,
  type ElectronPrintOptions,
  type PrintPageContents,
  type PrintWindow,
  type PrintWindowOptions,
} from '../../../electron/main/electron-printer.js';
import { createAppProtocolHandler } from '../../../electron/main/protocol.js';

const SECRET = 'PIN 482913';
const PDF_TEXT = `%PDF-1.7 mailer for alice ${SECRET} %%EOF`;
const LABEL_4X6 = { widthPt: 288, heightPt: 432 };

type PrintCallback = (success: boolean, failureReason: string) => void;
type Serve = ReturnType<typeof createAppProtocolHandler>;

/** Behaves like Electron's WebContents where the printer looks: events, an async title, a print callback. */
class FakeContents extends EventEmitter implements PrintPageContents {
  title = 'keybench print';
  readonly printed: ElectronPrintOptions[] = [];
  constructor(private readonly onPrint: (options: ElectronPrintOptions, callback: PrintCallback) => void) {
    super();
  }
  getTitle(): string {
    return this.title;
  }
  setTitle(title: string): void {
    this.title = title;
    this.emit('page-title-updated', {}, title, true);
  }
  print(options: ElectronPrintOptions, callback: PrintCallback): void {
    this.printed.push(options);
    this.onPrint(options, callback);
  }
}

/** What the print page does once its window starts loading it; resolves or rejects like `loadURL`. */
type PageBehaviour = (window: FakeWindow, url: string, serve: Serve) => Promise<void>;

class FakeWindow implements PrintWindow {
  readonly webContents: FakeContents;
  readonly loaded: string[] = [];
  destroyed = false;
  constructor(
    readonly options: PrintWindowOptions,
    private readonly page: PageBehaviour,
    private readonly serve: Serve,
    onPrint: (options: ElectronPrintOptions, callback: PrintCallback) => void,
  ) {
    this.webContents = new FakeContents(onPrint);
  }
  loadURL(url: string): Promise<void> {
    this.loaded.push(url);
    return this.page(this, url, this.serve);
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

/** The page fetches its document through app://station, as renderer/print.html does, then reports by title. */
async function fetchDocument(url: string, serve: Serve): Promise<Response> {
  const path = documentPathFromHash(new URL(url).hash);
  if (!path) throw new Error('the print page was opened without a document');
  return serve({ url: new URL(path, url).href, method: 'GET' });
}

const fetched: Uint8Array[] = [];

function drawsPage(size = LABEL_4X6): PageBehaviour {
  return async (window, url, serve) => {
    setTimeout(async () => {
      const response = await fetchDocument(url, serve);
      fetched.push(new Uint8Array(await response.arrayBuffer()));
      window.webContents.setTitle(printPageTitle({ state: 'ready', pages: 1, ...size }));
    }, 1);
  };
}

function reports(status: PrintPageStatus): PageBehaviour {
  return async (window) => {
    setTimeout(() => window.webContents.setTitle(printPageTitle(status)), 1);
  };
}

const neverReady: PageBehaviour = async () => {};

const printsOk = (_options: ElectronPrintOptions, callback: PrintCallback) => setTimeout(() => callback(true, ''), 1);
const printFails = (reason: string) => (_options: ElectronPrintOptions, callback: PrintCallback) => setTimeout(() => callback(false, reason), 1);

const PRINTERS: ElectronPrinterInfo[] = [
  { name: 'Zebra ZD421', displayName: 'Zebra ZD421', description: 'ZDesigner ZD421-203dpi', options: { 'printer-state': '3', 'printer-location': 'bench 2' } },
  { name: 'Office', displayName: 'Office', description: '', options: { 'printer-state': '5', 'printer-state-message': 'Paper jam\nin tray 2' } },
  { name: 'HP-Bench', displayName: 'HP LaserJet (bench)', description: '', options: { system_driverinfo: 'HP Universal;6.1;Windows' } },
];

interface Setup {
  printers?: readonly ElectronPrinterInfo[] | (() => Promise<readonly ElectronPrinterInfo[]>);
  page?: PageBehaviour;
  onPrint?: (options: ElectronPrintOptions, callback: PrintCallback) => void;
  openWindow?: (options: PrintWindowOptions) => PrintWindow;
  pageTimeoutMs?: number;
  printTimeoutMs?: number;
}

const stores: OneTimeDocuments[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
  fetched.length = 0;
});

function setup(options: Setup = {}) {
  const documents = new OneTimeDocuments();
  stores.push(documents);
  const offer = vi.spyOn(documents, 'offer');
  const serve = createAppProtocolHandler('/nonexistent-renderer', undefined, { documents });
  const windows: FakeWindow[] = [];
  const printers = options.printers ?? PRINTERS;
  const printer = new ElectronPrinter({
    documents,
    openWindow:
      options.openWindow ??
      ((windowOptions) => {
        const window = new FakeWindow(windowOptions, options.page ?? drawsPage(), serve, options.onPrint ?? printsOk);
        windows.push(window);
        return window;
      }),
    listPrinters: typeof printers === 'function' ? printers : async () => printers,
    pageTimeoutMs: options.pageTimeoutMs ?? 2_000,
    printTimeoutMs: options.printTimeoutMs ?? 2_000,
  });
  /** The copies the printer handed to the store (what the print page could fetch). */
  const copies = () => offer.mock.calls.map((call) => call[0]);
  return { printer, documents, windows, copies, offer };
}

function mailer(printer?: string): PrintRequest {
  return { pdf: new TextEncoder().encode(PDF_TEXT), title: 'keybench PIN mailer order-7', media: '4x6in', ...(printer === undefined ? {} : { printer }) };
}

async function failure(promise: Promise<PrintReceipt>): Promise<PrintError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(PrintError);
  return error as PrintError;
}

/** After any job: no window left, nothing left in the store, the store's copy zeroed, the caller's bytes untouched. */
function expectCleanedUp(ctx: ReturnType<typeof setup>, request: PrintRequest, error?: PrintError): void {
  for (const window of ctx.windows) expect(window.destroyed).toBe(true);
  expect(ctx.documents.size).toBe(0);
  for (const copy of ctx.copies()) {
    expect(copy).not.toBe(request.pdf);
    expect(copy.every((byte) => byte === 0)).toBe(true);
  }
  expect(new TextDecoder().decode(request.pdf)).toBe(PDF_TEXT);
  if (error) {
    expect(error.message).not.toContain(SECRET);
    expect(error.message).not.toContain('%PDF');
    for (const url of ctx.windows.flatMap((window) => window.loaded)) expect(error.message).not.toContain(new URL(url).hash.slice(1));
  }
}

describe('print window', () => {
  it('is hidden, sandboxed, isolated and has no preload, with JavaScript on for pdf.js', () => {
    const options = printWindowOptions();
    expect(options.show).toBe(false);
    expect(options.webPreferences).toMatchObject({
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      javascript: true,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    });
    expect(options.webPreferences).not.toHaveProperty('preload');
  });
});

describe('Electron printer list', () => {
  it("maps Electron's printers, reading the IPP state where options carry it", async () => {
    expect(await setup().printer.list()).toEqual([
      { name: 'Zebra ZD421', isDefault: false, state: 'idle', description: 'ZDesigner ZD421-203dpi' },
      { name: 'Office', isDefault: false, state: 'stopped' },
      { name: 'HP-Bench', isDefault: false, state: 'unknown', description: 'HP LaserJet (bench)' },
    ]);
  });

  it('marks a printer default only from an explicit marker (CUPS printer-type bit)', () => {
    expect(toPrinterInfo({ name: 'a', options: { 'printer-type': String(0x20000 | 0x4), 'printer-state': 4 } })).toEqual({ name: 'a', isDefault: true, state: 'printing' });
    expect(toPrinterInfo({ name: 'b', options: { 'printer-type': '4' } })).toMatchObject({ isDefault: false, state: 'unknown' });
    expect(toPrinterInfo({ name: 'c', options: { 'printer-type': 'default', 'printer-state': '9' } })).toMatchObject({ isDefault: false, state: 'unknown' });
    expect(toPrinterInfo({ name: 'd', options: null })).toEqual({ name: 'd', isDefault: false, state: 'unknown' });
  });

  it('says what to do when the system cannot be asked for its printers', async () => {
    const error = await setup({ printers: () => Promise.reject(new Error('spooler RPC failed')) })
      .printer.list()
      .catch((reason: unknown) => reason);
    expect(error).toMatchObject({ code: 'unavailable', message: expect.stringContaining('Print Spooler') });
  });

  it('asks the station window for printers, and refuses before it exists', async () => {
    const windows: Array<{ getPrintersAsync(): Promise<ElectronPrinterInfo[]> }> = [];
    const list = printersFrom(() => windows[0]);
    await expect(list()).rejects.toMatchObject({ code: 'unavailable', message: expect.stringContaining('not open yet') });
    windows.push({ getPrintersAsync: async () => [...PRINTERS] });
    expect(await list()).toEqual(PRINTERS);
  });
});

describe('Electron printer print', () => {
  it('prints the drawn page at its true size to the chosen printer, and keeps nothing', async () => {
    const ctx = setup();
    const request = mailer('Zebra ZD421');
    expect(await ctx.printer.print(request)).toEqual({ printer: 'Zebra ZD421', via: 'electron' });

    const [window] = ctx.windows;
    expect(ctx.windows).toHaveLength(1);
    expect(window?.options).toEqual(printWindowOptions());
    expect(window?.loaded).toEqual([expect.stringMatching(/^app:\/\/station\/print\.html#documents\/[A-Za-z0-9_-]{43}$/)]);
    expect(window?.webContents.printed).toEqual([
      {
        silent: true,
        deviceName: 'Zebra ZD421',
        printBackground: true,
        color: true,
        landscape: false,
        margins: { marginType: 'none' },
        pageSize: { width: 101_600, height: 152_400 },
      },
    ]);
    expect(fetched.map((bytes) => new TextDecoder().decode(bytes))).toEqual([PDF_TEXT]);
    expect(ctx.offer).toHaveBeenCalledWith(expect.any(Uint8Array), 'keybench PIN mailer order-7.pdf', 2_000);
    expectCleanedUp(ctx, request);
  });

  it('prints to the system default without a device name when no printer is chosen', async () => {
    const ctx = setup();
    const request = mailer();
    expect(await ctx.printer.print(request)).toEqual({ printer: SYSTEM_DEFAULT_PRINTER, via: 'electron' });
    const options = ctx.windows[0]?.webContents.printed[0];
    expect(options).toBeDefined();
    expect(options).not.toHaveProperty('deviceName');
    expectCleanedUp(ctx, request);
  });

  it('reads a ready title the page set before the load finished', async () => {
    const ctx = setup({
      page: async (window, url, serve) => {
        await fetchDocument(url, serve);
        window.webContents.title = printPageTitle({ state: 'ready', pages: 1, widthPt: 595.28, heightPt: 841.89 });
      },
    });
    await ctx.printer.print(mailer('Zebra ZD421'));
    expect(ctx.windows[0]?.webContents.printed[0]?.pageSize).toEqual({ width: 210_002, height: 297_000 });
  });

  it('refuses an unknown printer, naming the known ones, without opening a window', async () => {
    const ctx = setup();
    const request = mailer('Ghost');
    const error = await failure(ctx.printer.print(request));
    expect(error.code).toBe('unknown-printer');
    expect(error.message).toContain('Zebra ZD421, Office, HP-Bench');
    expect(ctx.windows).toHaveLength(0);
    expect(ctx.offer).not.toHaveBeenCalled();
    expectCleanedUp(ctx, request, error);
  });

  it('refuses when the system has no printers at all', async () => {
    for (const printer of [undefined, 'Zebra ZD421']) {
      const ctx = setup({ printers: [] });
      const error = await failure(ctx.printer.print(mailer(printer)));
      expect(error.code).toBe('no-printer');
      expect(ctx.windows).toHaveLength(0);
    }
  });

  it('refuses a stopped printer up front, with its reason on one line', async () => {
    const ctx = setup();
    const request = mailer('Office');
    const error = await failure(ctx.printer.print(request));
    expect(error.code).toBe('printer-stopped');
    expect(error.message).toContain('(Paper jam in tray 2)');
    expect(ctx.windows).toHaveLength(0);
    expectCleanedUp(ctx, request, error);
  });

  it('refuses a stopped default printer when the options mark one', async () => {
    const ctx = setup({ printers: [{ name: 'lab', options: { 'printer-type': String(0x20000), 'printer-state': '5' } }] });
    expect((await failure(ctx.printer.print(mailer()))).code).toBe('printer-stopped');
  });

  it('fails when the page reports it could not draw the document, and prints nothing', async () => {
    const ctx = setup({ page: reports({ state: 'failed', reason: 'The document is not a PDF.' }) });
    const request = mailer('Zebra ZD421');
    const error = await failure(ctx.printer.print(request));
    expect(error.code).toBe('spooler-failed');
    expect(error.message).toContain('could not draw the document (The document is not a PDF.)');
    expect(error.message).toContain('nothing was sent to printer Zebra ZD421');
    expect(ctx.windows[0]?.webContents.printed).toEqual([]);
    expectCleanedUp(ctx, request, error);
  });

  it('gives up on a page that never becomes ready', async () => {
    const ctx = setup({ page: neverReady, pageTimeoutMs: 40 });
    const request = mailer('Zebra ZD421');
    const error = await failure(ctx.printer.print(request));
    expect(error.code).toBe('spooler-failed');
    expect(error.message).toContain('did not finish drawing the document within 0.04 s');
    expect(ctx.windows[0]?.webContents.printed).toEqual([]);
    expectCleanedUp(ctx, request, error);
  });

  it('ignores titles that are not a print status', async () => {
    const ctx = setup({
      page: async (window, url, serve) => {
        setTimeout(() => window.webContents.setTitle('keybench-print:{"state":"ready"}'), 1);
        setTimeout(() => window.webContents.setTitle('Some title'), 2);
        return drawsPage()(window, url, serve);
      },
    });
    expect(await ctx.printer.print(mailer('Zebra ZD421'))).toMatchObject({ via: 'electron' });
  });

  it('fails when the page does not load, without quoting its URL', async () => {
    const ctx = setup({
      page: (window, url) => {
        window.webContents.emit('did-fail-load', {}, -6, 'ERR_FILE_NOT_FOUND', url, true, 1, 1);
        return Promise.reject(Object.assign(new Error(`ERR_FILE_NOT_FOUND (-6) loading '${url}'`), { code: 'ERR_FILE_NOT_FOUND', errno: -6, url }));
      },
    });
    const request = mailer('Zebra ZD421');
    const error = await failure(ctx.printer.print(request));
    expect(error.message).toContain('The print page did not load (ERR_FILE_NOT_FOUND -6)');
    expectCleanedUp(ctx, request, error);
  });

  it('reports a rejected load by its net error code only', async () => {
    const ctx = setup({ page: (_window, url) => Promise.reject(Object.assign(new Error(`ERR_FAILED (-2) loading '${url}'`), { code: 'ERR_FAILED' })) });
    const request = mailer('Zebra ZD421');
    const error = await failure(ctx.printer.print(request));
    expect(error.message).toContain('(ERR_FAILED)');
    expectCleanedUp(ctx, request, error);
  });

  it('ignores a failed subframe load', async () => {
    const ctx = setup({
      page: (window, url, serve) => {
        window.webContents.emit('did-fail-load', {}, -6, 'ERR_FILE_NOT_FOUND', 'app://station/frame.html', false, 1, 2);
        return drawsPage()(window, url, serve);
      },
    });
    expect(await ctx.printer.print(mailer('Zebra ZD421'))).toMatchObject({ printer: 'Zebra ZD421' });
  });

  it('cleans up when loadURL throws or the window cannot be created', async () => {
    const throwing = setup({
      page: () => {
        throw new Error('Object has been destroyed');
      },
    });
    const request = mailer('Zebra ZD421');
    const error = await failure(throwing.printer.print(request));
    expect(error.message).toContain('did not load (load error)');
    expectCleanedUp(throwing, request, error);

    const noWindow = setup({
      openWindow: () => {
        throw new Error('cannot create window');
      },
    });
    const again = mailer('Zebra ZD421');
    const refused = await failure(noWindow.printer.print(again));
    expect(refused.message).toContain('could not open its print window (cannot create window)');
    expect(noWindow.offer).toHaveBeenCalledTimes(1);
    expectCleanedUp(noWindow, again, refused);
  });

  it('fails when the page renderer dies', async () => {
    const ctx = setup({
      page: async (window) => {
        setTimeout(() => window.webContents.emit('render-process-gone', {}, { reason: 'crashed', exitCode: 11 }), 1);
      },
    });
    const request = mailer('Zebra ZD421');
    const error = await failure(ctx.printer.print(request));
    expect(error.message).toContain('The print page stopped (crashed)');
    expectCleanedUp(ctx, request, error);
  });

  it.each([
    ['cancelled', 'Zebra ZD421', 'spooler-failed', 'was cancelled before it reached the spooler'],
    ['Print job canceled', 'Zebra ZD421', 'spooler-failed', 'was cancelled before it reached the spooler'],
    ['failed', 'Zebra ZD421', 'spooler-failed', "The system's print spooler could not print on printer Zebra ZD421"],
    ['Print job failed', undefined, 'spooler-failed', "could not print on the system's default printer"],
    ['Invalid deviceName provided', 'Zebra ZD421', 'unknown-printer', 'Printer Zebra ZD421 does not exist'],
    ['Invalid deviceName provided', undefined, 'no-printer', 'no default printer'],
    ['Invalid printer settings', 'Zebra ZD421', 'spooler-failed', 'Printer Zebra ZD421 refused a 102 × 152 mm page'],
    ['Driver said\nno   way', 'Zebra ZD421', 'spooler-failed', 'failed (Driver said no way)'],
    ['', 'Zebra ZD421', 'spooler-failed', 'failed (no reason given)'],
  ])('maps the print failure %j (printer %s) to %s', async (reason, printer, code, text) => {
    const ctx = setup({ onPrint: printFails(reason) });
    const request = mailer(printer);
    const error = await failure(ctx.printer.print(request));
    expect(error.code).toBe(code);
    expect(error.message).toContain(text);
    expectCleanedUp(ctx, request, error);
  });

  it('fails when print throws, and when the spooler never answers', async () => {
    const throwing = setup({
      onPrint: () => {
        throw new Error('height and width properties must be minimum 352 microns.');
      },
    });
    const request = mailer('Zebra ZD421');
    const error = await failure(throwing.printer.print(request));
    expect(error.message).toContain('could not start (height and width properties must be minimum 352 microns.)');
    expectCleanedUp(throwing, request, error);

    const silent = setup({ onPrint: () => {}, printTimeoutMs: 40 });
    const again = mailer('Zebra ZD421');
    const timeout = await failure(silent.printer.print(again));
    expect(timeout.message).toContain('Printer Zebra ZD421 did not confirm the print job');
    expectCleanedUp(silent, again, timeout);
  });

  it('ignores a late print callback after the timeout', async () => {
    let late: PrintCallback | undefined;
    const ctx = setup({ onPrint: (_options, callback) => (late = callback), printTimeoutMs: 20 });
    const error = await failure(ctx.printer.print(mailer('Zebra ZD421')));
    expect(error.message).toContain('did not confirm');
    expect(() => late?.(true, '')).not.toThrow();
  });

  it('stops a job that has not reached the spooler when aborted', async () => {
    const before = setup();
    await expect(before.printer.print(mailer('Zebra ZD421'), AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
    expect(before.windows).toHaveLength(0);

    const controller = new AbortController();
    const during = setup({ page: neverReady });
    const request = mailer('Zebra ZD421');
    const printing = during.printer.print(request, controller.signal);
    await vi.waitFor(() => expect(during.windows[0]?.loaded).toHaveLength(1));
    controller.abort();
    await expect(printing).rejects.toMatchObject({ name: 'AbortError' });
    expect(during.windows[0]?.webContents.printed).toEqual([]);
    expectCleanedUp(during, request);
  });
});
