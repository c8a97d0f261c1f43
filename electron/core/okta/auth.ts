// Credentials for Okta calls: an SSWS API token, or an OAuth 2.0 service app (client credentials with a
// private_key_jwt client assertion), optionally with DPoP-bound tokens. Secrets live in private fields,
// are never logged and are scrubbed from any text Okta echoes back.
import { createHash, randomUUID } from 'node:crypto';
import { base64url, exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import { OktaError, type AuthKind } from './errors.js';
import { fetchWithDeadline, type FetchLike } from './http.js';
import { TokenErrorSchema, TokenResponseSchema } from './models.js';

export interface AuthRequest {
  readonly method: string;
  readonly url: string;
  readonly signal?: AbortSignal;
}

export interface AuthProvider {
  readonly kind: AuthKind;
  /** Headers that authorize one request (Authorization, and DPoP when the token is DPoP-bound). */
  headersFor(request: AuthRequest): Promise<Record<string, string>>;
  /** After a 401: true when trying once more may succeed (token refreshed or DPoP nonce learned). */
  recover(response: Response): boolean;
  /** Replaces any secret this provider holds with a placeholder. */
  redact(text: string): string;
  /** OAuth only: the scopes the current access token was granted (a token is fetched when none is held). */
  grantedScopes?(signal?: AbortSignal): Promise<readonly string[]>;
}

const REDACTED = '[redacted]';

function redactAll(text: string, secrets: readonly string[]): string {
  return secrets.filter((secret) => secret.length >= 8).reduce((out, secret) => out.split(secret).join(REDACTED), text);
}

function configError(summary: string, hint: string): OktaError {
  return new OktaError({ code: 'config', summary, hint, retryable: false });
}

/** `Authorization: SSWS <token>` — an API token created by an Okta admin. */
export class SswsAuth implements AuthProvider {
  readonly kind = 'ssws';
  readonly #token: string;

  constructor(token: string) {
    const trimmed = token.trim();
    if (!/^[\x21-\x7e]{8,}$/.test(trimmed)) {
      throw configError('The Okta API token is empty or malformed', 'Paste the token exactly as Okta showed it (Security › API › Tokens).');
    }
    this.#token = trimmed;
  }

  async headersFor(): Promise<Record<string, string>> {
    return { Authorization: `SSWS ${this.#token}` };
  }

  recover(): boolean {
    return false;
  }

  redact(text: string): string {
    return redactAll(text, [this.#token]);
  }
}

export const DEFAULT_SCOPES: readonly string[] = ['okta.users.manage', 'okta.users.read'];

/** 'auto': plain Bearer until the token endpoint says the app requires DPoP. */
export type DpopMode = 'auto' | 'always' | 'never';

export interface OAuthOptions {
  readonly origin: string;
  readonly clientId: string;
  /** The service app's private key (RSA or EC) as registered on its "Public keys" tab, with `kid`. */
  readonly privateJwk: JWK;
  readonly scopes?: readonly string[];
  readonly dpop?: DpopMode;
  readonly fetch?: FetchLike;
  readonly timeoutMs?: number;
  /** Refresh this long before the token expires. */
  readonly refreshMarginMs?: number;
  readonly now?: () => number;
}

interface CachedToken {
  readonly value: string;
  readonly type: 'Bearer' | 'DPoP';
  /** Granted scopes: the response's `scope`, or the requested ones when it has none (RFC 6749 §5.1). */
  readonly scopes: readonly string[];
  /** When to fetch a new one: shortly before expiry (the margin, or half the lifetime for short tokens). */
  readonly refreshAt: number;
}

interface DpopKey {
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

const TOKEN_PATH = '/oauth2/v1/token';
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'] as const;

/** OAuth 2.0 client credentials with private_key_jwt, for an Okta API service app. */
export class OAuthClientCredentialsAuth implements AuthProvider {
  readonly kind = 'oauth';
  readonly tokenUrl: string;
  readonly #clientId: string;
  readonly #scopes: string;
  readonly #alg: string;
  readonly #kid: string | undefined;
  readonly #signingKey: Promise<CryptoKey>;
  readonly #keySecrets: readonly string[];
  readonly #fetch: FetchLike;
  readonly #timeoutMs: number;
  readonly #marginMs: number;
  readonly #now: () => number;
  #useDpop: boolean;
  readonly #dpopMode: DpopMode;
  #dpopKey: Promise<DpopKey> | undefined;
  #tokenNonce: string | undefined;
  #resourceNonce: string | undefined;
  #token: CachedToken | undefined;
  #pending: Promise<CachedToken> | undefined;

  constructor(options: OAuthOptions) {
    if (!options.clientId.trim()) throw configError('The OAuth client id is empty', 'Copy the client id from the service app\'s General tab.');
    const alg = signingAlg(options.privateJwk);
    this.tokenUrl = `${options.origin}${TOKEN_PATH}`;
    this.#clientId = options.clientId.trim();
    this.#scopes = (options.scopes ?? DEFAULT_SCOPES).join(' ');
    this.#alg = alg;
    this.#kid = typeof options.privateJwk.kid === 'string' ? options.privateJwk.kid : undefined;
    this.#keySecrets = PRIVATE_MEMBERS.map((name) => options.privateJwk[name]).filter((v): v is string => typeof v === 'string');
    this.#signingKey = importJWK(options.privateJwk, alg, { extractable: false }).then(
      (key) => {
        if (key instanceof Uint8Array) throw configError('The OAuth private key is not an asymmetric key', 'Use the app\'s RSA or EC private key in JWK form.');
        return key;
      },
      () => {
        throw configError('The OAuth private key could not be loaded', 'Use the app\'s private key in JWK form (RSA or EC, with its private part).');
      },
    );
    // Keep a rejected import from becoming an unhandled rejection before the first request awaits it.
    this.#signingKey.catch(() => undefined);
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#marginMs = options.refreshMarginMs ?? 60_000;
    this.#now = options.now ?? Date.now;
    this.#dpopMode = options.dpop ?? 'auto';
    this.#useDpop = this.#dpopMode === 'always';
  }

  async headersFor(request: AuthRequest): Promise<Record<string, string>> {
    const token = await this.#currentToken(request.signal);
    if (token.type === 'Bearer') return { Authorization: `Bearer ${token.value}` };
    const proof = await this.#proof(request.method, request.url, { ath: hashToken(token.value), nonce: this.#resourceNonce });
    return { Authorization: `DPoP ${token.value}`, DPoP: proof };
  }

  recover(response: Response): boolean {
    const nonce = response.headers.get('dpop-nonce');
    const challenge = response.headers.get('www-authenticate') ?? '';
    if (nonce && /use_dpop_nonce/.test(challenge) && nonce !== this.#resourceNonce) {
      this.#resourceNonce = nonce;
      return true;
    }
    if (!this.#token) return false;
    this.#token = undefined;
    return true;
  }

  redact(text: string): string {
    return redactAll(text, [...this.#keySecrets, ...(this.#token ? [this.#token.value] : [])]);
  }

  async grantedScopes(signal?: AbortSignal): Promise<readonly string[]> {
    return (await this.#currentToken(signal)).scopes;
  }

  #currentToken(signal?: AbortSignal): Promise<CachedToken> {
    if (this.#token && this.#now() < this.#token.refreshAt) return Promise.resolve(this.#token);
    // Parallel keys share one token request.
    this.#pending ??= this.#requestToken(signal).finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async #requestToken(signal?: AbortSignal): Promise<CachedToken> {
    const describe = { method: 'POST', path: TOKEN_PATH };
    // Each round may teach us something (DPoP required, a nonce); a few rounds at most.
    for (let round = 0; round < 3; round++) {
      const assertion = await this.#clientAssertion();
      const form = new URLSearchParams({
        grant_type: 'client_credentials',
        scope: this.#scopes,
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: assertion,
      });
      const headers: Record<string, string> = { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' };
      if (this.#useDpop) headers.DPoP = await this.#proof('POST', this.tokenUrl, { nonce: this.#tokenNonce });
      const { response, text } = await fetchWithDeadline(this.#fetch, this.tokenUrl, { method: 'POST', headers, body: form.toString() }, { timeoutMs: this.#timeoutMs, signal, ...describe });
      const json = parseJson(text);
      const requestId = response.headers.get('x-okta-request-id') ?? undefined;
      if (response.ok) {
        const parsed = TokenResponseSchema.safeParse(json);
        if (!parsed.success) {
          throw new OktaError({ code: 'bad-response', ...describe, requestId, status: response.status, summary: 'Okta\'s token response is malformed', hint: 'Check the org URL points to Okta.', retryable: false });
        }
        const type = parsed.data.token_type.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
        const lifetimeMs = parsed.data.expires_in * 1000;
        const scopes = (parsed.data.scope ?? this.#scopes).split(' ').filter((scope) => scope !== '');
        this.#token = { value: parsed.data.access_token, type, scopes, refreshAt: this.#now() + lifetimeMs - Math.min(this.#marginMs, lifetimeMs / 2) };
        return this.#token;
      }
      const error = TokenErrorSchema.safeParse(json);
      const code = error.success ? error.data.error : undefined;
      const nonce = response.headers.get('dpop-nonce');
      if (code === 'use_dpop_nonce' && nonce && this.#dpopMode !== 'never') {
        this.#useDpop = true;
        this.#tokenNonce = nonce;
        continue;
      }
      if (code === 'invalid_dpop_proof' && this.#dpopMode === 'auto' && !this.#useDpop) {
        this.#useDpop = true;
        continue;
      }
      // The assertion is a bearer credential until it expires: scrub it too if Okta echoes the request.
      const description = error.success && error.data.error_description ? `: ${redactAll(this.redact(error.data.error_description), [assertion])}` : '';
      throw new OktaError({
        code: 'auth',
        ...describe,
        status: response.status,
        requestId,
        summary: `Okta refused the access token request (${code ?? `HTTP ${response.status}`}${description})`,
        hint: tokenHint(code),
        retryable: response.status >= 500,
        ...(code === undefined ? {} : { oauthError: code }),
      });
    }
    throw new OktaError({ code: 'auth', ...describe, summary: 'Okta kept asking for a new DPoP proof', hint: 'Check the service app\'s DPoP setting and the station clock.', retryable: true });
  }

  async #clientAssertion(): Promise<string> {
    return new SignJWT({})
      .setProtectedHeader(this.#kid ? { alg: this.#alg, kid: this.#kid } : { alg: this.#alg })
      .setIssuer(this.#clientId)
      .setSubject(this.#clientId)
      .setAudience(this.tokenUrl)
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti(randomUUID())
      .sign(await this.#signingKey);
  }

  /** RFC 9449 proof: htu is the target URI without query and fragment. */
  async #proof(method: string, url: string, extra: { ath?: string; nonce?: string | undefined }): Promise<string> {
    const key = await this.#dpop();
    const target = new URL(url);
    const claims: Record<string, string> = { htm: method, htu: `${target.origin}${target.pathname}` };
    if (extra.ath) claims.ath = extra.ath;
    if (extra.nonce) claims.nonce = extra.nonce;
    return new SignJWT(claims)
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk })
      .setIssuedAt()
      .setJti(randomUUID())
      .sign(key.privateKey);
  }

  #dpop(): Promise<DpopKey> {
    this.#dpopKey ??= (async () => {
      const { privateKey, publicKey } = await generateKeyPair('ES256');
      const { kty, crv, x, y } = await exportJWK(publicKey);
      return { privateKey, publicJwk: { kty, crv, x, y } };
    })();
    return this.#dpopKey;
  }
}

/** base64url(SHA-256(access token)) — the DPoP `ath` claim. */
function hashToken(token: string): string {
  return base64url.encode(createHash('sha256').update(token, 'ascii').digest());
}

function signingAlg(jwk: JWK): string {
  if (typeof jwk.d !== 'string') {
    throw configError('The OAuth key is not a private key', 'Use the service app\'s private key (the JWK with its "d" member), not the public one.');
  }
  if (typeof jwk.alg === 'string') return jwk.alg;
  if (jwk.kty === 'RSA') return 'RS256';
  if (jwk.kty === 'EC') {
    const byCurve: Record<string, string> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' };
    const alg = typeof jwk.crv === 'string' ? byCurve[jwk.crv] : undefined;
    if (alg) return alg;
  }
  throw configError('The OAuth private key type is not supported', 'Okta service apps use RSA or EC (P-256, P-384, P-521) keys.');
}

function tokenHint(code: string | undefined): string {
  switch (code) {
    case 'invalid_client':
      return 'Okta did not accept the client assertion: check the client id, and that the app\'s public key (same kid) matches the private key in Settings.';
    case 'invalid_scope':
      return 'Grant okta.users.manage and okta.users.read on the app\'s Okta API Scopes tab.';
    case 'unauthorized_client':
      return 'Enable the Client Credentials grant on the service app.';
    case 'invalid_dpop_proof':
      return 'Okta rejected the DPoP proof: check the station clock and the app\'s DPoP setting.';
    default:
      return 'Check the service app settings (client id, public key, grant type, scopes) in the Okta Admin Console.';
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
