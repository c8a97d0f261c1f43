import { CompactEncrypt, generateKeyPair, importJWK, exportJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { encryptJson, encryptPlaintext, readJweHeader, signJson } from '../../../electron/core/wire/envelope.js';
import { generateP384KeyPair, WireError, type WireErrorCode } from '../../../electron/core/wire/jwk.js';
import { openCredResponse, openPinResponse, sealCredRequest, sealPinRequest } from '../../../electron/core/wire/okta-side.js';
import { openCredRequest, openPinRequest, sealPinResponse } from '../../../electron/core/wire/station-side.js';
import { credRequestPayload, pinRequestPayload } from './fixtures.js';

const transport = await generateP384KeyPair('enc', 'kb-trans-20260101-aaaaaaaa');
const signing = await generateP384KeyPair('sig', 'kb-sig-20260101-aaaaaaaa');
const responseKey = await generateP384KeyPair('enc', 'h2r91gconqiai1vs0psg');
const pinKey = await generateP384KeyPair('enc', 'pin-key');

async function rejection(promise: Promise<unknown> | (() => unknown)): Promise<WireError> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    if (error instanceof WireError) return error;
    throw error;
  }
  throw new Error('expected a WireError, but the call succeeded');
}

async function expectCode(promise: Promise<unknown> | (() => unknown), code: WireErrorCode): Promise<WireError> {
  const error = await rejection(promise);
  expect(error.code, error.message).toBe(code);
  return error;
}

function segments(jwe: string): string[] {
  return jwe.split('.');
}

/** Flips one bit in the middle of a base64url segment (keeping it valid base64url). */
function flipBit(segment: string): string {
  const bytes = Buffer.from(segment, 'base64url');
  bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
  return bytes.toString('base64url');
}

async function signedResponse(payload: unknown, signer = signing.privateJwk, recipient = pinKey.publicJwk, cty: string | null = 'JWT'): Promise<string> {
  const jws = await signJson(payload, signer);
  return encryptPlaintext(new TextEncoder().encode(jws), recipient, cty === null ? {} : { cty });
}

async function openedPinRequest() {
  return openPinRequest(await sealPinRequest(pinRequestPayload(pinKey.publicJwk), transport.publicJwk), [transport.privateJwk]);
}

describe('decryption failures', () => {
  it('a request sealed to another key with the same kid does not decrypt', async () => {
    const impostor = await generateP384KeyPair('enc', transport.publicJwk.kid);
    const jwe = await sealPinRequest(pinRequestPayload(pinKey.publicJwk), impostor.publicJwk);
    await expectCode(openPinRequest(jwe, [transport.privateJwk]), 'decrypt-failed');
  });

  it('a request sealed to a kid the station does not hold is reported as unknown kid', async () => {
    const other = await generateP384KeyPair('enc', 'someone-else');
    const jwe = await sealPinRequest(pinRequestPayload(pinKey.publicJwk), other.publicJwk);
    const error = await expectCode(openPinRequest(jwe, [transport.privateJwk]), 'unknown-kid');
    expect(error.message).toContain('someone-else');
  });

  it.each([
    ['ciphertext', 3],
    ['tag', 4],
    ['iv', 2],
    ['encrypted key', 1],
  ])('a flipped bit in the %s fails to decrypt', async (_name, index) => {
    const jwe = await sealCredRequest(credRequestPayload(responseKey.publicJwk), transport.publicJwk);
    const parts = segments(jwe);
    parts[index] = flipBit(parts[index]!);
    await expectCode(openCredRequest(parts.join('.'), responseKey.publicJwk.kid, [transport.privateJwk]), 'decrypt-failed');
  });

  it('an edited protected header fails the AEAD check', async () => {
    const jwe = await sealCredRequest(credRequestPayload(responseKey.publicJwk), transport.publicJwk);
    const parts = segments(jwe);
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
    parts[0] = Buffer.from(JSON.stringify({ ...header, cty: 'changed' })).toString('base64url');
    await expectCode(openCredRequest(parts.join('.'), responseKey.publicJwk.kid, [transport.privateJwk]), 'decrypt-failed');
  });

  it('a JWE that is not five compact parts is malformed', async () => {
    const jwe = await sealCredRequest(credRequestPayload(responseKey.publicJwk), transport.publicJwk);
    await expectCode(openCredRequest(segments(jwe).slice(0, 4).join('.'), responseKey.publicJwk.kid, [transport.privateJwk]), 'bad-jwe');
  });
});

