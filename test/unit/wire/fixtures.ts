// Shared builders for the wire tests: plaintexts shaped like the examples in wire-profile.md, and a
// real packed attestation made with node:crypto (self attestation, or full with an x5c chain).
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, generateKeyPairSync, KeyObject, randomBytes, sign, type KeyObject as KeyObjectType } from 'node:crypto';
import { encode } from '../../../electron/core/ctap/cbor.js';
import type { P384PublicJwk } from '../../../electron/core/wire/jwk.js';
import type { CredRequestPayload, PinRequestPayload } from '../../../electron/core/wire/payloads.js';

export const RP_ID = 'myorg.okta.com';

export function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

export function credRequestPayload(responseKey: P384PublicJwk): CredRequestPayload {
  return {
    v: 1,
    userId: '00us2hPODQncCkxef0g3',
    authenticatorEnrollmentId: 'fwf5ajzJEWqknX6lk0g4',
    expiresAt: '2026-12-29T00:00:00Z',
    publicKey: {
      rp: { id: RP_ID, name: 'My Org' },
      user: { id: b64url(randomBytes(16)), name: 'alice@example.com', displayName: 'Alice Doe' },
      challenge: b64url(randomBytes(32)),
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      timeout: 2592000000,
      excludeCredentials: [],
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      attestation: 'direct',
      extensions: { credentialProtectionPolicy: 'userVerificationRequired', minPinLength: true },
    },
    responseKey,
  };
}

export function pinRequestPayload(responseKey: P384PublicJwk): PinRequestPayload {
  return {
    v: 1,
    userId: '00us2hPODQncCkxef0g3',
    authenticatorEnrollmentIds: ['fwf5ajzJEWqknX6lk0g4'],
    pinPolicy: { charset: 'numeric', length: 8, forceChangePin: true },
    responseKey,
  };
}

export const FLAG_UP = 0x01;
export const FLAG_UV = 0x04;
export const FLAG_AT = 0x40;
export const AAGUID = Buffer.from('cb69481e8ff7403993ec0a2729a154a8', 'hex');

const sha256 = (data: Uint8Array): Buffer => createHash('sha256').update(data).digest();

export interface AttestationSigner {
  key: KeyObjectType;
  x5c: Uint8Array[];
}

/** A `packed` attestation over a fresh ES256 credential; self attestation unless `signer` is given. */
export function packedAttestation(input: {
  rpId: string;
  clientDataJSON: Uint8Array;
  flags: number;
  signer?: AttestationSigner;
}): { credentialId: Uint8Array; attestationObject: Uint8Array } {
  const credential = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = credential.publicKey.export({ format: 'jwk' });
  const coseKey = encode(
    new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, Buffer.from(jwk.x ?? '', 'base64url')],
      [-3, Buffer.from(jwk.y ?? '', 'base64url')],
    ]),
  );
  const credentialId = randomBytes(32);
  const authData = Buffer.concat([
    sha256(Buffer.from(input.rpId)),
    Buffer.from([input.flags, 0, 0, 0, 1]),
    AAGUID,
    Buffer.from([0, credentialId.length]),
    credentialId,
    coseKey,
  ]);
  const signed = Buffer.concat([authData, sha256(input.clientDataJSON)]);
  const sig = sign('sha256', signed, input.signer?.key ?? credential.privateKey);
  const attStmt = new Map<string, number | Uint8Array | Uint8Array[]>([
    ['alg', -7],
    ['sig', sig],
  ]);
  if (input.signer) attStmt.set('x5c', input.signer.x5c);
  const attestationObject = encode(
    new Map<string, string | Uint8Array | Map<string, number | Uint8Array | Uint8Array[]>>([
      ['fmt', 'packed'],
      ['attStmt', attStmt],
      ['authData', authData],
    ]),
  );
  return { credentialId, attestationObject };
}

const EC_SIGN = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** A root CA and an attestation leaf under it, shaped as FIDO packed full attestation requires. */
export async function attestationChain(name: string): Promise<{ rootPem: string; signer: AttestationSigner }> {
  x509.cryptoProvider.set(globalThis.crypto);
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + 86_400_000);
  const rootKeys = await globalThis.crypto.subtle.generateKey(EC_SIGN, true, ['sign', 'verify']);
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${name} Root CA, O=${name}, C=SE`,
    notBefore,
    notAfter,
    keys: rootKeys,
    signingAlgorithm: EC_SIGN,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  const leafKeys = await globalThis.crypto.subtle.generateKey(EC_SIGN, true, ['sign', 'verify']);
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: `CN=${name} Attestation, OU=Authenticator Attestation, O=${name}, C=SE`,
    issuer: root.subject,
    notBefore,
    notAfter,
    publicKey: leafKeys.publicKey,
    signingKey: rootKeys.privateKey,
    signingAlgorithm: EC_SIGN,
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true)],
  });
  return {
    rootPem: root.toString('pem'),
    signer: { key: KeyObject.from(leafKeys.privateKey), x5c: [new Uint8Array(leaf.rawData)] },
  };
}
