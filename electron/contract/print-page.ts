// The print page (renderer/print.html) draws a one-time PDF (a PIN mailer, a key label) at its true size so
// Chromium can print it: the desktop app opens it in a hidden window and prints it silently where there is
// no CUPS (Windows). The page has no preload and no station API; it tells the window how it went through its
// title, the one channel a page without a bridge has. Shared by the page, the Electron printer and both
// servers of the renderer (app://station and browser mode), so the three agree on names and the policy.
import { z } from 'zod';

/** The page's file in the built renderer folder. */
export const PRINT_PAGE_FILE = 'print.html';

/** Where both servers hand out one-time documents, relative to the renderer's root. */
export const DOCUMENTS_PREFIX = 'documents/';

/** 32 random bytes, base64url (OneTimeDocuments' tokens). */
const DOCUMENT_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * The station page's policy plus what pdf.js needs: fetch its one document and its font data from its own
 * origin, run its worker from there, and show the pages it drew (canvases and images from blob:/data:).
 */
export const PRINT_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The fragment that names the document to draw: `#documents/<token>` (never sent to a server). */
export function printPageHash(token: string): string {
  if (!DOCUMENT_TOKEN.test(token)) throw new RangeError('A print page needs a one-time document token.');
  return `#${DOCUMENTS_PREFIX}${token}`;
}

/** The document path (relative to the page) a fragment names, or undefined for anything else. */
export function documentPathFromHash(hash: string): string | undefined {
  const path = hash.startsWith('#') ? hash.slice(1) : hash;
  if (!path.startsWith(DOCUMENTS_PREFIX)) return undefined;
  return DOCUMENT_TOKEN.test(path.slice(DOCUMENTS_PREFIX.length)) ? path : undefined;
}

export const PRINT_TITLE_PREFIX = 'keybench-print:';

const PrintPageStatusSchema = z.discriminatedUnion('state', [
  z.object({
    state: z.literal('ready'),
    pages: z.number().int().min(1).max(50),
    /** The first page's size in PostScript points; every page of a keybench document has the same size. */
    widthPt: z.number().positive().max(14_400),
    heightPt: z.number().positive().max(14_400),
  }),
  /** Why the page could not draw the document, in words for the technician; never document content. */
  z.object({ state: z.literal('failed'), reason: z.string().min(1).max(300) }),
]);
export type PrintPageStatus = z.infer<typeof PrintPageStatusSchema>;

export function printPageTitle(status: PrintPageStatus): string {
  return PRINT_TITLE_PREFIX + JSON.stringify(PrintPageStatusSchema.parse(status));
}

/** The status a title reports, or undefined while the page is still working (or the title is not ours). */
export function parsePrintPageTitle(title: string): PrintPageStatus | undefined {
  if (!title.startsWith(PRINT_TITLE_PREFIX)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(title.slice(PRINT_TITLE_PREFIX.length));
  } catch {
    return undefined;
  }
  const parsed = PrintPageStatusSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/** Chromium's print settings take page sizes in micrometres. */
export function pointsToMicrons(points: number): number {
  return Math.round((points * 25_400) / 72);
}
