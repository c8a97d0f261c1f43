// Renders a pdfkit document into memory. The PIN mailer holds a secret, so nothing here touches the disk, and
// the caller gets one buffer it can wipe once the printer has it. Output is deterministic: the creation date
// comes from the caller and pdfkit derives the file ID from the info dictionary, so the same input gives the
// same bytes (which makes printed documents auditable and testable).
import PDFDocument from 'pdfkit';

/** Points per millimetre; pdfkit works in PostScript points (1/72 in). */
export const PT_PER_MM = 72 / 25.4;

export function mm(millimetres: number): number {
  return millimetres * PT_PER_MM;
}

export function inch(inches: number): number {
  return inches * 72;
}

export interface PdfSetup {
  /** Page size in points: [width, height]. */
  size: readonly [number, number];
  /** Document title in the info dictionary; never put a secret here. */
  title: string;
  /** Becomes CreationDate, which also seeds the file ID; fixed input means fixed bytes. */
  issuedAt: Date;
}

export class PdfRenderError extends Error {
  override readonly name = 'PdfRenderError';
}

/** The 14 standard fonts need nothing from disk but pdfkit's AFM metrics; these are the ones we use. */
export const FONTS = {
  regular: 'Helvetica',
  bold: 'Helvetica-Bold',
  mono: 'Courier-Bold',
} as const;

/**
 * Draws one or more pages with `draw` and returns the finished PDF. The output chunks are zeroed once copied,
 * so the only copy we hold is the one returned; wipe it with `wipePdfBytes` when done. pdfkit's own page
 * buffers become garbage when the document ends; JavaScript offers no way to wipe those.
 */
export function renderPdf(setup: PdfSetup, draw: (doc: PDFKit.PDFDocument) => void): Promise<Uint8Array> {
  if (Number.isNaN(setup.issuedAt.getTime())) {
    return Promise.reject(new PdfRenderError('The document date is not a valid date; pass the time the document was issued.'));
  }
  const doc = new PDFDocument({
    size: [setup.size[0], setup.size[1]],
    margin: 0,
    font: FONTS.regular,
    // Fixed Producer/Creator: pdfkit's defaults are harmless, but nothing environment-specific may leak in.
    info: { Title: setup.title, Producer: 'keybench', Creator: 'keybench', CreationDate: setup.issuedAt },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Uint8Array>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('error', (error: unknown) => {
      wipeChunks(chunks);
      reject(error);
    });
    doc.on('end', () => resolve(concatAndWipe(chunks)));
  });
  try {
    draw(doc);
  } catch (error) {
    doc.end();
    return done.then((bytes) => {
      wipePdfBytes(bytes);
      throw error;
    });
  }
  doc.end();
  return done;
}

/** Overwrites a rendered PDF in place (the PIN mailer's bytes hold the PIN until this runs). */
export function wipePdfBytes(bytes: Uint8Array): void {
  bytes.fill(0);
}

function concatAndWipe(chunks: Buffer[]): Uint8Array {
  const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  wipeChunks(chunks);
  return out;
}

function wipeChunks(chunks: Buffer[]): void {
  for (const chunk of chunks) chunk.fill(0);
  chunks.length = 0;
}

// WinAnsi (the standard fonts' encoding) is Latin-1 plus these; pdfkit writes garbage for anything else.
const WIN_ANSI_EXTRAS = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');
// Letters whose accents NFKD does not split off.
const LATIN_FALLBACKS: Readonly<Record<string, string>> = { Ł: 'L', ł: 'l', Đ: 'D', đ: 'd', ı: 'i', Ħ: 'H', ħ: 'h' };

function isWinAnsi(char: string): boolean {
  const code = char.codePointAt(0) ?? 0;
  return (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) || WIN_ANSI_EXTRAS.has(char);
}

/**
 * Makes text printable with the standard fonts: keeps WinAnsi characters, strips accents the encoding lacks
 * (ő → o), and shows anything else as '?', so a name in another script prints visibly wrong rather than as
 * glyphs of unrelated characters.
 */
