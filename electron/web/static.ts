// Serves the built renderer folder to the browser, and nothing else: GET only, files only (never a
// directory listing), no path outside the folder (`..`, encoded or not, NUL, backslashes, symlinks out),
// and every response carries the same strict CSP and hardening headers as the Electron protocol handler.
// The print page (print.html) gets its own policy, which lets pdf.js run its worker and fetch its fonts.
import { PRINT_PAGE_CSP, PRINT_PAGE_FILE } from '../contract/print-page.js';
import { contentTypeFor } from '../core/mime-types.js';
import { readFile, realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolve, sep } from 'node:path';

export const DEFAULT_RENDERER_DIR = 'out/renderer';

/** `connect-src 'self'` covers the same-origin `ws://…/ws` in current Chromium; nothing else may be loaded. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const SECURITY_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
} as const;

/** The pages of the build: each names the hashed bundles of one build, so none may outlive it in a cache. */
const PAGES = new Set(['index.html', PRINT_PAGE_FILE]);

/** The policy a served file runs under: the print page's for print.html, the station's for everything else. */
export function contentSecurityPolicyFor(relative: string): string {
  return relative === PRINT_PAGE_FILE ? PRINT_PAGE_CSP : CONTENT_SECURITY_POLICY;
}

export { contentTypeFor };

type StaticRequest = { ok: true; relative: string } | { ok: false; status: 400 | 404 };

/** Turns a request target into a path relative to the folder, or says why it is refused. */
export function parseRequestPath(target: string): StaticRequest {
  const rawPath = target.split(/[?#]/, 1)[0] ?? '';
  if (!rawPath.startsWith('/')) return { ok: false, status: 400 };
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return { ok: false, status: 400 };
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return { ok: false, status: 400 };
  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '..' || s === '.')) return { ok: false, status: 400 };
  // Dotfiles are never part of a build; refusing them keeps editor and VCS leftovers private.
  if (segments.some((s) => s.startsWith('.'))) return { ok: false, status: 404 };
  return { ok: true, relative: segments.length === 0 ? 'index.html' : segments.join('/') };
}

export type StaticHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

export function createStaticHandler(rendererDir: string = DEFAULT_RENDERER_DIR): StaticHandler {
  const root = resolve(rendererDir);
  // Resolved lazily: the folder may be built after the server starts.
  let realRoot: string | undefined;

  async function locate(relative: string): Promise<string | undefined> {
    const candidate = resolve(root, relative);
    if (!candidate.startsWith(root + sep)) return undefined;
    try {
      realRoot ??= await realpath(root);
      const real = await realpath(candidate);
      if (!real.startsWith(realRoot + sep)) return undefined;
      return (await stat(real)).isFile() ? real : undefined;
    } catch {
      return undefined;
    }
  }

  return async (request, response) => {
    if (request.method !== 'GET') {
      send(response, 405, 'Only GET is served here.', { Allow: 'GET' });
      return;
    }
    const target = parseRequestPath(request.url ?? '/');
    if (!target.ok) {
      send(response, target.status, target.status === 400 ? 'Bad request path.' : 'Not found.');
      return;
    }
    const file = await locate(target.relative);
    if (!file && target.relative === 'favicon.ico') {
      // Browsers ask for it on their own; a 404 would put an error in the console of every session.
      send(response, 204, '');
      return;
    }
    if (!file) {
      const message =
        target.relative === 'index.html'
          ? 'The station UI is not built. Run `npx vite build -c renderer/vite.config.mts`, then reload.'
          : 'Not found.';
      send(response, 404, message);
      return;
    }
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      send(response, 404, 'Not found.');
      return;
    }
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Security-Policy': contentSecurityPolicyFor(target.relative),
      'Content-Type': contentTypeFor(file),
      'Content-Length': body.length,
      'Cache-Control': PAGES.has(target.relative) ? 'no-store' : 'no-cache',
    });
    response.end(body);
  };
}

function send(response: ServerResponse, status: number, message: string, extra: Record<string, string> = {}): void {
  const body = message ? `${message}\n` : '';
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    ...extra,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  response.end(body);
}
