import { describe, expect, it } from 'vitest';
import { decode, type CborMap, type CborValue } from '../../../electron/core/ctap/cbor.js';
import { ProtocolError } from '../../../electron/core/ctap/errors.js';
import {
  choosePinProtocol,
  clientPinSet,
  credentialManagementCommand,
  enterpriseAttestationEnabled,
  isFido21,
  parseAuthenticatorInfo,
  supportsConfig,
  supportsCredMgmt,
  supportsCredProtect,
  supportsEnterpriseAttestation,
  supportsMinPinLength,
  supportsPinUvAuthToken,
  supportsSetMinPinLength,
  UnsupportedPinProtocolError,
  type AuthenticatorInfo,
} from '../../../electron/core/ctap/info.js';
import { INFO_FIDO20, INFO_FIDO20_EXTRA_KEY, INFO_YUBIKEY_BIO } from './vectors.js';

const parseHex = (h: string) => parseAuthenticatorInfo(decode(Buffer.from(h, 'hex')) as CborMap);

function minimalInfo(extra: [number, CborValue][] = []): CborMap {
  return new Map<number, CborValue>([
    [0x01, ['FIDO_2_0']],
    [0x03, new Uint8Array(16)],
    ...extra,
  ]);
}

const withOptions = (options: Record<string, boolean>, protocols: number[] = []): AuthenticatorInfo =>
  parseAuthenticatorInfo(minimalInfo([[0x04, new Map(Object.entries(options))], [0x06, protocols]]));

describe('getInfo parsing', () => {
  it('parses a CTAP 2.0 key (python-fido2 _INFO)', () => {
    const info = parseHex(INFO_FIDO20);
    expect(info.versions).toEqual(['U2F_V2', 'FIDO_2_0']);
    expect(info.extensions).toEqual(['uvm', 'hmac-secret']);
    expect(Buffer.from(info.aaguid).toString('hex')).toBe('f8a011f38c0a4d15800617111f9edc7d');
    expect(info.aaguidString).toBe('f8a011f3-8c0a-4d15-8006-17111f9edc7d');
    expect(Object.fromEntries(info.options)).toEqual({ rk: true, up: true, plat: false, clientPin: false });
    expect(info.maxMsgSize).toBe(1200);
    expect(info.pinUvAuthProtocols).toEqual([1]);
    expect(isFido21(info)).toBe(false);
    expect(clientPinSet(info)).toBe(false);
    expect(supportsPinUvAuthToken(info)).toBe(false);
    expect(choosePinProtocol(info)).toBe(1);
  });

  it('ignores members it does not know (python-fido2 _INFO_EXTRA_KEY)', () => {
    const info = parseHex(INFO_FIDO20_EXTRA_KEY);
    expect(info.versions).toEqual(['U2F_V2', 'FIDO_2_0']);
    expect(info.maxMsgSize).toBe(1200);
  });

  it('parses every CTAP 2.1 member of a YubiKey Bio (authenticator-rs payload)', () => {
    const info = parseHex(INFO_YUBIKEY_BIO);
    expect(info.versions).toEqual(['U2F_V2', 'FIDO_2_0', 'FIDO_2_1_PRE', 'FIDO_2_1']);
    expect(info.extensions).toEqual(['credProtect', 'hmac-secret', 'largeBlobKey', 'credBlob', 'minPinLength']);
    expect(info.aaguidString).toBe('d8522d9f-575b-4866-88a9-ba99fa02f35b');
    expect(info.options.get('clientPin')).toBe(true);
    expect(info.options.get('makeCredUvNotRqd')).toBe(false);
    expect(info.options.size).toBe(16);
    expect(info.maxMsgSize).toBe(1200);
    expect(info.pinUvAuthProtocols).toEqual([2, 1]);
    expect(info.maxCredentialCountInList).toBe(8);
    expect(info.maxCredentialIdLength).toBe(128);
    expect(info.transports).toEqual(['usb']);
    expect(info.algorithms).toEqual([
      { type: 'public-key', alg: -7 },
      { type: 'public-key', alg: -8 },
    ]);
    expect(info.maxSerializedLargeBlobArray).toBe(1024);
    expect(info.forcePinChange).toBe(false);
    expect(info.minPinLength).toBe(4);
    expect(info.firmwareVersion).toBe(0x050506);
    expect(info.maxCredBlobLength).toBe(32);
    expect(info.maxRpIdsForSetMinPinLength).toBe(1);
    expect(info.preferredPlatformUvAttempts).toBe(3);
    expect(info.uvModality).toBe(2);
    expect(info.certifications).toBeUndefined();
    expect(info.remainingDiscoverableCredentials).toBe(24);

    expect(isFido21(info)).toBe(true);
    expect(supportsPinUvAuthToken(info)).toBe(true);
    expect(clientPinSet(info)).toBe(true);
    expect(supportsCredProtect(info)).toBe(true);
    expect(supportsMinPinLength(info)).toBe(true);
    expect(supportsSetMinPinLength(info)).toBe(true);
    expect(supportsConfig(info)).toBe(true);
    expect(supportsCredMgmt(info)).toBe(true);
    expect(supportsEnterpriseAttestation(info)).toBe(false);
    expect(choosePinProtocol(info)).toBe(2);
  });

  it('reads certifications as a map of text to unsigned integers', () => {
    const info = parseAuthenticatorInfo(minimalInfo([[0x13, new Map([['FIDO', 2], ['FIPS-CMVP-2', 2]])]]));
    expect(Object.fromEntries(info.certifications!)).toEqual({ FIDO: 2, 'FIPS-CMVP-2': 2 });
  });

  it.each<[string, [number, CborValue][], RegExp]>([
    ['versions missing', [[0x03, new Uint8Array(16)]], /0x01 \(versions\) is missing/],
    ['versions not text', [[0x01, [1]], [0x03, new Uint8Array(16)]], /0x01 \(versions\) must be an array of text strings/],
    ['aaguid of 15 bytes', [[0x01, ['FIDO_2_1']], [0x03, new Uint8Array(15)]], /0x03 \(aaguid\) must be 16 bytes long/],
    ['aaguid as text', [[0x01, ['FIDO_2_1']], [0x03, 'x']], /0x03 \(aaguid\) must be a byte string/],
  ])('rejects a reply with %s', (_name, entries, message) => {
    const parse = () => parseAuthenticatorInfo(new Map(entries));
    expect(parse).toThrow(ProtocolError);
    expect(parse).toThrow(message);
  });

  it.each<[number, CborValue, RegExp]>([
    [0x02, 'credProtect', /0x02 \(extensions\) must be an array/],
    [0x04, new Map([['rk', 1]]), /0x04 \(options\) must map text keys to booleans/],
    [0x05, -1, /0x05 \(maxMsgSize\) must be an unsigned integer/],
    [0x06, ['2'], /0x06 \(pinUvAuthProtocols\) must be an array of unsigned integers/],
    [0x0a, [new Map([['type', 'public-key']])], /algorithms\[0\]: member "alg" \(alg\) is missing/],
    [0x0c, 1, /0x0c \(forcePINChange\) must be a boolean/],
    [0x0d, 'four', /0x0d \(minPINLength\) must be an unsigned integer/],
    [0x13, new Map([['FIDO', true]]), /0x13 \(certifications\) must map text keys to unsigned integers/],
    [0x14, new Uint8Array(1), /0x14 \(remainingDiscoverableCredentials\)/],
  ])('names member 0x%s when its type is wrong', (key, value, message) => {
    expect(() => parseAuthenticatorInfo(minimalInfo([[key, value]]))).toThrow(message);
  });
});

