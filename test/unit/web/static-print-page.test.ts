// Browser mode serves the print page (renderer/print.html) under its own CSP, which lets pdf.js run its worker
// and fetch its fonts; every other file keeps the station's stricter policy.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRINT_PAGE_CSP, PRINT_PAGE_FILE } from '../../../electron/contract/print-page.js';
import { CONTENT_SECURITY_POLICY, contentSecurityPolicyFor, createStaticHandler } from '../../../electron/web/static.js';

let rendererDir: string;
let server: Server;
let base: string;

beforeAll(async () => {
  rendererDir = await mkdtemp(join(tmpdir(), 'keybench-renderer-'));
  await mkdir(join(rendererDir, 'assets'));
  await mkdir(join(rendererDir, 'standard_fonts'));
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>keybench</title>');
  await writeFile(join(rendererDir, PRINT_PAGE_FILE), '<!doctype html><title>keybench print</title>');
  await writeFile(join(rendererDir, 'assets', 'pdf.worker.min-abc.mjs'), 'export {};');
  await writeFile(join(rendererDir, 'standard_fonts', 'LiberationSans-Regular.ttf'), 'font');
  const serve = createStaticHandler(rendererDir);
  server = createServer((request, response) => void serve(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(rendererDir, { recursive: true, force: true });
});

describe('static files: the print page', () => {
  it('serves print.html with the print page policy, never cached', async () => {
    for (const path of [`/${PRINT_PAGE_FILE}`, `/${PRINT_PAGE_FILE}?v=2`]) {
      const response = await fetch(`${base}${path}`);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('keybench print');
      expect(response.headers.get('content-security-policy')).toBe(PRINT_PAGE_CSP);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('keeps the station policy for the station page, pdf.js worker, fonts and refusals', async () => {
    for (const path of ['/', '/index.html', '/assets/pdf.worker.min-abc.mjs', '/standard_fonts/LiberationSans-Regular.ttf', '/print.html/x', '/missing.html']) {
      const response = await fetch(`${base}${path}`);
      expect(response.headers.get('content-security-policy'), path).toBe(CONTENT_SECURITY_POLICY);
    }
    const worker = await fetch(`${base}/assets/pdf.worker.min-abc.mjs`);
    // A module worker with another type is refused under nosniff.
    expect(worker.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });

  it('picks the policy by the exact file name', () => {
    expect(contentSecurityPolicyFor(PRINT_PAGE_FILE)).toBe(PRINT_PAGE_CSP);
    for (const relative of ['index.html', `assets/${PRINT_PAGE_FILE}`, `${PRINT_PAGE_FILE}.map`]) {
      expect(contentSecurityPolicyFor(relative), relative).toBe(CONTENT_SECURITY_POLICY);
    }
  });
});

describe('the print page policy', () => {
  const directives = new Map(PRINT_PAGE_CSP.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));

  it('runs no eval, no inline script or style, and reaches nothing beyond its own origin', () => {
    expect(PRINT_PAGE_CSP).not.toMatch(/unsafe-|wasm|\*|https?:|ws:/);
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('style-src')).toEqual(["'self'"]);
    expect(directives.get('connect-src')).toEqual(["'self'"]);
    expect(directives.get('worker-src')).toEqual(["'self'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
  });

  it('is what print.html carries in its meta tag, minus frame-ancestors (which a meta tag cannot set)', async () => {
    const html = await readFile(join(import.meta.dirname, '../../../renderer', PRINT_PAGE_FILE), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    const withoutFrameAncestors = PRINT_PAGE_CSP.split('; ').filter((d) => !d.startsWith('frame-ancestors')).join('; ');
    expect(meta).toBe(withoutFrameAncestors);
  });
});
