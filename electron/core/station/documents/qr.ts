// Draws a QR code as vector rectangles, so it stays sharp at any printer resolution and needs no image codec.
import QRCode from 'qrcode';
import type { BitMatrix } from 'qrcode';

/** ISO/IEC 18004 asks for a light margin of 4 modules around the symbol; scanners fail without it. */
export const QR_QUIET_ZONE_MODULES = 4;

export interface QrPlacement {
  x: number;
  y: number;
  /** Side of the square including the quiet zone, in points. */
  size: number;
}

/** What was drawn, so callers can check the module size their printer can resolve. */
export interface QrDrawn {
  modules: number;
  moduleSize: number;
}

/**
 * Draws `text` as a QR code (error correction M: survives a scuffed label) filling `place`, quiet zone
 * included and painted white so nothing printed behind it can disturb the scan.
 */
export function drawQrCode(doc: PDFKit.PDFDocument, text: string, place: QrPlacement): QrDrawn {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const count = modules.size;
  const moduleSize = place.size / (count + 2 * QR_QUIET_ZONE_MODULES);
  const originX = place.x + QR_QUIET_ZONE_MODULES * moduleSize;
  const originY = place.y + QR_QUIET_ZONE_MODULES * moduleSize;

  doc.save();
  doc.rect(place.x, place.y, place.size, place.size).fill('white');
  for (let row = 0; row < count; row += 1) {
    for (const [start, length] of darkRuns(modules, row, count)) {
      doc.rect(originX + start * moduleSize, originY + row * moduleSize, length * moduleSize, moduleSize);
    }
  }
  // One fill for every module: a single path has no anti-aliased seams between neighbouring modules.
  doc.fill('black');
  doc.restore();
  return { modules: count, moduleSize };
}

/** Runs of dark modules in one row as [start, length], so a row is a few rectangles instead of one per module. */
function darkRuns(modules: BitMatrix, row: number, count: number): [number, number][] {
  const runs: [number, number][] = [];
  let start = -1;
  for (let col = 0; col <= count; col += 1) {
    const dark = col < count && Boolean(modules.get(row, col));
    if (dark && start < 0) start = col;
    if (!dark && start >= 0) {
      runs.push([start, col - start]);
      start = -1;
    }
  }
  return runs;
}