describe('PIN protocol choice', () => {
  it('takes protocol 2 over 1 whatever order the key lists them in', () => {
    expect(choosePinProtocol(withOptions({}, [1, 2]))).toBe(2);
    expect(choosePinProtocol(withOptions({}, [2, 1]))).toBe(2);
    expect(choosePinProtocol(withOptions({}, [3, 1]))).toBe(1);
  });

  it('refuses a key that lists no protocol the station knows', () => {
    expect(() => choosePinProtocol(withOptions({}, []))).toThrow(UnsupportedPinProtocolError);
    expect(() => choosePinProtocol(withOptions({}, [3]))).toThrow(/offers PIN\/UV auth protocols 3/);
  });
});

describe('option helpers', () => {
  it('tells a set PIN, an unset PIN and no PIN support apart', () => {
    expect(clientPinSet(withOptions({ clientPin: true }))).toBe(true);
    expect(clientPinSet(withOptions({ clientPin: false }))).toBe(false);
    expect(clientPinSet(withOptions({}))).toBeUndefined();
  });

  it('sees enterprise attestation support whenever option ep is present', () => {
    expect(supportsEnterpriseAttestation(withOptions({ ep: false }))).toBe(true);
    expect(enterpriseAttestationEnabled(withOptions({ ep: false }))).toBe(false);
    expect(enterpriseAttestationEnabled(withOptions({ ep: true }))).toBe(true);
    expect(supportsEnterpriseAttestation(withOptions({}))).toBe(false);
  });

  it('accepts credMgmt or credentialMgmtPreview and picks the matching command byte', () => {
    expect(supportsCredMgmt(withOptions({ credMgmt: true }))).toBe(true);
    expect(supportsCredMgmt(withOptions({ credentialMgmtPreview: true }))).toBe(true);
    expect(supportsCredMgmt(withOptions({ credMgmt: false }))).toBe(false);
    expect(credentialManagementCommand(withOptions({ credMgmt: true, credentialMgmtPreview: true }))).toBe(0x0a);
    expect(credentialManagementCommand(withOptions({ credentialMgmtPreview: true }))).toBe(0x41);
    expect(credentialManagementCommand(undefined)).toBe(0x0a);
  });

  it('needs authnrCfg true for config and pinUvAuthToken true for permission tokens', () => {
    expect(supportsConfig(withOptions({ authnrCfg: false }))).toBe(false);
    expect(supportsConfig(withOptions({ authnrCfg: true }))).toBe(true);
    expect(supportsPinUvAuthToken(withOptions({ pinUvAuthToken: true }))).toBe(true);
    expect(supportsPinUvAuthToken(withOptions({}))).toBe(false);
  });
});
