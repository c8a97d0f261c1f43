// The desktop app's printer where there is no CUPS (Windows): Chromium's own printing. The print page
// (renderer/print.html) draws the PDF at its true size in a hidden window, fetching it once from
// app://station/documents/<token>, and the window is then printed silently through the system's spooler.
// The window never outlives one job, and the store's copy of the PDF is zeroed however the job ends.
// Electron's objects come in through the small interfaces below; electron/main/index.ts passes the real ones.
import { parsePrintPageTitle, pointsToMicrons, printPageHash, PRINT_PAGE_FILE } from '../contract/print-page.js';
import type { OneTimeDocuments } from '../core/station/printing/one-time-documents.js';
import { PrintError, type Printer, type PrinterInfo, type PrinterState, type PrintReceipt, type PrintRequest } from '../core/station/printing/printer.js';
import { APP_ENTRY_URL } from './origin.js';
import { LOCKED_DOWN_WEB_PREFERENCES } from './window.js';

/** Where the print page lives: on app://station, beside the document route it fetches from. */
export const PRINT_PAGE_URL = new URL(PRINT_PAGE_FILE, APP_ENTRY_URL).href;

/** What a receipt names when the request chose no printer: Chromium then prints to the system default. */
export const SYSTEM_DEFAULT_PRINTER = "the system's default printer";

/** Long enough for pdf.js to draw a one-page mailer on a slow bench PC; the document's offer lives as long. */
export const DEFAULT_PAGE_TIMEOUT_MS = 30_000;
/** Windows drivers can take a while to accept a job; past this the job's fate is unknown. */
export const DEFAULT_PRINT_TIMEOUT_MS = 60_000;

/** IPP printer-state (RFC 8011 §5.4.11), which CUPS-backed Chromium puts in `options`. */
const IPP_PRINTER_STATES: Readonly<Record<string, PrinterState>> = { '3': 'idle', '4': 'printing', '5': 'stopped' };
/** CUPS_PRINTER_DEFAULT in CUPS' printer-type bits: the only default marker `options` can carry. */
const CUPS_PRINTER_DEFAULT = 0x20000;

/** The part of Electron's PrinterInfo the printer reads; `options` is platform-specific and checked key by key. */
export interface ElectronPrinterInfo {
  readonly name: string;
  readonly displayName?: string;
  readonly description?: string;
  readonly options?: unknown;
}

export type ListElectronPrinters = () => Promise<readonly ElectronPrinterInfo[]>;

/** The settings handed to `webContents.print`: silent, true size, no margins, no scaling by a dialog. */
export interface ElectronPrintOptions {
  readonly silent: true;
  readonly deviceName?: string;
  readonly printBackground: true;
  readonly color: true;
  readonly landscape: false;
  readonly margins: { readonly marginType: 'none' };
  /** Micrometres, as Chromium takes them. */
  readonly pageSize: { readonly width: number; readonly height: number };
}

/** The part of Electron's WebContents the printer uses. */
export interface PrintPageContents {
  on(event: 'page-title-updated', listener: (event: unknown, title: string) => void): unknown;
  on(
    event: 'did-fail-load',
    listener: (event: unknown, errorCode: number, errorDescription: string, validatedURL: string, isMainFrame: boolean) => void,
  ): unknown;
  on(event: 'render-process-gone', listener: (event: unknown, details: { readonly reason: string }) => void): unknown;
  getTitle(): string;
  print(options: ElectronPrintOptions, callback: (success: boolean, failureReason: string) => void): void;
}

/** The part of Electron's BrowserWindow the printer uses. */
export interface PrintWindow {
  readonly webContents: PrintPageContents;
  loadURL(url: string): Promise<unknown>;
  isDestroyed(): boolean;
  destroy(): void;
}

export type PrintWindowOptions = ReturnType<typeof printWindowOptions>;

/**
 * The hidden print window: as locked down as the station's, and with no preload at all — the page gets no
 * station API. JavaScript stays on because pdf.js draws the document; throttling is off so a window that is
 * never shown still renders.
 */
