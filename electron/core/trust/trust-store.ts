// The roots an attestation may chain to, per AAGUID: the FIDO metadata entry's roots when the imported
// blob lists the AAGUID (the vendor's own statement, kept current by the FIDO Alliance), else the bundled
// vendor roots; plus the virtual key's CA, which the caller passes only when the org is the simulator or
// a loopback URL. Also the chain check shared by attestation and metadata verification.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { isLoopbackHost } from '../okta/org.js';
import { virtualRootCertificate } from '../virtual-key/attestation.js';
import type { MdsBlob, MdsEntry } from './mds-blob.js';
import { vendorRootCertificates } from './vendor-roots.js';

x509.cryptoProvider.set(globalThis.crypto);

export type TrustSource = 'mds' | 'vendor' | 'virtual';

export interface TrustAnchor {
  readonly certificate: x509.X509Certificate;
  readonly source: TrustSource;
}

export interface TrustStoreOptions {
  /** Defaults to the bundled vendor roots. */
  readonly vendorRoots?: readonly x509.X509Certificate[];
  /** A blob that verifyMdsBlob (or loadMdsBlob) accepted. */
  readonly mds?: MdsBlob;
  /** AAGUIDs allowed to be activated; empty allows every AAGUID whose attestation chains. */
  readonly aaguidAllowList?: readonly string[];
  /** The virtual key's attestation CA: pass it only for the simulator or a loopback org (virtualCaForOrg). */
  readonly virtualCa?: x509.X509Certificate;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** An AAGUID as lowercase 8-4-4-4-12; accepts 32 hex digits too. Throws RangeError for anything else. */
export function normalizeAaguid(aaguid: string): string {
  const text = aaguid.trim().toLowerCase();
  const dashed = /^[0-9a-f]{32}$/.test(text)
    ? `${text.slice(0, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16, 20)}-${text.slice(20)}`
    : text;
  if (!UUID.test(dashed)) throw new RangeError(`"${aaguid}" is not an AAGUID (expected 8-4-4-4-12 hex digits)`);
  return dashed;
}

function parseRoots(base64Ders: readonly string[]): x509.X509Certificate[] {
  const roots: x509.X509Certificate[] = [];
  for (const der of base64Ders) {
    // A root the vendor listed but that does not parse can only fail to match: skipping it is safe.
    try {
      roots.push(new x509.X509Certificate(Uint8Array.from(Buffer.from(der, 'base64'))));
    } catch {
      continue;
    }
  }
  return roots;
}

export class TrustStore {
  private readonly vendorRoots: readonly x509.X509Certificate[];
  private readonly mdsRoots = new Map<string, readonly x509.X509Certificate[]>();
  private readonly allowList: ReadonlySet<string>;
  private readonly virtualCa: x509.X509Certificate | undefined;
  readonly mds: MdsBlob | undefined;

  constructor(options: TrustStoreOptions = {}) {
    this.vendorRoots = options.vendorRoots ?? vendorRootCertificates();
    this.mds = options.mds;
    for (const [aaguid, entry] of options.mds?.entries ?? []) this.mdsRoots.set(aaguid, parseRoots(entry.attestationRootCertificates));
    this.allowList = new Set((options.aaguidAllowList ?? []).map(normalizeAaguid));
    this.virtualCa = options.virtualCa;
  }

  /** The roots an attestation for this AAGUID must chain to. */
  rootsFor(aaguid: string): readonly TrustAnchor[] {
    const key = normalizeAaguid(aaguid);
    const fromMds = this.mdsRoots.get(key);
    const anchors: TrustAnchor[] = fromMds
      ? fromMds.map((certificate) => ({ certificate, source: 'mds' }))
      : this.vendorRoots.map((certificate) => ({ certificate, source: 'vendor' }));
    if (this.virtualCa) anchors.push({ certificate: this.virtualCa, source: 'virtual' });
    return anchors;
  }

  /** The imported metadata's entry for this AAGUID, if the blob lists it. */
  mdsEntry(aaguid: string): MdsEntry | undefined {
    return this.mds?.entries.get(normalizeAaguid(aaguid));
  }

  /** Whether the allow-list lets this AAGUID be activated (an empty list allows all). */
  allows(aaguid: string): boolean {
    return this.allowList.size === 0 || this.allowList.has(normalizeAaguid(aaguid));
  }
}

/**
 * The virtual key's attestation CA when `orgHostname` is loopback (the embedded simulator or a local
 * test org), else undefined: a software key must never pass the gate against a real org.
 */
export async function virtualCaForOrg(orgHostname: string, rootDer?: Uint8Array): Promise<x509.X509Certificate | undefined> {
  if (!isLoopbackHost(orgHostname)) return undefined;
  // `rootDer`: virtual keys running in another process (the bench's key farm) attest under that process's CA.
  return new x509.X509Certificate(Uint8Array.from(rootDer ?? (await virtualRootCertificate())));
}

export type ChainFailure = 'untrusted' | 'expired';

/** The chain does not reach a trusted root, or a certificate on it is outside its validity at `now`. */
export class ChainError extends Error {
  override readonly name = 'ChainError';
  constructor(
    readonly failure: ChainFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface VerifiedChain {
  /** Leaf first, then the intermediates used; the root is not repeated even when x5c carried it. */
  readonly path: readonly x509.X509Certificate[];
  readonly root: x509.X509Certificate;
}

const MAX_INTERMEDIATES = 4;

async function signedBy(certificate: x509.X509Certificate, issuer: x509.X509Certificate): Promise<boolean> {
  if (certificate.issuer !== issuer.subject) return false;
  try {
    return await certificate.verify({ publicKey: issuer, signatureOnly: true });
  } catch {
    // An issuer whose key type cannot check this signature did not sign it.
    return false;
  }
}

async function issuerAmong(certificate: x509.X509Certificate, candidates: readonly x509.X509Certificate[]): Promise<x509.X509Certificate | undefined> {
  for (const candidate of candidates) {
    if (await signedBy(certificate, candidate)) return candidate;
  }
  return undefined;
}

function isCa(certificate: x509.X509Certificate): boolean {
  return certificate.getExtension(x509.BasicConstraintsExtension)?.ca === true;
}

/**
 * Builds leaf → intermediates → one of `roots` by signature, requires every intermediate to be a CA,
 * and checks every certificate on the path, root included, is valid at `now`.
 */
export async function verifyChain(
  leaf: x509.X509Certificate,
  intermediates: readonly x509.X509Certificate[],
  roots: readonly x509.X509Certificate[],
  now: Date,
): Promise<VerifiedChain> {
  const path: x509.X509Certificate[] = [leaf];
  let current = leaf;
  let root = await issuerAmong(current, roots);
  while (root === undefined) {
    const next = await issuerAmong(current, intermediates.filter((c) => !path.includes(c)));
    if (!next || path.length > MAX_INTERMEDIATES) {
      throw new ChainError('untrusted', `the certificate chain ends at "${current.issuer}", which is not a trusted root`);
    }
    if (!isCa(next)) throw new ChainError('untrusted', `"${next.subject}" issued a certificate but is not a CA certificate`);
    path.push(next);
    current = next;
    root = await issuerAmong(current, roots);
  }
  for (const certificate of [...path, root]) {
    if (now < certificate.notBefore || now > certificate.notAfter) {
      throw new ChainError(
        'expired',
        `"${certificate.subject}" is valid from ${certificate.notBefore.toISOString()} to ${certificate.notAfter.toISOString()}, not at ${now.toISOString()}`,
      );
    }
  }
  return { path, root };
}