describe('signature failures', () => {
  it('a response signed by a different key under the station signing kid is refused', async () => {
    const forger = await generateP384KeyPair('sig', signing.publicJwk.kid);
    const pin = await openedPinRequest();
    const jwe = await sealPinResponse({ ...pin, pin: '12345678', forceChangePin: true, serial: '1', signer: forger.privateJwk });
    await expectCode(openPinResponse(jwe, pinKey.privateJwk, [signing.publicJwk]), 'bad-signature');
  });

  it('a response signed with a kid missing from yubicoSigningJwks is refused', async () => {
    const pin = await openedPinRequest();
    const jwe = await sealPinResponse({ ...pin, pin: '12345678', forceChangePin: true, serial: '1', signer: signing.privateJwk });
    const other = await generateP384KeyPair('sig', 'kb-sig-other');
    const error = await expectCode(openPinResponse(jwe, pinKey.privateJwk, [other.publicJwk]), 'unknown-kid');
    expect(error.message).toContain(signing.publicJwk.kid);
  });

  it('a response whose JWE does not say cty JWT is refused', async () => {
    const pin = await openedPinRequest();
    const payload = { v: 1, userId: pin.request.userId, authenticatorEnrollmentIds: pin.request.authenticatorEnrollmentIds, iat: 1, pin: '12345678', forceChangePin: true, serial: '1' };
    await expectCode(openPinResponse(await signedResponse(payload, signing.privateJwk, pinKey.publicJwk, null), pinKey.privateJwk, [signing.publicJwk]), 'bad-jwe');
  });

  it('a response with another alg/enc than its request is refused when the request is named', async () => {
    const pin = await openedPinRequest();
    const jwe = await sealPinResponse({ ...pin, pin: '12345678', forceChangePin: true, serial: '1', signer: signing.privateJwk });
    await expectCode(openPinResponse(jwe, pinKey.privateJwk, [signing.publicJwk], { alg: 'ECDH-ES', enc: 'A128GCM' }), 'unsupported-alg');
  });
});

describe('curve checks', () => {
  it('refuses to encrypt to a P-256 JWK', async () => {
    const { publicKey } = await generateKeyPair('ECDH-ES', { crv: 'P-256', extractable: true });
    const p256 = { ...(await exportJWK(publicKey)), use: 'enc', kid: 'p256' };
    // Deliberately the wrong shape: the type system cannot stop a JWK that arrived over the network.
    const error = await expectCode(encryptJson({ v: 1 }, p256 as never), 'wrong-curve');
    expect(error.message).toMatch(/P-256.*P-384/);
  });

  it('refuses an RSA JWK as response key inside a request', async () => {
    const { publicKey } = await generateKeyPair('RSA-OAEP-256', { extractable: true });
    const payload = { ...credRequestPayload(responseKey.publicJwk), responseKey: { ...(await exportJWK(publicKey)), use: 'enc', kid: responseKey.publicJwk.kid } };
    const jwe = await encryptJson(payload, transport.publicJwk);
    await expectCode(openCredRequest(jwe, responseKey.publicJwk.kid, [transport.privateJwk]), 'wrong-curve');
  });

  it('refuses a JWE whose epk is on P-256', async () => {
    const { publicKey } = await generateKeyPair('ECDH-ES', { crv: 'P-256' });
    const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(pinRequestPayload(pinKey.publicJwk))))
      .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: transport.publicJwk.kid })
      .encrypt(publicKey);
    expect(JSON.parse(Buffer.from(jwe.split('.')[0]!, 'base64url').toString()).epk.crv).toBe('P-256');
    const error = await expectCode(openPinRequest(jwe, [transport.privateJwk]), 'wrong-curve');
    expect(error.message).toContain('epk');
  });

  it('refuses an epk that is not a point on P-384', async () => {
    const jwe = await sealPinRequest(pinRequestPayload(pinKey.publicJwk), transport.publicJwk);
    const parts = segments(jwe);
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
    header.epk.y = flipBit(header.epk.y);
    parts[0] = Buffer.from(JSON.stringify(header)).toString('base64url');
    await expectCode(openPinRequest(parts.join('.'), [transport.privateJwk]), 'bad-jwe');
  });
});

