// app://station serves the built renderer (out/renderer) and, for the desktop app's printer, one-time
// documents. Every path is resolved inside that folder and refused when it would leave it, and every answer
// carries a CSP header (the station's, or the print page's for print.html), so a page runs under it even
// if the HTML's meta tag were lost. `documents/<token>` hands a PDF to the print page exactly once.
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { documentPathFromHash, DOCUMENTS_PREFIX, PRINT_PAGE_CSP, PRINT_PAGE_FILE } from '../contract/print-page.js';
import { contentTypeFor } from '../core/mime-types.js';
import type { OneTimeDocuments } from '../core/station/printing/one-time-documents.js';
import { APP_HOST, APP_SCHEME } from './origin.js';

export const STATION_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const mimeTypeFor = contentTypeFor;

export type AppRequest =
  | { readonly kind: 'file'; readonly filePath: string }
  | { readonly kind: 'refused'; readonly status: 400 | 404; readonly reason: string };

function refused(status: 400 | 404, reason: string): AppRequest {
  return { kind: 'refused', status, reason };
}

/** Maps an app://station URL to a file under `root`, or says why it will not be served. */
export function resolveAppRequest(url: string, root: string): AppRequest {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return refused(400, 'not a URL');
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST) return refused(404, 'not the station origin');
  let path: string;
  try {
    path = decodeURIComponent(parsed.pathname);
  } catch {
    return refused(400, 'malformed percent-encoding');
  }
  // A backslash is a separator on Windows and a NUL truncates paths in native code; no renderer file has either.
  if (path.includes('\0') || path.includes('\\')) return refused(400, 'forbidden character in path');
  const requested = path.slice(1);
  if (isAbsolute(requested) || /^[A-Za-z]:/.test(requested)) return refused(400, 'absolute path');
  const inside = requested || 'index.html';
  const base = resolve(root);
  const filePath = resolve(base, inside);
  const fromRoot = relative(base, filePath);
  if (fromRoot === '' || fromRoot.startsWith('..') || isAbsolute(fromRoot)) return refused(404, 'outside the renderer folder');
  return { kind: 'file', filePath };
}

export interface AppProtocolRequest {
  readonly url: string;
  readonly method: string;
}

export type ReadAppFile = (filePath: string) => Promise<Uint8Array>;

export interface AppProtocolOptions {
  /** The desktop printer's store: the print page fetches each document from documents/<token>, once. */
  readonly documents?: Pick<OneTimeDocuments, 'take'>;
}

export const DOCUMENT_GONE_MESSAGE =
  'This document was already printed or has expired; a PIN mailer cannot be reprinted — reset the key and provision it again, or have Okta send the PIN.';

function securityHeaders(contentType: string, csp: string = STATION_CSP): Record<string, string> {
  return {
    'Content-Type': contentType,
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
  };
}

function textResponse(status: number, text: string, extra: Record<string, string> = {}): Response {
  return new Response(text, { status, headers: { ...securityHeaders('text/plain; charset=utf-8'), ...extra } });
}

/** The answer to one app:// request: a one-time document, or the file with its MIME type and CSP, or a plain 4xx. */
export async function buildAppResponse(
  request: AppProtocolRequest,
  root: string,
  read: ReadAppFile = readFile,
  options: AppProtocolOptions = {},
): Promise<Response> {
  const documentPath = documentPathOf(request.url);
  if (documentPath !== undefined) return documentResponse(request, documentPath, options.documents);
  if (request.method !== 'GET' && request.method !== 'HEAD') return textResponse(405, 'Method not allowed');
  const target = resolveAppRequest(request.url, root);
  if (target.kind === 'refused') return textResponse(target.status, target.status === 400 ? 'Bad request' : 'Not found');
  let body: Uint8Array;
  try {
    body = await read(target.filePath);
  } catch {
    return textResponse(404, 'Not found');
  }
  // The print page runs pdf.js, which needs a little more than the station page may do.
  const csp = target.filePath === resolve(root, PRINT_PAGE_FILE) ? PRINT_PAGE_CSP : STATION_CSP;
  const headers = securityHeaders(mimeTypeFor(target.filePath), csp);
  return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers });
}

/** The handler for `protocol.handle('app', …)`, serving files from `root` (the built renderer folder). */
export function createAppProtocolHandler(
  root: string,
  read: ReadAppFile = readFile,
  options: AppProtocolOptions = {},
): (request: AppProtocolRequest) => Promise<Response> {
  return (request) => buildAppResponse(request, root, read, options);
}

/** `documents/<anything>` on the station origin, whatever follows the prefix; undefined for every other URL. */
function documentPathOf(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST) return undefined;
  const path = parsed.pathname.slice(1);
  return path.startsWith(DOCUMENTS_PREFIX) ? path : undefined;
}

function documentResponse(request: AppProtocolRequest, path: string, documents: AppProtocolOptions['documents']): Response {
  // Only GET: a HEAD or a prefetch must not use up the one fetch the print page gets.
  if (request.method !== 'GET') return textResponse(405, 'Documents are fetched with GET only.', { Allow: 'GET' });
  const valid = documentPathFromHash(path) !== undefined;
  const document = valid && documents ? documents.take(path.slice(DOCUMENTS_PREFIX.length)) : undefined;
  if (!document) return textResponse(404, DOCUMENT_GONE_MESSAGE);
  return new Response(oneTimeBody(document.pdf), { status: 200, headers: securityHeaders('application/pdf') });
}

/**
 * A body that owns its own copy of the PDF and zeroes the taken bytes at once. `new Response(bytes)` may
 * read its source lazily, after this handler has returned, so the source can be zeroed safely only once
 * nothing will read it again: here, right after the copy is queued.
 */
function oneTimeBody(pdf: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array(pdf));
      controller.close();
      pdf.fill(0);
    },
  });
}
