// OktaClient: the seven WebAuthn Preregistration endpoints (okta-prereg §3), user lookup and the System
// Log feed of pending orders. Request bodies are built field by field (never spread from caller objects)
// so nothing unexpected — above all private key members — can reach Okta. `enroll` and `activate` are not
// idempotent: after a lost answer they look at the user's enrollments before anything is repeated.
import type { JWK } from 'jose';
import { z } from 'zod';
import { OAuthClientCredentialsAuth, SswsAuth, type AuthProvider, type DpopMode } from './auth.js';
import { OktaError, type AuthKind } from './errors.js';
import { fetchWithDeadline, isLostAnswer, nextLink, oktaRequest, type FetchLike, type HttpContext, type OktaRequest, type OktaResponse, type WaitInfo } from './http.js';
import {
  ActivateResponseSchema,
  EcKeyJwkSchema,
  EnrollResponseSchema,
  FULFILLMENT_PROVIDER,
  LogEventListSchema,
  OktaUserSchema,
  PreregistrationFactorListSchema,
  type ActivateResponse,
  type EcKeyJwk,
  type EnrollResponse,
  type LogEvent,
  type OktaUser,
  type PreregistrationFactor,
} from './models.js';
import { parseOrgUrl, parseRpId, type OktaOrg } from './org.js';
import { RateLimiter, sleep } from './rate-limiter.js';

export type OktaCredentials =
  | { readonly kind: 'ssws'; readonly token: string }
  | {
      readonly kind: 'oauth';
      readonly clientId: string;
      readonly privateJwk: JWK;
      readonly scopes?: readonly string[];
      readonly dpop?: DpopMode;
    };

export interface OktaClientOptions {
  /** https://myorg.okta.com (http:// only for loopback, i.e. the simulator). */
  readonly orgUrl: string;
  readonly credentials: OktaCredentials;
  readonly fetch?: FetchLike;
  /** Deadline per HTTP attempt (default 30 s). */
  readonly timeoutMs?: number;
  /** Retries of safe requests after 5xx / network errors / timeouts (default 3). */
  readonly maxRetries?: number;
  /** First backoff step for those retries (default 500 ms, doubling). */
  readonly retryBaseMs?: number;
  /** Defaults to the limiter shared by all clients of the same org. */
  readonly limiter?: RateLimiter;
  /** RP IDs registered on each key (default: the org's host name). */
  readonly enrollmentRpIds?: readonly string[];
  /** Told whenever a call waits (rate limit or retry backoff), for a status line on the tile. */
  readonly onWait?: (info: WaitInfo) => void;
  readonly log?: (line: string) => void;
}

export interface CallOptions {
  readonly signal?: AbortSignal;
}

export interface EnrollInput extends CallOptions {
  readonly userId: string;
  readonly enrollmentRpIds?: readonly string[];
  /** The P-384 `enc` public key Okta encrypts the requests to. */
  readonly transportKey: EcKeyJwk;
}

export interface CredResponseInput {
  readonly authenticatorEnrollmentId: string;
  readonly credResponseJwe: string;
}

export interface ActivateInput extends CallOptions {
  readonly userId: string;
  readonly serial: string;
  readonly version: string;
  readonly pinResponseJwe: string;
  readonly credResponses: readonly CredResponseInput[];
  /** P-384 `sig` public keys that verify the JWS inside each response. */
  readonly signingJwks: readonly EcKeyJwk[];
}

export interface SendPinInput extends CallOptions {
  readonly userId: string;
  readonly authenticatorEnrollmentId: string;
}

export interface FulfillmentOrderDetails {
  readonly productId: string;
  readonly customizationId: string;
  readonly inventoryProductId: string;
}

export interface InitiateFulfillmentInput extends CallOptions {
  readonly userId: string;
  readonly fulfillmentData: readonly FulfillmentOrderDetails[];
}

export interface PendingOrder {
  /** System Log event uuid: one order per event. */
  readonly eventId: string;
  readonly published: string;
  readonly userId: string;
  readonly userLogin: string | undefined;
  readonly userDisplayName: string | undefined;
  readonly debugData: Readonly<Record<string, unknown>>;
}

export interface PendingOrders {
  readonly orders: readonly PendingOrder[];
  /** False when the page limit stopped the walk before Okta's last page. */
  readonly complete: boolean;
}

