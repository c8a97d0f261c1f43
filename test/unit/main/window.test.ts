import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { stationOrigins } from '../../../electron/main/origin.js';
import { installSecurityGuards, stationWindowOptions, type GuardedApp, type GuardedWebContents, type SessionLike } from '../../../electron/main/window.js';

class FakeSession extends EventEmitter implements SessionLike {
  requestHandler: Parameters<SessionLike['setPermissionRequestHandler']>[0] = null;
  checkHandler: Parameters<SessionLike['setPermissionCheckHandler']>[0] = null;
  deviceHandler: Parameters<SessionLike['setDevicePermissionHandler']>[0] = null;
  setPermissionRequestHandler(handler: FakeSession['requestHandler']): void {
    this.requestHandler = handler;
  }
  setPermissionCheckHandler(handler: FakeSession['checkHandler']): void {
    this.checkHandler = handler;
  }
  setDevicePermissionHandler(handler: FakeSession['deviceHandler']): void {
    this.deviceHandler = handler;
  }
}

class FakeContents extends EventEmitter implements GuardedWebContents {
  openHandler: ((details: { url: string }) => { action: 'deny' }) | undefined;
  constructor(readonly session: FakeSession) {
    super();
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void {
    this.openHandler = handler;
  }
}

class FakeApp extends EventEmitter implements GuardedApp {
  readonly enableSandbox = vi.fn();
}

function event() {
  return { preventDefault: vi.fn() };
}

function guarded(devServerUrl?: string) {
  const app = new FakeApp();
  const log = { warn: vi.fn() };
  installSecurityGuards(app, stationOrigins(devServerUrl), log);
  const session = new FakeSession();
  const contents = new FakeContents(session);
  app.emit('web-contents-created', {}, contents);
  return { app, contents, session, log };
}

describe('station window options', () => {
  it('runs the renderer isolated, sandboxed, without Node and without webviews', () => {
    const { webPreferences } = stationWindowOptions('/app/out/preload/index.cjs');
    expect(webPreferences).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });
});

describe('security guards', () => {
  it('sandboxes every renderer', () => {
    expect(guarded().app.enableSandbox).toHaveBeenCalledTimes(1);
  });

  it('blocks navigation and redirects away from app://station, and allows staying on it', () => {
    const { contents, log } = guarded();
    for (const name of ['will-navigate', 'will-redirect']) {
      const away = event();
      contents.emit(name, away, 'https://evil.example/phish');
      expect(away.preventDefault).toHaveBeenCalled();
      const lookalike = event();
      contents.emit(name, lookalike, 'app://station.evil/index.html');
      expect(lookalike.preventDefault).toHaveBeenCalled();
      const home = event();
      contents.emit(name, home, 'app://station/index.html#/history');
      expect(home.preventDefault).not.toHaveBeenCalled();
    }
    expect(log.warn).toHaveBeenCalledWith(expect.stringContaining('https://evil.example'));
  });

  it('judges the target Electron puts on the event over the deprecated argument', () => {
    const { contents } = guarded();
    const sneaky = { ...event(), url: 'https://evil.example/' };
    contents.emit('will-navigate', sneaky, 'app://station/index.html');
    expect(sneaky.preventDefault).toHaveBeenCalled();
  });

  it('allows the dev server origin only when configured', () => {
    const plain = event();
    guarded().contents.emit('will-navigate', plain, 'http://localhost:5173/');
    expect(plain.preventDefault).toHaveBeenCalled();
    const dev = event();
    guarded('http://localhost:5173').contents.emit('will-navigate', dev, 'http://localhost:5173/');
    expect(dev.preventDefault).not.toHaveBeenCalled();
  });

  it('denies new windows and webviews', () => {
    const { contents } = guarded();
    expect(contents.openHandler?.({ url: 'https://example.com' })).toEqual({ action: 'deny' });
    expect(contents.openHandler?.({ url: 'app://station/index.html' })).toEqual({ action: 'deny' });
    const attach = event();
    contents.emit('will-attach-webview', attach, {}, {});
    expect(attach.preventDefault).toHaveBeenCalled();
  });

  it('denies every permission request, check and device permission', () => {
    const { session } = guarded();
    const callback = vi.fn();
    session.requestHandler?.({}, 'media', callback, {});
    session.requestHandler?.({}, 'hid', callback, {});
    expect(callback.mock.calls).toEqual([[false], [false]]);
    expect(session.checkHandler?.({}, 'hid', 'app://station', {})).toBe(false);
    expect(session.deviceHandler?.({ deviceType: 'hid', origin: 'app://station' })).toBe(false);
  });

  it('closes the HID, USB and serial choosers without picking a device', () => {
    const { session } = guarded();
    for (const name of ['select-hid-device', 'select-usb-device', 'select-serial-port']) {
      const chooser = event();
      const callback = vi.fn();
      session.emit(name, chooser, { deviceList: [{ deviceId: '1', vendorId: 0x1050 }] }, callback);
      expect(chooser.preventDefault).toHaveBeenCalled();
      expect(callback).toHaveBeenCalledWith('');
    }
  });

  it('guards a session shared by several webContents once', () => {
    const app = new FakeApp();
    installSecurityGuards(app, stationOrigins(), { warn: vi.fn() });
    const session = new FakeSession();
    app.emit('web-contents-created', {}, new FakeContents(session));
    app.emit('web-contents-created', {}, new FakeContents(session));
    expect(session.listenerCount('select-hid-device')).toBe(1);
  });
});
