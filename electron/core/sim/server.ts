// The HTTP front of the simulator: routing, and around every API call the things a real Okta org does
// to it — concurrency ceiling, per-minute budget, injected faults, latency, authentication and scopes —
// then Okta's headers on every response and, optionally, a recording of the exchange.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Authorizer } from './auth.js';
import type { CallInfo, SimContext } from './context.js';
import { PREREGISTRATION_ENDPOINTS, REQUIRED_SCOPE } from './endpoints.js';
import type { Endpoint } from './endpoints.js';
import { OktaApiError, featureNotEnabled, internalError, malformedBody, methodNotAllowed, notFound, rateLimited } from './errors.js';
import type { FaultInjector, PreflightFaults } from './faults.js';
import type { ConcurrencyGate, RateWindow, RequestBudget } from './limits.js';
import { TOKEN_PATH } from './oauth.js';
import type { OAuthServer } from './oauth.js';
import { randomId } from './random.js';
import type { Recorder } from './record.js';
import { jsonReply, textReply } from './reply.js';
import type { SimReply } from './reply.js';
import { API_ROUTES, matchRoute } from './routes.js';
import type { RouteSettings } from './routes.js';

const MAX_BODY_BYTES = 1024 * 1024;

export interface ServerParts {
  readonly ctx: SimContext;
  readonly settings: RouteSettings;
  readonly authorizer: Authorizer;
  readonly oauth: OAuthServer;
  readonly budget: RequestBudget;
  readonly gate: ConcurrencyGate;
  readonly faults: FaultInjector;
  readonly preflight: PreflightFaults;
  readonly latencyMs: number;
  readonly recorder: Recorder | undefined;
  readonly onError: (error: unknown) => void;
}

class DroppedConnection extends Error {}

export function createSimServer(parts: ServerParts): Server {
  return createServer((req, res) => {
    void handle(parts, req, res);
  });
}

async function handle(parts: ServerParts, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = Date.now();
  const { ctx } = parts;
  const requestId = randomId(ctx.rng, '', 27);
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', ctx.baseUrl);
  let requestBody = '';
  let window: RateWindow | undefined;
  let fault: string | undefined;
  let reply: SimReply;
  try {
    requestBody = await readBody(req);
    const outcome = await dispatch(parts, req, method, url, requestBody, requestId);
    reply = outcome.reply;
    window = outcome.window;
    fault = outcome.fault;
  } catch (error) {
    if (error instanceof DroppedConnection) {
      req.socket.destroy();
      record(parts, { requestId, method, url, req, requestBody, started, status: 0, headers: {}, body: '', fault: error.message });
      return;
    }
    reply = errorReply(parts, error);
  }
  const skew = parts.preflight.clockSkewMs;
  const date: Record<string, string> = skew === undefined ? {} : { Date: new Date(ctx.now() + skew).toUTCString() };
  const headers = { ...reply.headers, ...oktaHeaders(requestId, window ?? parts.budget.current()), ...date };
  res.writeHead(reply.status, { ...headers, 'Content-Length': String(Buffer.byteLength(reply.body)) });
  res.end(reply.body);
  record(parts, { requestId, method, url, req, requestBody, started, status: reply.status, headers, body: reply.body, fault });
}

interface Outcome {
  readonly reply: SimReply;
  readonly window?: RateWindow;
  readonly fault?: string;
}