export interface ListPendingOrdersOptions extends CallOptions {
  readonly since?: Date | string;
  readonly until?: Date | string;
  /** Events per page (Okta allows up to 1000). */
  readonly pageSize?: number;
  readonly maxPages?: number;
}

/** What an unauthenticated look at the org shows: that it answers, and its clock. */
export interface OktaProbe {
  /** Any HTTP status counts: the org answered. */
  readonly status: number;
  /** The response's `Date` header, when it has a valid one. */
  readonly serverDate: Date | undefined;
  readonly requestId: string | undefined;
}

export const PREREGISTER_EVENT = 'system.mfa.preregister.initiate';
/** Public on every Okta org, so it needs no credential. */
const PROBE_PATH = '/.well-known/openid-configuration';

const BASE = '/webauthn-registration/api/v1';
const ENROLL_PATH = `${BASE}/enroll`;
const ACTIVATE_PATH = `${BASE}/activate`;

/** States that a factor left behind by a half-finished enroll cannot be in. */
const SETTLED_STATUSES = new Set(['ACTIVE', 'FULFILLMENT_ERRORED', 'DISABLED', 'INACTIVE', 'EXPIRED']);

const FulfillmentDataSchema = z
  .array(z.object({ productId: z.string().min(1), customizationId: z.string().min(1), inventoryProductId: z.string().min(1) }))
  .min(1);

export class OktaClient {
  readonly org: OktaOrg;
  readonly #http: HttpContext;
  readonly #rpIds: readonly string[];
  readonly #maxRetries: number;
  readonly #retryBaseMs: number;
  readonly #log: ((line: string) => void) | undefined;

