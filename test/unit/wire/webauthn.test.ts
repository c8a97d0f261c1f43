import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateP384KeyPair, WireError } from '../../../electron/core/wire/jwk.js';
import { openCredResponse, sealCredRequest } from '../../../electron/core/wire/okta-side.js';
import { openCredRequest, sealCredResponse } from '../../../electron/core/wire/station-side.js';
import { buildClientDataJSON, buildRegistrationResponse, verifyRegistration } from '../../../electron/core/wire/webauthn.js';
import { AAGUID, attestationChain, b64url, credRequestPayload, FLAG_AT, FLAG_UP, FLAG_UV, packedAttestation, RP_ID } from './fixtures.js';

const challenge = b64url(randomBytes(32));
const clientDataJSON = buildClientDataJSON(challenge, RP_ID);

function registration(opts: { flags?: number; rpIdInAuthData?: string; clientData?: Uint8Array; signer?: Parameters<typeof packedAttestation>[0]['signer'] } = {}) {
  const clientData = opts.clientData ?? clientDataJSON;
  const { credentialId, attestationObject } = packedAttestation({
    rpId: opts.rpIdInAuthData ?? RP_ID,
    clientDataJSON: clientData,
    flags: opts.flags ?? FLAG_UP | FLAG_UV | FLAG_AT,
    ...(opts.signer ? { signer: opts.signer } : {}),
  });
  return { credentialId, response: buildRegistrationResponse({ credentialId, clientDataJSON: clientData, attestationObject, rk: true }) };
}

describe('buildClientDataJSON', () => {
  it('is byte-exact browser JSON: this key order, no spaces', () => {
    const bytes = buildClientDataJSON('AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8', 'myorg.okta.com');
    expect(Buffer.from(bytes).toString('utf8')).toBe(
      '{"type":"webauthn.create","challenge":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8","origin":"https://myorg.okta.com","crossOrigin":false}',
    );
  });

  it('refuses a challenge that is not unpadded base64url and an RP ID with a scheme', () => {
    expect(() => buildClientDataJSON('abc=', RP_ID)).toThrow(WireError);
    expect(() => buildClientDataJSON('a+b/', RP_ID)).toThrow(WireError);
    expect(() => buildClientDataJSON(challenge, 'https://myorg.okta.com')).toThrow(/bare hostname/);
  });
});

describe('buildRegistrationResponse', () => {
  it('is a WebAuthn L3 RegistrationResponseJSON for a USB security key', () => {
    const response = buildRegistrationResponse({
      credentialId: new Uint8Array([0xfb, 0xff, 0x01]),
      clientDataJSON: new Uint8Array([0x7b, 0x7d]),
      attestationObject: new Uint8Array([0xa0]),
      rk: false,
    });
    expect(response).toEqual({
      id: '-_8B',
      rawId: '-_8B',
      type: 'public-key',
      authenticatorAttachment: 'cross-platform',
      response: { clientDataJSON: 'e30', attestationObject: 'oA', transports: ['usb'] },
      clientExtensionResults: { credProps: { rk: false } },
    });
  });
});