describe('refused algorithms', () => {
  const plaintext = new TextEncoder().encode(JSON.stringify({ v: 1 }));

  it('refuses alg RSA-OAEP', async () => {
    const { publicKey } = await generateKeyPair('RSA-OAEP');
    const jwe = await new CompactEncrypt(plaintext).setProtectedHeader({ alg: 'RSA-OAEP', enc: 'A256GCM', kid: transport.publicJwk.kid }).encrypt(publicKey);
    const error = await expectCode(openPinRequest(jwe, [transport.privateJwk]), 'unsupported-alg');
    expect(error.message).toContain('RSA-OAEP');
  });

  it('refuses alg dir', async () => {
    const secret = await importJWK({ kty: 'oct', k: Buffer.alloc(32, 7).toString('base64url') }, 'A256GCM');
    const jwe = await new CompactEncrypt(plaintext).setProtectedHeader({ alg: 'dir', enc: 'A256GCM' }).encrypt(secret);
    await expectCode(openPinRequest(jwe, [transport.privateJwk]), 'unsupported-alg');
  });

  it('refuses enc A128CBC-HS256 even with an accepted alg', async () => {
    const key = await importJWK(transport.publicJwk, 'ECDH-ES');
    const jwe = await new CompactEncrypt(plaintext).setProtectedHeader({ alg: 'ECDH-ES', enc: 'A128CBC-HS256', kid: transport.publicJwk.kid }).encrypt(key);
    const error = await rejection(() => readJweHeader(jwe));
    expect(error.code).toBe('unsupported-alg');
    expect(error.message).toContain('A128CBC-HS256');
    await expectCode(openPinRequest(jwe, [transport.privateJwk]), 'unsupported-alg');
  });
});

