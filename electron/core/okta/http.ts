// The one way the client talks to Okta: rate-limit slot, auth headers, deadline, bounded retries, and
// errors that keep the request id. Retries after a lost answer (timeout, reset connection, 5xx) happen only
// for requests the caller marked safe; a 429 is always retried because Okta rejected it before acting.
import type { AuthProvider } from './auth.js';
import { errorFromResponse, OktaError } from './errors.js';
import { OktaErrorBodySchema, type OktaErrorBody } from './models.js';
import { sleep, type RateLimiter } from './rate-limiter.js';

export interface FetchInit {
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly signal: AbortSignal;
}

/** `globalThis.fetch`, Electron's `net.fetch`, or a test double. */
export type FetchLike = (url: string, init: FetchInit) => Promise<Response>;

export interface WaitInfo {
  readonly reason: 'rate-limit' | 'retry';
  readonly waitMs: number;
  /** 1 for the first retry. */
  readonly attempt: number;
  readonly method: string;
  readonly path: string;
  readonly requestId: string | undefined;
  /** Ready for a status line, e.g. "Okta rate limit reached; retrying in 12 s". */
  readonly message: string;
}

export interface HttpContext {
  readonly origin: string;
  readonly fetch: FetchLike;
  readonly limiter: RateLimiter;
  readonly auth: AuthProvider;
  readonly timeoutMs: number;
  /** Retries after 5xx / network errors / timeouts, for requests marked retrySafe. */
  readonly maxRetries: number;
  /** Retries after 429. */
  readonly rateLimitRetries: number;
  readonly retryBaseMs: number;
  readonly onWait?: (info: WaitInfo) => void;
  /** One line per request: method, path, status, request id. Never headers or bodies. */
  readonly log?: (line: string) => void;
  readonly random?: () => number;
}

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

export interface OktaRequest {
  readonly method: HttpMethod;
  /** A path from the org origin, or a same-origin absolute URL (pagination links). */
  readonly target: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /** Whether repeating the request after a lost answer is harmless. */
  readonly retrySafe: boolean;
  /** For DELETE: a 404 on a retry means the attempt whose answer was lost already deleted it. */
  readonly goneMeansDone?: boolean;
  readonly signal?: AbortSignal;
}

export interface OktaResponse {
  readonly status: number;
  /** Parsed JSON, or undefined for an empty body. */
  readonly body: unknown;
  readonly headers: Headers;
  readonly requestId: string | undefined;
  readonly method: HttpMethod;
  readonly path: string;
}

const USER_AGENT = 'keybench okta-client';

export async function oktaRequest(ctx: HttpContext, req: OktaRequest): Promise<OktaResponse> {
  const url = resolveUrl(ctx.origin, req.target, req.query);
  const path = url.pathname;
  const describe = { method: req.method, path };
  let failures = 0;
  let rateLimited = 0;
  let authRecovered = false;
  let retryFor: string | undefined;
  let waitAnnounced = false;

  for (;;) {
    const held = ctx.limiter.holdRemainingMs();
    if (held > 0 && !waitAnnounced) ctx.onWait?.(waitInfo('rate-limit', held, rateLimited, describe, undefined));
    waitAnnounced = false;
    let release: () => void;
    try {
      release = await ctx.limiter.acquire(req.signal);
    } catch {
      throw cancelled(describe);
    }
    let exchange: Exchange;
    try {
      const auth = await ctx.auth.headersFor({ method: req.method, url: url.href, signal: req.signal });
      const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': USER_AGENT, ...auth };
      if (req.body !== undefined) headers['Content-Type'] = 'application/json';
      if (retryFor) {
        headers['X-Okta-Retry-For'] = retryFor;
        headers['X-Okta-Retry-Count'] = String(rateLimited);
      }
      const init = { method: req.method, headers, body: req.body === undefined ? undefined : JSON.stringify(req.body) };
      exchange = await fetchWithDeadline(ctx.fetch, url.href, init, { timeoutMs: ctx.timeoutMs, signal: req.signal, ...describe });
    } catch (error) {
      const failure = asOktaError(error, describe);
      if (failure.code !== 'cancelled' && isLostAnswer(failure) && req.retrySafe && failures < ctx.maxRetries) {
        failures++;
        ctx.log?.(`okta ${req.method} ${path} failed (${failure.code}); retry ${failures} of ${ctx.maxRetries}`);
        await backoff(ctx, failures, describe, undefined, req.signal);
        continue;
      }
      throw failure;
    } finally {
      release();
    }

    const { response, text } = exchange;
    const requestId = response.headers.get('x-okta-request-id') ?? undefined;
    const rate = ctx.limiter.observe(response.headers);
    ctx.log?.(`okta ${req.method} ${path} → ${response.status}${requestId ? ` (request id ${requestId})` : ''}`);

    if (response.ok) {
      return { status: response.status, body: parseJsonBody(text, { ...describe, requestId }), headers: response.headers, requestId, method: req.method, path };
    }
    if (response.status === 429 && rateLimited < ctx.rateLimitRetries) {
      rateLimited++;
      retryFor = requestId ?? retryFor;
      const fallback = Date.now() + ctx.retryBaseMs * 2 ** rateLimited;
      const waitMs = ctx.limiter.holdUntil(rate.resetAtMs ?? fallback);
      ctx.onWait?.(waitInfo('rate-limit', waitMs, rateLimited, describe, requestId));
      waitAnnounced = true;
      continue;
    }
    if (response.status === 401 && !authRecovered && ctx.auth.recover(response)) {
      authRecovered = true;
      continue;
    }
    if (response.status >= 500 && req.retrySafe && failures < ctx.maxRetries) {
      failures++;
      await backoff(ctx, failures, describe, requestId, req.signal);
      continue;
    }
    if (response.status === 404 && req.goneMeansDone && failures > 0) {
      return { status: 204, body: undefined, headers: response.headers, requestId, method: req.method, path };
    }
    const body = parseErrorBody(text, ctx.auth);
    throw errorFromResponse({ status: response.status, method: req.method, path, requestId, authKind: ctx.auth.kind }, body);
  }
}

