import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DownloadPrinter, OneTimeDocuments, type DocumentOffer } from '../../../../electron/core/station/printing/one-time-documents.js';
import { PrintError } from '../../../../electron/core/station/printing/printer.js';

function pdfBytes(): Uint8Array {
  return new TextEncoder().encode('%PDF-1.7\nPIN 482913\n%%EOF\n');
}

const allZero = (bytes: Uint8Array): boolean => bytes.length > 0 && bytes.every((b) => b === 0);

describe('OneTimeDocuments', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2025-06-01T12:00:00Z') });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('hands a document out exactly once, then forgets it', () => {
    const documents = new OneTimeDocuments();
    const pdf = pdfBytes();
    const { token, expiresAt } = documents.offer(pdf, 'PIN mailer.pdf', 60_000);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(expiresAt).toBe('2025-06-01T12:01:00.000Z');
    expect(documents.size).toBe(1);

    const taken = documents.take(token);
    expect(taken?.fileName).toBe('PIN mailer.pdf');
    expect(new TextDecoder().decode(taken?.pdf)).toContain('PIN 482913');
    expect(documents.size).toBe(0);
    expect(documents.take(token)).toBeUndefined();
  });

  it('gives every offer its own unguessable token', () => {
    const documents = new OneTimeDocuments();
    const tokens = new Set(Array.from({ length: 50 }, () => documents.offer(pdfBytes(), 'a.pdf').token));
    expect(tokens.size).toBe(50);
    expect(documents.take('not-a-token')).toBeUndefined();
    documents.close();
  });

  it('zeroes and drops a document nobody fetched once it expires', () => {
    const documents = new OneTimeDocuments();
    const pdf = pdfBytes();
    const { token } = documents.offer(pdf, 'PIN mailer.pdf', 30_000);
    vi.advanceTimersByTime(29_999);
    expect(allZero(pdf)).toBe(false);
    expect(documents.size).toBe(1);

    vi.advanceTimersByTime(1);
    expect(allZero(pdf)).toBe(true);
    expect(documents.size).toBe(0);
    expect(documents.take(token)).toBeUndefined();
  });

  it('does not hand out a document whose time is up even before its timer has run', () => {
    const documents = new OneTimeDocuments();
    const pdf = pdfBytes();
    const { token } = documents.offer(pdf, 'late.pdf', 10_000);
    // The clock moves on while the timer has not fired yet (a busy event loop).
    vi.setSystemTime(Date.now() + 10_000);
    expect(documents.take(token)).toBeUndefined();
    expect(allZero(pdf)).toBe(true);
  });

  it('keeps no timer that would hold the process open', () => {
    const documents = new OneTimeDocuments();
    const spy = vi.spyOn(globalThis, 'setTimeout');
    documents.offer(pdfBytes(), 'a.pdf');
    const timer = spy.mock.results[0]?.value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
    spy.mockRestore();
    documents.close();
  });

  it('zeroes everything on close and refuses later offers', () => {
    const documents = new OneTimeDocuments();
    const first = pdfBytes();
    const second = pdfBytes();
    documents.offer(first, 'a.pdf');
    documents.offer(second, 'b.pdf');
    documents.close();
    expect(allZero(first) && allZero(second)).toBe(true);
    expect(documents.size).toBe(0);
    expect(() => documents.offer(pdfBytes(), 'c.pdf')).toThrow(PrintError);
  });
});

describe('DownloadPrinter', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('offers its own copy, announces it, and reports printed once the browser has fetched it', async () => {
    const documents = new OneTimeDocuments();
    const offers: DocumentOffer[] = [];
    const printer = new DownloadPrinter({ documents, onOffer: (offer) => offers.push(offer) });
    expect(await printer.list()).toEqual([expect.objectContaining({ name: 'browser download', isDefault: true })]);

    const pdf = pdfBytes();
    const printing = printer.print({ pdf, title: 'PIN mailer alice' });
    expect(offers).toHaveLength(1);
    const offer = offers[0] as DocumentOffer;
    expect(offer.fileName).toBe('PIN mailer alice.pdf');
    // The caller wipes its bytes right away; the offered copy is untouched by that.
    pdf.fill(0);
    const taken = documents.take(offer.token);
    expect(new TextDecoder().decode(taken?.pdf)).toContain('PIN 482913');

    await expect(printing).resolves.toEqual({ printer: 'browser download', via: 'download', jobRef: offer.token });
  });

  it('fails with download-expired when the browser never fetched the document', async () => {
    vi.useFakeTimers();
    const documents = new OneTimeDocuments();
    const printer = new DownloadPrinter({ documents, onOffer: () => undefined, ttlMs: 5_000 });
    const printing = printer.print({ pdf: pdfBytes(), title: 'PIN mailer' });
    const outcome = printing.then(
      () => undefined,
      (error: unknown) => error,
    );
    vi.advanceTimersByTime(5_000);
    const error = await outcome;
    expect(error).toBeInstanceOf(PrintError);
    expect((error as PrintError).code).toBe('download-expired');
    expect((error as PrintError).message).toContain('cannot be reprinted');
    expect(documents.size).toBe(0);
  });

  it('withdraws the document when the job is cancelled or the announcement fails', async () => {
    const documents = new OneTimeDocuments();
    const controller = new AbortController();
    const printing = new DownloadPrinter({ documents, onOffer: () => undefined }).print({ pdf: pdfBytes(), title: 'x' }, controller.signal);
    expect(documents.size).toBe(1);
    controller.abort(new Error('cancelled'));
    await expect(printing).rejects.toThrow('cancelled');
    expect(documents.size).toBe(0);

    const failing = new DownloadPrinter({
      documents,
      onOffer: () => {
        throw new Error('no page connected');
      },
    });
    await expect(failing.print({ pdf: pdfBytes(), title: 'x' })).rejects.toThrow('no page connected');
    expect(documents.size).toBe(0);
  });

  it('knows no printer but itself', async () => {
    const printer = new DownloadPrinter({ documents: new OneTimeDocuments(), onOffer: () => undefined });
    await expect(printer.print({ pdf: pdfBytes(), printer: 'Office_Laser', title: 'x' })).rejects.toMatchObject({ code: 'unknown-printer' });
  });
});
