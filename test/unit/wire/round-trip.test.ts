import { describe, expect, it } from 'vitest';
import { CONTENT_ENCS, KEY_ALGS, readJweHeader } from '../../../electron/core/wire/envelope.js';
import { generateP384KeyPair } from '../../../electron/core/wire/jwk.js';
import { openCredResponse, openPinResponse, sealCredRequest, sealPinRequest } from '../../../electron/core/wire/okta-side.js';
import { openCredRequest, openPinRequest, sealCredResponse, sealPinResponse } from '../../../electron/core/wire/station-side.js';
import { buildClientDataJSON, buildRegistrationResponse } from '../../../electron/core/wire/client-data.js';
import { credRequestPayload, pinRequestPayload } from './fixtures.js';

const transport = await generateP384KeyPair('enc', 'kb-trans-20260101-00000001');
const signing = await generateP384KeyPair('sig', 'kb-sig-20260101-00000001');
const credResponseKey = await generateP384KeyPair('enc', 'h2r91gconqiai1vs0psg');
const pinResponseKey = await generateP384KeyPair('enc', 'pin-key-1');
const NOW = new Date('2026-01-15T12:00:00Z');
const authenticator = { aaguid: 'cb69481e-8ff7-4039-93ec-0a2729a154a8', serial: '3632071', firmwareVersion: '5.4.3' };

const combos = KEY_ALGS.flatMap((alg) => CONTENT_ENCS.map((enc) => ({ alg, enc })));

function headerOf(jws: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jws.split('.')[0] ?? '', 'base64url').toString('utf8'));
}

describe('wire profile v1 round trip', () => {
  it.each(combos)('$alg / $enc: requests open at the station, responses open and verify at Okta', async ({ alg, enc }) => {
    const credPlain = credRequestPayload(credResponseKey.publicJwk);
    const pinPlain = pinRequestPayload(pinResponseKey.publicJwk);
    const credJwe = await sealCredRequest(credPlain, transport.publicJwk, { alg, enc });
    const pinJwe = await sealPinRequest(pinPlain, transport.publicJwk, { alg, enc });
    expect(credJwe.split('.')).toHaveLength(5);
    expect(readJweHeader(credJwe)).toMatchObject({ alg, enc, kid: transport.publicJwk.kid });

    const cred = await openCredRequest(credJwe, credResponseKey.publicJwk.kid, [transport.privateJwk]);
    const pin = await openPinRequest(pinJwe, [transport.privateJwk]);
    expect(cred).toEqual({ request: credPlain, alg, enc });
    expect(pin).toEqual({ request: pinPlain, alg, enc });

    const clientDataJSON = buildClientDataJSON(cred.request.publicKey.challenge, cred.request.publicKey.rp.id);
    const credential = buildRegistrationResponse({
      credentialId: new Uint8Array([1, 2, 3, 4]),
      clientDataJSON,
      attestationObject: new Uint8Array([0xa0]),
      rk: true,
    });
    const credResponseJwe = await sealCredResponse({ ...cred, credential, authenticator, signer: signing.privateJwk, now: NOW });
    const pinResponseJwe = await sealPinResponse({
      ...pin,
      pin: '40718236',
      forceChangePin: true,
      serial: '3632071',
      signer: signing.privateJwk,
      now: NOW,
    });

    // Responses reuse the request's alg/enc, name the recipient key and carry a JWT.
    expect(readJweHeader(credResponseJwe)).toEqual({ alg, enc, kid: credResponseKey.publicJwk.kid, cty: 'JWT' });
    expect(readJweHeader(pinResponseJwe)).toEqual({ alg, enc, kid: pinResponseKey.publicJwk.kid, cty: 'JWT' });

    const credOpened = await openCredResponse(credResponseJwe, credResponseKey.privateJwk, [signing.publicJwk], { alg, enc });
    expect(credOpened).toEqual({
      v: 1,
      userId: credPlain.userId,
      authenticatorEnrollmentId: credPlain.authenticatorEnrollmentId,
      iat: Math.floor(NOW.getTime() / 1000),
      credential,
      authenticator,
    });
    const pinOpened = await openPinResponse(pinResponseJwe, pinResponseKey.privateJwk, [signing.publicJwk], { alg, enc });
    expect(pinOpened).toEqual({
      v: 1,
      userId: pinPlain.userId,
      authenticatorEnrollmentIds: pinPlain.authenticatorEnrollmentIds,
      iat: Math.floor(NOW.getTime() / 1000),
      pin: '40718236',
      forceChangePin: true,
      serial: '3632071',
    });
  });

  it('uses ECDH-ES+A256KW / A256GCM for requests by default', async () => {
    const jwe = await sealPinRequest(pinRequestPayload(pinResponseKey.publicJwk), transport.publicJwk);
    expect(readJweHeader(jwe)).toMatchObject({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM' });
  });

  it('signs the inner JWS with ES384, typ JWT and the station signing kid', async () => {
    const pin = await openPinRequest(await sealPinRequest(pinRequestPayload(pinResponseKey.publicJwk), transport.publicJwk), [transport.privateJwk]);
    const jwe = await sealPinResponse({ ...pin, pin: '12345678', forceChangePin: false, serial: '1', signer: signing.privateJwk });
    const { compactDecrypt, importJWK } = await import('jose');
    const { plaintext } = await compactDecrypt(jwe, await importJWK(pinResponseKey.privateJwk, 'ECDH-ES+A256KW'));
    const jws = new TextDecoder().decode(plaintext);
    expect(jws.split('.')).toHaveLength(3);
    expect(headerOf(jws)).toEqual({ alg: 'ES384', kid: signing.publicJwk.kid, typ: 'JWT' });
  });
});