async function dispatch(parts: ServerParts, req: IncomingMessage, method: string, url: URL, body: string, requestId: string): Promise<Outcome> {
  const { ctx } = parts;
  if (method === 'GET' && (url.pathname === '/outbox' || url.pathname === '/outbox/')) {
    return { reply: textReply(200, 'text/html; charset=utf-8', ctx.outbox.html()) };
  }
  const mailFile = /^\/outbox\/([^/]+\.eml)$/.exec(url.pathname)?.[1];
  if (method === 'GET' && mailFile !== undefined) {
    const mail = await ctx.outbox.read(decodeURIComponent(mailFile));
    if (mail === undefined) throw notFound(mailFile, 'Mail');
    return { reply: textReply(200, 'message/rfc822', mail) };
  }

  const isToken = url.pathname === TOKEN_PATH;
  const match = isToken ? undefined : matchRoute(API_ROUTES, method, url.pathname);
  if (!isToken && match === undefined) throw notFound(url.pathname, 'Path');
  if (isToken && method !== 'POST') throw methodNotAllowed();
  if (match !== undefined && !match.methodMatches) throw methodNotAllowed();
  const route = match === undefined ? undefined : API_ROUTES[match.index];
  const endpoint: Endpoint = route?.endpoint ?? 'token';
  ctx.state.countCall(endpoint);

  if (!parts.gate.tryEnter()) {
    const estimate: RateWindow = { limit: 0, remaining: 0, resetEpochSeconds: Math.ceil(ctx.now() / 1000) + 1 };
    return { reply: errorReply(parts, rateLimited()), window: estimate };
  }
  try {
    const { allowed, window } = parts.budget.take();
    if (!allowed) return { reply: errorReply(parts, rateLimited()), window };

    const decision = parts.faults.decide(endpoint);
    if (decision.kind === 'drop' && decision.phase === 'before') throw new DroppedConnection('dropped before handling');
    if (decision.kind === 'error') {
      return { reply: errorReply(parts, internalError(decision.status)), window, fault: `error ${decision.status}` };
    }
    if (parts.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, parts.latencyMs));

    const tokenUrl = `${ctx.baseUrl}${TOKEN_PATH}`;
    let reply: SimReply;
    if (route === undefined) {
      reply = await parts.oauth.token(new URLSearchParams(body), header(req, 'dpop'), tokenUrl);
    } else {
      const actor = await parts.authorizer.authorize({
        authorization: header(req, 'authorization'),
        dpop: header(req, 'dpop'),
        method,
        url: `http://${req.headers.host ?? new URL(ctx.baseUrl).host}${url.pathname}`,
      }, REQUIRED_SCOPE[route.endpoint]);
      if (parts.preflight.preregistrationDisabled === true && PREREGISTRATION_ENDPOINTS.has(route.endpoint)) throw featureNotEnabled();
      const call: CallInfo = {
        requestId,
        userAgent: header(req, 'user-agent') ?? '',
        remoteAddress: req.socket.remoteAddress ?? '127.0.0.1',
        actor,
        query: url.searchParams,
      };
      reply = await route.handle(ctx, match?.params ?? [], route.jsonBody ? parseJson(body) : undefined, call, parts.settings);
    }
    if (decision.kind === 'drop') throw new DroppedConnection('dropped after handling');
    return { reply, window };
  } finally {
    parts.gate.leave();
  }
}

function parseJson(body: string): unknown {
  if (body.trim() === '') throw malformedBody();
  try {
    return JSON.parse(body);
  } catch {
    throw malformedBody();
  }
}

function errorReply(parts: ServerParts, error: unknown): SimReply {
  if (error instanceof OktaApiError) {
    return jsonReply(error.status, error.body(randomId(parts.ctx.rng, 'oae', 25)), { ...error.headers });
  }
  parts.onError(error);
  const internal = internalError(500);
  return jsonReply(500, internal.body(randomId(parts.ctx.rng, 'oae', 25)));
}

function oktaHeaders(requestId: string, window: RateWindow): Record<string, string> {
  return {
    'X-Okta-Request-Id': requestId,
    'X-Rate-Limit-Limit': String(window.limit),
    'X-Rate-Limit-Remaining': String(window.remaining),
    'X-Rate-Limit-Reset': String(window.resetEpochSeconds),
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(malformedBody());
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

interface RecordInput {
  readonly requestId: string;
  readonly method: string;
  readonly url: URL;
  readonly req: IncomingMessage;
  readonly requestBody: string;
  readonly started: number;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly fault: string | undefined;
}

function record(parts: ServerParts, r: RecordInput): void {
  parts.recorder?.append({
    time: new Date(r.started).toISOString(),
    requestId: r.requestId,
    method: r.method,
    path: `${r.url.pathname}${r.url.search}`,
    requestHeaders: r.req.headers,
    requestBody: r.requestBody,
    status: r.status,
    responseHeaders: r.headers,
    responseBody: r.body,
    durationMs: Date.now() - r.started,
    ...(r.fault === undefined ? {} : { fault: r.fault }),
  });
}
