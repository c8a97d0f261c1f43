// The attestation gate: is the key that just made a credential a genuine, uncompromised model this
// station may activate? Checks a CTAP2 makeCredential reply's packed attestation (WebAuthn §8.2): the
// signature over authData ‖ clientDataHash with the x5c leaf's key, the leaf's AAGUID extension, the
// chain to the roots the trust store holds for the AAGUID, the metadata status reports and the
// AAGUID allow-list. Any failure is a verdict, not an exception: the caller quarantines the key.
import 'reflect-metadata';
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { ProtocolError } from '../ctap/errors.js';
import { parseAuthenticatorData } from '../ctap/make-credential.js';
import { ChainError, normalizeAaguid, verifyChain, type TrustSource, type TrustStore } from './trust-store.js';

x509.cryptoProvider.set(globalThis.crypto);

export interface AttestationInput {
  /** makeCredential reply key 1. */
  readonly fmt: string;
  /** makeCredential reply key 3, as decoded (text keys alg/sig/x5c for packed). */
  readonly attStmt: ReadonlyMap<string | number, unknown>;
  /** makeCredential reply key 2, exactly as the key signed it. */
  readonly authData: Uint8Array;
  /** The clientDataHash sent in the makeCredential request. */
  readonly clientDataHash: Uint8Array;
  /** The AAGUID the key reported (getInfo); must match the one in authData. */
  readonly aaguid: string;
}

export interface AttestationVerdict {
  readonly trusted: boolean;
  /** Plain words for the technician: what was found and what to do. */
  readonly reason: string;
  readonly source?: TrustSource;
  readonly rootSubject?: string;
  readonly leafSubject?: string;
  /** The attestation certificate (x5c[0]) DER, base64url, kept with the job. */
  readonly leafDer?: string;
  /** The metadata status that decided (a compromise) or the latest one, when the blob lists the AAGUID. */
  readonly mdsStatus?: string;
  /** Certificate revocation lists cannot be fetched offline; the verdict never claims they were checked. */
  readonly revocationChecked: false;
}

const ID_FIDO_GEN_CE_AAGUID = '1.3.6.1.4.1.45724.1.1.4';
const COMPROMISED = new Set(['REVOKED', 'USER_VERIFICATION_BYPASS', 'ATTESTATION_KEY_COMPROMISE', 'USER_KEY_REMOTE_COMPROMISE', 'USER_KEY_PHYSICAL_COMPROMISE']);
const SET_ASIDE = 'Set the key aside as quarantined and do not ship it.';
const NO_CERTIFICATE = `The key gave no attestation certificate; keybench cannot tell it is genuine. ${SET_ASIDE}`;

interface SignatureAlgorithm {
  readonly name: string;
  /** node:crypto digest; null for EdDSA, which hashes internally. */
  readonly hash: string | null;
  readonly keyType: string;
  readonly curve?: string;
}

const COSE_ALGORITHMS: ReadonlyMap<number, SignatureAlgorithm> = new Map([
  [-7, { name: 'ES256', hash: 'sha256', keyType: 'ec', curve: 'prime256v1' }],
  [-35, { name: 'ES384', hash: 'sha384', keyType: 'ec', curve: 'secp384r1' }],
  [-36, { name: 'ES512', hash: 'sha512', keyType: 'ec', curve: 'secp521r1' }],
  [-257, { name: 'RS256', hash: 'sha256', keyType: 'rsa' }],
  [-8, { name: 'EdDSA', hash: null, keyType: 'ed25519' }],
]);

/** A verdict that blocks activation; `extra` keeps what was learnt (the leaf, the root) for the job's record. */
class Untrusted extends Error {
  constructor(
    readonly reason: string,
    readonly extra: Partial<AttestationVerdict> = {},
  ) {
    super(reason);
  }
}

function base64url(bytes: ArrayBuffer | Uint8Array): string {
  return Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString('base64url');
}

