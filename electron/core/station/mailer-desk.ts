// The station's PIN-mailer desk: renders the mailer with the PIN in memory, hands it to the chosen printer
// (CUPS) or, in browser mode with no printer chosen, to a one-time download, and zeroes the document
// whatever happens. Nothing here writes the PDF to a file.
import { renderPinMailer, type MailerPaper } from './documents/pin-mailer.js';
import { wipePdfBytes } from './documents/pdf-bytes.js';
import type { MailerContent, MailerDesk, MailerReceipt } from './job-ports.js';
import type { Printer } from './printing/printer.js';

/** Where a document goes now: a named printer (CUPS, or the desktop app's spooler), or the browser download desk. */
export type PrintTarget = { readonly printer: Printer; readonly name?: string } | { readonly unavailable: string };

export class StationMailerDesk implements MailerDesk {
  constructor(
    private readonly target: () => PrintTarget,
    private readonly paper: () => MailerPaper,
    private readonly station?: string,
  ) {}

  unavailable(): string | undefined {
    const target = this.target();
    return 'unavailable' in target ? target.unavailable : undefined;
  }

  async print(content: MailerContent, pin: string): Promise<MailerReceipt> {
    const target = this.target();
    if ('unavailable' in target) throw new Error(target.unavailable);
    const paper = this.paper();
    const pdf = await renderPinMailer({ ...content, pin, paper, ...(this.station ? { station: this.station } : {}) });
    try {
      const receipt = await target.printer.print({ pdf, ...(target.name ? { printer: target.name } : {}), title: `keybench PIN mailer ${content.orderId}`, media: paper });
      // A download token is a capability for the document: it is not journaled.
      return { printer: receipt.printer, via: receipt.via, ...(receipt.via !== 'download' && receipt.jobRef ? { jobRef: receipt.jobRef } : {}) };
    } finally {
      wipePdfBytes(pdf);
    }
  }
}