/** Whether the request may or may not have been carried out: the answer was lost or Okta failed mid-way. */
export function isLostAnswer(error: OktaError): boolean {
  return error.code === 'timeout' || error.code === 'network' || error.code === 'server';
}

export interface Exchange {
  readonly response: Response;
  readonly text: string;
}

export interface DeadlineOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly method: string;
  readonly path: string;
}

/** One fetch, body included, under a deadline; failures become OktaError timeout / network / cancelled. */
export async function fetchWithDeadline(
  fetch: FetchLike,
  url: string,
  init: Omit<FetchInit, 'signal'>,
  options: DeadlineOptions,
): Promise<Exchange> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([deadline.signal, options.signal]) : deadline.signal;
  const describe = { method: options.method, path: options.path };
  try {
    const response = await fetch(url, { ...init, signal });
    const text = await response.text();
    return { response, text };
  } catch (error) {
    if (options.signal?.aborted) throw cancelled(describe);
    if (deadline.signal.aborted) {
      throw new OktaError({
        code: 'timeout',
        ...describe,
        summary: `Okta did not answer within ${Math.round(options.timeoutMs / 1000)} s`,
        hint: 'Check the network connection; if Okta is slow, try again in a minute.',
        retryable: true,
      });
    }
    throw new OktaError({
      code: 'network',
      ...describe,
      summary: `Could not reach Okta (${networkReason(error)})`,
      hint: 'Check the network connection, proxy settings and the org URL.',
      retryable: true,
    });
  } finally {
    clearTimeout(timer);
  }
}

/** The `rel="next"` target of a Link header, if any. */
export function nextLink(headers: Headers): string | undefined {
  const value = headers.get('link');
  if (!value) return undefined;
  for (const match of value.matchAll(/<([^>]*)>\s*;\s*rel="?([^";,]*)"?/g)) {
    if (match[2]?.split(/\s+/).includes('next')) return match[1];
  }
  return undefined;
}

function resolveUrl(origin: string, target: string, query: Readonly<Record<string, string>> | undefined): URL {
  const url = new URL(target, origin);
  if (url.origin !== origin) {
    throw new OktaError({
      code: 'bad-response',
      summary: `Okta pointed the client at another host (${url.host})`,
      hint: 'The station only talks to the configured org; check the org URL.',
      retryable: false,
    });
  }
  if (query) {
    // encodeURIComponent, not URLSearchParams: Okta filters need %20, and '+' would be a literal plus.
    const extra = Object.entries(query).map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`);
    url.search = [url.search.replace(/^\?/, ''), ...extra].filter(Boolean).join('&');
  }
  return url;
}

function parseJsonBody(text: string, where: { method: string; path: string; requestId: string | undefined }): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new OktaError({
      code: 'bad-response',
      ...where,
      summary: 'Okta answered with something that is not JSON',
      hint: 'Check that the org URL points to Okta (not a proxy or login page).',
      retryable: false,
    });
  }
}

function parseErrorBody(text: string, auth: AuthProvider): OktaErrorBody | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = OktaErrorBodySchema.safeParse(json);
  if (!parsed.success) return undefined;
  // Okta's text goes into messages; make sure nothing echoed back can leak a credential.
  return {
    ...parsed.data,
    errorSummary: parsed.data.errorSummary === undefined ? undefined : auth.redact(parsed.data.errorSummary),
    errorCauses: parsed.data.errorCauses.map((cause) => auth.redact(cause)),
  };
}

function asOktaError(error: unknown, describe: { method: string; path: string }): OktaError {
  if (error instanceof OktaError) return error;
  return new OktaError({
    code: 'auth',
    ...describe,
    summary: 'Could not prepare the request credentials',
    hint: 'Check the Okta credentials in Settings.',
    retryable: false,
  });
}

function cancelled(describe: { method: string; path: string }): OktaError {
  return new OktaError({ code: 'cancelled', ...describe, summary: 'The request was cancelled', hint: 'Start the step again when ready.', retryable: true });
}

function networkReason(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string') return cause.code;
  return error instanceof Error ? error.name : 'unknown error';
}

async function backoff(ctx: HttpContext, failures: number, describe: { method: string; path: string }, requestId: string | undefined, signal?: AbortSignal): Promise<void> {
  const random = ctx.random ?? Math.random;
  const waitMs = Math.min(ctx.retryBaseMs * 2 ** (failures - 1), 8_000) + Math.floor(random() * ctx.retryBaseMs);
  ctx.onWait?.(waitInfo('retry', waitMs, failures, describe, requestId));
  try {
    await sleep(waitMs, signal);
  } catch {
    throw cancelled(describe);
  }
}

function waitInfo(reason: WaitInfo['reason'], waitMs: number, attempt: number, describe: { method: string; path: string }, requestId: string | undefined): WaitInfo {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  const message = reason === 'rate-limit'
    ? `Okta rate limit reached; retrying in ${seconds} s`
    : `Okta did not answer properly; retrying in ${seconds} s`;
  return { reason, waitMs, attempt, ...describe, requestId, message };
}
