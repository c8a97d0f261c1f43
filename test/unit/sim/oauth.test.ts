import { createHash, randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../../electron/core/sim/index.js';
import type { SimulatorHandle } from '../../../electron/core/sim/index.js';
import { ALICE, PREREG, call, expectOktaError } from './support.js';

const CLIENT = '0oa1keybenchsvc00001';
const DPOP_CLIENT = '0oa1keybenchdpop0001';

async function assertion(key: CryptoKey, clientId: string, audience: string): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256' })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime('5m')
    .setJti(randomUUID())
    .sign(key);
}

async function requestToken(sim: SimulatorHandle, form: Record<string, string>, dpop?: string) {
  const res = await fetch(sim.tokenUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json', ...(dpop === undefined ? {} : { DPoP: dpop }) },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

async function dpopProof(key: { privateKey: CryptoKey; publicJwk: JWK }, htm: string, htu: string, extra: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ htm, htu, ...extra })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.publicJwk })
    .setIssuedAt()
    .setJti(randomUUID())
    .sign(key.privateKey);
}

describe('OAuth service app (private_key_jwt, scopes, DPoP)', () => {
  let sim: SimulatorHandle;
  let clientKey: CryptoKey;
  let dpopClientKey: CryptoKey;
  beforeAll(async () => {
    const client = await generateKeyPair('ES256');
    const dpopClient = await generateKeyPair('ES256');
    clientKey = client.privateKey;
    dpopClientKey = dpopClient.privateKey;
    sim = await startSimulator({
      oauthClients: [
        { clientId: CLIENT, publicJwk: await exportJWK(client.publicKey), scopes: ['okta.users.manage', 'okta.users.read', 'okta.logs.read'] },
        { clientId: DPOP_CLIENT, publicJwk: await exportJWK(dpopClient.publicKey), scopes: ['okta.users.manage'], requireDpop: true },
      ],
    });
  });
  afterAll(async () => {
    await sim.close();
  });

  const grant = async (scope: string, key = clientKey, clientId = CLIENT) => ({
    grant_type: 'client_credentials',
    scope,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: await assertion(key, clientId, sim.tokenUrl),
  });

  it('issues a scoped bearer token for a valid private_key_jwt assertion', async () => {
    const res = await requestToken(sim, await grant('okta.users.manage'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ token_type: 'Bearer', expires_in: 3600, access_token: expect.any(String), scope: 'okta.users.manage' });
    const token = String(res.body.access_token);
    expect((await call(sim, 'GET', `${PREREG}/users/${ALICE}/enrollments`, undefined, `Bearer ${token}`)).status).toBe(200);
  });

  it('rejects an assertion signed by another key', async () => {
    const stranger = await generateKeyPair('ES256');
    const res = await requestToken(sim, await grant('okta.users.manage', stranger.privateKey));
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: 'invalid_client', error_description: expect.stringContaining('signature') });
  });

  it('rejects a replayed assertion, a wrong audience and scopes the app was not granted', async () => {
    const form = await grant('okta.users.read');
    expect((await requestToken(sim, form)).status).toBe(200);
    expect((await requestToken(sim, form)).body).toMatchObject({ error: 'invalid_client' });
    const wrongAud = { ...form, client_assertion: await assertion(clientKey, CLIENT, 'https://elsewhere.example/oauth2/v1/token') };
    expect((await requestToken(sim, wrongAud)).status).toBe(401);
    const scope = await requestToken(sim, await grant('okta.groups.manage'));
    expect(scope.status).toBe(400);
    expect(scope.body).toMatchObject({ error: 'invalid_scope' });
  });

  it('enforces scopes per endpoint: read-only tokens get 403 E0000006 on writes', async () => {
    const token = String((await requestToken(sim, await grant('okta.users.read'))).body.access_token);
    const list = await call(sim, 'GET', `${PREREG}/users/${ALICE}/enrollments`, undefined, `Bearer ${token}`);
    expect(list.status).toBe(200);
    const enroll = await call(sim, 'POST', `${PREREG}/enroll`, { fulfillmentProvider: 'yubico', userId: ALICE }, `Bearer ${token}`);
    expectOktaError(enroll, 403, 'E0000006', 'You do not have permission to perform the requested action');
    const logs = await call(sim, 'GET', '/api/v1/logs', undefined, `Bearer ${token}`);
    expectOktaError(logs, 403, 'E0000006', 'You do not have permission to perform the requested action');
  });

  it('runs the DPoP flow: proof required, use_dpop_nonce once, token bound to the proof key', async () => {
    const pair = await generateKeyPair('ES256');
    const dpopKey = { privateKey: pair.privateKey, publicJwk: await exportJWK(pair.publicKey) };
    const dpopGrant = () => grant('okta.users.manage', dpopClientKey, DPOP_CLIENT);

    expect((await requestToken(sim, await dpopGrant())).body).toMatchObject({ error: 'invalid_dpop_proof' });
    const first = await requestToken(sim, await dpopGrant(), await dpopProof(dpopKey, 'POST', sim.tokenUrl));
    expect(first.status).toBe(400);
    expect(first.body).toMatchObject({ error: 'use_dpop_nonce' });
    const nonce = first.headers.get('dpop-nonce') ?? '';
    expect(nonce).not.toBe('');

    const issued = await requestToken(sim, await dpopGrant(), await dpopProof(dpopKey, 'POST', sim.tokenUrl, { nonce }));
    expect(issued.status).toBe(200);
    expect(issued.body).toMatchObject({ token_type: 'DPoP' });
    const token = String(issued.body.access_token);
    const ath = createHash('sha256').update(token).digest('base64url');
    const path = `${PREREG}/users/${ALICE}/enrollments`;

    const ok = await call(sim, 'GET', path, undefined, `DPoP ${token}`, { DPoP: await dpopProof(dpopKey, 'GET', `${sim.url}${path}`, { ath }) });
    expect(ok.status).toBe(200);
    const asBearer = await call(sim, 'GET', path, undefined, `Bearer ${token}`);
    expectOktaError(asBearer, 401, 'E0000011', 'Invalid token provided');
    const wrongMethod = await call(sim, 'GET', path, undefined, `DPoP ${token}`, { DPoP: await dpopProof(dpopKey, 'POST', `${sim.url}${path}`, { ath }) });
    expect(wrongMethod.status).toBe(401);
    const wrongUrl = await call(sim, 'GET', path, undefined, `DPoP ${token}`, { DPoP: await dpopProof(dpopKey, 'GET', `${sim.url}/api/v1/users/${ALICE}`, { ath }) });
    expect(wrongUrl.status).toBe(401);
    const noAth = await call(sim, 'GET', path, undefined, `DPoP ${token}`, { DPoP: await dpopProof(dpopKey, 'GET', `${sim.url}${path}`) });
    expect(noAth.status).toBe(401);
    const other = await generateKeyPair('ES256');
    const otherKey = { privateKey: other.privateKey, publicJwk: await exportJWK(other.publicKey) };
    const stolen = await call(sim, 'GET', path, undefined, `DPoP ${token}`, { DPoP: await dpopProof(otherKey, 'GET', `${sim.url}${path}`, { ath }) });
    expect(stolen.status).toBe(401);
  });
});
