// The station window and the guards around every web page Electron creates (security checklist items
// 1, 5, 13–15 in electron-anchors.md §2): sandboxed and isolated renderers, no navigation away from the
// station, no new windows or webviews, and every permission and device chooser refused — keys are reached
// through node-hid in the hid host, never through WebHID or WebUSB.
import { isStationUrl, originOf } from './origin.js';

export interface PreventableEvent {
  preventDefault(): void;
}

/** Electron passes the target both on the event (current) and as the second argument (deprecated). */
export interface NavigationEvent extends PreventableEvent {
  readonly url?: string;
}

type PermissionRequestHandler = (webContents: unknown, permission: string, callback: (granted: boolean) => void, details: unknown) => void;
type PermissionCheckHandler = (webContents: unknown, permission: string, requestingOrigin: string, details: unknown) => boolean;
type DeviceChooser = (event: PreventableEvent, details: unknown, callback: (deviceId: string) => void) => void;

export const DEVICE_CHOOSER_EVENTS = ['select-hid-device', 'select-usb-device', 'select-serial-port'] as const;

/** The part of Electron's Session the guards use. */
export interface SessionLike {
  setPermissionRequestHandler(handler: PermissionRequestHandler | null): void;
  setPermissionCheckHandler(handler: PermissionCheckHandler | null): void;
  setDevicePermissionHandler(handler: ((details: unknown) => boolean) | null): void;
  on(event: (typeof DEVICE_CHOOSER_EVENTS)[number], listener: DeviceChooser): unknown;
}

/** The part of Electron's WebContents the guards use. */
export interface GuardedWebContents {
  readonly session: SessionLike;
  on(event: 'will-navigate' | 'will-redirect', listener: (event: NavigationEvent, url: string) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: PreventableEvent) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

/** The part of Electron's App the guards use. */
export interface GuardedApp {
  enableSandbox(): void;
  on(event: 'web-contents-created', listener: (event: unknown, contents: GuardedWebContents) => void): unknown;
}

export interface GuardLog {
  warn(message: string): void;
}

/** What every keybench window's page runs under: sandboxed, isolated, no Node, no webviews, no drops. */
export const LOCKED_DOWN_WEB_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  experimentalFeatures: false,
  webviewTag: false,
  navigateOnDragDrop: false,
  spellcheck: false,
} as const;

export function stationWindowOptions(preloadPath: string) {
  return {
    width: 1280,
    height: 820,
    minWidth: 960,
    minHeight: 600,
    title: 'keybench',
    show: false,
    webPreferences: { preload: preloadPath, ...LOCKED_DOWN_WEB_PREFERENCES },
  } as const;
}

/** Denies every permission and device request of `session`, and closes the WebHID/WebUSB/serial choosers unanswered. */
export function guardSession(session: SessionLike): void {
  session.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
  for (const name of DEVICE_CHOOSER_EVENTS) {
    session.on(name, (event, _details, callback) => {
      event.preventDefault();
      callback('');
    });
  }
}

/** Keeps `contents` on the station's origins: no navigation or redirect elsewhere, no popups, no webviews. */
export function guardWebContents(contents: GuardedWebContents, origins: readonly string[], log: GuardLog = console): void {
  const stayHome = (event: NavigationEvent, legacyUrl: string) => {
    const url = event.url ?? legacyUrl;
    if (isStationUrl(url, origins)) return;
    event.preventDefault();
    log.warn(`Blocked the station window from leaving for ${originOf(url)?.slice(0, 100) ?? 'an invalid URL'}.`);
  };
  contents.on('will-navigate', stayHome);
  contents.on('will-redirect', stayHome);
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/**
 * Sandboxes every renderer (call before `ready`) and guards every webContents and session Electron ever
 * creates, including ones nobody asked for.
 */
export function installSecurityGuards(app: GuardedApp, origins: readonly string[], log: GuardLog = console): void {
  app.enableSandbox();
  const guardedSessions = new WeakSet<SessionLike>();
  app.on('web-contents-created', (_event, contents) => {
    guardWebContents(contents, origins, log);
    if (guardedSessions.has(contents.session)) return;
    guardedSessions.add(contents.session);
    guardSession(contents.session);
  });
}
