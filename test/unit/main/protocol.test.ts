import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { PRINT_PAGE_CSP } from '../../../electron/contract/print-page.js';
import { OneTimeDocuments } from '../../../electron/core/station/printing/one-time-documents.js';
import {
  buildAppResponse,
  createAppProtocolHandler,
  DOCUMENT_GONE_MESSAGE,
  mimeTypeFor,
  resolveAppRequest,
  STATION_CSP,
} from '../../../electron/main/protocol.js';

const base = mkdtempSync(join(tmpdir(), 'keybench-protocol-'));
const root = join(base, 'renderer');
mkdirSync(join(root, 'assets'), { recursive: true });
writeFileSync(join(root, 'index.html'), '<!doctype html><title>keybench</title>');
writeFileSync(join(root, 'print.html'), '<!doctype html><title>keybench print</title>');
writeFileSync(join(root, 'assets', 'print.html'), '<!doctype html><title>not the print page</title>');
writeFileSync(join(root, 'assets', 'index-abc.js'), 'console.log(1)');
writeFileSync(join(root, 'assets', 'index-abc.css'), 'body{}');
const secretPath = join(base, 'secrets.json');
writeFileSync(secretPath, 'TOP-SECRET');
afterAll(() => rmSync(base, { recursive: true, force: true }));

const get = (url: string) => buildAppResponse({ url, method: 'GET' }, root);

describe('app://station request resolution', () => {
  it('maps the root and asset paths to files inside the renderer folder', () => {
    expect(resolveAppRequest('app://station/', root)).toEqual({ kind: 'file', filePath: join(root, 'index.html') });
    expect(resolveAppRequest('app://station', root)).toEqual({ kind: 'file', filePath: join(root, 'index.html') });
    expect(resolveAppRequest('app://station/assets/index-abc.js?v=1#x', root)).toEqual({ kind: 'file', filePath: join(root, 'assets', 'index-abc.js') });
  });

  it('refuses encoded traversal out of the renderer folder', () => {
    for (const url of [
      'app://station/..%2fsecrets.json',
      'app://station/assets/..%2f..%2fsecrets.json',
      'app://station/%2e%2e%2fsecrets.json',
      'app://station/assets/%2E%2E%2F%2E%2E%2Fsecrets.json',
    ]) {
      expect(resolveAppRequest(url, root)).toMatchObject({ kind: 'refused' });
    }
  });

  it('refuses absolute paths, Windows separators and drive letters', () => {
    for (const url of [
      `app://station/${encodeURIComponent(secretPath)}`,
      'app://station//etc/passwd',
      'app://station/%2Fetc%2Fpasswd',
      'app://station/..%5csecrets.json',
      'app://station/C:%2FWindows%2Fwin.ini',
      'app://station/c:/Windows/win.ini',
    ]) {
      expect(resolveAppRequest(url, root)).toMatchObject({ kind: 'refused' });
    }
  });

  it('refuses an encoded NUL and malformed percent-encoding', () => {
    expect(resolveAppRequest('app://station/index.html%00.js', root)).toMatchObject({ kind: 'refused', status: 400 });
    expect(resolveAppRequest('app://station/%E0%A4%A', root)).toMatchObject({ kind: 'refused', status: 400 });
  });

  it('serves only the station host of the app scheme', () => {
    expect(resolveAppRequest('app://other/index.html', root)).toMatchObject({ kind: 'refused' });
    expect(resolveAppRequest('file:///etc/passwd', root)).toMatchObject({ kind: 'refused' });
  });

  it('knows the MIME types of what Vite emits', () => {
    expect(mimeTypeFor('a/index.html')).toBe('text/html; charset=utf-8');
    expect(mimeTypeFor('a/x.JS')).toBe('text/javascript; charset=utf-8');
    expect(mimeTypeFor('a/x.css')).toBe('text/css; charset=utf-8');
    expect(mimeTypeFor('a/x.svg')).toBe('image/svg+xml');
    expect(mimeTypeFor('a/x.woff2')).toBe('font/woff2');
    expect(mimeTypeFor('a/x.unknown')).toBe('application/octet-stream');
  });
});

