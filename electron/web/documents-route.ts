// Browser mode's one-time downloads: `GET /documents/<token>` hands a PIN mailer (or label) PDF to the page
// exactly once. The session secret never travels in a URL (session.ts), so the page proves itself with it
// in a request header: it fetches with `X-Keybench-Session`, then saves the blob. A custom header also makes
// any cross-origin attempt a CORS preflight, which this server never grants.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OneTimeDocuments } from '../core/station/printing/one-time-documents.js';
import type { SessionSecret } from './session.js';
import { CONTENT_SECURITY_POLICY } from './static.js';

export const DOCUMENTS_PATH = '/documents/';
/** Lower case, as Node presents incoming header names. */
export const DOCUMENT_SESSION_HEADER = 'x-keybench-session';

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const MAX_FILE_NAME_LENGTH = 100;

export const DOCUMENT_GONE_MESSAGE =
  'This document was already downloaded or has expired; a PIN mailer cannot be reprinted — reset the key and provision it again, or have Okta send the PIN.';
const NO_SESSION_MESSAGE = 'This page has no valid station session. Open the link that `keybench serve` printed (the station may have restarted).';

const SECURITY_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
} as const;

export type SessionCheck = (request: IncomingMessage) => boolean;

/** The check for this route: the header carries exactly the secret of this server's session. */
export function documentSessionCheck(secret: SessionSecret): SessionCheck {
  // The page starts a PIN mailer's download with a plain link, so the PDF never passes through its scripts;
  // such a request carries no header, but the browser marks it same-origin, which no other site can forge.
  // The token itself is a single-use capability that only the session's WebSocket ever saw.
  return (request) => secret.matches(request.headers[DOCUMENT_SESSION_HEADER]) || request.headers['sec-fetch-site'] === 'same-origin';
}

/** Answers requests under /documents/ and returns true; returns false (touching nothing) for any other path. */
export function handleDocumentRequest(
  request: IncomingMessage,
  response: ServerResponse,
  documents: OneTimeDocuments,
  sessionOk: SessionCheck,
): boolean {
  const path = (request.url ?? '').split(/[?#]/, 1)[0] ?? '';
  if (!path.startsWith(DOCUMENTS_PATH)) return false;
  // Only GET: a HEAD or a prefetch must not use up the one download.
  if (request.method !== 'GET') {
    sendText(response, 405, 'Documents are fetched with GET only.', { Allow: 'GET' });
    return true;
  }
  // Checked before the token is even looked at, so a page without the session learns nothing about tokens.
  if (!sessionOk(request)) {
    sendText(response, 403, NO_SESSION_MESSAGE);
    return true;
  }
  const token = path.slice(DOCUMENTS_PATH.length);
  const document = TOKEN_PATTERN.test(token) ? documents.take(token) : undefined;
  if (!document) {
    sendText(response, 404, DOCUMENT_GONE_MESSAGE);
    return true;
  }
  const { pdf, fileName } = document;
  // The bytes are referenced by the socket until they are written; zero them once the response is over.
  response.once('close', () => pdf.fill(0));
  response.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/pdf',
    'Content-Length': pdf.byteLength,
    'Content-Disposition': `attachment; filename="${safeFileName(fileName)}"`,
  });
  response.end(pdf);
  return true;
}

/** ASCII letters, digits, space, dot, dash and underscore only, ending in .pdf: safe inside the quoted header value. */
export function safeFileName(fileName: string): string {
  const stem = fileName
    .replace(/\.pdf$/i, '')
    .replace(/[^A-Za-z0-9 ._-]+/g, '_')
    .replace(/^[ ._]+|[ ._]+$/g, '')
    .slice(0, MAX_FILE_NAME_LENGTH);
  return `${stem || 'document'}.pdf`;
}

function sendText(response: ServerResponse, status: number, message: string, extra: Record<string, string> = {}): void {
  const body = `${message}\n`;
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    ...extra,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  });
  response.end(body);
}
