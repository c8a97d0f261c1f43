import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateP384KeyPair } from '../../../electron/core/wire/jwk.js';
import { startSimulator } from '../../../electron/core/sim/index.js';
import type { SimulatorHandle } from '../../../electron/core/sim/index.js';
import {
  ACTIVATE_SUMMARY, ALICE, GRACE_STAGED, PIN, PREREG, activateBody, call, enrollFor, expectOktaError, newStation, openRequests,
  provision, sealCred, sealPin,
} from './support.js';
import type { Station } from './support.js';

const activateFails = (res: Awaited<ReturnType<typeof call>>, mentioned: string | RegExp) =>
  expectOktaError(res, 400, 'E0000001', ACTIVATE_SUMMARY, { errorSummary: expect.stringMatching(mentioned) });

describe('activate and send-pin', () => {
  let sim: SimulatorHandle;
  let station: Station;
  let clock = Date.now();
  beforeAll(async () => {
    sim = await startSimulator({ now: () => clock, enrollmentTtlMs: 60_000 });
    station = await newStation();
  });
  afterAll(async () => {
    await sim.close();
  });

  it('activates a factor built by a station and mails its PIN', async () => {
    const { activated, enrolled } = await provision(sim, station, GRACE_STAGED);
    const id = enrolled.credRequests[0]?.authenticatorEnrollmentId ?? '';
    expect(activated.status, activated.text).toBe(200);
    expect(activated.body).toEqual({ authenticatorEnrollmentIds: [id], fulfillmentProvider: 'yubico', userId: GRACE_STAGED });

    const listed = await call(sim, 'GET', `${PREREG}/users/${GRACE_STAGED}/enrollments`);
    expect(listed.body).toContainEqual(expect.objectContaining({
      id,
      status: 'ACTIVE',
      profile: { credentialId: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), authenticatorName: 'YubiKey 5 Series', presetPinAvailable: true },
    }));
    expect(sim.state.enrollments(GRACE_STAGED).find((e) => e.id === id)).toMatchObject({ serial: '3632071', version: '5.4.3' });
    expect(JSON.stringify(sim.state.enrollments(GRACE_STAGED))).not.toContain(PIN);

    const sent = await call(sim, 'POST', `${PREREG}/send-pin`, { authenticatorEnrollmentId: id, fulfillmentProvider: 'yubico', userId: GRACE_STAGED });
    expect(sent.status).toBe(204);
    const [mail] = sim.state.outbox();
    // Grace is STAGED: the PIN goes to her secondEmail.
    expect(mail).toMatchObject({ to: 'grace.kim@home.example.net', subject: 'Your security key PIN', userId: GRACE_STAGED, authenticatorEnrollmentId: id });
    const eml = await readFile(mail?.path ?? '', 'utf8');
    expect(eml).toMatch(/^From: .+\r\nTo: "Grace Kim" <grace\.kim@home\.example\.net>\r\nSubject: Your security key PIN\r\nDate: .+\r\nMessage-ID: <.+>\r\n/);
    const headerEnd = eml.indexOf('\r\n\r\n');
    expect(eml.slice(0, headerEnd)).not.toContain(PIN);
    expect(eml.slice(headerEnd)).toContain(`Your security key PIN: ${PIN}`);
    expect(JSON.stringify(sim.state.outbox())).not.toContain(PIN);

    expect((await call(sim, 'POST', `${PREREG}/send-pin`, { authenticatorEnrollmentId: id, fulfillmentProvider: 'yubico', userId: GRACE_STAGED })).status).toBe(204);
    expect(sim.state.outbox()).toHaveLength(2);

    const page = await fetch(`${sim.url}/outbox`);
    const html = await page.text();
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(html).toContain('grace.kim@home.example.net');
    expect(html).not.toContain(PIN);
    const linked = await fetch(`${sim.url}/outbox/${encodeURIComponent(mail?.file ?? '')}`);
    expect(await linked.text()).toContain(PIN);
  });

  it('refuses send-pin while no PIN is stored', async () => {
    const enrolled = await enrollFor(sim, station);
    const id = enrolled.credRequests[0]?.authenticatorEnrollmentId ?? '';
    const res = await call(sim, 'POST', `${PREREG}/send-pin`, { authenticatorEnrollmentId: id, fulfillmentProvider: 'yubico', userId: ALICE });
    expectOktaError(res, 400, 'E0000001', 'Api validation failed: pinRequest', { errorSummary: expect.stringContaining('activate it first') });
  });

  it('refuses a replayed activate: the challenge is single-use', async () => {
    const enrolled = await enrollFor(sim, station);
    const opened = await openRequests(station, enrolled);
    const body = activateBody(station, enrolled, [await sealCred(station, opened.creds[0]!)], await sealPin(station, opened.pin));
    expect((await call(sim, 'POST', `${PREREG}/activate`, body)).status).toBe(200);
    activateFails(await call(sim, 'POST', `${PREREG}/activate`, body), /already ACTIVE/);
  });

  it('refuses a JWS signed by a key other than the one published under its kid', async () => {
    const enrolled = await enrollFor(sim, station);
    const opened = await openRequests(station, enrolled);
    const impostor = await generateP384KeyPair('sig', station.signing.publicJwk.kid);
    const body = activateBody(station, enrolled, [await sealCred(station, opened.creds[0]!, { signer: impostor.privateJwk })], await sealPin(station, opened.pin));
    activateFails(await call(sim, 'POST', `${PREREG}/activate`, body), /credResponses\[0\].*bad-signature/);
    expect(sim.state.enrollments(ALICE).find((e) => e.id === enrolled.credRequests[0]?.authenticatorEnrollmentId)?.status).toBe('PENDING_ACTIVATION');
  });

  it('refuses a JWS whose kid is not among yubicoSigningJwks', async () => {
    const enrolled = await enrollFor(sim, station);
    const opened = await openRequests(station, enrolled);
    const stranger = await generateP384KeyPair('sig', 'someone-else');
    const body = activateBody(station, enrolled, [await sealCred(station, opened.creds[0]!)], await sealPin(station, opened.pin, { signer: stranger.privateJwk }));
    activateFails(await call(sim, 'POST', `${PREREG}/activate`, body), /pinResponseJwe.*unknown-kid/);
  });

  it('refuses a registration over the wrong challenge', async () => {
    const enrolled = await enrollFor(sim, station);
    const opened = await openRequests(station, enrolled);
    const cred = opened.creds[0]!;
    const forged = { ...cred.request, publicKey: { ...cred.request.publicKey, challenge: Buffer.alloc(32, 7).toString('base64url') } };
    const body = activateBody(station, enrolled, [await sealCred(station, cred, { request: forged })], await sealPin(station, opened.pin));
    activateFails(await call(sim, 'POST', `${PREREG}/activate`, body), /WebAuthn registration verification failed: .*challenge/i);
  });

  it('refuses a registration without user verification when it was required', async () => {
    const enrolled = await enrollFor(sim, station);
    const opened = await openRequests(station, enrolled);
    const body = activateBody(station, enrolled, [await sealCred(station, opened.creds[0]!, { flags: 0x41 })], await sealPin(station, opened.pin));
    activateFails(await call(sim, 'POST', `${PREREG}/activate`, body), /verification failed: .*user .*verif/i);
  });

  it('refuses a PIN that violates the policy', async () => {
    const enrolled = await enrollFor(sim, station);
    const opened = await openRequests(station, enrolled);
    const lax = { ...opened.pin.request, pinPolicy: { charset: 'alphanumeric' as const, length: 4, forceChangePin: true } };
    const body = activateBody(station, enrolled, [await sealCred(station, opened.creds[0]!)], await sealPin(station, opened.pin, { request: lax, pin: 'abc123' }));
    const res = await call(sim, 'POST', `${PREREG}/activate`, body);
    activateFails(res, /PIN does not meet the policy \(numeric, at least 8/);
    expect(res.text).not.toContain('abc123');
  });

  it('refuses an expired enrollment', async () => {
    const enrolled = await enrollFor(sim, station);
    const opened = await openRequests(station, enrolled);
    const body = activateBody(station, enrolled, [await sealCred(station, opened.creds[0]!)], await sealPin(station, opened.pin));
    clock += 61_000;
    try {
      activateFails(await call(sim, 'POST', `${PREREG}/activate`, body), /expired/);
      expect(sim.state.enrollments(ALICE).find((e) => e.id === enrolled.credRequests[0]?.authenticatorEnrollmentId)?.status).toBe('EXPIRED');
    } finally {
      clock = Date.now();
    }
  });

  it('refuses a FULFILLMENT_ERRORED enrollment', async () => {
    const enrolled = await enrollFor(sim, station);
    const id = enrolled.credRequests[0]?.authenticatorEnrollmentId ?? '';
    const opened = await openRequests(station, enrolled);
    const body = activateBody(station, enrolled, [await sealCred(station, opened.creds[0]!)], await sealPin(station, opened.pin));
    await call(sim, 'POST', `${PREREG}/users/${ALICE}/enrollments/${id}/mark-error`);
    activateFails(await call(sim, 'POST', `${PREREG}/activate`, body), /FULFILLMENT_ERRORED/);
  });

  it('refuses a credential response sealed to another enrollment', async () => {
    const enrolled = await enrollFor(sim, station, ALICE, ['keybench-demo.okta.com', 'sso.example.com']);
    const opened = await openRequests(station, enrolled);
    const [a, b] = await Promise.all(opened.creds.map((c) => sealCred(station, c)));
    const body = activateBody(station, enrolled, [b!, a!], await sealPin(station, opened.pin));
    activateFails(await call(sim, 'POST', `${PREREG}/activate`, body), /credResponses\[0\]/);
  });
});

