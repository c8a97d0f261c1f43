// Okta's org authorization server for service apps: client credentials with private_key_jwt (the client
// signs an assertion; we verify it with the public JWK registered for the client), scoped access tokens,
// and optional DPoP binding (proof on every call, `use_dpop_nonce` the first time a proof comes without
// the server's nonce, htm/htu/ath checked on resource calls).
import { createHash, timingSafeEqual } from 'node:crypto';
import { EmbeddedJWK, calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import type { JWK } from 'jose';
import { jsonReply } from './reply.js';
import type { SimReply } from './reply.js';
import type { RandomSource } from './random.js';

export interface OAuthClientOptions {
  /** Okta client ids look like `0oa…`; any non-empty string is accepted. */
  readonly clientId: string;
  /** Public half of the key the client signs its assertions with (RSA or EC). */
  readonly publicJwk: JWK;
  /** Scopes granted to the app on its "Okta API Scopes" tab. */
  readonly scopes: readonly string[];
  readonly requireDpop?: boolean;
}

export interface AccessToken {
  readonly value: string;
  readonly clientId: string;
  readonly scopes: ReadonlySet<string>;
  readonly expiresAt: number;
  /** JWK thumbprint of the DPoP key the token is bound to. */
  readonly jkt: string | undefined;
}

export const TOKEN_PATH = '/oauth2/v1/token';
export const TOKEN_LIFETIME_SECONDS = 3600;
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const MAX_ASSERTION_LIFETIME_SECONDS = 3600;
const PROOF_MAX_SKEW_SECONDS = 300;
const PROOF_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA'];

class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
  }

  reply(): SimReply {
    return jsonReply(this.status, { error: this.error, error_description: this.description }, this.headers);
  }
}

/** Why a DPoP proof was refused; the caller maps it to its own error shape. */
export class DpopProofError extends Error {}

export class OAuthServer {
  private readonly clients = new Map<string, OAuthClientOptions>();
  private readonly tokens = new Map<string, AccessToken>();
  private readonly usedAssertionIds = new Set<string>();
  private readonly usedProofIds = new Set<string>();
  readonly dpopNonce: string;

  constructor(
    clients: readonly OAuthClientOptions[],
    private readonly rng: RandomSource,
    private readonly now: () => number,
    /** Preflight fault: only these of the requested scopes are granted. */
    private readonly grantOnly?: readonly string[],
  ) {
    for (const client of clients) this.clients.set(client.clientId, client);
    this.dpopNonce = Buffer.from(rng.bytes(24)).toString('base64url');
  }

  register(client: OAuthClientOptions): void {
    this.clients.set(client.clientId, client);
  }

  /** Every token issued so far, so the recorder can mask them wherever they appear. */
  tokenValues(): Iterable<string> {
    return this.tokens.keys();
  }

  lookup(value: string): AccessToken | undefined {
    const token = this.tokens.get(value);
    return token !== undefined && token.expiresAt > this.now() ? token : undefined;
  }

  async token(form: URLSearchParams, dpopHeader: string | undefined, tokenUrl: string): Promise<SimReply> {
    try {
      return await this.issue(form, dpopHeader, tokenUrl);
    } catch (error) {
      if (error instanceof OAuthError) return error.reply();
      throw error;
    }
  }

  private async issue(form: URLSearchParams, dpopHeader: string | undefined, tokenUrl: string): Promise<SimReply> {
    if (form.get('grant_type') !== 'client_credentials') {
      throw new OAuthError(400, 'unsupported_grant_type', 'The authorization grant type is not supported by the authorization server. Use client_credentials.');
    }
    const client = await this.authenticateClient(form, tokenUrl);
    const scopes = (form.get('scope') ?? '').split(' ').filter((s) => s !== '');
    if (scopes.length === 0) {
      throw new OAuthError(400, 'invalid_scope', "The authorization server resource does not have any configured default scopes, 'scope' must be provided.");
    }
    const refused = scopes.filter((s) => !client.scopes.includes(s));
    if (refused.length > 0) {
      throw new OAuthError(400, 'invalid_scope', `The following scopes are not granted to this app: ${refused.join(' ')}. Grant them on the app's Okta API Scopes tab.`);
    }
    const granted = this.grantOnly === undefined ? scopes : scopes.filter((s) => this.grantOnly?.includes(s));
    if (granted.length === 0) {
      throw new OAuthError(400, 'invalid_scope', `None of the requested scopes can be granted: ${scopes.join(' ')}.`);
    }
    let jkt: string | undefined;
    if (client.requireDpop === true) {
      if (dpopHeader === undefined) throw new OAuthError(400, 'invalid_dpop_proof', 'The DPoP proof JWT header is missing.');
      const proof = await this.verifyProof(dpopHeader, 'POST', tokenUrl, undefined).catch((e: unknown) => {
        throw e instanceof DpopProofError ? new OAuthError(400, 'invalid_dpop_proof', e.message) : e;
      });
      if (proof.nonce !== this.dpopNonce) {
        throw new OAuthError(400, 'use_dpop_nonce', 'Authorization server requires nonce in DPoP proof.', { 'DPoP-Nonce': this.dpopNonce });
      }
      jkt = proof.jkt;
    }
    this.consumeAssertion(form.get('client_assertion') ?? '');
    const value = Buffer.from(this.rng.bytes(32)).toString('base64url');
    this.tokens.set(value, {
      value,
      clientId: client.clientId,
      scopes: new Set(granted),
      expiresAt: this.now() + TOKEN_LIFETIME_SECONDS * 1000,
      jkt,
    });
    return jsonReply(200, {
      token_type: jkt === undefined ? 'Bearer' : 'DPoP',
      expires_in: TOKEN_LIFETIME_SECONDS,
      access_token: value,
      scope: granted.join(' '),
    }, { 'Cache-Control': 'no-store', Pragma: 'no-cache' });
  }

