// authenticatorMakeCredential (CTAP 2.1 §6.1): the request model and its CBOR map, the response model,
// the authenticator-data parser (WebAuthn §6.1), and the WebAuthn attestation object the wire profile sends.
import { CborError, decodeFirst, encode, type CborMap, type CborValue } from './cbor.js';
import type { PinUvAuthToken } from './client-pin.js';
import { ProtocolError } from './errors.js';
import { uuidString } from './info.js';
import { ReplyReader } from './reply-reader.js';

export interface RelyingPartyEntity {
  readonly id: string;
  readonly name?: string;
}

export interface UserEntity {
  /** 1 to 64 bytes. */
  readonly id: Uint8Array;
  readonly name?: string;
  readonly displayName?: string;
}

export interface CredentialParameters {
  readonly type: 'public-key';
  readonly alg: number;
}

export interface CredentialDescriptor {
  readonly type: 'public-key';
  readonly id: Uint8Array;
}

export type CredProtectLevel = 1 | 2 | 3;

export interface MakeCredentialExtensions {
  readonly credProtect?: CredProtectLevel;
  readonly minPinLength?: true;
}

export interface MakeCredentialRequest {
  /** SHA-256 of the clientDataJSON: 32 bytes. */
  readonly clientDataHash: Uint8Array;
  readonly rp: RelyingPartyEntity;
  readonly user: UserEntity;
  readonly pubKeyCredParams: readonly CredentialParameters[];
  readonly excludeList?: readonly CredentialDescriptor[];
  readonly extensions?: MakeCredentialExtensions;
  readonly options?: { readonly rk?: boolean; readonly uv?: boolean };
  /** When given, pinUvAuthParam = token.authenticate(clientDataHash) and its protocol are sent. */
  readonly pinUvAuthToken?: PinUvAuthToken;
  /** 1: vendor-facilitated, 2: platform-managed (CTAP 2.1 §7.1). */
  readonly enterpriseAttestation?: 1 | 2;
}

export interface MakeCredentialResponse {
  readonly fmt: string;
  /** Authenticator data exactly as the key signed it; parse with parseAuthenticatorData. */
  readonly authData: Uint8Array;
  readonly attStmt: CborMap;
  readonly epAtt?: boolean;
  readonly largeBlobKey?: Uint8Array;
}

export function encodeMakeCredentialRequest(req: MakeCredentialRequest): CborMap {
  if (req.clientDataHash.length !== 32) throw new RangeError(`clientDataHash must be 32 bytes, got ${req.clientDataHash.length}`);
  if (req.user.id.length < 1 || req.user.id.length > 64) throw new RangeError(`user.id must be 1 to 64 bytes, got ${req.user.id.length}`);
  if (req.pubKeyCredParams.length === 0) throw new RangeError('pubKeyCredParams must list at least one algorithm');
  const m = new Map<number, CborValue>();
  m.set(0x01, req.clientDataHash);
  m.set(0x02, { id: req.rp.id, name: req.rp.name });
  m.set(0x03, { id: req.user.id, name: req.user.name, displayName: req.user.displayName });
  m.set(0x04, req.pubKeyCredParams.map((p) => ({ type: p.type, alg: p.alg })));
  if (req.excludeList && req.excludeList.length > 0) m.set(0x05, req.excludeList.map((d) => ({ type: d.type, id: d.id })));
  const ext = req.extensions;
  if (ext && (ext.credProtect !== undefined || ext.minPinLength !== undefined)) {
    m.set(0x06, { credProtect: ext.credProtect, minPinLength: ext.minPinLength });
  }
  const opts = req.options;
  if (opts && (opts.rk !== undefined || opts.uv !== undefined)) m.set(0x07, { rk: opts.rk, uv: opts.uv });
  if (req.pinUvAuthToken) {
    m.set(0x08, req.pinUvAuthToken.authenticate(req.clientDataHash));
    m.set(0x09, req.pinUvAuthToken.protocol.version);
  }
  if (req.enterpriseAttestation !== undefined) m.set(0x0a, req.enterpriseAttestation);
  return m;
}

export function parseMakeCredentialResponse(reply: CborMap): MakeCredentialResponse {
  const r = new ReplyReader(reply, 'makeCredential reply');
  const attStmt = r.needMap(0x03, 'attStmt');
  for (const key of attStmt.keys()) {
    if (typeof key !== 'string') r.invalid(0x03, 'attStmt', 'must have text keys');
  }
  return {
    fmt: r.needText(0x01, 'fmt'),
    authData: r.needBytes(0x02, 'authData'),
    attStmt,
    epAtt: r.bool(0x04, 'epAtt'),
    largeBlobKey: r.bytes(0x05, 'largeBlobKey', [32]),
  };
}

