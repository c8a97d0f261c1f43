import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateP384KeyPair } from '../../../electron/core/wire/jwk.js';
import { startSimulator } from '../../../electron/core/sim/index.js';
import type { SimulatorHandle } from '../../../electron/core/sim/index.js';
import {
  ALICE, ENROLL_SUMMARY, GRACE_STAGED, MALLORY_SUSPENDED, PREREG, call, enrollFor, expectOktaError, newStation, openRequests,
} from './support.js';
import type { Station } from './support.js';

describe('enroll', () => {
  let sim: SimulatorHandle;
  let station: Station;
  beforeAll(async () => {
    sim = await startSimulator({ orgName: 'Acme Corp', orgDomain: 'acme.okta.com' });
    station = await newStation();
  });
  afterAll(async () => {
    await sim.close();
  });

  const enrollBody = (overrides: Record<string, unknown>) => ({
    fulfillmentProvider: 'yubico',
    userId: ALICE,
    yubicoTransportKeyJWK: station.transport.publicJwk,
    ...overrides,
  });

  it.each([
    ['a wrong fulfillmentProvider', { fulfillmentProvider: 'acme' }, 'fulfillmentProvider'],
    ['a P-256 transport key', { yubicoTransportKeyJWK: { kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA', use: 'enc', kid: 'k' } }, 'P-384'],
    ['a transport key that is not on the curve', { yubicoTransportKeyJWK: { kty: 'EC', crv: 'P-384', x: 'A'.repeat(64), y: 'A'.repeat(64), use: 'enc', kid: 'k' } }, 'yubicoTransportKeyJWK'],
    ['an RP id with a scheme', { enrollmentRpIds: ['https://acme.okta.com'] }, 'enrollmentRpIds'],
  ])('rejects %s with 400 E0000001 and a cause naming it', async (_name, overrides, mentioned) => {
    const res = await call(sim, 'POST', `${PREREG}/enroll`, enrollBody(overrides));
    expectOktaError(res, 400, 'E0000001', ENROLL_SUMMARY, { errorSummary: expect.stringContaining(mentioned) });
  });

  it('rejects a signing key given as transport key', async () => {
    const sig = await generateP384KeyPair('sig', 'station-sign-x');
    const res = await call(sim, 'POST', `${PREREG}/enroll`, enrollBody({ yubicoTransportKeyJWK: sig.publicJwk }));
    expectOktaError(res, 400, 'E0000001', ENROLL_SUMMARY, { errorSummary: expect.stringContaining('"enc"') });
  });

  it('rejects a SUSPENDED user with 400 and an unknown one with 404', async () => {
    const suspended = await call(sim, 'POST', `${PREREG}/enroll`, enrollBody({ userId: MALLORY_SUSPENDED }));
    expectOktaError(suspended, 400, 'E0000001', ENROLL_SUMMARY, { errorSummary: expect.stringContaining('SUSPENDED') });
    const unknown = await call(sim, 'POST', `${PREREG}/enroll`, enrollBody({ userId: '00uNOSUCHUSER0000000' }));
    expectOktaError(unknown, 404, 'E0000007', 'Not found: Resource not found: 00uNOSUCHUSER0000000 (User)');
    expect(sim.state.enrollments(MALLORY_SUSPENDED)).toEqual([]);
  });

  it('returns one credential request per RP id, each with a fwf… factor id and its own key id', async () => {
    const enrolled = await enrollFor(sim, station, ALICE, ['acme.okta.com', 'login.acme.example']);
    expect(enrolled).toEqual({
      credRequests: [
        { authenticatorEnrollmentId: expect.stringMatching(/^fwf[0-9A-Za-z]{17}$/), credRequestJwe: expect.any(String), keyId: expect.stringMatching(/^[0-9a-z]{20}$/) },
        { authenticatorEnrollmentId: expect.stringMatching(/^fwf[0-9A-Za-z]{17}$/), credRequestJwe: expect.any(String), keyId: expect.stringMatching(/^[0-9a-z]{20}$/) },
      ],
      fulfillmentProvider: 'yubico',
      pinRequestJwe: expect.any(String),
      userId: ALICE,
    });
    const [a, b] = enrolled.credRequests;
    expect(a?.keyId).not.toBe(b?.keyId);
    for (const jwe of [a?.credRequestJwe, enrolled.pinRequestJwe]) {
      const header = JSON.parse(Buffer.from(jwe?.split('.')[0] ?? '', 'base64url').toString()) as Record<string, unknown>;
      expect(header).toMatchObject({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: 'station-transport-1', epk: { kty: 'EC', crv: 'P-384' } });
    }
  });

  it('seals plaintexts exactly as wire profile v1 describes', async () => {
    const enrolled = await enrollFor(sim, station);
    const opened = await openRequests(station, enrolled);
    const [cred] = opened.creds;
    const e = sim.state.enrollments(ALICE).find((x) => x.id === cred?.request.authenticatorEnrollmentId);
    expect(cred?.request).toEqual({
      v: 1,
      userId: ALICE,
      authenticatorEnrollmentId: enrolled.credRequests[0]?.authenticatorEnrollmentId,
      expiresAt: e?.expiresAt,
      publicKey: {
        rp: { id: 'acme.okta.com', name: 'Acme Corp' },
        user: { id: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), name: 'alice@example.com', displayName: 'Alice Doe' },
        challenge: e?.challenge,
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
        timeout: 30 * 24 * 3600 * 1000,
        excludeCredentials: [],
        authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
        attestation: 'direct',
        extensions: { credentialProtectionPolicy: 'userVerificationRequired', minPinLength: true },
      },
      responseKey: { kty: 'EC', crv: 'P-384', x: expect.any(String), y: expect.any(String), use: 'enc', kid: enrolled.credRequests[0]?.keyId },
    });
    expect(Date.parse(e?.expiresAt ?? '') - Date.now()).toBeGreaterThan(29 * 24 * 3600 * 1000);
    expect(opened.pin.request).toEqual({
      v: 1,
      userId: ALICE,
      authenticatorEnrollmentIds: [enrolled.credRequests[0]?.authenticatorEnrollmentId],
      pinPolicy: { charset: 'numeric', length: 8, forceChangePin: true },
      responseKey: expect.objectContaining({ crv: 'P-384', use: 'enc' }),
    });
    expect(opened.pin.request.responseKey.kid).not.toBe(cred?.request.responseKey.kid);
  });

  it('keeps a stable user handle per user and a fresh challenge per enrollment', async () => {
    const first = (await openRequests(station, await enrollFor(sim, station))).creds[0]?.request;
    const second = (await openRequests(station, await enrollFor(sim, station))).creds[0]?.request;
    const other = (await openRequests(station, await enrollFor(sim, station, GRACE_STAGED))).creds[0]?.request;
    expect(first?.publicKey.user.id).toBe(second?.publicKey.user.id);
    expect(first?.publicKey.user.id).not.toBe(other?.publicKey.user.id);
    expect(first?.publicKey.challenge).not.toBe(second?.publicKey.challenge);
    expect(Buffer.from(first?.publicKey.challenge ?? '', 'base64url')).toHaveLength(32);
  });

  it('lists factors as PENDING_ACTIVATION, marks errors and deletes', async () => {
    const enrolled = await enrollFor(sim, station, GRACE_STAGED);
    const id = enrolled.credRequests[0]?.authenticatorEnrollmentId ?? '';
    const listed = await call(sim, 'GET', `${PREREG}/users/${GRACE_STAGED}/enrollments`);
    expect(listed.status).toBe(200);
    expect(listed.body).toContainEqual({
      id,
      factorType: 'webauthn',
      provider: 'FIDO',
      vendorName: 'FIDO',
      fulfillmentProvider: 'yubico',
      status: 'PENDING_ACTIVATION',
      created: expect.any(String),
      lastUpdated: expect.any(String),
      profile: {},
      _links: { self: { href: `${sim.url}${PREREG}/users/${GRACE_STAGED}/enrollments/${id}`, hints: { allow: ['DELETE'] } } },
    });

    const marked = await call(sim, 'POST', `${PREREG}/users/${GRACE_STAGED}/enrollments/${id}/mark-error`);
    expect(marked.status).toBe(204);
    expect(marked.text).toBe('');
    expect(sim.state.enrollments(GRACE_STAGED).find((e) => e.id === id)?.status).toBe('FULFILLMENT_ERRORED');

    expect((await call(sim, 'DELETE', `${PREREG}/users/${GRACE_STAGED}/enrollments/${id}`)).status).toBe(204);
    expect(sim.state.enrollments(GRACE_STAGED).map((e) => e.id)).not.toContain(id);
    expectOktaError(await call(sim, 'DELETE', `${PREREG}/users/${GRACE_STAGED}/enrollments/${id}`), 404, 'E0000007', `Not found: Resource not found: ${id} (UserFactor)`);
    expectOktaError(await call(sim, 'POST', `${PREREG}/users/${GRACE_STAGED}/enrollments/${id}/mark-error`), 404, 'E0000007', `Not found: Resource not found: ${id} (UserFactor)`);
  });

  it("treats another user's factor as not found", async () => {
    const enrolled = await enrollFor(sim, station, ALICE);
    const id = enrolled.credRequests[0]?.authenticatorEnrollmentId ?? '';
    expect((await call(sim, 'DELETE', `${PREREG}/users/${GRACE_STAGED}/enrollments/${id}`)).status).toBe(404);
    expect(sim.state.enrollments(ALICE).map((e) => e.id)).toContain(id);
  });
});