describe('activate with one fixed response key (keys option)', () => {
  it('still catches enrollment ids that do not match the payload', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keybench-sim-keys-'));
    const keyFile = join(dir, 'sim-keys.json');
    await writeFile(keyFile, JSON.stringify({ keys: [(await generateP384KeyPair('enc', 'sim-fixed-1')).privateJwk] }));
    const sim = await startSimulator({ keys: keyFile });
    try {
      const station = await newStation();
      const enrolled = await enrollFor(sim, station, ALICE, ['keybench-demo.okta.com', 'sso.example.com']);
      expect(enrolled.credRequests.map((r) => r.keyId)).toEqual(['sim-fixed-1', 'sim-fixed-1']);
      const opened = await openRequests(station, enrolled);
      const [a, b] = await Promise.all(opened.creds.map((c) => sealCred(station, c)));
      const swapped = activateBody(station, enrolled, [b!, a!], await sealPin(station, opened.pin));
      activateFails(await call(sim, 'POST', `${PREREG}/activate`, swapped), /enrollment ids must match/);
      const right = activateBody(station, enrolled, [a!, b!], await sealPin(station, opened.pin));
      expect((await call(sim, 'POST', `${PREREG}/activate`, right)).status).toBe(200);
    } finally {
      await sim.close();
    }
  });
});