/** The WebAuthn attestation object: CBOR `{fmt, attStmt, authData}` with text keys. */
export function attestationObjectBytes(response: MakeCredentialResponse): Uint8Array {
  return encode(new Map<string, CborValue>([['fmt', response.fmt], ['attStmt', response.attStmt], ['authData', response.authData]]));
}

export interface AuthenticatorDataFlags {
  /** The raw flags byte. */
  readonly value: number;
  readonly userPresent: boolean;
  readonly userVerified: boolean;
  readonly backupEligible: boolean;
  readonly backedUp: boolean;
  readonly attestedCredentialData: boolean;
  readonly extensionData: boolean;
}

export interface AttestedCredentialData {
  readonly aaguid: Uint8Array;
  readonly aaguidString: string;
  readonly credentialId: Uint8Array;
  readonly credentialPublicKey: CborMap;
  /** The COSE key exactly as it appears in authData. */
  readonly credentialPublicKeyBytes: Uint8Array;
}

export interface AuthenticatorExtensionOutputs {
  readonly credProtect?: number;
  readonly minPinLength?: number;
}

export interface AuthenticatorData {
  readonly rpIdHash: Uint8Array;
  readonly flags: AuthenticatorDataFlags;
  readonly signCount: number;
  readonly attestedCredentialData?: AttestedCredentialData;
  /** The raw extensions map, when the ED flag is set. */
  readonly extensions?: CborMap;
  readonly extensionOutputs: AuthenticatorExtensionOutputs;
}

const FLAG = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40, ED: 0x80 } as const;
const WHERE = 'makeCredential authData';

function embeddedCbor(bytes: Uint8Array, offset: number, what: string): { value: CborValue; length: number } {
  try {
    return decodeFirst(bytes.subarray(offset));
  } catch (e) {
    if (e instanceof CborError) throw new ProtocolError(`${WHERE}: ${what} is not valid CTAP2 CBOR (${e.message})`);
    throw e;
  }
}

export function parseAuthenticatorData(authData: Uint8Array): AuthenticatorData {
  if (authData.length < 37) throw new ProtocolError(`${WHERE}: ${authData.length} bytes, at least 37 expected`);
  const view = new DataView(authData.buffer, authData.byteOffset, authData.byteLength);
  const flagsByte = authData[32]!;
  const flags: AuthenticatorDataFlags = {
    value: flagsByte,
    userPresent: (flagsByte & FLAG.UP) !== 0,
    userVerified: (flagsByte & FLAG.UV) !== 0,
    backupEligible: (flagsByte & FLAG.BE) !== 0,
    backedUp: (flagsByte & FLAG.BS) !== 0,
    attestedCredentialData: (flagsByte & FLAG.AT) !== 0,
    extensionData: (flagsByte & FLAG.ED) !== 0,
  };
  let offset = 37;
  let attested: AttestedCredentialData | undefined;
  if (flags.attestedCredentialData) {
    if (authData.length < offset + 18) throw new ProtocolError(`${WHERE}: attested credential data is truncated`);
    const aaguid = authData.slice(offset, offset + 16);
    const idLength = view.getUint16(offset + 16);
    offset += 18;
    if (authData.length < offset + idLength) throw new ProtocolError(`${WHERE}: credential ID of ${idLength} bytes runs past the end`);
    const credentialId = authData.slice(offset, offset + idLength);
    offset += idLength;
    const key = embeddedCbor(authData, offset, 'credentialPublicKey');
    if (!(key.value instanceof Map)) throw new ProtocolError(`${WHERE}: credentialPublicKey is not a COSE_Key map`);
    attested = {
      aaguid,
      aaguidString: uuidString(aaguid),
      credentialId,
      credentialPublicKey: key.value,
      credentialPublicKeyBytes: authData.slice(offset, offset + key.length),
    };
    offset += key.length;
  }
  let extensions: CborMap | undefined;
  if (flags.extensionData) {
    const ext = embeddedCbor(authData, offset, 'extensions');
    if (!(ext.value instanceof Map)) throw new ProtocolError(`${WHERE}: extensions is not a map`);
    extensions = ext.value;
    offset += ext.length;
  }
  if (offset !== authData.length) throw new ProtocolError(`${WHERE}: ${authData.length - offset} unexpected bytes after the declared contents`);
  return {
    rpIdHash: authData.slice(0, 32),
    flags,
    signCount: view.getUint32(33),
    attestedCredentialData: attested,
    extensions,
    extensionOutputs: extensions ? parseExtensionOutputs(extensions) : {},
  };
}

function parseExtensionOutputs(extensions: CborMap): AuthenticatorExtensionOutputs {
  const r = new ReplyReader(extensions, `${WHERE} extensions`);
  const credProtect = r.uint('credProtect', 'credProtect');
  if (credProtect !== undefined && (credProtect < 1 || credProtect > 3)) r.invalid('credProtect', 'credProtect', `must be 1, 2 or 3, got ${credProtect}`);
  return { credProtect, minPinLength: r.uint('minPinLength', 'minPinLength') };
}
