import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { base64url, calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, exportJWK, generateKeyPair, jwtVerify, type JWK } from 'jose';
import { OAuthClientCredentialsAuth } from '../../../electron/core/okta/auth.js';
import { OktaClient } from '../../../electron/core/okta/client.js';
import type { FetchInit } from '../../../electron/core/okta/http.js';
import { RateLimiter } from '../../../electron/core/okta/rate-limiter.js';
import { sendJson, startFakeOkta, type FakeOkta, type RecordedRequest } from './fake-okta.js';

const CLIENT_ID = '0oa1serviceapp';
const USER = '00us2hPODQncCkxef0g3';

let okta: FakeOkta | undefined;
afterEach(async () => {
  await okta?.close();
  okta = undefined;
});

const keyCache = new Map<string, Promise<{ privateJwk: JWK; publicKey: CryptoKey }>>();

/** The service app's key pair (RSA generation is slow, so one per algorithm for the file). */
function appKeys(alg: 'RS256' | 'ES256' = 'RS256'): Promise<{ privateJwk: JWK; publicKey: CryptoKey }> {
  let keys = keyCache.get(alg);
  if (!keys) {
    keys = generateKeyPair(alg, { extractable: true }).then(async ({ privateKey, publicKey }) => ({ privateJwk: { ...(await exportJWK(privateKey)), kid: 'app-key-1' }, publicKey }));
    keyCache.set(alg, keys);
  }
  return keys;
}