  constructor(options: OktaClientOptions) {
    this.org = parseOrgUrl(options.orgUrl);
    const fetch = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
    const timeoutMs = options.timeoutMs ?? 30_000;
    this.#maxRetries = options.maxRetries ?? 3;
    this.#retryBaseMs = options.retryBaseMs ?? 500;
    this.#log = options.log;
    this.#rpIds = options.enrollmentRpIds ? rpIdList(options.enrollmentRpIds) : [this.org.hostname];
    this.#http = {
      origin: this.org.origin,
      fetch,
      limiter: options.limiter ?? RateLimiter.forOrg(this.org.origin),
      auth: createAuth(options.credentials, this.org, fetch, timeoutMs),
      timeoutMs,
      maxRetries: this.#maxRetries,
      rateLimitRetries: 3,
      retryBaseMs: this.#retryBaseMs,
      onWait: options.onWait,
      log: options.log,
    };
  }

  get authKind(): AuthKind {
    return this.#http.auth.kind;
  }

  /**
   * One unauthenticated GET with no retry: throws OktaError network / timeout / cancelled when the org
   * does not answer at all.
   */
  async probe(options: CallOptions = {}): Promise<OktaProbe> {
    const { response } = await fetchWithDeadline(
      this.#http.fetch,
      `${this.org.origin}${PROBE_PATH}`,
      { method: 'GET', headers: { Accept: 'application/json' } },
      { timeoutMs: this.#http.timeoutMs, signal: options.signal, method: 'GET', path: PROBE_PATH },
    );
    const date = Date.parse(response.headers.get('date') ?? '');
    return {
      status: response.status,
      serverDate: Number.isNaN(date) ? undefined : new Date(date),
      requestId: response.headers.get('x-okta-request-id') ?? undefined,
    };
  }

  /** The scopes Okta granted the OAuth access token (fetching one if needed); undefined for an SSWS token, which has none. */
  async grantedScopes(options: CallOptions = {}): Promise<readonly string[] | undefined> {
    return this.#http.auth.grantedScopes?.(options.signal);
  }

  /**
   * Creates preregistration factors. Never repeated: if the answer is lost, the user's enrollments are
   * compared with a listing taken just before, and factors that appeared meanwhile come back as
   * OktaError 'enroll-ambiguous' with `orphanIds` for the caller to delete.
   */
  async enroll(input: EnrollInput): Promise<EnrollResponse> {
    const userId = requireText('userId', input.userId);
    const transportKey = parseCallerKey(input.transportKey, 'enc', 'transport key');
    const enrollmentRpIds = input.enrollmentRpIds ? rpIdList(input.enrollmentRpIds) : this.#rpIds;
    const before = await this.listEnrollments(userId, input);
    const body = { enrollmentRpIds, fulfillmentProvider: FULFILLMENT_PROVIDER, userId, yubicoTransportKeyJWK: transportKey };
    try {
      const response = await this.#send({ method: 'POST', target: ENROLL_PATH, body, retrySafe: false, signal: input.signal });
      return parseReply(EnrollResponseSchema, response);
    } catch (error) {
      if (!(error instanceof OktaError) || error.path !== ENROLL_PATH || !(isLostAnswer(error) || error.code === 'bad-response')) throw error;
      throw await this.#explainLostEnroll(userId, before, error, input.signal);
    }
  }

  /**
   * Activates the factors. Repeated after a lost answer only once the listing shows none of them ACTIVE;
   * if all are ACTIVE the lost answer was a success.
   */
  async activate(input: ActivateInput): Promise<ActivateResponse> {
    const userId = requireText('userId', input.userId);
    if (input.credResponses.length === 0) throw configError('activate needs at least one credential response', 'Pass one credResponse per credRequest returned by enroll.');
    const credResponses = input.credResponses.map((c) => ({
      authenticatorEnrollmentId: requireText('authenticatorEnrollmentId', c.authenticatorEnrollmentId),
      credResponseJwe: requireText('credResponseJwe', c.credResponseJwe),
    }));
    if (input.signingJwks.length === 0) throw configError('activate needs at least one signing key', 'Pass the public sig keys that verify the responses.');
    const body = {
      credResponses,
      fulfillmentProvider: FULFILLMENT_PROVIDER,
      pinResponseJwe: requireText('pinResponseJwe', input.pinResponseJwe),
      serial: requireText('serial', input.serial),
      userId,
      version: requireText('version', input.version),
      yubicoSigningJwks: input.signingJwks.map((jwk) => parseCallerKey(jwk, 'sig', 'signing key')),
    };
    const ids = credResponses.map((c) => c.authenticatorEnrollmentId);
    for (let retry = 0; ; retry++) {
      try {
        const response = await this.#send({ method: 'POST', target: ACTIVATE_PATH, body, retrySafe: false, signal: input.signal });
        return parseReply(ActivateResponseSchema, response);
      } catch (error) {
        if (!(error instanceof OktaError) || error.path !== ACTIVATE_PATH || !isLostAnswer(error)) throw error;
        if (await this.#allActive(userId, ids, error, input.signal)) {
          this.#log?.(`okta activate: answer lost but all ${ids.length} factor(s) are ACTIVE`);
          return { authenticatorEnrollmentIds: ids, fulfillmentProvider: FULFILLMENT_PROVIDER, userId };
        }
        if (retry >= this.#maxRetries) throw error;
        this.#log?.(`okta activate: answer lost, factors not active yet; retry ${retry + 1} of ${this.#maxRetries}`);
        await sleep(this.#retryBaseMs * 2 ** retry, input.signal).catch(() => {
          throw error;
        });
      }
    }
  }

  /** Has Okta e-mail the PIN of the enrollment to the user (again). */
  /** Has Okta email the PIN; the answer's request id is what the station journals for each send. */
  async sendPin(input: SendPinInput): Promise<{ readonly requestId?: string }> {
    const body = {
      authenticatorEnrollmentId: requireText('authenticatorEnrollmentId', input.authenticatorEnrollmentId),
      fulfillmentProvider: FULFILLMENT_PROVIDER,
      userId: requireText('userId', input.userId),
    };
    const response = await this.#send({ method: 'POST', target: `${BASE}/send-pin`, body, retrySafe: true, signal: input.signal });
    return response.requestId === undefined ? {} : { requestId: response.requestId };
  }

  /** Emits the preregistration event that starts an order. Not repeated after a lost answer (it would order twice). */
  async initiateFulfillment(input: InitiateFulfillmentInput): Promise<void> {
    const data = FulfillmentDataSchema.safeParse(input.fulfillmentData);
    if (!data.success) throw configError('fulfillmentData must list at least one {productId, customizationId, inventoryProductId}', 'Fill in the product, customization and inventory ids of the order.');
    const body = { userId: requireText('userId', input.userId), fulfillmentProvider: FULFILLMENT_PROVIDER, fulfillmentData: data.data };
    await this.#send({ method: 'POST', target: `${BASE}/initiate-fulfillment-request`, body, retrySafe: false, signal: input.signal });
  }

  async listEnrollments(userId: string, options: CallOptions = {}): Promise<PreregistrationFactor[]> {
    const response = await this.#send({ method: 'GET', target: `${BASE}/users/${segment('userId', userId)}/enrollments`, retrySafe: true, signal: options.signal });
    return parseReply(PreregistrationFactorListSchema, response);
  }

  async deleteEnrollment(userId: string, authenticatorEnrollmentId: string, options: CallOptions = {}): Promise<void> {
    const target = `${BASE}/users/${segment('userId', userId)}/enrollments/${segment('authenticatorEnrollmentId', authenticatorEnrollmentId)}`;
    await this.#send({ method: 'DELETE', target, retrySafe: true, goneMeansDone: true, signal: options.signal });
  }

  /** Sets the factor to FULFILLMENT_ERRORED (bad hardware, failed programming). */
  async markError(userId: string, authenticatorEnrollmentId: string, options: CallOptions = {}): Promise<void> {
    const target = `${BASE}/users/${segment('userId', userId)}/enrollments/${segment('authenticatorEnrollmentId', authenticatorEnrollmentId)}/mark-error`;
    await this.#send({ method: 'POST', target, retrySafe: true, signal: options.signal });
  }

  /** Looks a user up by id or login (e.g. an e-mail address). */
  async getUser(idOrLogin: string, options: CallOptions = {}): Promise<OktaUser> {
    const response = await this.#send({ method: 'GET', target: `/api/v1/users/${segment('idOrLogin', idOrLogin)}`, retrySafe: true, signal: options.signal });
    return parseReply(OktaUserSchema, response);
  }

  /** Preregistration orders from the System Log, following `Link: rel="next"` up to `maxPages` pages. */
  async listPendingOrders(options: ListPendingOrdersOptions = {}): Promise<PendingOrders> {
    const maxPages = options.maxPages ?? 10;
    // An explicit `until` makes this a bounded query; without it Okta treats it as polling and always links a next page.
    const query: Record<string, string> = { filter: `eventType eq "${PREREGISTER_EVENT}"` };
    if (options.since !== undefined) query.since = isoTime('since', options.since);
    query.until = isoTime('until', options.until ?? new Date());
    query.limit = String(options.pageSize ?? 1000);

    const orders = new Map<string, PendingOrder>();
    let request: OktaRequest = { method: 'GET', target: '/api/v1/logs', query, retrySafe: true, signal: options.signal };
    for (let page = 1; ; page++) {
      const response = await this.#send(request);
      const events = parseReply(LogEventListSchema, response);
      for (const event of events) {
        const order = toPendingOrder(event);
        if (order) orders.set(order.eventId, order);
        else this.#log?.(`okta logs: event ${event.uuid} names no user; skipped`);
      }
      const next = nextLink(response.headers);
      if (!next || events.length === 0) return { orders: [...orders.values()], complete: true };
      if (page >= maxPages) return { orders: [...orders.values()], complete: false };
      request = { method: 'GET', target: next, retrySafe: true, signal: options.signal };
    }
  }

  #send(request: OktaRequest): Promise<OktaResponse> {
    return oktaRequest(this.#http, request);
  }

  async #explainLostEnroll(userId: string, before: readonly PreregistrationFactor[], lost: OktaError, signal?: AbortSignal): Promise<OktaError> {
    const where = { method: lost.method, path: lost.path, status: lost.status, requestId: lost.requestId, errorCode: lost.errorCode };
    let after: PreregistrationFactor[];
    try {
      after = await this.listEnrollments(userId, { signal });
    } catch {
      return new OktaError({
        code: 'enroll-ambiguous',
        ...where,
        summary: `Okta's answer to enroll was lost (${lost.summary}) and the user's enrollments could not be checked`,
        hint: 'Do not enroll this user again yet: list their preregistration factors, delete any PENDING_ACTIVATION one left by this attempt, then retry.',
        retryable: false,
      });
    }
    const known = new Set(before.map((factor) => factor.id));
    const orphanIds = after.filter((factor) => !known.has(factor.id) && !SETTLED_STATUSES.has(factor.status)).map((factor) => factor.id);
    if (orphanIds.length === 0) return lost;
    return new OktaError({
      code: 'enroll-ambiguous',
      ...where,
      summary: `Okta's answer to enroll was lost (${lost.summary}) but it created ${orphanIds.length} factor(s)`,
      hint: `Delete the orphaned factor(s) ${orphanIds.join(', ')} before enrolling this user again.`,
      retryable: false,
      orphanIds,
    });
  }

  async #allActive(userId: string, ids: readonly string[], lost: OktaError, signal?: AbortSignal): Promise<boolean> {
    const where = { method: lost.method, path: lost.path, status: lost.status, requestId: lost.requestId };
    let factors: PreregistrationFactor[];
    try {
      factors = await this.listEnrollments(userId, { signal });
    } catch {
      throw new OktaError({
        code: 'activate-ambiguous',
        ...where,
        summary: `Okta's answer to activate was lost (${lost.summary}) and the factors could not be checked`,
        hint: 'List the user\'s preregistration factors: if they are ACTIVE the key is done, otherwise activate again.',
        retryable: false,
      });
    }
    const status = new Map(factors.map((factor) => [factor.id, factor.status]));
    const active = ids.filter((id) => status.get(id) === 'ACTIVE');
    if (active.length === ids.length) return true;
    if (active.length === 0) return false;
    throw new OktaError({
      code: 'activate-ambiguous',
      ...where,
      summary: `Okta's answer to activate was lost (${lost.summary}); only ${active.length} of ${ids.length} factors are ACTIVE`,
      hint: 'Mark the factors that are not ACTIVE as errored (or delete them) and provision this user again.',
      retryable: false,
    });
  }
}