export function printWindowOptions() {
  return {
    width: 900,
    height: 1200,
    title: 'keybench print',
    show: false,
    skipTaskbar: true,
    webPreferences: { ...LOCKED_DOWN_WEB_PREFERENCES, javascript: true, backgroundThrottling: false },
  } as const;
}

export interface ElectronPrinterOptions {
  /** Holds each PDF copy until the print page fetches it through app://station (see protocol.ts). */
  readonly documents: OneTimeDocuments;
  /** `(options) => new BrowserWindow(options)`. */
  readonly openWindow: (options: PrintWindowOptions) => PrintWindow;
  /** Any webContents' `getPrintersAsync` (see `printersFrom`). */
  readonly listPrinters: ListElectronPrinters;
  /** How long the page may take to load and draw; also the life of the document's offer. */
  readonly pageTimeoutMs?: number;
  /** How long the spooler may take to confirm the job. */
  readonly printTimeoutMs?: number;
}

interface PageSize {
  readonly widthPt: number;
  readonly heightPt: number;
}

export class ElectronPrinter implements Printer {
  readonly #documents: OneTimeDocuments;
  readonly #openWindow: (options: PrintWindowOptions) => PrintWindow;
  readonly #listPrinters: ListElectronPrinters;
  readonly #pageTimeoutMs: number;
  readonly #printTimeoutMs: number;

  constructor(options: ElectronPrinterOptions) {
    this.#documents = options.documents;
    this.#openWindow = options.openWindow;
    this.#listPrinters = options.listPrinters;
    this.#pageTimeoutMs = options.pageTimeoutMs ?? DEFAULT_PAGE_TIMEOUT_MS;
    this.#printTimeoutMs = options.printTimeoutMs ?? DEFAULT_PRINT_TIMEOUT_MS;
  }

