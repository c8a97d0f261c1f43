// Independent readers for the PDFs the station prints: poppler's pdftotext / pdftoppm / pdfinfo (the tools a
// reviewer would use by hand) and jsQR for the label's QR code. The PDF is written to a private temp directory
// that is removed afterwards; rasters come back as 8-bit grey pixels.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import jsQR from 'jsqr';

const run = promisify(execFile);

export interface PeerWord {
  text: string;
  xMin: number;
  yMin: number;
  xMax: number;
  yMax: number;
}

export interface PeerPage {
  /** Points. */
  width: number;
  height: number;
  words: PeerWord[];
}

/** 0 = black, 255 = white, row-major. */
export interface GreyImage {
  width: number;
  height: number;
  dpi: number;
  /** Where the image's top-left pixel lies on the page, in points (non-zero for a cropped raster). */
  origin: { x: number; y: number };
  pixels: Uint8Array;
}

export interface PointRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

async function withPdfFile<T>(bytes: Uint8Array, use: (pdf: string, dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'keybench-pdf-'));
  try {
    const pdf = join(dir, 'in.pdf');
    await writeFile(pdf, bytes);
    return await use(pdf, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The text as `pdftotext -layout` reads it (one string for all pages). */
export function pdfText(bytes: Uint8Array): Promise<string> {
  return withPdfFile(bytes, async (pdf) => (await run('pdftotext', ['-layout', '-enc', 'UTF-8', pdf, '-'])).stdout);
}

/** Page sizes and word boxes from `pdftotext -bbox`, in points with the origin at the top-left. */
export function pdfWords(bytes: Uint8Array): Promise<PeerPage[]> {
  return withPdfFile(bytes, async (pdf) => parseBbox((await run('pdftotext', ['-bbox', '-enc', 'UTF-8', pdf, '-'])).stdout));
}

function parseBbox(html: string): PeerPage[] {
  return html.split('<page ').slice(1).map((chunk) => {
    const size = /width="([\d.]+)" height="([\d.]+)"/.exec(chunk);
    if (!size) throw new Error('pdftotext -bbox printed a page without a size');
    const words = [...chunk.matchAll(/<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g)].map((m) => ({
      xMin: Number(m[1]),
      yMin: Number(m[2]),
      xMax: Number(m[3]),
      yMax: Number(m[4]),
      text: unescapeHtml(m[5] ?? ''),
    }));
    return { width: Number(size[1]), height: Number(size[2]), words };
  });
}

function unescapeHtml(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

/** `pdfinfo` fields (Title, Subject, Keywords, Pages, ...). */
export function pdfInfo(bytes: Uint8Array): Promise<Record<string, string>> {
  return withPdfFile(bytes, async (pdf) => {
    const { stdout } = await run('pdfinfo', ['-enc', 'UTF-8', pdf]);
    const fields: Record<string, string> = {};
    for (const line of stdout.split('\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) fields[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
    }
    return fields;
  });
}

/**
 * Every page rasterised by `pdftoppm -gray` at `dpi`; with `crop` (points) only that part of each page is
 * rendered, which keeps high-resolution checks such as QR decoding fast.
 */
export function rasterise(bytes: Uint8Array, dpi: number, crop?: PointRect): Promise<GreyImage[]> {
  const scale = dpi / 72;
  const origin = { x: crop ? Math.round(crop.x * scale) / scale : 0, y: crop ? Math.round(crop.y * scale) / scale : 0 };
  const cropArgs = crop ? ['-x', crop.x, '-y', crop.y, '-W', crop.width, '-H', crop.height].map((v) => (typeof v === 'number' ? String(Math.round(v * scale)) : v)) : [];
  return withPdfFile(bytes, async (pdf, dir) => {
    await run('pdftoppm', ['-r', String(dpi), '-gray', ...cropArgs, pdf, join(dir, 'page')]);
    const pages = (await readdir(dir)).filter((name) => name.endsWith('.pgm')).sort();
    return Promise.all(pages.map(async (name) => ({ ...parsePgm(await readFile(join(dir, name))), dpi, origin })));
  });
}

/** Binary PGM (P5): magic, width, height, maxval as whitespace-separated ASCII (with # comments), then pixels. */
export function parsePgm(data: Uint8Array): { width: number; height: number; pixels: Uint8Array } {
  const fields: string[] = [];
  let at = 0;
  while (fields.length < 4) {
    while (isSpace(data[at])) at += 1;
    if (data[at] === 0x23) {
      while (at < data.length && data[at] !== 0x0a) at += 1;
      continue;
    }
    const start = at;
    while (at < data.length && !isSpace(data[at])) at += 1;
    fields.push(new TextDecoder().decode(data.subarray(start, at)));
  }
  const [magic, width, height, maxval] = [fields[0], Number(fields[1]), Number(fields[2]), Number(fields[3])];
  if (magic !== 'P5' || maxval !== 255) throw new Error(`expected an 8-bit binary PGM, got ${magic} maxval ${maxval}`);
  const pixels = data.subarray(at + 1, at + 1 + width * height);
  if (pixels.length !== width * height) throw new Error('PGM pixel data is truncated');
  return { width, height, pixels };
}

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/** Mean grey (0 black … 255 white) of a rectangle given in points. */
export function meanGrey(image: GreyImage, rect: PointRect): number {
  const scale = image.dpi / 72;
  const left = rect.x - image.origin.x;
  const top = rect.y - image.origin.y;
  const x0 = Math.max(0, Math.round(left * scale));
  const y0 = Math.max(0, Math.round(top * scale));
  const x1 = Math.min(image.width, Math.round((left + rect.width) * scale));
  const y1 = Math.min(image.height, Math.round((top + rect.height) * scale));
  let sum = 0;
  for (let y = y0; y < y1; y += 1) {
    for (let x = x0; x < x1; x += 1) sum += image.pixels[y * image.width + x] ?? 255;
  }
  const count = (x1 - x0) * (y1 - y0);
  if (count <= 0) throw new Error('the rectangle lies outside the image');
  return sum / count;
}

/** Share of pixels darker than mid-grey, over the whole page. */
export function inkCoverage(image: GreyImage): number {
  let dark = 0;
  for (const pixel of image.pixels) if (pixel < 128) dark += 1;
  return dark / image.pixels.length;
}

/** Decodes a QR code anywhere on the page, or null. */
export function decodeQr(image: GreyImage): string | null {
  const rgba = new Uint8ClampedArray(image.width * image.height * 4);
  image.pixels.forEach((grey, index) => {
    rgba.set([grey, grey, grey, 255], index * 4);
  });
  // Printed labels are dark on light; skipping the inverted pass halves the decode time.
  return jsQR.default(rgba, image.width, image.height, { inversionAttempts: 'dontInvert' })?.data ?? null;
}

/** Words whose box centre lies inside `rect` (points). */
export function wordsInside(page: PeerPage, rect: PointRect): PeerWord[] {
  return page.words.filter((word) => {
    const cx = (word.xMin + word.xMax) / 2;
    const cy = (word.yMin + word.yMax) / 2;
    return cx >= rect.x && cx <= rect.x + rect.width && cy >= rect.y && cy <= rect.y + rect.height;
  });
}

/** Words that stick out of `rect` by more than `slack` points on any side. */
export function wordsOutside(words: readonly PeerWord[], rect: PointRect, slack = 0.5): PeerWord[] {
  return words.filter(
    (word) => word.xMin < rect.x - slack || word.yMin < rect.y - slack || word.xMax > rect.x + rect.width + slack || word.yMax > rect.y + rect.height + slack,
  );
}

/** The bounding box (points) of the pixels darker than mid-grey inside `rect`, or null when it holds no ink. */
export function inkBounds(image: GreyImage, rect: PointRect): PointRect | null {
  const scale = image.dpi / 72;
  const x0 = Math.max(0, Math.round((rect.x - image.origin.x) * scale));
  const y0 = Math.max(0, Math.round((rect.y - image.origin.y) * scale));
  const x1 = Math.min(image.width, Math.round((rect.x + rect.width - image.origin.x) * scale));
  const y1 = Math.min(image.height, Math.round((rect.y + rect.height - image.origin.y) * scale));
  let [left, top, right, bottom] = [Infinity, Infinity, -Infinity, -Infinity];
  for (let y = y0; y < y1; y += 1) {
    for (let x = x0; x < x1; x += 1) {
      if ((image.pixels[y * image.width + x] ?? 255) >= 128) continue;
      left = Math.min(left, x);
      right = Math.max(right, x + 1);
      top = Math.min(top, y);
      bottom = Math.max(bottom, y + 1);
    }
  }
  if (left === Infinity) return null;
  return { x: left / scale + image.origin.x, y: top / scale + image.origin.y, width: (right - left) / scale, height: (bottom - top) / scale };
}

/**
 * Mean absolute grey difference (0 … 255) of two rasters of the same size, compared as averages over square
 * cells of `cell` pixels: with cells of a few pixels, resampling (a raster drawn at a fraction of a pixel's
 * offset or scale) no longer counts, while anything moved by a cell or more still does.
 */
export function meanAbsoluteDifference(a: GreyImage, b: GreyImage, cell = 1): number {
  if (a.width !== b.width || a.height !== b.height) throw new Error(`the rasters differ in size: ${a.width}×${a.height} and ${b.width}×${b.height}`);
  const columns = Math.floor(a.width / cell);
  const rows = Math.floor(a.height / cell);
  if (columns === 0 || rows === 0) throw new Error(`a cell of ${cell} pixels is larger than the raster`);
  let sum = 0;
  for (let row = 0; row < rows; row += 1) {
    for (let column = 0; column < columns; column += 1) {
      let difference = 0;
      for (let y = row * cell; y < (row + 1) * cell; y += 1) {
        for (let x = column * cell; x < (column + 1) * cell; x += 1) {
          const index = y * a.width + x;
          difference += (a.pixels[index] ?? 0) - (b.pixels[index] ?? 0);
        }
      }
      sum += Math.abs(difference) / (cell * cell);
    }
  }
  return sum / (columns * rows);
}
