// window.station for browser mode: the station contract over the WebSocket of `keybench serve`. The page
// proves itself with the session secret from its link (`#session=…`, kept in sessionStorage so a reload
// works, wiped from the address bar), survives the station going away (pending calls fail, the socket
// reconnects with backoff, and a fresh snapshot is replayed as an event), and never throws into the page.
import './zod-without-eval.js';
import {
  CHANNELS,
  ErrorCodeSchema,
  isChannel,
  StationEventSchema,
  type Channel,
  type ChannelArgs,
  type ChannelResult,
  type ErrorCode,
  type Result,
  type StationApi,
  type StationEvent,
} from '../../../electron/contract/index.js';

/**
 * - `connecting`: opening the socket or waiting for the station to accept the session.
 * - `connected`: calls go through and events arrive.
 * - `disconnected`: the station went away; retrying with backoff.
 * - `unauthorized`: no session, or the station refused it (it was restarted); only a new link helps.
 * - `closed`: `close()` was called.
 */
export type ConnectionState = 'connecting' | 'connected' | 'disconnected' | 'unauthorized' | 'closed';

/** The contract plus what a browser page needs to show the connection and to let go of it. */
export interface StationConnection extends StationApi {
  /** Calls the listener with the current state now and on every change; returns the unsubscribe function. */
  onConnection(listener: (state: ConnectionState) => void): () => void;
  close(): void;
}

export interface SocketHandlers {
  open(): void;
  message(data: unknown): void;
  close(code: number): void;
}

export interface BridgeSocket {
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** Opens a socket and reports its life to the handlers; the browser's WebSocket unless a test provides one. */
export type SocketFactory = (url: string, handlers: SocketHandlers) => BridgeSocket;

export interface ConnectStationOptions {
  /** Default: `ws(s)://<this page's host>/ws`. */
  url?: string;
  /** Default: from `#session=` in the address bar, else from sessionStorage. */
  session?: string;
  openSocket?: SocketFactory;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

/** Must match electron/web/server.ts. */
const UNAUTHORIZED_CLOSE_CODE = 4401;
const SESSION_STORAGE_KEY = 'keybench.session';
const SESSION_PARAM = 'session';

const LOST_CONNECTION = 'Lost the connection to the station. It reconnects by itself; try again in a moment.';
const NO_SESSION = 'This page has no valid station session. Open the link that `keybench serve` printed (the station may have restarted).';

interface PendingCall {
  channel: Channel;
  frame: string;
  sent: boolean;
  resolve(result: Result<unknown>): void;
}

const openBrowserSocket: SocketFactory = (url, handlers) => {
  const socket = new WebSocket(url);
  socket.onopen = () => handlers.open();
  socket.onmessage = (event) => handlers.message(event.data);
  socket.onclose = (event) => handlers.close(event.code);
  return { send: (data) => socket.send(data), close: (code, reason) => socket.close(code, reason) };
};

export function connectStation(options: ConnectStationOptions = {}): StationConnection {
  const minBackoff = options.minBackoffMs ?? 250;
  const maxBackoff = options.maxBackoffMs ?? 5_000;
  const openSocket = options.openSocket ?? openBrowserSocket;
  const session = options.session ?? takeSessionFromPage();
  const url = options.url ?? defaultSocketUrl();

  const eventListeners = new Set<(event: StationEvent) => void>();
  const connectionListeners = new Set<(state: ConnectionState) => void>();
  const pending = new Map<number, PendingCall>();
  let nextId = 1;
  let state: ConnectionState = 'connecting';
  let socket: BridgeSocket | undefined;
  let ready = false;
  let wasConnected = false;
  let backoff = minBackoff;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  function setState(next: ConnectionState): void {
    if (state === next) return;
    state = next;
    for (const listener of connectionListeners) notify(listener, next);
  }

  function failPending(code: ErrorCode, message: string): void {
    const calls = [...pending.values()];
    pending.clear();
    for (const call of calls) call.resolve(failure(code, message));
  }

  function connect(): void {
    retryTimer = undefined;
    if (!session) {
      setState('unauthorized');
      failPending('forbidden', NO_SESSION);
      return;
    }
    setState('connecting');
    ready = false;
    let current: BridgeSocket | undefined;
    const isCurrent = () => current !== undefined && socket === current;
    try {
      current = openSocket(url, {
        open: () => {
          if (isCurrent()) current?.send(JSON.stringify({ type: 'hello', session }));
        },
        message: (data) => {
          if (isCurrent()) receive(data);
        },
        close: (code) => {
          if (isCurrent()) dropped(code);
        },
      });
      socket = current;
    } catch {
      socket = undefined;
      dropped(0);
    }
  }

  function dropped(code: number): void {
    socket = undefined;
    ready = false;
    if (state === 'closed') return;
    if (code === UNAUTHORIZED_CLOSE_CODE) {
      forgetStoredSession();
      setState('unauthorized');
      failPending('forbidden', NO_SESSION);
      return;
    }
    failPending('unavailable', LOST_CONNECTION);
    setState('disconnected');
    retryTimer = setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, maxBackoff);
  }

