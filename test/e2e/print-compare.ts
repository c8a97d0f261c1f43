// Does a printed PDF reproduce the original at its true size? Both are rasterised by poppler and compared
// loosely over the whole page and closely at the ink edges of named regions (the envelope window's address,
// the PIN box, a QR code). Shared by the print page's own e2e test and the Electron printer's.
import { expect } from '@playwright/test';
import { inkBounds, meanAbsoluteDifference, pdfInfo, rasterise, type GreyImage, type PointRect } from '../unit/helpers/pdf-peer.js';

const PT_PER_MM = 72 / 25.4;

/** 0.17 mm a pixel: fine enough to place an edge to a quarter millimetre, coarse enough to compare a page fast. */
export const COMPARE_DPI = 150;
/**
 * The whole page is compared in cells of 6 × 6 pixels (1 mm at 150 dpi). The printed page is pdf.js's 300 dpi
 * raster, which poppler resamples at a fraction-of-a-pixel phase; cell averages ignore that (and anti-aliasing,
 * and the outlines of pdf.js's font files against the system fonts poppler substitutes for the same standard
 * fonts, e.g. Liberation Mono Bold for Courier-Bold), but not anything moved by a millimetre.
 */
const COMPARE_CELL_PX = 6;
/**
 * Grey levels (of 255), averaged over the page. Measured: faithful prints 1.4–4.3 (the 62 mm label highest:
 * small, so most of it is QR edges); the 1 % shrink of the negative control 12.5–13.7.
 */
export const MAX_MEAN_DIFFERENCE = 8;
/** Ink edges may move this far: a pixel or two of anti-aliasing and glyph outlines, far below any envelope's play. */
export const MAX_EDGE_SHIFT_MM = 0.5;

export interface Sheets {
  pages: number;
  /** Points, of the first page. */
  width: number;
  height: number;
}

export async function sheets(pdf: Uint8Array): Promise<Sheets> {
  const info = await pdfInfo(pdf);
  const size = /^([\d.]+) x ([\d.]+) pts/.exec(info['Page size'] ?? '');
  if (!size) throw new Error(`pdfinfo reported no page size: ${info['Page size']}`);
  return { pages: Number(info.Pages), width: Number(size[1]), height: Number(size[2]) };
}

/** Same number of sheets, each within half a point of the original's size (Chromium rounds to 1/300 in). */
export async function expectSameSheets(original: Uint8Array, printed: Uint8Array): Promise<void> {
  const want = await sheets(original);
  const got = await sheets(printed);
  expect(got.pages).toBe(want.pages);
  expect(Math.abs(got.width - want.width)).toBeLessThanOrEqual(0.5);
  expect(Math.abs(got.height - want.height)).toBeLessThanOrEqual(0.5);
}

/** The first page cut to the document's sheet, so both rasters have the same pixels whatever Chromium rounded. */
export async function rasterisePage(pdf: Uint8Array, sheet: { width: number; height: number }): Promise<GreyImage> {
  const [image] = await rasterise(pdf, COMPARE_DPI, { x: 0, y: 0, width: sheet.width, height: sheet.height });
  if (!image) throw new Error('poppler rendered no page');
  return image;
}

export interface Fidelity {
  /** Mean absolute grey difference of 1 mm cells over the whole page, 0 … 255. */
  meanDifference: number;
  /** Per checked region, the largest distance (mm) between an edge of its ink box on paper and in the original. */
  edgeShiftMm: Record<string, number>;
}

/** How far a printed page strays from the original: the whole page loosely, the named regions' ink edges closely. */
export function fidelity(original: GreyImage, printed: GreyImage, regions: Record<string, PointRect>): Fidelity {
  const edgeShiftMm: Record<string, number> = {};
  for (const [name, rect] of Object.entries(regions)) {
    const want = inkBounds(original, rect);
    const got = inkBounds(printed, rect);
    if (!want) throw new Error(`the original has no ink in ${name}`);
    edgeShiftMm[name] = got
      ? Math.max(
          Math.abs(got.x - want.x),
          Math.abs(got.y - want.y),
          Math.abs(got.x + got.width - (want.x + want.width)),
          Math.abs(got.y + got.height - (want.y + want.height)),
        ) / PT_PER_MM
      : Infinity;
  }
  return { meanDifference: meanAbsoluteDifference(original, printed, COMPARE_CELL_PX), edgeShiftMm };
}

export function faithful(result: Fidelity): boolean {
  return result.meanDifference <= MAX_MEAN_DIFFERENCE && Object.values(result.edgeShiftMm).every((shift) => shift <= MAX_EDGE_SHIFT_MM);
}

export function grow(rect: PointRect, by: number): PointRect {
  return { x: rect.x - by, y: rect.y - by, width: rect.width + 2 * by, height: rect.height + 2 * by };
}