export function toWinAnsi(text: string): string {
  let out = '';
  for (const char of text.replace(/[\t\r\n]+/g, ' ')) {
    if (isWinAnsi(char)) out += char;
    else out += LATIN_FALLBACKS[char] ?? stripAccents(char);
  }
  return out;
}

function stripAccents(char: string): string {
  const base = char.normalize('NFKD').replace(/\p{M}/gu, '');
  return base.length > 0 && [...base].every(isWinAnsi) ? base : '?';
}

export interface FitOptions {
  font: string;
  maxSize: number;
  minSize: number;
  /** Extra space after each character, as a fraction of the font size. */
  characterSpacingEm?: number;
}

/**
 * The largest font size (≤ maxSize, ≥ minSize, in quarter points) at which every line fits `width` on one line.
 * Width grows linearly with size, so one measurement at 1 pt is enough.
 */
export function fitFontSize(doc: PDFKit.PDFDocument, lines: readonly string[], width: number, options: FitOptions): number {
  doc.font(options.font).fontSize(1);
  const spacing = options.characterSpacingEm ?? 0;
  let size = options.maxSize;
  for (const line of lines) {
    const perPoint = doc.widthOfString(line) + spacing * Math.max(0, [...line].length - 1);
    if (perPoint > 0) size = Math.min(size, width / perPoint);
  }
  return Math.max(options.minSize, Math.floor(size * 4) / 4);
}

export interface TextBox {
  x: number;
  y: number;
  width: number;
  /** Text beyond this height is dropped rather than flowing onto a new page. */
  maxHeight: number;
}

/** A piece of text with its size and wrapping decided, so a layout can be measured before its page exists. */
export interface PlannedText {
  text: string;
  font: string;
  size: number;
  x: number;
  y: number;
  width: number;
  height: number;
  lineGap: number;
  characterSpacing: number;
  align: 'left' | 'center';
}

export interface LineOptions extends FitOptions {
  lineGapEm?: number;
  align?: 'left' | 'center';
}

/**
 * Plans one line shrunk to fit `box.width`; when even `minSize` is too wide it wraps (long words break between
 * characters) inside the box, up to `box.maxHeight`.
 */
export function planFittedLine(doc: PDFKit.PDFDocument, text: string, box: TextBox, options: LineOptions): PlannedText {
  const size = fitFontSize(doc, [text], box.width, options);
  const planned = {
    text,
    font: options.font,
    size,
    x: box.x,
    y: box.y,
    width: box.width,
    height: box.maxHeight,
    lineGap: (options.lineGapEm ?? 0.15) * size,
    characterSpacing: (options.characterSpacingEm ?? 0) * size,
    align: options.align ?? 'left',
  };
  doc.font(planned.font).fontSize(size);
  return { ...planned, height: Math.min(box.maxHeight, doc.heightOfString(text, textOptions(planned))) };
}

export function drawPlannedText(doc: PDFKit.PDFDocument, planned: PlannedText): void {
  doc.font(planned.font).fontSize(planned.size).text(planned.text, planned.x, planned.y, textOptions(planned));
}

/** Plans and draws in one go; returns the height used. */
export function drawFittedLine(doc: PDFKit.PDFDocument, text: string, box: TextBox, options: LineOptions): number {
  const planned = planFittedLine(doc, text, box, options);
  drawPlannedText(doc, planned);
  return planned.height;
}

function textOptions(planned: PlannedText): PDFKit.Mixins.TextOptions {
  // The height cap stops pdfkit from starting a new page when text would run past the page end.
  return { width: planned.width, height: planned.height + 1, lineGap: planned.lineGap, characterSpacing: planned.characterSpacing, align: planned.align };
}

/** A scratch document for measuring text before the real page size is known (labels fit their content). */
export function createMeasuringDocument(): PDFKit.PDFDocument {
  return new PDFDocument({ size: 'A4', margin: 0, font: FONTS.regular });
}
