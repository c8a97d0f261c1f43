// The printing port: takes a rendered PDF (bytes in memory, never a file) to paper or to a one-time
// browser download. A PIN mailer exists only while it is being handed on, so implementations keep no
// reference to `request.pdf` once `print` has settled: the caller wipes its bytes right after.

export type PrinterState = 'idle' | 'printing' | 'stopped' | 'unknown';

export interface PrinterInfo {
  readonly name: string;
  readonly isDefault: boolean;
  readonly description?: string;
  readonly state?: PrinterState;
}

/** Paper the renderer laid the PDF out for: a 62 mm label roll, a 4×6 in label, or a sheet. */
export type PrintMedia = '62mm' | '4x6in' | 'a4' | 'letter';

export interface PrintRequest {
  readonly pdf: Uint8Array;
  /** The system's default printer when absent. */
  readonly printer?: string;
  /** Shown in print queues and download names; never contains a secret. */
  readonly title: string;
  readonly media?: PrintMedia;
}

/**
 * How a document left the station: CUPS (`lp`), the desktop app's own printing through the system's print
 * spooler (Windows has no CUPS), or a one-time browser download.
 */
export const PRINT_VIAS = ['cups', 'electron', 'download'] as const;
export type PrintVia = (typeof PRINT_VIAS)[number];

export interface PrintReceipt {
  /** What the journal records: "mailer printed, printer X, at T". */
  readonly printer: string;
  /** The spooler's job id (CUPS "office-42"), or the download token while it is live. */
  readonly jobRef?: string;
  readonly via: PrintVia;
}

export interface Printer {
  list(signal?: AbortSignal): Promise<PrinterInfo[]>;
  print(request: PrintRequest, signal?: AbortSignal): Promise<PrintReceipt>;
}

export type PrintErrorCode =
  | 'no-printer'
  | 'unknown-printer'
  | 'printer-stopped'
  | 'spooler-failed'
  | 'unavailable'
  | 'download-expired';

/** Every message says what happened and what the technician can do; none carries document content. */
export class PrintError extends Error {
  override readonly name = 'PrintError';

  constructor(
    readonly code: PrintErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  static noDefaultPrinter(): PrintError {
    return new PrintError(
      'no-printer',
      'No printer was chosen and the system has no default printer: choose one in keybench settings (or set a system default), then retry.',
    );
  }

  static noPrinters(): PrintError {
    return new PrintError('no-printer', "No printers are set up on this computer: add one in the system's printer settings, then retry.");
  }

  static unknownPrinter(name: string, known: readonly string[]): PrintError {
    const choices = known.length > 0 ? `known printers: ${known.join(', ')}` : 'no printers are set up';
    return new PrintError('unknown-printer', `Printer ${name} does not exist (${choices}): choose another printer in keybench settings, then retry.`);
  }

  static printerStopped(name: string, reason?: string): PrintError {
    const why = reason ? ` (${reason})` : '';
    return new PrintError(
      'printer-stopped',
      `Printer ${name} is stopped${why}: resume it in the system's printer settings, then retry. Nothing was sent to it.`,
    );
  }

  static downloadExpired(fileName: string): PrintError {
    return new PrintError(
      'download-expired',
      `${fileName} was not downloaded in time and has been erased; a PIN mailer cannot be reprinted — reset the key and provision it again, or have Okta send the PIN.`,
    );
  }
}