  async list(signal?: AbortSignal): Promise<PrinterInfo[]> {
    return (await this.#survey(signal)).map(toPrinterInfo);
  }

  /** Resolves once the spooler has accepted the job; an abort stops a job that has not reached it yet. */
  async print(request: PrintRequest, signal?: AbortSignal): Promise<PrintReceipt> {
    const found = await this.#survey(signal);
    const printers = found.map(toPrinterInfo);
    if (printers.length === 0) throw PrintError.noPrinters();
    const names = printers.map((printer) => printer.name);
    const name = request.printer;
    const chosen = name === undefined ? printers.find((printer) => printer.isDefault) : printers.find((printer) => printer.name === name);
    if (name !== undefined && !chosen) throw PrintError.unknownPrinter(name, names);
    if (chosen?.state === 'stopped') throw PrintError.printerStopped(chosen.name, stopReason(found.find((printer) => printer.name === chosen.name)));
    const where = name === undefined ? SYSTEM_DEFAULT_PRINTER : `printer ${name}`;

    // The store gets its own copy: the caller wipes request.pdf as soon as this call settles.
    const { token } = this.#documents.offer(new Uint8Array(request.pdf), documentName(request.title), this.#pageTimeoutMs);
    let window: PrintWindow | undefined;
    try {
      window = openPrintWindow(this.#openWindow, where);
      const page = await drawPage(window, PRINT_PAGE_URL + printPageHash(token), this.#pageTimeoutMs, where, signal);
      signal?.throwIfAborted();
      const options: ElectronPrintOptions = {
        silent: true,
        ...(name === undefined ? {} : { deviceName: name }),
        printBackground: true,
        color: true,
        landscape: false,
        margins: { marginType: 'none' },
        pageSize: { width: pointsToMicrons(page.widthPt), height: pointsToMicrons(page.heightPt) },
      };
      await spool(window.webContents, options, this.#printTimeoutMs, { name, where, names, page });
      return { printer: name ?? SYSTEM_DEFAULT_PRINTER, via: 'electron' };
    } finally {
      this.#documents.withdraw(token);
      if (window && !window.isDestroyed()) window.destroy();
    }
  }

  async #survey(signal?: AbortSignal): Promise<readonly ElectronPrinterInfo[]> {
    signal?.throwIfAborted();
    let printers: readonly ElectronPrinterInfo[];
    try {
      printers = await this.#listPrinters();
    } catch (error) {
      if (error instanceof PrintError) throw error;
      throw new PrintError(
        'unavailable',
        `keybench could not ask the system for its printers (${reasonOf(error)}): check that the Print Spooler service is running, then retry.`,
        { cause: error },
      );
    }
    signal?.throwIfAborted();
    return printers;
  }
}

/** Reads the printers through whichever webContents exists; before the station window does, printing waits. */
export function printersFrom(contents: () => { getPrintersAsync(): Promise<readonly ElectronPrinterInfo[]> } | undefined): ListElectronPrinters {
  return async () => {
    const source = contents();
    if (!source) throw new PrintError('unavailable', 'The keybench window is not open yet, so the printers cannot be listed: wait until keybench has started, then retry.');
    return source.getPrintersAsync();
  };
}

export function toPrinterInfo(printer: ElectronPrinterInfo): PrinterInfo {
  const description = printer.description?.trim() || (printer.displayName && printer.displayName !== printer.name ? printer.displayName : undefined);
  const type = optionText(printer.options, 'printer-type');
  const isDefault = type !== undefined && /^\d+$/.test(type) && (Number(type) & CUPS_PRINTER_DEFAULT) !== 0;
  const state = IPP_PRINTER_STATES[optionText(printer.options, 'printer-state') ?? ''] ?? 'unknown';
  return { name: printer.name, isDefault, state, ...(description ? { description } : {}) };
}

function stopReason(printer: ElectronPrinterInfo | undefined): string | undefined {
  const message = optionText(printer?.options, 'printer-state-message');
  return message === undefined ? undefined : oneLine(message);
}

/** A string (or number) option of Electron's platform-specific `options`, checked rather than trusted. */
function optionText(options: unknown, key: string): string | undefined {
  if (typeof options !== 'object' || options === null || !Object.hasOwn(options, key)) return undefined;
  const value: unknown = Reflect.get(options, key);
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function openPrintWindow(open: (options: PrintWindowOptions) => PrintWindow, where: string): PrintWindow {
  try {
    return open(printWindowOptions());
  } catch (error) {
    throw new PrintError(
      'spooler-failed',
      `keybench could not open its print window (${reasonOf(error)}): nothing was sent to ${where}. Restart keybench, then retry.`,
      { cause: error },
    );
  }
}

/** Loads the print page and waits until it reports the document drawn (with its page size) or failed. */
function drawPage(window: PrintWindow, url: string, timeoutMs: number, where: string, signal?: AbortSignal): Promise<PageSize> {
  const contents = window.webContents;
  const nothingSent = `nothing was sent to ${where}`;
  return new Promise<PageSize>((resolve, reject) => {
    let settled = false;
    const finish = (settle: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      settle();
    };
    const fail = (message: string): void => finish(() => reject(new PrintError('spooler-failed', message)));
    const judge = (title: string): void => {
      const status = parsePrintPageTitle(title);
      if (status?.state === 'ready') finish(() => resolve({ widthPt: status.widthPt, heightPt: status.heightPt }));
      else if (status?.state === 'failed') fail(`The print page could not draw the document (${oneLine(status.reason)}): ${nothingSent}. Retry; if it fails again, restart keybench.`);
    };
    const onAbort = (): void => finish(() => reject(signal?.reason));
    const timer = setTimeout(
      () => fail(`The print page did not finish drawing the document within ${seconds(timeoutMs)}: ${nothingSent}. Restart keybench, then retry.`),
      timeoutMs,
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    contents.on('page-title-updated', (_event, title) => judge(title));
    // The failed URL is never quoted: it carries the document's token.
    contents.on('did-fail-load', (_event, errorCode, errorDescription, _url, isMainFrame) => {
      if (isMainFrame) fail(`The print page did not load (${oneLine(errorDescription) || 'error'} ${errorCode}): ${nothingSent}. Reinstall keybench if this repeats.`);
    });
    contents.on('render-process-gone', (_event, details) =>
      fail(`The print page stopped (${oneLine(details.reason)}) before it was printed: ${nothingSent}. Restart keybench, then retry.`),
    );
    new Promise<unknown>((loaded) => loaded(window.loadURL(url))).then(
      () => judge(contents.getTitle()),
      (error: unknown) => fail(`The print page did not load (${loadErrorCode(error)}): ${nothingSent}. Reinstall keybench if this repeats.`),
    );
  });
}

interface SpoolTarget {
  readonly name: string | undefined;
  readonly where: string;
  readonly names: readonly string[];
  readonly page: PageSize;
}

/** Hands the drawn page to Chromium's printing and waits for the spooler's answer. */
function spool(contents: PrintPageContents, options: ElectronPrintOptions, timeoutMs: number, target: SpoolTarget): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      reject(
        new PrintError(
          'spooler-failed',
          `${capitalised(target.where)} did not confirm the print job within ${seconds(timeoutMs)}: look in its print queue whether the document arrived, and remove it there if it is stuck.`,
        ),
      );
    }, timeoutMs);
    const settle = (error?: PrintError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    };
    try {
      contents.print(options, (success, failureReason) => settle(success ? undefined : printFailure(failureReason, target)));
    } catch (error) {
      settle(
        new PrintError(
          'spooler-failed',
          `Printing on ${target.where} could not start (${reasonOf(error)}): nothing was printed. Check the printer in the system's printer settings, then retry.`,
          { cause: error },
        ),
      );
    }
  });
}

