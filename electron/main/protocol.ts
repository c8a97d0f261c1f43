// app://station serves the built renderer (out/renderer) and nothing else: every path is resolved inside
// that folder and refused when it would leave it, and every answer carries the station's CSP header, so
// the page runs under it even if the HTML's meta tag were lost.
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { contentTypeFor } from '../core/mime-types.js';
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

function securityHeaders(contentType: string): Record<string, string> {
  return {
    'Content-Type': contentType,
    'Content-Security-Policy': STATION_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
  };
}

function textResponse(status: number, text: string): Response {
  return new Response(text, { status, headers: securityHeaders('text/plain; charset=utf-8') });
}

/** The answer to one app:// request: the file with its MIME type and the CSP, or a plain 4xx. */
export async function buildAppResponse(request: AppProtocolRequest, root: string, read: ReadAppFile = readFile): Promise<Response> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return textResponse(405, 'Method not allowed');
  const target = resolveAppRequest(request.url, root);
  if (target.kind === 'refused') return textResponse(target.status, target.status === 400 ? 'Bad request' : 'Not found');
  let body: Uint8Array;
  try {
    body = await read(target.filePath);
  } catch {
    return textResponse(404, 'Not found');
  }
  const headers = securityHeaders(mimeTypeFor(target.filePath));
  return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers });
}

/** The handler for `protocol.handle('app', …)`, serving files from `root` (the built renderer folder). */
export function createAppProtocolHandler(root: string, read: ReadAppFile = readFile): (request: AppProtocolRequest) => Promise<Response> {
  return (request) => buildAppResponse(request, root, read);
}