  function receive(data: unknown): void {
    const message = parseObject(data);
    if (!message) return;
    switch (message.type) {
      case 'ready':
        ready = true;
        backoff = minBackoff;
        setState('connected');
        for (const call of pending.values()) sendPending(call);
        // Events sent while the socket was down are lost; a snapshot puts the page back in step.
        if (wasConnected) void replaySnapshot();
        wasConnected = true;
        return;
      case 'result':
        settle(message.id, message.result);
        return;
      case 'event': {
        const event = StationEventSchema.safeParse(message.event);
        if (event.success) emit(event.data);
        return;
      }
      default:
        return;
    }
  }

  function sendPending(call: PendingCall): void {
    if (call.sent || !ready || !socket) return;
    call.sent = true;
    socket.send(call.frame);
  }

  function settle(id: unknown, raw: unknown): void {
    if (typeof id !== 'number') return;
    const call = pending.get(id);
    if (!call) return;
    pending.delete(id);
    call.resolve(parseAnswer(call.channel, raw));
  }

  function emit(event: StationEvent): void {
    for (const listener of eventListeners) notify(listener, event);
  }

  async function replaySnapshot(): Promise<void> {
    if (eventListeners.size === 0) return;
    const result = await call('station.snapshot', {});
    if (result.ok) emit({ type: 'snapshot', snapshot: result.data });
  }

  function call<C extends Channel>(channel: C, args: ChannelArgs<C>): Promise<Result<ChannelResult<C>>> {
    if (!isChannel(channel)) {
      return Promise.resolve(failure('unknown-channel', `There is no station request called ${JSON.stringify(String(channel)).slice(0, 80)}.`));
    }
    if (state === 'unauthorized') return Promise.resolve(failure('forbidden', NO_SESSION));
    if (state === 'closed') return Promise.resolve(failure('unavailable', 'This page closed its connection to the station. Reload the page.'));
    const id = nextId++;
    let frame: string;
    try {
      frame = JSON.stringify({ type: 'call', id, channel, args });
    } catch {
      return Promise.resolve(failure('bad-request', `The request ${channel} could not be encoded.`));
    }
    return new Promise((resolve) => {
      // parseAnswer checked the data against CHANNELS[channel].result; TypeScript cannot tie that to C.
      const call: PendingCall = { channel, frame, sent: false, resolve: resolve as (result: Result<unknown>) => void };
      pending.set(id, call);
      try {
        sendPending(call);
      } catch {
        pending.delete(id);
        resolve(failure('unavailable', LOST_CONNECTION));
      }
    });
  }

  connect();

  return Object.freeze({
    call,
    onEvent(listener: (event: StationEvent) => void): () => void {
      eventListeners.add(listener);
      return () => {
        eventListeners.delete(listener);
      };
    },
    onConnection(listener: (state: ConnectionState) => void): () => void {
      connectionListeners.add(listener);
      notify(listener, state);
      return () => {
        connectionListeners.delete(listener);
      };
    },
    close(): void {
      if (state === 'closed') return;
      setState('closed');
      clearTimeout(retryTimer);
      const current = socket;
      socket = undefined;
      failPending('unavailable', 'This page closed its connection to the station. Reload the page.');
      try {
        current?.close(1000, 'Page closed the connection.');
      } catch {
        // Already closing: nothing left to release.
      }
    },
  });
}

function failure(code: ErrorCode, message: string): Result<never> {
  return { ok: false, error: { code, message } };
}

function parseAnswer(channel: Channel, raw: unknown): Result<unknown> {
  const malformed = failure('internal', `The station sent a malformed answer to ${channel}.`);
  if (!isRecord(raw)) return malformed;
  if (raw.ok === true) {
    const data = CHANNELS[channel].result.safeParse(raw.data);
    return data.success ? { ok: true, data: data.data } : malformed;
  }
  if (raw.ok === false && isRecord(raw.error)) {
    const code = ErrorCodeSchema.safeParse(raw.error.code);
    if (code.success && typeof raw.error.message === 'string') return failure(code.data, raw.error.message);
  }
  return malformed;
}

function parseObject(data: unknown): Record<string, unknown> | undefined {
  if (typeof data !== 'string') return undefined;
  try {
    const value: unknown = JSON.parse(data);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function notify<T>(listener: (value: T) => void, value: T): void {
  try {
    listener(value);
  } catch (error) {
    console.error('A station listener failed:', error);
  }
}

/** Moves the secret from the address bar into sessionStorage, so it is neither bookmarked nor shared by accident. */
function takeSessionFromPage(): string | undefined {
  if (typeof location === 'undefined') return undefined;
  const fragment = new URLSearchParams(location.hash.slice(1));
  const fromLink = fragment.get(SESSION_PARAM);
  if (fromLink) {
    try {
      sessionStorage.setItem(SESSION_STORAGE_KEY, fromLink);
    } catch {
      // Storage disabled: this load still works, a reload will need the link again.
    }
    fragment.delete(SESSION_PARAM);
    const rest = fragment.toString();
    history.replaceState(history.state, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
    return fromLink;
  }
  try {
    return sessionStorage.getItem(SESSION_STORAGE_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

function forgetStoredSession(): void {
  try {
    if (typeof sessionStorage !== 'undefined') sessionStorage.removeItem(SESSION_STORAGE_KEY);
  } catch {
    // Storage disabled: nothing was stored.
  }
}

function defaultSocketUrl(): string {
  if (typeof location === 'undefined') return 'ws://127.0.0.1/ws';
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
}