/** Electron's failure reasons: 'cancelled', 'failed', 'Invalid deviceName provided', and Chromium's own sentences. */
function printFailure(reason: string, target: SpoolTarget): PrintError {
  if (/invalid device ?name/i.test(reason)) {
    return target.name === undefined ? PrintError.noDefaultPrinter() : PrintError.unknownPrinter(target.name, target.names);
  }
  if (/cancel/i.test(reason)) {
    return new PrintError('spooler-failed', `The print job for ${target.where} was cancelled before it reached the spooler: nothing was printed. Retry.`);
  }
  if (/invalid printer settings/i.test(reason)) {
    const size = `${millimetres(target.page.widthPt)} × ${millimetres(target.page.heightPt)} mm`;
    return new PrintError(
      'spooler-failed',
      `${capitalised(target.where)} refused a ${size} page without margins: nothing was printed. Load paper of that size or choose a matching paper or printer in keybench settings, then retry.`,
    );
  }
  if (/^(print job )?failed$/i.test(reason.trim())) {
    return new PrintError(
      'spooler-failed',
      `The system's print spooler could not print on ${target.where}: check in the system's printer settings that it is online, has paper and a working driver, then retry.`,
    );
  }
  return new PrintError(
    'spooler-failed',
    `Printing on ${target.where} failed (${oneLine(reason) || 'no reason given'}): check the printer in the system's printer settings, then retry.`,
  );
}

function documentName(title: string): string {
  const base = title.trim() || 'keybench document';
  return base.toLowerCase().endsWith('.pdf') ? base : `${base}.pdf`;
}

/** Chromium's net error name (ERR_FILE_NOT_FOUND); Electron's message would quote the URL and its token. */
function loadErrorCode(error: unknown): string {
  const code: unknown = typeof error === 'object' && error !== null ? Reflect.get(error, 'code') : undefined;
  return typeof code === 'string' && /^ERR_[A-Z_]{1,60}$/.test(code) ? code : 'load error';
}

function reasonOf(error: unknown): string {
  return oneLine(error instanceof Error ? error.message : String(error)) || 'no reason given';
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 200);
}

function seconds(ms: number): string {
  return `${ms / 1000} s`;
}

function millimetres(points: number): number {
  return Math.round((points * 25.4) / 72);
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