function createAuth(credentials: OktaCredentials, org: OktaOrg, fetch: FetchLike, timeoutMs: number): AuthProvider {
  if (credentials.kind === 'ssws') return new SswsAuth(credentials.token);
  return new OAuthClientCredentialsAuth({
    origin: org.origin,
    clientId: credentials.clientId,
    privateJwk: credentials.privateJwk,
    scopes: credentials.scopes,
    dpop: credentials.dpop,
    fetch,
    timeoutMs,
  });
}

function parseReply<T>(schema: z.ZodType<T>, response: OktaResponse): T {
  const parsed = schema.safeParse(response.body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue && issue.path.length > 0 ? formatPath(issue.path) : 'the body';
  throw new OktaError({
    code: 'bad-response',
    method: response.method,
    path: response.path,
    status: response.status,
    requestId: response.requestId,
    summary: `Okta's reply is malformed at ${field}${issue ? ` (${issue.message})` : ''}`,
    hint: 'The Okta API answered in an unexpected shape; report it with the request id.',
    retryable: false,
  });
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '');
}

function parseCallerKey(jwk: EcKeyJwk, use: 'enc' | 'sig', what: string): EcKeyJwk {
  const parsed = EcKeyJwkSchema.safeParse(jwk);
  if (!parsed.success || parsed.data.use !== use) {
    throw configError(`The ${what} is not a P-384 public JWK with use "${use}"`, 'Pass {kty:"EC", crv:"P-384", x, y, use, kid}.');
  }
  return parsed.data;
}

function rpIdList(rpIds: readonly string[]): string[] {
  const list = [...new Set(rpIds.map(parseRpId))];
  if (list.length === 0) throw configError('No RP ID to enroll for', 'Give at least one host name, e.g. myorg.okta.com.');
  return list;
}

function requireText(name: string, value: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw configError(`${name} is empty`, `Pass the ${name} of the order.`);
  return value;
}

function segment(name: string, value: string): string {
  return encodeURIComponent(requireText(name, value));
}

function isoTime(name: string, value: Date | string): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw configError(`${name} is not a valid time`, 'Use an ISO 8601 time such as 2026-01-31T00:00:00Z.');
  return date.toISOString();
}

function configError(summary: string, hint: string): OktaError {
  return new OktaError({ code: 'config', summary, hint, retryable: false });
}

function toPendingOrder(event: LogEvent): PendingOrder | undefined {
  const user = event.target?.find((target) => target.type === 'User');
  if (!user) return undefined;
  return {
    eventId: event.uuid,
    published: event.published,
    userId: user.id,
    userLogin: user.alternateId ?? undefined,
    userDisplayName: user.displayName ?? undefined,
    debugData: event.debugContext?.debugData ?? {},
  };
}
