// The virtual key's own attestation PKI: a P-256 root CA and, per AAGUID, a batch attestation
// certificate meeting the FIDO packed-attestation requirements (subject C/O/OU/CN, CA=false, the
// id-fido-gen-ce-aaguid extension). Generation takes tens of milliseconds, so material is cached per
// process; a fixed set can be loaded for reproducible runs. Verifiers trust `rootCertificate`.
import 'reflect-metadata';
import { createPrivateKey, sign, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { z } from 'zod';

const ID_FIDO_GEN_CE_AAGUID = '1.3.6.1.4.1.45724.1.1.4';
const EC_PARAMS = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
const ROOT_NAME = 'C=US, O=keybench, OU=Virtual Key Attestation CA, CN=keybench Virtual Key Root CA';
const DAY_MS = 86_400_000;
const VALIDITY_YEARS = 20;

x509.cryptoProvider.set(globalThis.crypto);

export interface AttestationMaterial {
  readonly aaguid: Uint8Array;
  /** DER of the self-signed root CA that verifiers should trust. */
  readonly rootCertificate: Uint8Array;
  /** DER of the batch attestation certificate (x5c[0]). */
  readonly batchCertificate: Uint8Array;
  /** PKCS#8 DER of the batch attestation key. Secret: never log or persist outside a test fixture. */
  readonly batchPrivateKey: Uint8Array;
}

/** A serialisable form of AttestationMaterial for fixtures (`loadAttestation`). */
export interface AttestationFixture {
  readonly aaguid: string;
  readonly rootCertificatePem: string;
  readonly batchCertificatePem: string;
  readonly batchPrivateKeyPem: string;
}

/** The loaded attestation material is unusable; the message says which part. */
export class AttestationMaterialError extends Error {
  override readonly name = 'AttestationMaterialError';
}

interface RootCa {
  readonly certificate: x509.X509Certificate;
  readonly keys: CryptoKeyPair;
}

let rootCa: Promise<RootCa> | undefined;
const batches = new Map<string, Promise<AttestationMaterial>>();

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function validity(): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  // Back-dated a day so a verifier whose clock lags a little still accepts the chain.
  return { notBefore: new Date(now - DAY_MS), notAfter: new Date(now + VALIDITY_YEARS * 365 * DAY_MS) };
}

async function createRootCa(): Promise<RootCa> {
  const keys = await webcrypto.subtle.generateKey(EC_PARAMS, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    name: ROOT_NAME,
    keys,
    signingAlgorithm: SIGNING,
    ...validity(),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificate, keys };
}

