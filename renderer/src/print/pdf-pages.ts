// Draws every page of a PDF with pdf.js onto its own canvas, rasterised at print resolution and laid out at
// the page's true size in points, so the browser's print pipeline puts each page on one sheet unscaled.
// pdf.js runs without eval, wasm or system fonts: the page's CSP stays strict and the standard 14 fonts
// that pdfkit leaves unembedded come from pdf.js's own font files, the same on every OS.
import { getDocument, GlobalWorkerOptions, type PDFDocumentProxy, type PDFPageProxy } from 'pdfjs-dist';
import workerUrl from 'pdfjs-dist/build/pdf.worker.min.mjs?url';
import { fontFiles } from './font-files.js';
import { PrintPageError } from './print-page-error.js';

GlobalWorkerOptions.workerSrc = workerUrl;

/** What a printer needs to know about the drawn document. */
export interface DrawnDocument {
  pages: number;
  /** Every page's size in PostScript points (they are all the same). */
  widthPt: number;
  heightPt: number;
}

export interface DrawOptions {
  /** Absolute URL of pdf.js's standard_fonts folder, ending in '/'. */
  standardFontDataUrl: string;
}

/** Print resolution of the canvases: what office and label printers print at natively. */
const PRINT_DPI = 300;
const CSS_PX_PER_INCH = 96;
const MAX_PAGES = 50;
/** Pages of one document may differ by rounding only. */
const SIZE_TOLERANCE_PT = 0.01;
// Chromium refuses canvases beyond 32767 px a side or 268 M px; staying well below keeps a huge page drawable
// (at a lower resolution) instead of failing, and bounds the memory one page can take.
const MAX_CANVAS_SIDE = 16_384;
const MAX_CANVAS_PIXELS = 64 * 1024 * 1024;

/**
 * Takes `bytes` (pdf.js moves them to its worker; whatever is left here is zeroed once it has them), draws each
 * page into a new canvas appended to `container`, and frees pdf.js's copy when done.
 */
export async function drawPdfPages(bytes: Uint8Array, container: HTMLElement, options: DrawOptions): Promise<DrawnDocument> {
  const fonts = fontFiles();
  const task = getDocument({
    data: bytes,
    isEvalSupported: false,
    useSystemFonts: false,
    useWasm: false,
    // Fonts are fetched by the page, not the worker: the same path on http:// and on the app's own scheme.
    useWorkerFetch: false,
    BinaryDataFactory: fonts.Loader,
    standardFontDataUrl: options.standardFontDataUrl,
    enableXfa: false,
    stopAtErrors: true,
  });
  let pdf: PDFDocumentProxy;
  try {
    pdf = await task.promise;
  } catch (error) {
    await task.destroy();
    throw new PrintPageError(openFailureReason(error));
  } finally {
    // Moved to the worker, the buffer is detached (length 0, and fill would throw); a copy left here is zeroed.
    if (bytes.byteLength > 0) bytes.fill(0);
  }
  try {
    const drawn = await drawAll(pdf, container);
    // A font pdf.js could not load was swapped for a system font: other shapes, maybe other widths.
    if (fonts.missing.length > 0) {
      throw new PrintPageError(`The print page could not load pdf.js's font file ${fonts.missing[0]} (an incomplete build); nothing was printed.`);
    }
    return drawn;
  } finally {
    await pdf.destroy();
  }
}

async function drawAll(pdf: PDFDocumentProxy, container: HTMLElement): Promise<DrawnDocument> {
  const pages = pdf.numPages;
  if (pages < 1 || pages > MAX_PAGES) {
    throw new PrintPageError(`The document has ${pages} pages; the print page prints 1 to ${MAX_PAGES}. Nothing was printed.`);
  }
  let size: { widthPt: number; heightPt: number } | undefined;
  for (let number = 1; number <= pages; number += 1) {
    const page = await pdf.getPage(number);
    const { width, height } = page.getViewport({ scale: 1 });
    size ??= { widthPt: width, heightPt: height };
    if (Math.abs(width - size.widthPt) > SIZE_TOLERANCE_PT || Math.abs(height - size.heightPt) > SIZE_TOLERANCE_PT) {
      throw new PrintPageError(`Page ${number} of the document has a different size than page 1; a print job has one paper size. Nothing was printed.`);
    }
    container.append(await drawPage(page, number, width, height));
    page.cleanup();
  }
  if (!size) throw new PrintPageError('The document has no pages; nothing was printed.');
  return { pages, ...size };
}

async function drawPage(page: PDFPageProxy, number: number, widthPt: number, heightPt: number): Promise<HTMLCanvasElement> {
  const scale = Math.min(PRINT_DPI / 72, MAX_CANVAS_SIDE / Math.max(widthPt, heightPt), Math.sqrt(MAX_CANVAS_PIXELS / (widthPt * heightPt)));
  const canvas = document.createElement('canvas');
  canvas.className = 'sheet';
  canvas.width = Math.max(1, Math.round(widthPt * scale));
  canvas.height = Math.max(1, Math.round(heightPt * scale));
  // The canvas is a whole number of pixels; this stretch (a few hundredths of a percent) makes the page fill
  // it exactly, so its edges land on the sheet's edges.
  const fitX = canvas.width / (widthPt * scale);
  const fitY = canvas.height / (heightPt * scale);
  showAtTrueSize(canvas, widthPt, heightPt);
  try {
    // The print intent renders in one go; the display intent waits for animation frames, which a hidden
    // window never gets.
    await page.render({ canvas, viewport: page.getViewport({ scale }), intent: 'print', transform: [fitX, 0, 0, fitY, 0, 0] }).promise;
  } catch {
    throw new PrintPageError(`pdf.js could not draw page ${number} of the document; nothing was printed.`);
  }
  return canvas;
}

/**
 * Lays the canvas out at exactly `widthPt` × `heightPt`. Chromium snaps a replaced element's box to whole CSS
 * pixels (an A4 page, 793.7 px wide, would print 0.04 % too large), but not a transform: the box is the whole
 * pixels below the true size, so it never spills onto another sheet, and a scale brings the drawing to the
 * exact size. Set through the CSSOM: the page's CSP allows no style attributes.
 */
function showAtTrueSize(canvas: HTMLCanvasElement, widthPt: number, heightPt: number): void {
  const width = (widthPt * CSS_PX_PER_INCH) / 72;
  const height = (heightPt * CSS_PX_PER_INCH) / 72;
  const boxWidth = Math.max(1, Math.floor(width));
  const boxHeight = Math.max(1, Math.floor(height));
  canvas.style.width = `${boxWidth}px`;
  canvas.style.height = `${boxHeight}px`;
  canvas.style.transform = `scale(${width / boxWidth}, ${height / boxHeight})`;
}

/** pdf.js's errors cross from its worker by name; their messages are not for the technician. */
function openFailureReason(error: unknown): string {
  const name = error instanceof Error ? error.name : '';
  switch (name) {
    case 'PasswordException':
      return 'The document is password-protected, which keybench documents never are; nothing was printed.';
    case 'InvalidPDFException':
      return 'The document is not a valid PDF; nothing was printed.';
    default:
      return 'pdf.js could not open the document (its worker or font files may be missing from the build); nothing was printed.';
  }
}