describe('app://station responses', () => {
  it('serves a file with its MIME type and the station CSP', async () => {
    const response = await get('app://station/index.html');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).toContain('<title>keybench</title>');
    expect((await get('app://station/assets/index-abc.css')).headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('answers 404 with the CSP for missing files and folders', async () => {
    for (const url of ['app://station/nope.js', 'app://station/assets/']) {
      const response = await get(url);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-security-policy')).toBe(STATION_CSP);
    }
  });

  it('never returns a file outside the renderer folder', async () => {
    for (const url of ['app://station/..%2fsecrets.json', `app://station/${encodeURIComponent(secretPath)}`, 'app://station/index.html%00']) {
      const response = await get(url);
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(await response.text()).not.toContain('TOP-SECRET');
    }
  });

  it('answers HEAD without a body and refuses other methods', async () => {
    const head = await buildAppResponse({ url: 'app://station/index.html', method: 'HEAD' }, root);
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await buildAppResponse({ url: 'app://station/index.html', method: 'POST' }, root)).status).toBe(405);
  });
});

describe('app://station CSP per page', () => {
  it('gives print.html the print page policy and every other answer the station policy', async () => {
    expect((await get('app://station/print.html')).headers.get('content-security-policy')).toBe(PRINT_PAGE_CSP);
    expect((await get('app://station/print.html#documents/x')).headers.get('content-security-policy')).toBe(PRINT_PAGE_CSP);
    expect((await buildAppResponse({ url: 'app://station/print.html', method: 'HEAD' }, root)).headers.get('content-security-policy')).toBe(PRINT_PAGE_CSP);
    for (const url of ['app://station/index.html', 'app://station/assets/print.html', 'app://station/assets/index-abc.js', 'app://station/nope.html']) {
      expect((await get(url)).headers.get('content-security-policy')).toBe(STATION_CSP);
    }
    expect(PRINT_PAGE_CSP).not.toBe(STATION_CSP);
  });
});

describe('app://station one-time documents', () => {
  const PDF = '%PDF-1.7 mailer PIN 482913 %%EOF';
  const stores: OneTimeDocuments[] = [];
  afterEach(() => {
    for (const store of stores.splice(0)) store.close();
  });

  function offered() {
    const documents = new OneTimeDocuments();
    stores.push(documents);
    const pdf = new TextEncoder().encode(PDF);
    const { token } = documents.offer(pdf, 'mailer.pdf');
    const serve = createAppProtocolHandler(root, undefined, { documents });
    const request = (method: string, path = `documents/${token}`) => serve({ url: `app://station/${path}`, method });
    return { documents, pdf, token, request };
  }

  it('serves a document once, zeroing the stored bytes while the body still reads whole', async () => {
    const { documents, pdf, request } = offered();
    const response = await request('GET');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    expect(response.headers.get('content-security-policy')).toBe(STATION_CSP);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    // Zeroed before anyone read the body: the body must not be a view of the store's bytes.
    expect(pdf.every((byte) => byte === 0)).toBe(true);
    expect(documents.size).toBe(0);
    expect(await response.text()).toBe(PDF);
  });

  it('answers a second fetch with 404 and says why', async () => {
    const { request } = offered();
    await (await request('GET')).arrayBuffer();
    const again = await request('GET');
    expect(again.status).toBe(404);
    expect(await again.text()).toBe(DOCUMENT_GONE_MESSAGE);
    expect(DOCUMENT_GONE_MESSAGE).toContain('already printed or has expired');
  });

  it('refuses HEAD and POST without using up the document', async () => {
    const { pdf, request } = offered();
    for (const method of ['HEAD', 'POST', 'PUT', 'OPTIONS']) {
      const response = await request(method);
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('GET');
    }
    expect(new TextDecoder().decode(pdf)).toBe(PDF);
    expect(await (await request('GET')).text()).toBe(PDF);
  });

  it('answers 404 for malformed or unknown tokens, touching nothing', async () => {
    const { documents, token, request } = offered();
    for (const path of ['documents/', 'documents/abc', `documents/${token}x`, `documents/${token.slice(1)}%2F`, `documents/${token}/x`, `documents/${'A'.repeat(43)}`]) {
      const response = await request('GET', path);
      expect(response.status).toBe(404);
      expect(await response.text()).toBe(DOCUMENT_GONE_MESSAGE);
    }
    expect(documents.size).toBe(1);
    expect((await request('GET', `documents/${token}?download=1`)).status).toBe(200);
  });

  it('has no documents route without a store, and never serves a document file from disk', async () => {
    mkdirSync(join(root, 'documents'), { recursive: true });
    const token = 'B'.repeat(43);
    writeFileSync(join(root, 'documents', token), 'ON DISK');
    const response = await get(`app://station/documents/${token}`);
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain('ON DISK');
  });
});
