// A throwaway PKI for the trust tests: roots, CA intermediates and leaves made with @peculiar/x509, MDS
// blobs signed with jose, and packed attestations signed with a leaf's key.
import 'reflect-metadata';
import { KeyObject, sign } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { CompactSign } from 'jose';
import { authenticatorData } from '../../../electron/core/virtual-key/auth-data.js';

x509.cryptoProvider.set(globalThis.crypto);

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
// What the real MDS3 chain uses (GlobalSign R3 and its issuing CA are RSA; the blob is RS256).
const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 } as const;
const DAY = 86_400_000;
export const ID_FIDO_GEN_CE_AAGUID = '1.3.6.1.4.1.45724.1.1.4';

export interface Issued {
  readonly certificate: x509.X509Certificate;
  readonly keys: CryptoKeyPair;
}

export interface CertificateOptions {
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  readonly ca?: boolean;
  /** Adds id-fido-gen-ce-aaguid with these 16 bytes. */
  readonly aaguid?: Uint8Array;
  /** RSA 2048 keys and signatures instead of P-256. */
  readonly rsa?: boolean;
}

function validity(options: CertificateOptions): { notBefore: Date; notAfter: Date } {
  return { notBefore: options.notBefore ?? new Date(Date.now() - DAY), notAfter: options.notAfter ?? new Date(Date.now() + 365 * DAY) };
}

const generate = (options: CertificateOptions) => crypto.subtle.generateKey(options.rsa ? RSA : EC, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;

export async function root(name: string, options: CertificateOptions = {}): Promise<Issued> {
  const keys = await generate(options);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    name,
    keys,
    signingAlgorithm: options.rsa ? RSA : SIGNING,
    ...validity(options),
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  return { certificate, keys };
}

export async function issue(issuer: Issued, subject: string, options: CertificateOptions = {}): Promise<Issued> {
  const keys = await generate(options);
  const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(options.ca ?? false, undefined, true)];
  if (options.aaguid) extensions.push(new x509.Extension(ID_FIDO_GEN_CE_AAGUID, false, Uint8Array.from([0x04, 0x10, ...options.aaguid])));
  const certificate = await x509.X509CertificateGenerator.create({
    subject,
    issuer: issuer.certificate.subject,
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: issuer.keys.privateKey.algorithm.name === 'ECDSA' ? SIGNING : RSA,
    ...validity(options),
    extensions,
  });
  return { certificate, keys };
}

export const b64 = (c: x509.X509Certificate) => Buffer.from(c.rawData).toString('base64');

/** A compact JWS as the MDS publishes it, with the chain in x5c (ES256, or RS256 for an RSA signer). */
export async function signBlob(payload: unknown, signer: CryptoKey, x5c: readonly x509.X509Certificate[]): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: signer.algorithm.name === 'ECDSA' ? 'ES256' : 'RS256', typ: 'JWT', x5c: x5c.map(b64) })
    .sign(signer);
}

export interface EntryOptions {
  readonly roots: readonly x509.X509Certificate[];
  readonly statuses?: readonly string[];
  readonly description?: string;
}

export function mdsPayload(entries: Readonly<Record<string, EntryOptions>>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    legalHeader: 'Retrieval and use of this BLOB indicates acceptance of the appropriate agreement.',
    no: 7,
    nextUpdate: '2099-01-01',
    entries: [
      // A UAF entry: no aaguid, left out of the map.
      { aaid: '4e4e#4005', metadataStatement: { description: 'UAF thing', attestationRootCertificates: [] }, statusReports: [{ status: 'FIDO_CERTIFIED' }], timeOfLastStatusChange: '2020-01-01' },
      ...Object.entries(entries).map(([aaguid, e]) => ({
        aaguid,
        metadataStatement: { description: e.description ?? 'Test Key', attestationRootCertificates: e.roots.map(b64), schema: 3, upv: [{ major: 1, minor: 1 }] },
        statusReports: (e.statuses ?? ['FIDO_CERTIFIED_L1']).map((status) => ({ status, effectiveDate: '2024-01-01' })),
        timeOfLastStatusChange: '2024-01-01',
      })),
    ],
    ...extra,
  };
}

export function aaguidBytes(aaguid: string): Uint8Array {
  return Uint8Array.from(Buffer.from(aaguid.replace(/-/g, ''), 'hex'));
}

export interface PackedInput {
  readonly fmt: string;
  readonly attStmt: Map<string, unknown>;
  readonly authData: Uint8Array;
  readonly clientDataHash: Uint8Array;
  readonly aaguid: string;
}

/** A packed attestation as a key with this leaf would send it, over authData carrying `aaguid`. */
export function packedAttestation(leaf: Issued, chain: readonly x509.X509Certificate[], aaguid: string): PackedInput {
  const authData = authenticatorData('example.okta.com', 0x01, 1, {
    aaguid: aaguidBytes(aaguid),
    credentialId: new Uint8Array(32).fill(9),
    publicKey: { x: new Uint8Array(32).fill(1), y: new Uint8Array(32).fill(2) },
  });
  const clientDataHash = new Uint8Array(32).fill(5);
  const signature = sign('sha256', Buffer.concat([authData, clientDataHash]), KeyObject.from(leaf.keys.privateKey));
  const x5c = [leaf.certificate, ...chain].map((c) => new Uint8Array(c.rawData));
  return { fmt: 'packed', attStmt: new Map<string, unknown>([['alg', -7], ['sig', new Uint8Array(signature)], ['x5c', x5c]]), authData, clientDataHash, aaguid };
}
