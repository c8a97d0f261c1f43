// Browser mode has no printer of its own: a PIN mailer is handed to the page as a download that works
// exactly once. The PDF lives only here, in memory, until the browser fetches it or it expires; then its
// bytes are zeroed and forgotten. Nothing is written to disk on the station's side.
import { randomBytes } from 'node:crypto';
import { PrintError, type Printer, type PrinterInfo, type PrintReceipt, type PrintRequest } from './printer.js';

/** Long enough for the page to start the download it was told about, short enough not to linger. */
export const DEFAULT_DOCUMENT_TTL_MS = 2 * 60_000;

export interface DocumentOffer {
  /** 32 random bytes, base64url: the only way to fetch the document, once. */
  readonly token: string;
  readonly fileName: string;
  /** ISO 8601. */
  readonly expiresAt: string;
}

export interface TakenDocument {
  /** Now owned by the taker, who zeroes it once it has been sent. */
  readonly pdf: Uint8Array;
  readonly fileName: string;
}

/** How an offer ended: fetched, expired unfetched, or dropped (withdrawn, or the store closed). */
export type DocumentOutcome = 'taken' | 'expired' | 'withdrawn';

interface Entry {
  readonly pdf: Uint8Array;
  readonly fileName: string;
  readonly expiresAtMs: number;
  readonly timer: NodeJS.Timeout;
  readonly waiters: Array<(outcome: DocumentOutcome) => void>;
}

export class OneTimeDocuments {
  readonly #entries = new Map<string, Entry>();
  readonly #defaultTtlMs: number;
  #closed = false;

  constructor(options: { defaultTtlMs?: number } = {}) {
    this.#defaultTtlMs = options.defaultTtlMs ?? DEFAULT_DOCUMENT_TTL_MS;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Takes ownership of `pdf` (it is zeroed when it expires or is withdrawn): pass a copy you may lose. */
  offer(pdf: Uint8Array, fileName: string, ttlMs: number = this.#defaultTtlMs): { token: string; expiresAt: string } {
    if (this.#closed) throw new PrintError('unavailable', 'The station is shutting down and no longer offers downloads: restart it, then retry.');
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`A download must live for a positive number of milliseconds, not ${String(ttlMs)}.`);
    const token = randomBytes(32).toString('base64url');
    const expiresAtMs = Date.now() + ttlMs;
    const timer = setTimeout(() => this.#drop(token, 'expired'), ttlMs);
    // A pending download must never keep the station process alive on its own.
    timer.unref();
    this.#entries.set(token, { pdf, fileName, expiresAtMs, timer, waiters: [] });
    return { token, expiresAt: new Date(expiresAtMs).toISOString() };
  }

  /** The document, once: the store forgets it here, so a second take (or a late one) gets undefined. */
  take(token: string): TakenDocument | undefined {
    const entry = this.#entries.get(token);
    if (!entry) return undefined;
    if (Date.now() >= entry.expiresAtMs) {
      this.#drop(token, 'expired');
      return undefined;
    }
    this.#entries.delete(token);
    clearTimeout(entry.timer);
    settle(entry, 'taken');
    return { pdf: entry.pdf, fileName: entry.fileName };
  }

  /** Zeroes and forgets a document nobody will fetch (the job was cancelled). */
  withdraw(token: string): boolean {
    return this.#drop(token, 'withdrawn');
  }

  /** Resolves when the document is taken, expires or is withdrawn; 'withdrawn' at once for an unknown token. */
  outcome(token: string): Promise<DocumentOutcome> {
    const entry = this.#entries.get(token);
    if (!entry) return Promise.resolve('withdrawn');
    return new Promise((resolve) => entry.waiters.push(resolve));
  }

  /** Zeroes and forgets everything still waiting; later offers are refused. */
  close(): void {
    this.#closed = true;
    for (const token of [...this.#entries.keys()]) this.#drop(token, 'withdrawn');
  }

  #drop(token: string, outcome: DocumentOutcome): boolean {
    const entry = this.#entries.get(token);
    if (!entry) return false;
    this.#entries.delete(token);
    clearTimeout(entry.timer);
    entry.pdf.fill(0);
    settle(entry, outcome);
    return true;
  }
}

function settle(entry: Entry, outcome: DocumentOutcome): void {
  for (const resolve of entry.waiters.splice(0)) resolve(outcome);
}

export const DOWNLOAD_PRINTER_NAME = 'browser download';

export interface DownloadPrinterOptions {
  readonly documents: OneTimeDocuments;
  /** Tells the page to fetch the document now; the station turns this into an event. */
  readonly onOffer: (offer: DocumentOffer) => void;
  readonly ttlMs?: number;
}

/**
 * The printer of browser mode. `print` resolves once the page has fetched the PDF — only then has the
 * mailer really left the station — and fails with 'download-expired' when it never did.
 */
export class DownloadPrinter implements Printer {
  readonly #documents: OneTimeDocuments;
  readonly #onOffer: (offer: DocumentOffer) => void;
  readonly #ttlMs: number | undefined;

  constructor(options: DownloadPrinterOptions) {
    this.#documents = options.documents;
    this.#onOffer = options.onOffer;
    this.#ttlMs = options.ttlMs;
  }

  async list(): Promise<PrinterInfo[]> {
    return [{ name: DOWNLOAD_PRINTER_NAME, isDefault: true, state: 'idle', description: 'Downloaded once by the browser, never kept on the station' }];
  }

  async print(request: PrintRequest, signal?: AbortSignal): Promise<PrintReceipt> {
    signal?.throwIfAborted();
    if (request.printer !== undefined && request.printer !== DOWNLOAD_PRINTER_NAME) {
      throw PrintError.unknownPrinter(request.printer, [DOWNLOAD_PRINTER_NAME]);
    }
    const fileName = downloadName(request.title);
    // The store gets its own copy, so the caller can wipe its bytes as soon as this call settles.
    const { token, expiresAt } = this.#documents.offer(new Uint8Array(request.pdf), fileName, this.#ttlMs);
    const outcome = this.#documents.outcome(token);
    const onAbort = (): void => {
      this.#documents.withdraw(token);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      this.#onOffer({ token, fileName, expiresAt });
    } catch (error) {
      signal?.removeEventListener('abort', onAbort);
      this.#documents.withdraw(token);
      throw error;
    }
    try {
      const ended = await outcome;
      if (ended === 'taken') return { printer: DOWNLOAD_PRINTER_NAME, jobRef: token, via: 'download' };
      if (ended === 'expired') throw PrintError.downloadExpired(fileName);
      signal?.throwIfAborted();
      throw new PrintError('unavailable', `${fileName} was withdrawn before the browser fetched it (the station is shutting down): nothing was printed.`);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }
}

function downloadName(title: string): string {
  const base = title.trim() || 'keybench document';
  return base.toLowerCase().endsWith('.pdf') ? base : `${base}.pdf`;
}
