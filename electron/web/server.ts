// Browser mode: one HTTP server on localhost that serves the built renderer and a WebSocket at /ws that
// carries the station contract. Only a page from this very origin that knows the session secret (from the
// link `keybench serve` printed) can drive the station; every request goes through `dispatch`, so the
// checks are the same as over Electron IPC.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import type { OneTimeDocuments } from '../core/station/printing/one-time-documents.js';
import { documentSessionCheck, handleDocumentRequest } from './documents-route.js';
import { z } from 'zod';
import { dispatch, StationEventSchema, type StationBackend, type StationEvent } from '../contract/index.js';
import { SessionSecret } from './session.js';
import { createStaticHandler, DEFAULT_RENDERER_DIR } from './static.js';

export const WEBSOCKET_PATH = '/ws';

/** Close codes the page reacts to (bridge-client.ts knows them by number). */
export const CLOSE_CODES = {
  /** The hello carried a wrong secret, or something else came first: the page must be reopened from a new link. */
  unauthorized: 4401,
  /** No hello arrived in time. */
  helloTimeout: 4408,
  /** The page sent far more than the rate limit allows. */
  flooding: 1008,
  shuttingDown: 1001,
} as const;

export interface WebBridgeOptions {
  backend: StationBackend;
  /** Address to bind; 127.0.0.1 unless the caller deliberately exposes the station (and warns about it). */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  rendererDir?: string;
  /** Further exact origins allowed to open the WebSocket, e.g. `http://bench-3.local:8080` when exposed. */
  allowedOrigins?: readonly string[];
  helloTimeoutMs?: number;
  /** Largest accepted message; a CSV import is the biggest thing a page sends. */
  maxMessageBytes?: number;
  /** Token bucket per connection: `burst` messages at once, refilled at `perSecond`. */
  rate?: { burst: number; perSecond: number };
  /** Station requests one connection may have running at once. */
  maxInFlight?: number;
  maxConnections?: number;
  /** Handler failures that are not a StationRequestError, and backend events that break the contract. */
  onInternalError?: (where: string, error: unknown) => void;
  /** One-time documents (PIN mailers) the page downloads from /documents/<token>. */
  documents?: OneTimeDocuments;
}

export interface WebBridge {
  /** `http://127.0.0.1:PORT/`, without the secret: safe to print and log. */
  readonly url: string;
  /** The link to open: `url` plus `#session=<secret>`. Show it to the technician; never log it. */
  readonly sessionUrl: string;
  close(): Promise<void>;
}

const DEFAULTS = {
  host: '127.0.0.1',
  port: 0,
  helloTimeoutMs: 5_000,
  maxMessageBytes: 25 * 1024 * 1024,
  rate: { burst: 200, perSecond: 100 },
  maxInFlight: 32,
  maxConnections: 32,
};

/** A connection that stops reading while events keep coming is dropped once this much is queued for it. */
const MAX_BUFFERED_BYTES = 32 * 1024 * 1024;
/** How long `close()` waits for pages to answer the close handshake before cutting them off. */
const CLOSE_GRACE_MS = 1_000;

const RequestIdSchema = z.union([z.string().min(1).max(128), z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)]);
const HelloSchema = z.object({ type: z.literal('hello'), session: z.string() });
// channel and args are left to `dispatch`, which checks them exactly as the Electron IPC router does.
const CallEnvelopeSchema = z.object({ type: z.literal('call'), id: RequestIdSchema, channel: z.unknown(), args: z.unknown() });

type RequestId = z.infer<typeof RequestIdSchema>;

export async function startWebBridge(options: WebBridgeOptions): Promise<WebBridge> {
  const settings = {
    host: options.host ?? DEFAULTS.host,
    port: options.port ?? DEFAULTS.port,
    helloTimeoutMs: options.helloTimeoutMs ?? DEFAULTS.helloTimeoutMs,
    maxMessageBytes: options.maxMessageBytes ?? DEFAULTS.maxMessageBytes,
    rate: options.rate ?? DEFAULTS.rate,
    maxInFlight: options.maxInFlight ?? DEFAULTS.maxInFlight,
    maxConnections: options.maxConnections ?? DEFAULTS.maxConnections,
  };
  const reportInternal =
    options.onInternalError ?? ((where: string, error: unknown) => console.error(`keybench serve: ${where} failed:`, error));
  const secret = SessionSecret.generate();
  const documentSessionOk = documentSessionCheck(secret);
  const serveStatic = createStaticHandler(options.rendererDir ?? DEFAULT_RENDERER_DIR);

  const server = createServer((request, response) => {
    if (options.documents && handleDocumentRequest(request, response, options.documents, documentSessionOk)) return;
    serveStatic(request, response).catch((error: unknown) => {
      reportInternal('serving a file', error);
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: settings.maxMessageBytes, perMessageDeflate: false });
  const connections = new Set<Connection>();

  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(settings.port, settings.host, () => {
      server.off('error', rejectListen);
      resolveListen();
    });
  });
  const url = `http://${urlHost(settings.host)}:${(server.address() as AddressInfo).port}/`;
  const allowedOrigins = new Set([new URL(url).origin, ...(options.allowedOrigins ?? []).map((o) => new URL(o).origin)]);

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const path = (request.url ?? '').split('?', 1)[0];
    if (path !== WEBSOCKET_PATH) return refuseUpgrade(socket, 404, 'Not Found');
    // Browsers always send Origin on a WebSocket; no other site may reach the station through the user's browser.
    const origin = request.headers.origin;
    if (origin === undefined || !allowedOrigins.has(origin)) return refuseUpgrade(socket, 403, 'Forbidden');
    if (connections.size >= settings.maxConnections) return refuseUpgrade(socket, 503, 'Service Unavailable');
    wss.handleUpgrade(request, socket, head, (ws) => {
      const connection = new Connection(ws, {
        secret,
        backend: options.backend,
        helloTimeoutMs: settings.helloTimeoutMs,
        rate: settings.rate,
        maxInFlight: settings.maxInFlight,
        reportInternal,
      });
      connections.add(connection);
      ws.once('close', () => connections.delete(connection));
    });
  });

  const unsubscribe = options.backend.onEvent((event: StationEvent) => {
    const parsed = StationEventSchema.safeParse(event);
    if (!parsed.success) {
      reportInternal(`station event ${JSON.stringify(String((event as { type?: unknown } | null)?.type)).slice(0, 40)}`, parsed.error);
      return;
    }
    const frame = JSON.stringify({ type: 'event', event: parsed.data });
    for (const connection of connections) connection.sendEvent(frame);
  });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      unsubscribe();
      const closed = [...connections].map((c) => c.close(CLOSE_CODES.shuttingDown, 'The station is shutting down.'));
      await Promise.race([Promise.all(closed), delay(CLOSE_GRACE_MS)]);
      for (const connection of connections) connection.terminate();
      await new Promise<void>((done) => wss.close(() => done()));
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    })());

  return { url, sessionUrl: secret.linkFrom(url), close };
}