function authDataAaguid(authData: Uint8Array): string {
  let attested;
  try {
    attested = parseAuthenticatorData(authData).attestedCredentialData;
  } catch (e) {
    if (e instanceof ProtocolError) throw new Untrusted(`The key's credential data is malformed (${e.message}). ${SET_ASIDE}`);
    throw e;
  }
  if (!attested) throw new Untrusted(`The key's reply has no attested credential, so there is nothing to verify. ${SET_ASIDE}`);
  return attested.aaguidString;
}

function packedStatement(attStmt: ReadonlyMap<string | number, unknown>): { alg: number; sig: Uint8Array; x5c: Uint8Array[] } {
  const alg = attStmt.get('alg');
  const sig = attStmt.get('sig');
  const x5c = attStmt.get('x5c');
  if (x5c === undefined) throw new Untrusted(NO_CERTIFICATE);
  if (typeof alg !== 'number' || !(sig instanceof Uint8Array) || !Array.isArray(x5c) || x5c.length === 0 || !x5c.every((c) => c instanceof Uint8Array)) {
    throw new Untrusted(`The key's packed attestation statement is malformed (alg, sig or x5c missing or of the wrong type). ${SET_ASIDE}`);
  }
  return { alg, sig, x5c: x5c as Uint8Array[] };
}

function parseCertificates(x5c: readonly Uint8Array[]): x509.X509Certificate[] {
  return x5c.map((der, i) => {
    try {
      return new x509.X509Certificate(Uint8Array.from(der));
    } catch {
      throw new Untrusted(`Certificate ${i + 1} of the key's attestation chain is not a valid X.509 certificate. ${SET_ASIDE}`);
    }
  });
}

function checkSignature(leaf: x509.X509Certificate, alg: number, sig: Uint8Array, signed: Uint8Array, known: Partial<AttestationVerdict>): void {
  const algorithm = COSE_ALGORITHMS.get(alg);
  if (!algorithm) throw new Untrusted(`The key signed its attestation with COSE algorithm ${alg}, which keybench does not support. ${SET_ASIDE}`, known);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(leaf.publicKey.rawData), format: 'der', type: 'spki' });
  } catch {
    throw new Untrusted(`The attestation certificate's public key cannot be read. ${SET_ASIDE}`, known);
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== algorithm.keyType || (algorithm.curve !== undefined && curve !== algorithm.curve)) {
    throw new Untrusted(`The attestation says ${algorithm.name} but the certificate holds a different kind of key. ${SET_ASIDE}`, known);
  }
  let valid = false;
  try {
    valid = verify(algorithm.hash, signed, key, sig);
  } catch {
    valid = false;
  }
  if (!valid) {
    throw new Untrusted(`The attestation signature does not match the credential: the reply was altered or the key is faulty. ${SET_ASIDE}`, known);
  }
}

function checkLeaf(leaf: x509.X509Certificate, aaguid: string, known: Partial<AttestationVerdict>): void {
  if (leaf.getExtension(x509.BasicConstraintsExtension)?.ca === true) {
    throw new Untrusted(`The attestation certificate is a CA certificate, which no genuine key presents. ${SET_ASIDE}`, known);
  }
  const extension = leaf.getExtension(ID_FIDO_GEN_CE_AAGUID);
  if (!extension) return;
  const value = new Uint8Array(extension.value);
  const inCertificate = value.length === 18 && value[0] === 0x04 && value[1] === 0x10 ? normalizeAaguid(Buffer.from(value.subarray(2)).toString('hex')) : undefined;
  if (inCertificate !== aaguid) {
    throw new Untrusted(
      `The attestation certificate is for authenticator model ${inCertificate ?? '(unreadable)'} but the key says it is ${aaguid}: the key is not what it claims. ${SET_ASIDE}`,
      known,
    );
  }
}

function compromise(store: TrustStore, aaguid: string): { status?: string; blocking: boolean } {
  const entry = store.mdsEntry(aaguid);
  if (!entry) return { blocking: false };
  // Any compromise ever reported counts: a later "fixed" report cannot tell which units were affected.
  const bad = entry.statusReports.find((r) => COMPROMISED.has(r.status));
  if (bad) return { status: bad.status, blocking: true };
  return { status: entry.statusReports.at(-1)?.status, blocking: false };
}

