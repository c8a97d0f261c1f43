// The one door from the renderer into the station (Fiddle's single wrapper, VS Code's frame check): a
// request is answered only when it comes from the top frame of our own window on the station's origin,
// and then goes through the contract's `dispatch`, which refuses unknown channels and bad arguments.
// Events go the other way on one channel, and only in the shape the contract allows.
import { dispatch, StationEventSchema, type Result, type StationBackend } from '../contract/index.js';
import { STATION_CALL_CHANNEL, STATION_EVENT_CHANNEL } from '../preload/ipc-channels.js';
import { isStationUrl, originOf } from './origin.js';

/** The part of Electron's WebFrameMain the sender check reads. */
export interface WebFrameLike {
  readonly url: string;
  readonly parent: WebFrameLike | null;
  readonly detached?: boolean;
}

/** The part of Electron's WebContents the router uses. */
export interface WebContentsLike {
  readonly id: number;
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
  once(event: 'destroyed', listener: () => void): unknown;
}

/** The part of Electron's IpcMainInvokeEvent the router reads. */
export interface IpcMainInvokeEventLike {
  readonly sender: WebContentsLike;
  readonly senderFrame: WebFrameLike | null;
}

export type InvokeListener = (event: IpcMainInvokeEventLike, ...args: unknown[]) => Promise<unknown>;

/** The part of Electron's ipcMain the router uses. */
export interface IpcMainLike {
  handle(channel: string, listener: InvokeListener): void;
  removeHandler(channel: string): void;
}

export interface RouterLog {
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

export type SenderVerdict = { readonly trusted: true } | { readonly trusted: false; readonly reason: string };
export type SenderCheck = (event: IpcMainInvokeEventLike) => SenderVerdict;

export interface SenderCheckOptions {
  /** Exact origins of the station's pages (see `stationOrigins`). */
  readonly origins: readonly string[];
  /** True when `sender` is the webContents of the station's window, not a webview or another window. */
  isOurWindow(sender: WebContentsLike): boolean;
}

export function createSenderCheck(options: SenderCheckOptions): SenderCheck {
  return ({ sender, senderFrame }) => {
    if (!senderFrame || senderFrame.detached) return { trusted: false, reason: 'the sending frame is gone' };
    if (!isStationUrl(senderFrame.url, options.origins)) {
      return { trusted: false, reason: `the sending frame's origin is ${originOf(senderFrame.url)?.slice(0, 100) ?? 'not a URL'}` };
    }
    if (senderFrame.parent !== null) return { trusted: false, reason: 'the sender is a sub-frame' };
    if (!options.isOurWindow(sender)) return { trusted: false, reason: 'the sender is not the station window' };
    return { trusted: true };
  };
}

const FORBIDDEN: Result<never> = {
  ok: false,
  error: { code: 'forbidden', message: 'This page may not call the station. Only the station window itself can.' },
};

/** Answers `station:call` requests; returns the function that removes the handler. */
export function registerStationIpc(ipcMain: IpcMainLike, backend: StationBackend, isTrustedSender: SenderCheck, log: RouterLog = console): () => void {
  ipcMain.handle(STATION_CALL_CHANNEL, async (event, channel, args) => {
    const verdict = isTrustedSender(event);
    if (!verdict.trusted) {
      // Neither the channel nor the arguments are logged: they come from an untrusted page and may hold anything.
      log.warn(`Refused a station request because ${verdict.reason}.`);
      return FORBIDDEN;
    }
    return dispatch(backend, channel, args, (name, error) => log.error(`The station request ${name} failed unexpectedly.`, error));
  });
  return () => ipcMain.removeHandler(STATION_CALL_CHANNEL);
}

/**
 * Sends the backend's events to `webContents` until it is destroyed. Each event is re-parsed against the
 * contract, so a malformed one is dropped and members the contract does not name never reach the page.
 */
export function pushStationEvents(backend: StationBackend, webContents: WebContentsLike, log: RouterLog = console): () => void {
  const unsubscribe = backend.onEvent((event) => {
    const parsed = StationEventSchema.safeParse(event);
    if (!parsed.success) {
      log.warn(`Dropped a station event that does not match the contract (type ${String(JSON.stringify(typeOf(event))).slice(0, 60)}).`);
      return;
    }
    if (!webContents.isDestroyed()) webContents.send(STATION_EVENT_CHANNEL, parsed.data);
  });
  webContents.once('destroyed', unsubscribe);
  return unsubscribe;
}

function typeOf(event: unknown): unknown {
  return typeof event === 'object' && event !== null && 'type' in event ? event.type : undefined;
}