interface ConnectionContext {
  secret: SessionSecret;
  backend: StationBackend;
  helloTimeoutMs: number;
  rate: { burst: number; perSecond: number };
  maxInFlight: number;
  reportInternal: (where: string, error: unknown) => void;
}

/** One browser tab: unauthenticated until its hello, then a stream of calls answered in any order. */
class Connection {
  #authenticated = false;
  #helloTimer: NodeJS.Timeout | undefined;
  #inFlight = 0;
  #tokens: number;
  #refilledAt = Date.now();

  constructor(
    private readonly ws: WebSocket,
    private readonly context: ConnectionContext,
  ) {
    this.#tokens = context.rate.burst;
    this.#helloTimer = setTimeout(() => ws.close(CLOSE_CODES.helloTimeout, 'No hello in time.'), context.helloTimeoutMs);
    ws.on('message', (data, isBinary) => this.#receive(data, isBinary));
    ws.on('error', () => ws.terminate());
    ws.once('close', () => clearTimeout(this.#helloTimer));
  }

  sendEvent(frame: string): void {
    if (this.#authenticated) this.#send(frame);
  }

  close(code: number, reason: string): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((done) => {
      this.ws.once('close', () => done());
      this.ws.close(code, reason);
    });
  }

  terminate(): void {
    this.ws.terminate();
  }

  #receive(data: RawData, isBinary: boolean): void {
    if (!this.#authenticated) {
      this.#hello(isBinary ? undefined : parseJson(data));
      return;
    }
    const allowance = this.#takeToken();
    if (allowance === 'cut-off') {
      this.ws.close(CLOSE_CODES.flooding, 'Too many messages.');
      return;
    }
    const message = isBinary ? undefined : parseJson(data);
    const envelope = CallEnvelopeSchema.safeParse(message);
    if (!envelope.success) {
      this.#sendError(isBinary ? 'Binary messages are not part of the station protocol; send JSON text.' : 'Expected {"type":"call","id":…,"channel":…,"args":…}.');
      return;
    }
    if (allowance === 'limited') {
      this.#sendResult(envelope.data.id, { ok: false, error: { code: 'unavailable', message: 'Too many requests from this page; slow down and try again.' } });
      return;
    }
    void this.#call(envelope.data.id, envelope.data.channel, envelope.data.args);
  }

  #hello(message: unknown): void {
    clearTimeout(this.#helloTimer);
    const hello = HelloSchema.safeParse(message);
    if (!hello.success || !this.context.secret.matches(hello.data.session)) {
      this.ws.close(CLOSE_CODES.unauthorized, 'Unknown session. Open the link keybench serve printed.');
      return;
    }
    this.#authenticated = true;
    this.#send(JSON.stringify({ type: 'ready' }));
  }

  async #call(id: RequestId, channel: unknown, args: unknown): Promise<void> {
    if (this.#inFlight >= this.context.maxInFlight) {
      this.#sendResult(id, { ok: false, error: { code: 'unavailable', message: 'The station is still busy with earlier requests from this page; try again.' } });
      return;
    }
    this.#inFlight += 1;
    try {
      const result = await dispatch(this.context.backend, channel, args, (name, error) => this.context.reportInternal(`station request ${name}`, error));
      this.#sendResult(id, result);
    } finally {
      this.#inFlight -= 1;
    }
  }

  /** Refills the bucket for the time passed; a page far over the limit is cut off rather than answered. */
  #takeToken(): 'ok' | 'limited' | 'cut-off' {
    const now = Date.now();
    const { burst, perSecond } = this.context.rate;
    this.#tokens = Math.min(burst, this.#tokens + ((now - this.#refilledAt) / 1000) * perSecond) - 1;
    this.#refilledAt = now;
    if (this.#tokens >= 0) return 'ok';
    return this.#tokens < -burst ? 'cut-off' : 'limited';
  }

  #sendResult(id: RequestId, result: unknown): void {
    this.#send(JSON.stringify({ type: 'result', id, result }));
  }

  #sendError(message: string): void {
    this.#send(JSON.stringify({ type: 'error', error: { code: 'bad-request', message } }));
  }

  #send(frame: string): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.ws.terminate();
      return;
    }
    this.ws.send(frame);
  }
}

function parseJson(data: RawData): unknown {
  const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(new Uint8Array(data));
  const text = bytes.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

function delay(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms).unref());
}
