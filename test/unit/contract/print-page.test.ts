import { describe, expect, it } from 'vitest';
import {
  PRINT_PAGE_CSP,
  documentPathFromHash,
  parsePrintPageTitle,
  pointsToMicrons,
  printPageHash,
  printPageTitle,
} from '../../../electron/contract/print-page.js';

const TOKEN = 'A'.repeat(20) + '_-' + 'z9'.repeat(10) + 'x';

describe('the print page contract', () => {
  it('names the document in the fragment and reads back only a one-time document path', () => {
    expect(TOKEN).toHaveLength(43);
    expect(printPageHash(TOKEN)).toBe(`#documents/${TOKEN}`);
    expect(documentPathFromHash(printPageHash(TOKEN))).toBe(`documents/${TOKEN}`);
    expect(() => printPageHash('short')).toThrow(RangeError);
    for (const hash of ['', '#', '#documents/', `#documents/${TOKEN}x`, `#documents/../${TOKEN.slice(3)}`, `#https://evil.example/${TOKEN}`, `#assets/${TOKEN}`]) {
      expect(documentPathFromHash(hash), hash).toBeUndefined();
    }
  });

  it('round-trips the statuses through the title and ignores titles that are not a status', () => {
    const ready = { state: 'ready', pages: 1, widthPt: 595.28, heightPt: 841.89 } as const;
    expect(parsePrintPageTitle(printPageTitle(ready))).toEqual(ready);
    expect(parsePrintPageTitle(printPageTitle({ state: 'failed', reason: 'The document has expired.' }))).toEqual({ state: 'failed', reason: 'The document has expired.' });
    for (const title of ['', 'keybench', 'keybench-print:', 'keybench-print:{', 'keybench-print:{"state":"ready","pages":0,"widthPt":1,"heightPt":1}', 'keybench-print:{"state":"done"}']) {
      expect(parsePrintPageTitle(title), title).toBeUndefined();
    }
    expect(() => printPageTitle({ state: 'ready', pages: 1, widthPt: -1, heightPt: 5 })).toThrow();
  });

  it('converts points to the micrometres Chromium wants (A4 and Letter exactly)', () => {
    expect(pointsToMicrons((210 * 72) / 25.4)).toBe(210_000);
    expect(pointsToMicrons(8.5 * 72)).toBe(215_900);
    expect(pointsToMicrons(11 * 72)).toBe(279_400);
  });

  it('lets the page fetch from its own origin but never evaluate strings or inline code', () => {
    expect(PRINT_PAGE_CSP).toContain("connect-src 'self'");
    expect(PRINT_PAGE_CSP).toContain("default-src 'none'");
    expect(PRINT_PAGE_CSP).not.toMatch(/unsafe-(eval|inline)|\*/);
  });
});