describe('activate with another request encryption (requestEncryption option)', () => {
  it('seals requests with the configured alg/enc and accepts responses that answer in kind', async () => {
    const sim = await startSimulator({ requestEncryption: { alg: 'ECDH-ES', enc: 'A128GCM' } });
    try {
      const station = await newStation();
      const enrolled = await enrollFor(sim, station);
      const header = JSON.parse(Buffer.from(enrolled.pinRequestJwe.split('.')[0] ?? '', 'base64url').toString()) as Record<string, unknown>;
      expect(header).toMatchObject({ alg: 'ECDH-ES', enc: 'A128GCM' });
      const opened = await openRequests(station, enrolled);
      const body = activateBody(station, enrolled, [await sealCred(station, opened.creds[0]!)], await sealPin(station, opened.pin));
      expect((await call(sim, 'POST', `${PREREG}/activate`, body)).status).toBe(200);
    } finally {
      await sim.close();
    }
  });

  it('refuses a response sealed with a different alg/enc than its request', async () => {
    const sim = await startSimulator({ requestEncryption: { alg: 'ECDH-ES', enc: 'A128GCM' } });
    try {
      const station = await newStation();
      const enrolled = await enrollFor(sim, station);
      const opened = await openRequests(station, enrolled);
      const cred = opened.creds[0]!;
      const mismatched = await sealCred(station, { ...cred, alg: 'ECDH-ES+A256KW', enc: 'A256GCM' });
      const body = activateBody(station, enrolled, [mismatched], await sealPin(station, opened.pin));
      activateFails(await call(sim, 'POST', `${PREREG}/activate`, body), /credResponses\[0\].*unsupported-alg/);
    } finally {
      await sim.close();
    }
  });
});
