import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { StationRequestError } from '../../../electron/contract/index.js';
import { CONTENT_SECURITY_POLICY } from '../../../electron/web/static.js';
import { startWebBridge, type WebBridge, type WebBridgeOptions } from '../../../electron/web/server.js';
import { fakeBackend, SNAPSHOT, type FakeBackend } from './fake-backend.js';
import { openTab, rawRequest, secretOf, signIn, type Tab } from './bridge-harness.js';

let rendererDir: string;
let outsideDir: string;

beforeAll(async () => {
  rendererDir = await mkdtemp(join(tmpdir(), 'keybench-renderer-'));
  outsideDir = await mkdtemp(join(tmpdir(), 'keybench-outside-'));
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>keybench</title>');
  await mkdir(join(rendererDir, 'assets', 'empty'), { recursive: true });
  await writeFile(join(rendererDir, 'assets', 'index-abc123.js'), 'export {};');
  await writeFile(join(rendererDir, 'assets', 'index-abc123.css'), 'body{}');
  await writeFile(join(rendererDir, '.env'), 'TOKEN=leak');
  await writeFile(join(outsideDir, 'secret.txt'), 'outside the renderer');
  await symlink(join(outsideDir, 'secret.txt'), join(rendererDir, 'assets', 'link.txt'));
});

afterAll(async () => {
  await rm(rendererDir, { recursive: true, force: true });
  await rm(outsideDir, { recursive: true, force: true });
});

const running: WebBridge[] = [];
const tabs: Tab[] = [];

afterEach(async () => {
  for (const tab of tabs.splice(0)) tab.socket.terminate();
  await Promise.all(running.splice(0).map((bridge) => bridge.close()));
});

async function start(options: Partial<WebBridgeOptions> = {}): Promise<{ bridge: WebBridge; backend: FakeBackend; internal: ReturnType<typeof vi.fn> }> {
  const backend = (options.backend as FakeBackend | undefined) ?? fakeBackend();
  const internal = vi.fn();
  const bridge = await startWebBridge({ rendererDir, onInternalError: internal, ...options, backend });
  running.push(bridge);
  return { bridge, backend, internal };
}

async function tab(bridge: WebBridge): Promise<Tab> {
  const t = await signIn(bridge);
  tabs.push(t);
  return t;
}

describe('startWebBridge: session', () => {
  it('listens on 127.0.0.1 and hands out a fresh 32-byte secret in the fragment only', async () => {
    const { bridge: first } = await start();
    const { bridge: second } = await start();
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(first.sessionUrl.startsWith(`${first.url}#session=`)).toBe(true);
    const secret = secretOf(first.sessionUrl);
    expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(secretOf(second.sessionUrl)).not.toBe(secret);
    expect(first.url).not.toContain(secret);
  });

  it('answers station.snapshot after a hello with the right secret', async () => {
    const { bridge } = await start();
    const t = await tab(bridge);
    t.send({ type: 'call', id: 1, channel: 'station.snapshot', args: {} });
    expect(await t.next()).toEqual({ type: 'result', id: 1, result: { ok: true, data: SNAPSHOT } });
  });

  it('closes with 4401 on a wrong secret and never runs a call sent with it', async () => {
    const snapshot = vi.fn(async () => SNAPSHOT);
    const { bridge } = await start({ backend: fakeBackend({ 'station.snapshot': snapshot }) });
    const t = await openTab(bridge.url);
    tabs.push(t);
    const secret = secretOf(bridge.sessionUrl);
    t.send({ type: 'hello', session: `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}` });
    t.send({ type: 'call', id: 1, channel: 'station.snapshot', args: {} });
    expect(await t.closed).toBe(4401);
    expect(snapshot).not.toHaveBeenCalled();
    expect(t.unread).toEqual([]);
  });

  it('closes with 4401 when the first message is a call instead of the hello', async () => {
    const { bridge } = await start();
    const t = await openTab(bridge.url);
    tabs.push(t);
    t.send({ type: 'call', id: 1, channel: 'station.snapshot', args: {} });
    expect(await t.closed).toBe(4401);
  });

  it('closes a socket that sends no hello within the timeout', async () => {
    const { bridge } = await start({ helloTimeoutMs: 100 });
    const t = await openTab(bridge.url);
    tabs.push(t);
    expect(await t.closed).toBe(4408);
  });

  it('refuses the upgrade from a foreign or missing Origin, and on any other path', async () => {
    const { bridge } = await start();
    const port = new URL(bridge.url).port;
    await expect(openTab(bridge.url, { origin: 'http://evil.example' })).rejects.toThrow('upgrade refused: 403');
    await expect(openTab(bridge.url, { origin: `http://localhost:${port}` })).rejects.toThrow('upgrade refused: 403');
    await expect(openTab(bridge.url, { origin: `https://127.0.0.1:${port}` })).rejects.toThrow('upgrade refused: 403');
    await expect(openTab(bridge.url, { origin: '' })).rejects.toThrow('upgrade refused: 403');
    await expect(openTab(bridge.url, { path: '/socket' })).rejects.toThrow('upgrade refused: 404');
  });

  it('accepts an extra origin only when it is allowed explicitly', async () => {
    const { bridge } = await start({ allowedOrigins: ['http://bench-3.local:8080'] });
    const t = await openTab(bridge.url, { origin: 'http://bench-3.local:8080' });
    tabs.push(t);
    t.send({ type: 'hello', session: secretOf(bridge.sessionUrl) });
    expect(await t.next()).toEqual({ type: 'ready' });
  });
});