describe('verifyRegistration', () => {
  it('accepts a real packed self attestation with UP and UV', async () => {
    const { credentialId, response } = registration();
    const result = await verifyRegistration({ response, expectedChallenge: challenge, rpId: RP_ID, requireUserVerification: true });
    expect(result).toMatchObject({ verified: true, fmt: 'packed', userVerified: true, credentialId: b64url(credentialId) });
    expect(result.aaguid).toBe('cb69481e-8ff7-4039-93ec-0a2729a154a8');
    expect(result.credentialPublicKey?.length).toBeGreaterThan(64);
    expect(AAGUID).toHaveLength(16);
  });

  it('fails for another challenge', async () => {
    const { response } = registration();
    const result = await verifyRegistration({ response, expectedChallenge: b64url(randomBytes(32)), rpId: RP_ID, requireUserVerification: true });
    expect(result.verified).toBe(false);
    expect(result.reason).toMatch(/challenge/);
  });

  it('fails when clientDataJSON names another origin', async () => {
    const { response } = registration({ clientData: buildClientDataJSON(challenge, 'evil.example') });
    const result = await verifyRegistration({ response, expectedChallenge: challenge, rpId: RP_ID, requireUserVerification: true });
    expect(result.verified).toBe(false);
    expect(result.reason).toMatch(/origin/);
  });

  it('fails when the authenticator data is for another RP ID', async () => {
    const { response } = registration({ rpIdInAuthData: 'evil.example' });
    const result = await verifyRegistration({ response, expectedChallenge: challenge, rpId: RP_ID, requireUserVerification: true });
    expect(result.verified).toBe(false);
    expect(result.reason).toMatch(/RP ID/i);
  });

  it('fails without UV when UV is required, and passes when it is not', async () => {
    const { response } = registration({ flags: FLAG_UP | FLAG_AT });
    const required = await verifyRegistration({ response, expectedChallenge: challenge, rpId: RP_ID, requireUserVerification: true });
    expect(required.verified).toBe(false);
    expect(required.reason).toMatch(/verification/i);
    const optional = await verifyRegistration({ response, expectedChallenge: challenge, rpId: RP_ID, requireUserVerification: false });
    expect(optional).toMatchObject({ verified: true, userVerified: false });
  });

  it('fails when the attestation signature was made over other client data', async () => {
    const { credentialId, attestationObject } = packedAttestation({
      rpId: RP_ID,
      clientDataJSON: buildClientDataJSON(b64url(randomBytes(32)), RP_ID),
      flags: FLAG_UP | FLAG_UV | FLAG_AT,
    });
    const response = buildRegistrationResponse({ credentialId, clientDataJSON, attestationObject, rk: true });
    const result = await verifyRegistration({ response, expectedChallenge: challenge, rpId: RP_ID, requireUserVerification: true });
    expect(result.verified).toBe(false);
  });

  it('with trusted roots, accepts a chain to one of them and refuses others and self attestation', async () => {
    const vendor = await attestationChain('Vendor');
    const stranger = await attestationChain('Stranger');
    const { response } = registration({ signer: vendor.signer });
    const base = { response, expectedChallenge: challenge, rpId: RP_ID, requireUserVerification: true };
    expect(await verifyRegistration(base)).toMatchObject({ verified: true });
    expect(await verifyRegistration({ ...base, trustedRoots: [vendor.rootPem] })).toMatchObject({ verified: true });
    const untrusted = await verifyRegistration({ ...base, trustedRoots: [stranger.rootPem] });
    expect(untrusted.verified).toBe(false);
    expect(untrusted.reason).toMatch(/trusted root/);
    const self = await verifyRegistration({ ...base, response: registration().response, trustedRoots: [vendor.rootPem] });
    expect(self).toMatchObject({ verified: false });
    expect(self.reason).toMatch(/no certificate chain/);
  });
});

describe('a sealed credential response verifies as WebAuthn at Okta', () => {
  it('station builds and seals, Okta opens and verifies', async () => {
    const transport = await generateP384KeyPair('enc', 'kb-trans-x');
    const signing = await generateP384KeyPair('sig', 'kb-sig-x');
    const responseKey = await generateP384KeyPair('enc', 'h2r91gconqiai1vs0psg');
    const requestJwe = await sealCredRequest(credRequestPayload(responseKey.publicJwk), transport.publicJwk, { alg: 'ECDH-ES', enc: 'A128GCM' });
    const opened = await openCredRequest(requestJwe, responseKey.publicJwk.kid, [transport.privateJwk]);
    const { publicKey } = opened.request;
    const data = buildClientDataJSON(publicKey.challenge, publicKey.rp.id);
    const { response } = registration({ clientData: data, rpIdInAuthData: publicKey.rp.id });
    const jwe = await sealCredResponse({
      ...opened,
      credential: response,
      authenticator: { aaguid: 'cb69481e-8ff7-4039-93ec-0a2729a154a8', serial: '3632071', firmwareVersion: '5.4.3' },
      signer: signing.privateJwk,
    });
    const payload = await openCredResponse(jwe, responseKey.privateJwk, [signing.publicJwk], { alg: 'ECDH-ES', enc: 'A128GCM' });
    const result = await verifyRegistration({
      response: payload.credential,
      expectedChallenge: publicKey.challenge,
      rpId: publicKey.rp.id,
      requireUserVerification: publicKey.authenticatorSelection.userVerification === 'required',
    });
    expect(result.verified, result.reason).toBe(true);
  });
});
