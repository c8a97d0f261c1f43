// Test side of the bridge: a `ws` client that behaves like a browser tab (it sends the Origin header the
// page would), collects what the server sends, and raw HTTP requests that fetch() would normalise away.
import { request } from 'node:http';
import { WebSocket } from 'ws';

export interface TabOptions {
  origin?: string;
  path?: string;
}

export interface Tab {
  readonly socket: WebSocket;
  /** Resolves with the next message from the server (parsed JSON), in order. */
  next(): Promise<Record<string, unknown>>;
  send(value: unknown): void;
  /** Resolves with the close code once the server closes the socket. */
  readonly closed: Promise<number>;
  /** Messages received and not yet taken with next(). */
  readonly unread: Record<string, unknown>[];
}

export function secretOf(sessionUrl: string): string {
  return new URL(sessionUrl).hash.replace(/^#session=/, '');
}

export function originOf(url: string): string {
  return new URL(url).origin;
}

export function wsUrlOf(url: string, path = '/ws'): string {
  return `${url.replace(/^http/, 'ws').replace(/\/$/, '')}${path}`;
}

/** Opens a socket; rejects with the HTTP status if the upgrade is refused. */
export function openTab(url: string, options: TabOptions = {}): Promise<Tab> {
  const socket = new WebSocket(wsUrlOf(url, options.path), { origin: options.origin ?? originOf(url) });
  const unread: Record<string, unknown>[] = [];
  const waiting: ((message: Record<string, unknown>) => void)[] = [];
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as Record<string, unknown>;
    const waiter = waiting.shift();
    if (waiter) waiter(message);
    else unread.push(message);
  });
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    socket.once('open', () =>
      resolve({
        socket,
        unread,
        closed,
        next: () => {
          const message = unread.shift();
          return message ? Promise.resolve(message) : new Promise((r) => waiting.push(r));
        },
        send: (value) => socket.send(typeof value === 'string' ? value : JSON.stringify(value)),
      }),
    );
    socket.once('unexpected-response', (_request, response) => {
      reject(new Error(`upgrade refused: ${response.statusCode}`));
      socket.terminate();
    });
    socket.once('error', reject);
  });
}

/** Opens a tab and completes the hello; resolves once the server said it is ready. */
export async function signIn(bridge: { url: string; sessionUrl: string }): Promise<Tab> {
  const tab = await openTab(bridge.url);
  tab.send({ type: 'hello', session: secretOf(bridge.sessionUrl) });
  const ready = await tab.next();
  if (ready.type !== 'ready') throw new Error(`expected ready, got ${JSON.stringify(ready)}`);
  return tab;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** An HTTP request whose path goes on the wire exactly as written. */
export function rawRequest(url: string, path: string, method = 'GET'): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}
