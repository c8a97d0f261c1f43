import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import {
  createSenderCheck,
  pushStationEvents,
  registerStationIpc,
  type InvokeListener,
  type IpcMainInvokeEventLike,
  type IpcMainLike,
  type WebContentsLike,
  type WebFrameLike,
} from '../../../electron/main/ipc-router.js';
import { stationOrigins } from '../../../electron/main/origin.js';
import { fakeBackend } from '../helpers/fake-backend.js';

class FakeIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, InvokeListener>();
  handle(channel: string, listener: InvokeListener): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  invoke(event: IpcMainInvokeEventLike, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get('station:call');
    if (!handler) throw new Error('No handler registered for station:call');
    return handler(event, ...args);
  }
}

class FakeWebContents extends EventEmitter implements WebContentsLike {
  readonly sent: unknown[][] = [];
  private destroyed = false;
  constructor(readonly id: number) {
    super();
  }
  send(channel: string, ...args: unknown[]): void {
    this.sent.push([channel, ...args]);
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('destroyed');
  }
}

const ours = new FakeWebContents(1);
const topFrame = (url: string): WebFrameLike => ({ url, parent: null });

function setup(devServerUrl?: string) {
  const wink = vi.fn(async ({ port }: { port: string }) => ({ message: `winked ${port}` }));
  const station = fakeBackend({
    'keys.wink': wink,
    'keys.reset': async () => {
      throw new Error('database is locked');
    },
  });
  const ipc = new FakeIpcMain();
  const log = { warn: vi.fn(), error: vi.fn() };
  const check = createSenderCheck({ origins: stationOrigins(devServerUrl), isOurWindow: (sender) => sender === ours });
  const unregister = registerStationIpc(ipc, station, check, log);
  const call = (event: Partial<IpcMainInvokeEventLike>, channel: unknown, args: unknown) =>
    ipc.invoke({ sender: ours, senderFrame: topFrame('app://station/index.html'), ...event }, channel, args);
  return { ipc, station, wink, log, call, unregister };
}

describe('station IPC router', () => {
  it('passes a call from the station window to the backend and answers with its result', async () => {
    const { call, wink } = setup();
    expect(await call({}, 'keys.wink', { port: 'usb-3' })).toEqual({ ok: true, data: { message: 'winked usb-3' } });
    expect(wink).toHaveBeenCalledWith({ port: 'usb-3' });
  });

  it('refuses pages from other origins, including look-alikes, and logs without the arguments', async () => {
    const { call, wink, log } = setup();
    for (const url of ['https://evil.example/index.html', 'app://station.evil/index.html', 'app://stationx/', 'file:///index.html', 'http://localhost:5173/', 'app://user@station/', 'not a url']) {
      expect(await call({ senderFrame: topFrame(url) }, 'keys.wink', { port: 'SECRET-ARGUMENT' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    expect(wink).not.toHaveBeenCalled();
    expect(log.warn).toHaveBeenCalledTimes(7);
    expect(JSON.stringify(log.warn.mock.calls)).not.toContain('SECRET-ARGUMENT');
    expect(JSON.stringify(log.warn.mock.calls)).not.toContain('keys.wink');
  });

  it('refuses a sub-frame even on the station origin', async () => {
    const { call, wink } = setup();
    const subFrame: WebFrameLike = { url: 'app://station/frame.html', parent: topFrame('app://station/index.html') };
    expect(await call({ senderFrame: subFrame }, 'keys.wink', { port: 'p' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(wink).not.toHaveBeenCalled();
  });

  it('refuses another window or webview showing the station page', async () => {
    const { call, wink } = setup();
    expect(await call({ sender: new FakeWebContents(2) }, 'keys.wink', { port: 'p' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(wink).not.toHaveBeenCalled();
  });

  it('refuses a request whose frame is gone or detached', async () => {
    const { call } = setup();
    expect(await call({ senderFrame: null }, 'keys.wink', { port: 'p' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await call({ senderFrame: { url: 'app://station/', parent: null, detached: true } }, 'keys.wink', { port: 'p' })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
  });

  it('refuses unknown channels and malformed arguments before any handler runs', async () => {
    const { call, wink } = setup();
    expect(await call({}, 'shell.openExternal', {})).toMatchObject({ ok: false, error: { code: 'unknown-channel' } });
    expect(await call({}, '__proto__', {})).toMatchObject({ ok: false, error: { code: 'unknown-channel' } });
    expect(await call({}, 'keys.wink', { port: 42 })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(await call({}, 'keys.wink', { port: 'p', extra: 1 })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(wink).not.toHaveBeenCalled();
  });

  it('accepts the exact dev server origin only when one is configured', async () => {
    const dev = setup('http://localhost:5173/');
    expect(await dev.call({ senderFrame: topFrame('http://localhost:5173/index.html') }, 'keys.wink', { port: 'p' })).toMatchObject({ ok: true });
    expect(await dev.call({ senderFrame: topFrame('http://localhost:5174/index.html') }, 'keys.wink', { port: 'p' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await dev.call({ senderFrame: topFrame('http://127.0.0.1:5173/') }, 'keys.wink', { port: 'p' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it('logs an unexpected handler failure and answers with a generic internal error', async () => {
    const { call, log } = setup();
    const answer = await call({}, 'keys.reset', { port: 'p' });
    expect(answer).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(JSON.stringify(answer)).not.toContain('database is locked');
    expect(log.error).toHaveBeenCalledWith(expect.stringContaining('keys.reset'), expect.any(Error));
  });

  it('removes its handler when unregistered', () => {
    const { ipc, unregister } = setup();
    unregister();
    expect(ipc.handlers.size).toBe(0);
  });
});

describe('station events to the window', () => {
  it('sends contract events, drops malformed ones and strips members the contract does not name', () => {
    const station = fakeBackend();
    const contents = new FakeWebContents(1);
    const log = { warn: vi.fn(), error: vi.fn() };
    pushStationEvents(station, contents, log);
    station.emit({ type: 'orders-changed' });
    station.emit({ type: 'notice', level: 'loud', message: 'x' });
    station.emit({ type: 'sound', sound: 'touch', pin: '123456' });
    expect(contents.sent).toEqual([
      ['station:event', { type: 'orders-changed' }],
      ['station:event', { type: 'sound', sound: 'touch' }],
    ]);
    expect(log.warn).toHaveBeenCalledTimes(1);
  });

  it('unsubscribes when the window contents are destroyed', () => {
    const station = fakeBackend();
    const contents = new FakeWebContents(1);
    pushStationEvents(station, contents);
    expect(station.listenerCount).toBe(1);
    contents.destroy();
    expect(station.listenerCount).toBe(0);
    station.emit({ type: 'orders-changed' });
    expect(contents.sent).toEqual([]);
  });
});