describe('startWebBridge: requests', () => {
  it('answers unknown channels and bad arguments with the results of dispatch', async () => {
    const wink = vi.fn(async () => ({ message: 'winked' }));
    const { bridge } = await start({ backend: fakeBackend({ 'keys.wink': wink }) });
    const t = await tab(bridge);
    t.send({ type: 'call', id: 1, channel: 'shell.exec', args: { command: 'rm -rf /' } });
    expect(await t.next()).toMatchObject({ type: 'result', id: 1, result: { ok: false, error: { code: 'unknown-channel' } } });
    t.send({ type: 'call', id: 'two', channel: 'keys.wink', args: { port: 3 } });
    expect(await t.next()).toMatchObject({ type: 'result', id: 'two', result: { ok: false, error: { code: 'bad-request' } } });
    t.send({ type: 'call', id: 3, channel: 'keys.wink', args: { port: 'virtual:1' } });
    expect(await t.next()).toEqual({ type: 'result', id: 3, result: { ok: true, data: { message: 'winked' } } });
    expect(wink).toHaveBeenCalledTimes(1);
  });

  it('passes a handler’s own failure through and reports unexpected ones without their details', async () => {
    const { bridge, internal } = await start({
      backend: fakeBackend({
        'keys.reset': async () => {
          throw new StationRequestError('conflict', 'Port 1 is busy.');
        },
        'keys.wink': async () => {
          throw new Error('hid exploded at 0xdeadbeef');
        },
      }),
    });
    const t = await tab(bridge);
    t.send({ type: 'call', id: 1, channel: 'keys.reset', args: { port: 'virtual:1' } });
    expect(await t.next()).toEqual({ type: 'result', id: 1, result: { ok: false, error: { code: 'conflict', message: 'Port 1 is busy.' } } });
    t.send({ type: 'call', id: 2, channel: 'keys.wink', args: { port: 'virtual:1' } });
    const answer = await t.next();
    expect(answer).toMatchObject({ id: 2, result: { ok: false, error: { code: 'internal' } } });
    expect(JSON.stringify(answer)).not.toContain('deadbeef');
    expect(internal).toHaveBeenCalledWith('station request keys.wink', expect.any(Error));
  });

  it('answers garbage frames with an error and keeps serving', async () => {
    const { bridge } = await start();
    const t = await tab(bridge);
    for (const garbage of ['not json', '[]', 'null', '{"type":"call"}', '{"type":"call","id":{"x":1}}', '{"type":"subscribe"}']) {
      t.send(garbage);
      expect(await t.next()).toMatchObject({ type: 'error', error: { code: 'bad-request' } });
    }
    t.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await t.next()).toMatchObject({ type: 'error', error: { code: 'bad-request' } });
    t.send({ type: 'call', id: 9, channel: 'station.snapshot', args: {} });
    expect(await t.next()).toMatchObject({ type: 'result', id: 9, result: { ok: true } });
  });

  it('closes a socket that sends a message over the size cap; the server keeps running', async () => {
    const { bridge } = await start({ maxMessageBytes: 1024 });
    const big = await tab(bridge);
    big.send({ type: 'call', id: 1, channel: 'orders.import', args: { fileName: 'a.csv', text: 'x'.repeat(2048) } });
    expect(await big.closed).toBe(1009);
    const t = await tab(bridge);
    t.send({ type: 'call', id: 1, channel: 'station.snapshot', args: {} });
    expect(await t.next()).toMatchObject({ id: 1, result: { ok: true } });
  });

  it('limits the rate: calls past the burst are refused, a flood is cut off', async () => {
    const { bridge } = await start({ rate: { burst: 3, perSecond: 0.001 } });
    const t = await tab(bridge);
    for (let id = 1; id <= 5; id++) t.send({ type: 'call', id, channel: 'station.snapshot', args: {} });
    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => t.next()));
    expect(answers.filter((a) => (a.result as { ok: boolean }).ok)).toHaveLength(3);
    expect(answers.filter((a) => !(a.result as { ok: boolean }).ok)).toEqual([
      expect.objectContaining({ result: { ok: false, error: expect.objectContaining({ code: 'unavailable' }) } }),
      expect.objectContaining({ result: { ok: false, error: expect.objectContaining({ code: 'unavailable' }) } }),
    ]);
    for (let id = 6; id <= 12; id++) t.send({ type: 'call', id, channel: 'station.snapshot', args: {} });
    expect(await t.closed).toBe(1008);
  });

  it('refuses calls beyond the in-flight limit until earlier ones finish', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { bridge } = await start({
      maxInFlight: 1,
      backend: fakeBackend({
        'station.snapshot': async () => {
          await gate;
          return SNAPSHOT;
        },
      }),
    });
    const t = await tab(bridge);
    t.send({ type: 'call', id: 1, channel: 'station.snapshot', args: {} });
    t.send({ type: 'call', id: 2, channel: 'station.snapshot', args: {} });
    expect(await t.next()).toMatchObject({ id: 2, result: { ok: false, error: { code: 'unavailable' } } });
    release();
    expect(await t.next()).toMatchObject({ id: 1, result: { ok: true } });
  });
});