async function verdictFor(input: AttestationInput, store: TrustStore, now: Date): Promise<AttestationVerdict> {
  let aaguid: string;
  try {
    aaguid = normalizeAaguid(input.aaguid);
  } catch {
    throw new Untrusted(`The key reported an unreadable authenticator model ID (AAGUID). ${SET_ASIDE}`);
  }
  const signedAaguid = authDataAaguid(input.authData);
  if (signedAaguid !== aaguid) {
    throw new Untrusted(`The key reported model ${aaguid} but its credential says ${signedAaguid}. ${SET_ASIDE}`);
  }
  if (input.fmt === 'none') throw new Untrusted(NO_CERTIFICATE);
  if (input.fmt === 'fido-u2f') {
    throw new Untrusted(`The key answered with U2F-style attestation, which a FIDO2 key should not send; keybench cannot vouch for it. ${SET_ASIDE}`);
  }
  if (input.fmt !== 'packed') throw new Untrusted(`The key used attestation format "${input.fmt}", which keybench does not verify. ${SET_ASIDE}`);

  const statement = packedStatement(input.attStmt);
  const chain = parseCertificates(statement.x5c);
  const leaf = chain[0]!;
  const known: Partial<AttestationVerdict> = { leafSubject: leaf.subject, leafDer: base64url(statement.x5c[0]!) };
  const signed = new Uint8Array(input.authData.length + input.clientDataHash.length);
  signed.set(input.authData);
  signed.set(input.clientDataHash, input.authData.length);
  checkSignature(leaf, statement.alg, statement.sig, signed, known);
  checkLeaf(leaf, aaguid, known);

  const anchors = store.rootsFor(aaguid);
  let verified;
  try {
    verified = await verifyChain(leaf, chain.slice(1), anchors.map((a) => a.certificate), now);
  } catch (e) {
    if (!(e instanceof ChainError)) throw e;
    const advice = store.mds ? 'report the key to your security team' : 'import a current FIDO metadata blob (keybench trust import) if this model should be accepted, else report the key';
    throw new Untrusted(`The key's attestation certificate is not from a trusted manufacturer: ${e.message}. ${SET_ASIDE} Then ${advice}.`, known);
  }
  const anchor = anchors.find((a) => a.certificate === verified.root)!;
  const found = { ...known, source: anchor.source, rootSubject: verified.root.subject };

  const status = compromise(store, aaguid);
  if (status.blocking) {
    throw new Untrusted(
      `The FIDO Alliance reports this key model as ${status.status}: keys of this model must not be issued. ${SET_ASIDE} Report the batch to your security team.`,
      { ...found, mdsStatus: status.status },
    );
  }
  if (!store.allows(aaguid)) {
    throw new Untrusted(
      `This key model (${aaguid}) is genuine but not on the station's allowed list. ${SET_ASIDE} Ask an administrator to allow the model in settings if it should be issued.`,
      { ...found, mdsStatus: status.status },
    );
  }
  const via = anchor.source === 'mds' ? 'FIDO metadata' : anchor.source === 'vendor' ? 'a bundled manufacturer root' : 'the virtual key CA (simulator only)';
  return {
    trusted: true,
    reason: `Genuine key: its attestation chains to "${verified.root.subject}" (${via}).`,
    ...found,
    ...(status.status === undefined ? {} : { mdsStatus: status.status }),
    revocationChecked: false,
  };
}

/** The verdict on a makeCredential attestation; never throws for anything the key sent. */
export async function checkAttestation(input: AttestationInput, store: TrustStore, now: Date = new Date()): Promise<AttestationVerdict> {
  try {
    return await verdictFor(input, store, now);
  } catch (e) {
    if (e instanceof Untrusted) return { trusted: false, reason: e.reason, ...e.extra, revocationChecked: false };
    throw e;
  }
}