describe('plaintext checks', () => {
  it('refuses an unknown version instead of guessing', async () => {
    const jwe = await encryptJson({ ...pinRequestPayload(pinKey.publicJwk), v: 2 }, transport.publicJwk);
    const error = await expectCode(openPinRequest(jwe, [transport.privateJwk]), 'unknown-version');
    expect(error.message).toContain('v 2');
  });

  it('refuses a plaintext without v', async () => {
    const { v: _v, ...unversioned } = credRequestPayload(responseKey.publicJwk);
    const jwe = await encryptJson(unversioned, transport.publicJwk);
    await expectCode(openCredRequest(jwe, responseKey.publicJwk.kid, [transport.privateJwk]), 'unknown-version');
  });

  it('refuses a credential request whose response key is not the enrollment keyId', async () => {
    const jwe = await sealCredRequest(credRequestPayload(responseKey.publicJwk), transport.publicJwk);
    const error = await expectCode(openCredRequest(jwe, 'another-key-id', [transport.privateJwk]), 'kid-mismatch');
    expect(error.message).toContain('another-key-id');
  });

  it.each(['userId', 'authenticatorEnrollmentId', 'expiresAt', 'publicKey', 'responseKey'])('refuses a credential request without %s', async (field) => {
    const payload: Record<string, unknown> = { ...credRequestPayload(responseKey.publicJwk) };
    delete payload[field];
    const jwe = await encryptJson(payload, transport.publicJwk);
    const error = await expectCode(openCredRequest(jwe, responseKey.publicJwk.kid, [transport.privateJwk]), 'schema');
    expect(error.message).toContain(field);
  });

  it('refuses a credential request without a challenge', async () => {
    const payload = credRequestPayload(responseKey.publicJwk);
    const { challenge: _c, ...publicKey } = payload.publicKey;
    const jwe = await encryptJson({ ...payload, publicKey }, transport.publicJwk);
    await expectCode(openCredRequest(jwe, responseKey.publicJwk.kid, [transport.privateJwk]), 'schema');
  });

  it('refuses a PIN request without a policy, and an attestation outside direct/enterprise/none', async () => {
    const { pinPolicy: _p, ...noPolicy } = pinRequestPayload(pinKey.publicJwk);
    await expectCode(openPinRequest(await encryptJson(noPolicy, transport.publicJwk), [transport.privateJwk]), 'schema');
    const cred = credRequestPayload(responseKey.publicJwk);
    const indirect = { ...cred, publicKey: { ...cred.publicKey, attestation: 'indirect' } };
    await expectCode(openCredRequest(await encryptJson(indirect, transport.publicJwk), responseKey.publicJwk.kid, [transport.privateJwk]), 'schema');
  });

  it('refuses a PIN response without serial, and never echoes the PIN', async () => {
    const pin = await openedPinRequest();
    const payload = { v: 1, userId: pin.request.userId, authenticatorEnrollmentIds: pin.request.authenticatorEnrollmentIds, iat: 1, pin: 'QZ', forceChangePin: true };
    const error = await expectCode(openPinResponse(await signedResponse(payload), pinKey.privateJwk, [signing.publicJwk]), 'schema');
    expect(error.message).toContain('serial');
    expect(error.message).not.toContain('QZ');
  });

  it('the station will not seal a PIN that breaks the policy, and does not say which PIN', async () => {
    const pin = await openedPinRequest();
    const error = await expectCode(
      sealPinResponse({ ...pin, pin: 'ABCDEFGH', forceChangePin: true, serial: '1', signer: signing.privateJwk }),
      'pin-policy',
    );
    expect(error.message).not.toContain('ABCDEFGH');
    await expectCode(sealPinResponse({ ...pin, pin: '1234567', forceChangePin: true, serial: '1', signer: signing.privateJwk }), 'pin-policy');
  });

  it('a credential response whose clientDataJSON answers another challenge is not sealed', async () => {
    const jwe = await sealCredRequest(credRequestPayload(responseKey.publicJwk), transport.publicJwk);
    const cred = await openCredRequest(jwe, responseKey.publicJwk.kid, [transport.privateJwk]);
    const { buildClientDataJSON, buildRegistrationResponse } = await import('../../../electron/core/wire/client-data.js');
    const credential = buildRegistrationResponse({
      credentialId: new Uint8Array([1]),
      clientDataJSON: buildClientDataJSON(Buffer.alloc(32, 9).toString('base64url'), cred.request.publicKey.rp.id),
      attestationObject: new Uint8Array([0xa0]),
      rk: true,
    });
    const { sealCredResponse } = await import('../../../electron/core/wire/station-side.js');
    const authenticator = { aaguid: 'cb69481e-8ff7-4039-93ec-0a2729a154a8', serial: '1', firmwareVersion: '5.4.3' };
    await expectCode(sealCredResponse({ ...cred, credential, authenticator, signer: signing.privateJwk }), 'schema');
  });

  it('a station transport key cannot sign and a signing key cannot be encrypted to', async () => {
    await expectCode(signJson({ v: 1 }, transport.privateJwk), 'wrong-key-use');
    await expectCode(encryptJson({ v: 1 }, signing.publicJwk), 'wrong-key-use');
  });

  it('decrypted plaintexts and key material never appear in error messages', async () => {
    const payload = { ...pinRequestPayload(pinKey.publicJwk), v: 1, userId: 12345 };
    const error = await expectCode(openPinRequest(await encryptJson(payload, transport.publicJwk), [transport.privateJwk]), 'schema');
    expect(error.message).not.toContain('12345');
    expect(error.message).not.toContain(transport.privateJwk.d);
    expect(error.message).not.toContain(pinKey.publicJwk.x);
  });
});

describe('openCredResponse', () => {
  it('refuses a response decrypted with a key other than the one it names', async () => {
    const pin = await openedPinRequest();
    const jwe = await sealPinResponse({ ...pin, pin: '12345678', forceChangePin: true, serial: '1', signer: signing.privateJwk });
    await expectCode(openCredResponse(jwe, responseKey.privateJwk, [signing.publicJwk]), 'unknown-kid');
  });
});
