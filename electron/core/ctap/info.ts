// authenticatorGetInfo (CTAP 2.1 §6.4): the typed model of what a key says about itself, its parser, and
// the questions the station asks of it. Members the station does not know (0x15 and later) are ignored.
import type { CborMap, CborValue } from './cbor.js';
import { CTAP2_CMD } from './constants.js';
import type { PinProtocolVersion } from './pin-protocol.js';
import { ReplyReader } from './reply-reader.js';

export interface AlgorithmEntry {
  readonly type: string;
  readonly alg: number;
}

export interface AuthenticatorInfo {
  readonly versions: readonly string[];
  readonly extensions: readonly string[];
  /** 16 raw bytes. */
  readonly aaguid: Uint8Array;
  /** The AAGUID as a lowercase 8-4-4-4-12 UUID string. */
  readonly aaguidString: string;
  readonly options: ReadonlyMap<string, boolean>;
  readonly maxMsgSize?: number;
  /** In the key's order of preference. */
  readonly pinUvAuthProtocols: readonly number[];
  readonly maxCredentialCountInList?: number;
  readonly maxCredentialIdLength?: number;
  readonly transports?: readonly string[];
  readonly algorithms?: readonly AlgorithmEntry[];
  readonly maxSerializedLargeBlobArray?: number;
  readonly forcePinChange?: boolean;
  readonly minPinLength?: number;
  readonly firmwareVersion?: number;
  readonly maxCredBlobLength?: number;
  readonly maxRpIdsForSetMinPinLength?: number;
  readonly preferredPlatformUvAttempts?: number;
  readonly uvModality?: number;
  readonly certifications?: ReadonlyMap<string, number>;
  readonly remainingDiscoverableCredentials?: number;
}

/** The key speaks no PIN/UV auth protocol this station implements. */
export class UnsupportedPinProtocolError extends Error {
  override readonly name = 'UnsupportedPinProtocolError';
  constructor(readonly offered: readonly number[]) {
    super(
      offered.length === 0
        ? 'The key lists no PIN/UV auth protocol, so its PIN cannot be managed. Use another model.'
        : `The key offers PIN/UV auth protocols ${offered.join(', ')}; this station speaks 1 and 2. Use another model.`,
    );
  }
}

export function uuidString(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const isBoolean = (v: CborValue): v is boolean => typeof v === 'boolean';
const isUint = (v: CborValue): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

export function parseAuthenticatorInfo(reply: CborMap): AuthenticatorInfo {
  const r = new ReplyReader(reply, 'getInfo reply');
  const versions = r.needTextArray(0x01, 'versions');
  if (versions.length === 0) r.invalid(0x01, 'versions', 'must not be empty');
  const aaguid = r.needBytes(0x03, 'aaguid', [16]);
  const algorithms = r.mapArray(0x0a, 'algorithms')?.map((a) => ({ type: a.needText('type', 'type'), alg: a.needInt('alg', 'alg') }));
  return {
    versions,
    extensions: r.textArray(0x02, 'extensions') ?? [],
    aaguid,
    aaguidString: uuidString(aaguid),
    options: r.textKeyedMap(0x04, 'options', isBoolean, 'booleans') ?? new Map(),
    maxMsgSize: r.uint(0x05, 'maxMsgSize'),
    pinUvAuthProtocols: r.uintArray(0x06, 'pinUvAuthProtocols') ?? [],
    maxCredentialCountInList: r.uint(0x07, 'maxCredentialCountInList'),
    maxCredentialIdLength: r.uint(0x08, 'maxCredentialIdLength'),
    transports: r.textArray(0x09, 'transports'),
    algorithms,
    maxSerializedLargeBlobArray: r.uint(0x0b, 'maxSerializedLargeBlobArray'),
    forcePinChange: r.bool(0x0c, 'forcePINChange'),
    minPinLength: r.uint(0x0d, 'minPINLength'),
    firmwareVersion: r.uint(0x0e, 'firmwareVersion'),
    maxCredBlobLength: r.uint(0x0f, 'maxCredBlobLength'),
    maxRpIdsForSetMinPinLength: r.uint(0x10, 'maxRPIDsForSetMinPINLength'),
    preferredPlatformUvAttempts: r.uint(0x11, 'preferredPlatformUvAttempts'),
    uvModality: r.uint(0x12, 'uvModality'),
    certifications: r.textKeyedMap(0x13, 'certifications', isUint, 'unsigned integers'),
    remainingDiscoverableCredentials: r.uint(0x14, 'remainingDiscoverableCredentials'),
  };
}

export function isFido21(info: AuthenticatorInfo): boolean {
  return info.versions.includes('FIDO_2_1');
}

export function supportsPinUvAuthToken(info: AuthenticatorInfo): boolean {
  return info.options.get('pinUvAuthToken') === true;
}

/** true: a PIN is set; false: the key supports a PIN but none is set; undefined: the key has no PIN support. */
export function clientPinSet(info: AuthenticatorInfo): boolean | undefined {
  return info.options.get('clientPin');
}

export function supportsCredProtect(info: AuthenticatorInfo): boolean {
  return info.extensions.includes('credProtect');
}

/** The minPinLength makeCredential extension (reports the key's minimum PIN length to listed RPs). */
export function supportsMinPinLength(info: AuthenticatorInfo): boolean {
  return info.extensions.includes('minPinLength');
}

/** authenticatorConfig setMinPINLength. */
export function supportsSetMinPinLength(info: AuthenticatorInfo): boolean {
  return info.options.get('setMinPINLength') === true;
}

export function supportsConfig(info: AuthenticatorInfo): boolean {
  return info.options.get('authnrCfg') === true;
}

export function supportsCredMgmt(info: AuthenticatorInfo): boolean {
  return info.options.get('credMgmt') === true || info.options.get('credentialMgmtPreview') === true;
}

/** The command byte for credential management: 0x0A, or the 2.1-preview 0x41 when that is all the key lists. */
export function credentialManagementCommand(info: AuthenticatorInfo | undefined): number {
  if (info && info.options.get('credMgmt') !== true && info.options.get('credentialMgmtPreview') === true) {
    return CTAP2_CMD.CREDENTIAL_MANAGEMENT_PREVIEW;
  }
  return CTAP2_CMD.CREDENTIAL_MANAGEMENT;
}

/** Option `ep` present means the key can do enterprise attestation (false: supported but not yet enabled). */
export function supportsEnterpriseAttestation(info: AuthenticatorInfo): boolean {
  return info.options.has('ep');
}

export function enterpriseAttestationEnabled(info: AuthenticatorInfo): boolean {
  return info.options.get('ep') === true;
}

/** Protocol 2 when the key lists it (stronger KDF, full-length MACs), else 1. */
export function choosePinProtocol(info: AuthenticatorInfo): PinProtocolVersion {
  if (info.pinUvAuthProtocols.includes(2)) return 2;
  if (info.pinUvAuthProtocols.includes(1)) return 1;
  throw new UnsupportedPinProtocolError(info.pinUvAuthProtocols);
}