async function verifyAssertion(req: RecordedRequest, publicKey: CryptoKey, tokenUrl: string): Promise<URLSearchParams> {
  const form = new URLSearchParams(req.body);
  expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
  expect(form.get('grant_type')).toBe('client_credentials');
  expect(form.get('scope')).toBe('okta.users.manage okta.users.read');
  expect(form.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
  const { payload, protectedHeader } = await jwtVerify(form.get('client_assertion') ?? '', publicKey, { issuer: CLIENT_ID, subject: CLIENT_ID, audience: tokenUrl });
  expect(protectedHeader.kid).toBe('app-key-1');
  expect(typeof payload.jti).toBe('string');
  expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(300);
  return form;
}

function ath(token: string): string {
  return base64url.encode(createHash('sha256').update(token).digest());
}

describe('OAuth client credentials with private_key_jwt', () => {
  it('the server verifies the client assertion with the public key; the token is cached across calls', async () => {
    const { privateJwk, publicKey } = await appKeys();
    let issued = 0;
    const failures: unknown[] = [];
    okta = await startFakeOkta(async (req, res) => {
      const tokenUrl = `${okta!.url}/oauth2/v1/token`;
      if (req.path === '/oauth2/v1/token') {
        try {
          await verifyAssertion(req, publicKey, tokenUrl);
        } catch (error) {
          failures.push(error);
          return sendJson(res, 401, { error: 'invalid_client', error_description: 'The client_assertion signature is invalid.' });
        }
        issued++;
        return sendJson(res, 200, { token_type: 'Bearer', expires_in: 3600, access_token: `at-${issued}-abcdefghijkl`, scope: 'okta.users.manage okta.users.read' });
      }
      if (req.headers.authorization !== 'Bearer at-1-abcdefghijkl') return sendJson(res, 401, { errorCode: 'E0000011', errorSummary: 'Invalid token provided' });
      sendJson(res, 200, []);
    });
    const client = new OktaClient({ orgUrl: okta.url, credentials: { kind: 'oauth', clientId: CLIENT_ID, privateJwk }, limiter: new RateLimiter() });
    await Promise.all([client.listEnrollments(USER), client.listEnrollments('other')]);
    await client.listEnrollments(USER);
    expect(failures).toEqual([]);
    expect(okta.requests.filter((r) => r.path === '/oauth2/v1/token')).toHaveLength(1);
    expect(okta.requests.filter((r) => r.method === 'GET')).toHaveLength(3);
  });

  it('refreshes the token shortly before it expires (injected fetch and clock)', async () => {
    const { privateJwk } = await appKeys('ES256');
    let now = 1_000_000;
    const tokenCalls: FetchInit[] = [];
    const fetch = async (_url: string, init: FetchInit): Promise<Response> => {
      tokenCalls.push(init);
      return Response.json({ token_type: 'Bearer', expires_in: 3600, access_token: `at-${tokenCalls.length}-abcdefghijkl` });
    };
    const auth = new OAuthClientCredentialsAuth({ origin: 'https://myorg.okta.com', clientId: CLIENT_ID, privateJwk, fetch, now: () => now });
    const call = () => auth.headersFor({ method: 'GET', url: 'https://myorg.okta.com/api/v1/users/x' });
    expect(await call()).toEqual({ Authorization: 'Bearer at-1-abcdefghijkl' });
    now += 3_500_000;
    expect(await call()).toEqual({ Authorization: 'Bearer at-1-abcdefghijkl' });
    now += 50_000;
    expect(await call()).toEqual({ Authorization: 'Bearer at-2-abcdefghijkl' });
    expect(tokenCalls).toHaveLength(2);
  });

  it('an EC app key signs with ES256 and verifies', async () => {
    const { privateJwk, publicKey } = await appKeys('ES256');
    okta = await startFakeOkta(async (req, res) => {
      if (req.path === '/oauth2/v1/token') {
        await verifyAssertion(req, publicKey, `${okta!.url}/oauth2/v1/token`);
        expect(decodeProtectedHeader(new URLSearchParams(req.body).get('client_assertion')!).alg).toBe('ES256');
        return sendJson(res, 200, { token_type: 'Bearer', expires_in: 3600, access_token: 'at-ec-abcdefghijkl' });
      }
      sendJson(res, 200, []);
    });
    const client = new OktaClient({ orgUrl: okta.url, credentials: { kind: 'oauth', clientId: CLIENT_ID, privateJwk } });
    await expect(client.listEnrollments(USER)).resolves.toEqual([]);
  });

  it('a 401 on a cached token fetches a new token once and repeats the call', async () => {
    const { privateJwk } = await appKeys();
    let issued = 0;
    okta = await startFakeOkta((req, res) => {
      if (req.path === '/oauth2/v1/token') return sendJson(res, 200, { token_type: 'Bearer', expires_in: 3600, access_token: `at-${++issued}-abcdefghijkl` });
      if (req.headers.authorization === 'Bearer at-1-abcdefghijkl') return sendJson(res, 401, { errorCode: 'E0000011', errorSummary: 'Invalid token provided' });
      sendJson(res, 200, []);
    });
    const client = new OktaClient({ orgUrl: okta.url, credentials: { kind: 'oauth', clientId: CLIENT_ID, privateJwk } });
    await expect(client.listEnrollments(USER)).resolves.toEqual([]);
    expect(issued).toBe(2);
  });

  it('the token endpoint refusing the client is an auth error with a hint', async () => {
    const { privateJwk } = await appKeys();
    okta = await startFakeOkta((_req, res) => sendJson(res, 401, { error: 'invalid_client', error_description: 'The client_assertion signature is invalid.' }));
    const client = new OktaClient({ orgUrl: okta.url, credentials: { kind: 'oauth', clientId: CLIENT_ID, privateJwk } });
    await expect(client.listEnrollments(USER)).rejects.toMatchObject({ code: 'auth', status: 401, path: '/oauth2/v1/token', hint: expect.stringMatching(/public key/) });
  });

  it('rejects a public key where a private key is needed', async () => {
    const { privateJwk } = await appKeys();
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = privateJwk;
    expect(() => new OktaClient({ orgUrl: 'https://x.okta.com', credentials: { kind: 'oauth', clientId: CLIENT_ID, privateJwk: publicJwk } })).toThrow(/not a private key/);
  });
});

describe('DPoP', () => {
  it('switches to DPoP when required, answers the nonce, and binds resource calls with htm/htu/ath', async () => {
    const { privateJwk } = await appKeys();
    const TOKEN = 'dpop-bound-access-token-1234';
    let tokenJkt = '';
    const checks: string[] = [];
    okta = await startFakeOkta(async (req, res) => {
      const proof = typeof req.headers.dpop === 'string' ? req.headers.dpop : undefined;
      if (req.path === '/oauth2/v1/token') {
        if (!proof) return sendJson(res, 400, { error: 'invalid_dpop_proof', error_description: 'The DPoP proof JWT header is missing.' });
        const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt' });
        if (payload.nonce !== 'nonce-1') return sendJson(res, 400, { error: 'use_dpop_nonce', error_description: 'Authorization server requires nonce in DPoP proof.' }, { 'DPoP-Nonce': 'nonce-1' });
        expect(payload.htm).toBe('POST');
        expect(payload.htu).toBe(`${okta!.url}/oauth2/v1/token`);
        expect(payload.ath).toBeUndefined();
        tokenJkt = await calculateJwkThumbprint(protectedHeader.jwk!);
        checks.push('token');
        return sendJson(res, 200, { token_type: 'DPoP', expires_in: 3600, access_token: TOKEN });
      }
      expect(req.headers.authorization).toBe(`DPoP ${TOKEN}`);
      const { payload, protectedHeader } = await jwtVerify(proof!, EmbeddedJWK, { typ: 'dpop+jwt', maxTokenAge: '1m' });
      expect(protectedHeader.alg).toBe('ES256');
      expect(Object.keys(protectedHeader.jwk ?? {}).sort()).toEqual(['crv', 'kty', 'x', 'y']);
      expect(payload.htm).toBe(req.method);
      expect(payload.htu).toBe(`${okta!.url}${req.path}`);
      expect(payload.ath).toBe(ath(TOKEN));
      expect(typeof payload.jti).toBe('string');
      expect(await calculateJwkThumbprint(protectedHeader.jwk!)).toBe(tokenJkt);
      checks.push(`${req.method} ${req.path}`);
      return req.method === 'GET' ? sendJson(res, 200, []) : sendJson(res, 204, undefined);
    });
    const client = new OktaClient({ orgUrl: okta.url, credentials: { kind: 'oauth', clientId: CLIENT_ID, privateJwk } });
    await client.listEnrollments(USER);
    await client.markError(USER, 'fwf1');
    await client.listPendingOrders({ since: '2026-01-01T00:00:00Z' });
    expect(checks).toEqual([
      'token',
      `GET /webauthn-registration/api/v1/users/${USER}/enrollments`,
      `POST /webauthn-registration/api/v1/users/${USER}/enrollments/fwf1/mark-error`,
      'GET /api/v1/logs',
    ]);
    const proofs = okta.requests.filter((r) => r.path === '/oauth2/v1/token').map((r) => r.headers.dpop !== undefined);
    expect(proofs).toEqual([false, true, true]);
  });

  it('a resource server asking for a nonce gets one more proof with it', async () => {
    const { privateJwk } = await appKeys();
    okta = await startFakeOkta(async (req, res) => {
      if (req.path === '/oauth2/v1/token') return sendJson(res, 200, { token_type: 'DPoP', expires_in: 3600, access_token: 'dpop-token-abcdefgh' });
      const { payload } = await jwtVerify(String(req.headers.dpop), EmbeddedJWK);
      if (payload.nonce !== 'rs-nonce') return sendJson(res, 401, { errorCode: 'E0000011', errorSummary: 'Invalid token provided' }, { 'WWW-Authenticate': 'DPoP error="use_dpop_nonce"', 'DPoP-Nonce': 'rs-nonce' });
      sendJson(res, 200, []);
    });
    const client = new OktaClient({ orgUrl: okta.url, credentials: { kind: 'oauth', clientId: CLIENT_ID, privateJwk, dpop: 'always' } });
    await expect(client.listEnrollments(USER)).resolves.toEqual([]);
    expect(okta.requests.map((r) => r.path === '/oauth2/v1/token')).toEqual([true, false, false]);
  });
});