async function createBatch(aaguid: Uint8Array): Promise<AttestationMaterial> {
  rootCa ??= createRootCa();
  const root = await rootCa;
  const keys = await webcrypto.subtle.generateKey(EC_PARAMS, true, ['sign', 'verify']);
  // extnValue is the DER of an OCTET STRING holding the 16 AAGUID bytes (FIDO packed attestation §8.2.1).
  const aaguidExtension = new x509.Extension(ID_FIDO_GEN_CE_AAGUID, false, Uint8Array.from([0x04, 0x10, ...aaguid]));
  const certificate = await x509.X509CertificateGenerator.create({
    subject: 'C=US, O=keybench, OU=Authenticator Attestation, CN=keybench Virtual Key Batch Attestation',
    issuer: root.certificate.subject,
    publicKey: keys.publicKey,
    signingKey: root.keys.privateKey,
    signingAlgorithm: SIGNING,
    ...validity(),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      await x509.AuthorityKeyIdentifierExtension.create(root.keys.publicKey),
      aaguidExtension,
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return {
    aaguid: Uint8Array.from(aaguid),
    rootCertificate: new Uint8Array(root.certificate.rawData),
    batchCertificate: new Uint8Array(certificate.rawData),
    batchPrivateKey: new Uint8Array(pkcs8),
  };
}

/** The attestation material for an AAGUID, generated on first use and cached for the process. */
export function attestationFor(aaguid: Uint8Array): Promise<AttestationMaterial> {
  const key = hex(aaguid);
  let material = batches.get(key);
  if (!material) {
    material = createBatch(aaguid);
    batches.set(key, material);
  }
  return material;
}

/**
 * DER of this process's virtual-key root CA, which every generated batch certificate chains to (material
 * loaded with useAttestation carries its own root in `rootCertificate`).
 */
export async function virtualRootCertificate(): Promise<Uint8Array> {
  rootCa ??= createRootCa();
  return new Uint8Array((await rootCa).certificate.rawData);
}

/** Makes every virtual key with this material's AAGUID attest with it (reproducible fixtures). */
export function useAttestation(material: AttestationMaterial): void {
  batches.set(hex(material.aaguid), Promise.resolve(material));
}

/** ES256 (DER) signature over `data` with the batch attestation key. */
export function signWithBatchKey(material: AttestationMaterial, data: Uint8Array): Uint8Array {
  const key = createPrivateKey({ key: Buffer.from(material.batchPrivateKey), format: 'der', type: 'pkcs8' });
  return new Uint8Array(sign('sha256', data, key));
}

function pem(label: string, der: Uint8Array): string {
  const body = Buffer.from(der).toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}

function fromPem(label: string, text: string): Uint8Array {
  const match = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`).exec(text);
  if (!match) throw new AttestationMaterialError(`expected a PEM ${label}`);
  return Uint8Array.from(Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64'));
}

export function certificatePem(der: Uint8Array): string {
  return pem('CERTIFICATE', der);
}

export function exportAttestation(material: AttestationMaterial): AttestationFixture {
  return {
    aaguid: hex(material.aaguid),
    rootCertificatePem: certificatePem(material.rootCertificate),
    batchCertificatePem: certificatePem(material.batchCertificate),
    batchPrivateKeyPem: pem('PRIVATE KEY', material.batchPrivateKey),
  };
}

const fixtureSchema = z.object({
  aaguid: z.string().regex(/^[0-9a-f]{32}$/i),
  rootCertificatePem: z.string(),
  batchCertificatePem: z.string(),
  batchPrivateKeyPem: z.string(),
});

/** Reads a fixture (e.g. parsed JSON) back into material; checks that the batch certificate carries the AAGUID. */
export function loadAttestation(fixture: unknown): AttestationMaterial {
  const parsed = fixtureSchema.safeParse(fixture);
  if (!parsed.success) throw new AttestationMaterialError(`attestation fixture is malformed: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`);
  const f = parsed.data;
  const material: AttestationMaterial = {
    aaguid: Uint8Array.from(Buffer.from(f.aaguid, 'hex')),
    rootCertificate: fromPem('CERTIFICATE', f.rootCertificatePem),
    batchCertificate: fromPem('CERTIFICATE', f.batchCertificatePem),
    batchPrivateKey: fromPem('PRIVATE KEY', f.batchPrivateKeyPem),
  };
  const inCertificate = certificateAaguid(material.batchCertificate);
  if (!inCertificate || hex(inCertificate) !== f.aaguid.toLowerCase()) {
    throw new AttestationMaterialError('the batch certificate does not carry the fixture AAGUID in id-fido-gen-ce-aaguid');
  }
  return material;
}

/** The AAGUID in a certificate's id-fido-gen-ce-aaguid extension, if it has one. */
export function certificateAaguid(der: Uint8Array): Uint8Array | undefined {
  const certificate = new x509.X509Certificate(new Uint8Array(der));
  const extension = certificate.getExtension(ID_FIDO_GEN_CE_AAGUID);
  if (!extension) return undefined;
  const value = new Uint8Array(extension.value);
  if (value.length !== 18 || value[0] !== 0x04 || value[1] !== 0x10) return undefined;
  return value.slice(2);
}