  private async authenticateClient(form: URLSearchParams, tokenUrl: string): Promise<OAuthClientOptions> {
    const assertion = form.get('client_assertion');
    if (form.get('client_assertion_type') !== ASSERTION_TYPE || assertion === null) {
      throw new OAuthError(401, 'invalid_client', `Client authentication failed: send client_assertion_type=${ASSERTION_TYPE} and a signed client_assertion (private_key_jwt).`);
    }
    let issuer: string | undefined;
    try {
      issuer = decodeJwt(assertion).iss;
    } catch {
      throw new OAuthError(401, 'invalid_client', 'The client_assertion is not a JWT.');
    }
    const client = issuer === undefined ? undefined : this.clients.get(issuer);
    const claimed = form.get('client_id');
    if (client === undefined || (claimed !== null && claimed !== client.clientId)) {
      throw new OAuthError(401, 'invalid_client', "Invalid value for 'client_id' parameter.");
    }
    let payload;
    try {
      const key = await importJWK(client.publicJwk, decodeProtectedHeader(assertion).alg);
      ({ payload } = await jwtVerify(assertion, key, {
        issuer: client.clientId,
        subject: client.clientId,
        audience: tokenUrl,
        requiredClaims: ['exp', 'jti'],
        currentDate: new Date(this.now()),
      }));
    } catch (error) {
      throw new OAuthError(401, 'invalid_client', `The client_assertion was rejected: ${(error as Error).message}.`);
    }
    const issuedAt = payload.iat ?? Math.floor(this.now() / 1000);
    if (payload.exp !== undefined && payload.exp - issuedAt > MAX_ASSERTION_LIFETIME_SECONDS) {
      throw new OAuthError(401, 'invalid_client', 'The client_assertion expires more than one hour after it was issued.');
    }
    if (payload.jti !== undefined && this.usedAssertionIds.has(payload.jti)) {
      throw new OAuthError(401, 'invalid_client', 'The client_assertion jti has already been used; sign a new assertion for each request.');
    }
    return client;
  }

  private consumeAssertion(assertion: string): void {
    const jti = decodeJwt(assertion).jti;
    if (jti !== undefined) this.usedAssertionIds.add(jti);
  }

  /**
   * Verifies a DPoP proof (RFC 9449 §4.3): typ dpop+jwt, signed by the public key in its header,
   * htm/htu matching this request, fresh iat, unused jti, and `ath` when an access token is presented.
   */
  async verifyProof(proof: string, method: string, url: string, accessToken: string | undefined): Promise<{ jkt: string; nonce: unknown }> {
    let verified;
    try {
      const header = decodeProtectedHeader(proof);
      if (header.typ !== 'dpop+jwt') throw new DpopProofError('The DPoP proof must have typ "dpop+jwt".');
      verified = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: PROOF_ALGORITHMS, currentDate: new Date(this.now()) });
    } catch (error) {
      if (error instanceof DpopProofError) throw error;
      throw new DpopProofError(`The DPoP proof is invalid: ${(error as Error).message}.`);
    }
    const { payload, protectedHeader } = verified;
    if (payload.htm !== method) throw new DpopProofError(`The DPoP proof htm must be "${method}".`);
    if (typeof payload.htu !== 'string' || stripQuery(payload.htu) !== stripQuery(url)) {
      throw new DpopProofError(`The DPoP proof htu must be "${stripQuery(url)}".`);
    }
    const nowSeconds = this.now() / 1000;
    if (typeof payload.iat !== 'number' || Math.abs(nowSeconds - payload.iat) > PROOF_MAX_SKEW_SECONDS) {
      throw new DpopProofError('The DPoP proof iat is missing or too far from the current time.');
    }
    if (typeof payload.jti !== 'string' || this.usedProofIds.has(payload.jti)) {
      throw new DpopProofError('The DPoP proof jti is missing or was already used.');
    }
    if (accessToken !== undefined) {
      const ath = createHash('sha256').update(accessToken, 'ascii').digest('base64url');
      if (typeof payload.ath !== 'string' || !safeEqual(payload.ath, ath)) {
        throw new DpopProofError('The DPoP proof ath does not match the access token.');
      }
    }
    this.usedProofIds.add(payload.jti);
    if (protectedHeader.jwk === undefined) throw new DpopProofError('The DPoP proof has no jwk header.');
    return { jkt: await calculateJwkThumbprint(protectedHeader.jwk, 'sha256'), nonce: payload.nonce };
  }
}

function stripQuery(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return url;
  }
}

export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
