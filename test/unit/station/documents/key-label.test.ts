import { describe, expect, it } from 'vitest';
import { PdfRenderError } from '../../../../electron/core/station/documents/pdf-bytes.js';
import { planKeyLabel, renderKeyLabel } from '../../../../electron/core/station/documents/key-label.js';
import type { KeyLabelInput, LabelSize } from '../../../../electron/core/station/documents/key-label.js';
import { decodeQr, inkCoverage, pdfText, pdfWords, rasterise, wordsOutside } from '../../helpers/pdf-peer.js';
import type { PeerPage } from '../../helpers/pdf-peer.js';
import { sampleLabel } from '../../helpers/sample-documents.js';

const MM = 72 / 25.4;

const label = sampleLabel;

const LONG: Partial<KeyLabelInput> = {
  model: 'Feitian BioPass FIDO2 Pro K45 with fingerprint reader',
  user: 'maximiliane.alexandra.theodora.von.hohenzollern-sigmaringen@subsidiary.example-enterprise.co.uk',
  enrollmentId: `fwf${'9x7'.repeat(30)}`,
  orderId: `ORDER-${'1234567890'.repeat(8)}`,
  serial: 'FT-0123456789ABCDEF0123456789',
  batchId: 'BATCH-2025-03-14-NIGHT-SHIFT-BENCH-7-OVERFLOW',
};

function onlyPage(pages: PeerPage[]): PeerPage {
  expect(pages).toHaveLength(1);
  const [page] = pages;
  if (!page) throw new Error('no page');
  return page;
}

/** Rasterises the planned QR area (plus a margin) at 300 dpi, a common thermal-printer resolution, and scans it. */
async function qrOf(bytes: Uint8Array, input: KeyLabelInput, size: LabelSize): Promise<string | null> {
  const { qr } = planKeyLabel(input, size);
  const margin = 2 * MM;
  const [image] = await rasterise(bytes, 300, { x: qr.x - margin, y: qr.y - margin, width: qr.size + 2 * margin, height: qr.size + 2 * margin });
  if (!image) throw new Error('no page rendered');
  return decodeQr(image);
}

describe('key label, 62 mm continuous tape', () => {
  it('is 62 mm wide, at least 29 mm long, and names the key, the user and the order', async () => {
    const bytes = await renderKeyLabel(label(), '62mm');
    const page = onlyPage(await pdfWords(bytes));
    expect(page.width).toBeCloseTo(62 * MM, 1);
    expect(page.height).toBeGreaterThanOrEqual(29 * MM - 0.01);
    const text = await pdfText(bytes);
    for (const part of ['YubiKey 5 NFC', 'ada.lovelace@example.com', '23456789', 'fwf1a2b3c4d5e6f7g8h9', 'ORD-2025-0042', 'B-7', '2025-03-14']) {
      expect(text).toContain(part);
    }
  });

  it('carries a QR code that scans as exactly the order id at 300 dpi', async () => {
    expect(await qrOf(await renderKeyLabel(label(), '62mm'), label(), '62mm')).toBe('ORD-2025-0042');
  });

  it('shrinks and wraps long values inside the label, beside the QR code, and grows longer instead of overflowing', async () => {
    const short = onlyPage(await pdfWords(await renderKeyLabel(label(), '62mm')));
    const bytes = await renderKeyLabel(label(LONG), '62mm');
    const page = onlyPage(await pdfWords(bytes));
    expect(page.height).toBeGreaterThan(short.height);
    // The text column starts right of the QR code (3 mm margin + 22 mm code).
    expect(wordsOutside(page.words, { x: 25 * MM, y: 0, width: page.width - 25 * MM, height: page.height })).toEqual([]);
    const text = (await pdfText(bytes)).replace(/\s+/g, '');
    expect(text).toContain(LONG.user);
    expect(text).toContain(LONG.orderId);
    expect(await qrOf(bytes, label(LONG), '62mm')).toBe(LONG.orderId);
  });

  it('leaves out fields that were not given rather than printing empty captions', async () => {
    const text = await pdfText(await renderKeyLabel(label({ serial: undefined, enrollmentId: undefined, batchId: undefined }), '62mm'));
    expect(text).not.toMatch(/S\/N|Enrollment|Batch/);
    expect(text).toContain('ada.lovelace@example.com');
  });
});

describe('key label, 4 × 6 in', () => {
  it('is a 4 × 6 in portrait page with the QR code of the order id and visible ink', async () => {
    const bytes = await renderKeyLabel(label(), '4x6in');
    const page = onlyPage(await pdfWords(bytes));
    expect(page.width).toBeCloseTo(288, 1);
    expect(page.height).toBeCloseTo(432, 1);
    expect(await qrOf(bytes, label(), '4x6in')).toBe('ORD-2025-0042');
    const [image] = await rasterise(bytes, 36);
    if (!image) throw new Error('no page rendered');
    const coverage = inkCoverage(image);
    expect(coverage).toBeGreaterThan(0.05);
    expect(coverage).toBeLessThan(0.4);
  });

  it('keeps long values on the page and the QR code scannable', async () => {
    const bytes = await renderKeyLabel(label(LONG), '4x6in');
    const page = onlyPage(await pdfWords(bytes));
    expect(wordsOutside(page.words, { x: 0, y: 0, width: page.width, height: page.height })).toEqual([]);
    const text = (await pdfText(bytes)).replace(/\s+/g, '');
    expect(text).toContain(LONG.user);
    expect(await qrOf(bytes, label(LONG), '4x6in')).toBe(LONG.orderId);
  });
});

describe('key label rendering', () => {
  it('renders byte-identical PDFs for the same input', async () => {
    const [first, second] = await Promise.all([renderKeyLabel(label(), '62mm'), renderKeyLabel(label(), '62mm')]);
    expect(Buffer.from(first).equals(Buffer.from(second))).toBe(true);
    const other = await renderKeyLabel(label({ orderId: 'ORD-2025-0043' }), '62mm');
    expect(Buffer.from(first).equals(Buffer.from(other))).toBe(false);
  });

  it('refuses an order id that cannot make a scannable code', async () => {
    await expect(renderKeyLabel(label({ orderId: '  ' }), '62mm')).rejects.toBeInstanceOf(PdfRenderError);
    await expect(renderKeyLabel(label({ orderId: 'x'.repeat(300) }), '4x6in')).rejects.toBeInstanceOf(PdfRenderError);
  });
});
