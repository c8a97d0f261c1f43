import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildAppResponse, mimeTypeFor, resolveAppRequest, STATION_CSP } from '../../../electron/main/protocol.js';

const base = mkdtempSync(join(tmpdir(), 'keybench-protocol-'));
const root = join(base, 'renderer');
mkdirSync(join(root, 'assets'), { recursive: true });
writeFileSync(join(root, 'index.html'), '<!doctype html><title>keybench</title>');
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