describe('startWebBridge: events', () => {
  it('fans every valid event out to each signed-in tab and to no one else', async () => {
    const { bridge, backend, internal } = await start();
    const first = await tab(bridge);
    const second = await tab(bridge);
    const stranger = await openTab(bridge.url);
    tabs.push(stranger);
    backend.emit({ type: 'tile-removed', port: 'virtual:1' });
    expect(await first.next()).toEqual({ type: 'event', event: { type: 'tile-removed', port: 'virtual:1' } });
    expect(await second.next()).toEqual({ type: 'event', event: { type: 'tile-removed', port: 'virtual:1' } });

    backend.emit({ type: 'notice', level: 'panic', message: 'not in the contract' });
    expect(internal).toHaveBeenCalledWith(expect.stringContaining('station event'), expect.anything());
    backend.emit({ type: 'orders-changed' });
    expect(await first.next()).toEqual({ type: 'event', event: { type: 'orders-changed' } });
    expect(await second.next()).toEqual({ type: 'event', event: { type: 'orders-changed' } });
    expect(stranger.unread).toEqual([]);
  });

  it('sends no snapshot on its own when a tab connects', async () => {
    const snapshot = vi.fn(async () => SNAPSHOT);
    const { bridge, backend } = await start({ backend: fakeBackend({ 'station.snapshot': snapshot }) });
    const t = await tab(bridge);
    backend.emit({ type: 'orders-changed' });
    expect(await t.next()).toEqual({ type: 'event', event: { type: 'orders-changed' } });
    expect(snapshot).not.toHaveBeenCalled();
  });
});

describe('startWebBridge: close', () => {
  it('closes the tabs, stops listening to the station and frees the port', async () => {
    const { bridge, backend } = await start();
    const t = await tab(bridge);
    expect(backend.listenerCount).toBe(1);
    await bridge.close();
    expect(await t.closed).toBe(1001);
    expect(backend.listenerCount).toBe(0);
    await expect(rawRequest(bridge.url, '/')).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('startWebBridge: static files', () => {
  it('serves index.html at / with the CSP, hardening headers and no-store', async () => {
    const { bridge } = await start();
    const response = await rawRequest(bridge.url, '/');
    expect(response.status).toBe(200);
    expect(response.body).toContain('<title>keybench</title>');
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    expect(response.headers['cache-control']).toBe('no-store');
    expect((await rawRequest(bridge.url, '/index.html?v=1')).headers['cache-control']).toBe('no-store');
  });

  it('serves assets with their MIME type and the same CSP', async () => {
    const { bridge } = await start();
    const script = await rawRequest(bridge.url, '/assets/index-abc123.js');
    expect(script).toMatchObject({ status: 200, body: 'export {};' });
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect((await rawRequest(bridge.url, '/assets/index-abc123.css')).headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('serves GET only', async () => {
    const { bridge } = await start();
    for (const method of ['POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS']) {
      const response = await rawRequest(bridge.url, '/', method);
      expect(response.status).toBe(405);
      expect(response.headers.allow).toBe('GET');
    }
  });

  it('refuses traversal, NUL, directories, dotfiles, symlinks out and unknown paths', async () => {
    const { bridge } = await start();
    const refused = [
      '/../../../../etc/passwd',
      '/assets/../../outside.txt',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
      '/..%5c..%5cetc%5cpasswd',
      '/assets\\..\\..\\etc\\passwd',
      '/index.html%00.js',
      '/%E0%A4%A',
      '/assets/',
      '/assets',
      '/assets/empty',
      '/.env',
      '/assets/link.txt',
      '/missing.js',
      'http://evil.example/index.html',
    ];
    for (const path of refused) {
      const response = await rawRequest(bridge.url, path);
      expect([400, 404], path).toContain(response.status);
      expect(response.body, path).not.toMatch(/root:|outside the renderer|TOKEN|index-abc123/);
      expect(response.headers['content-security-policy'], path).toBe(CONTENT_SECURITY_POLICY);
    }
  });

  it('answers a missing favicon with 204 so browsers log no error', async () => {
    const { bridge } = await start();
    expect(await rawRequest(bridge.url, '/favicon.ico')).toMatchObject({ status: 204, body: '' });
  });

  it('says how to build the renderer when it is missing', async () => {
    const { bridge } = await start({ rendererDir: join(outsideDir, 'not-built') });
    const response = await rawRequest(bridge.url, '/');
    expect(response.status).toBe(404);
    expect(response.body).toContain('vite build');
  });
});
