import { decodeAttestationObject, parseAuthenticatorData as swaParseAuthenticatorData } from '@simplewebauthn/server/helpers';
import { describe, expect, it } from 'vitest';
import { decode, encode, type CborMap, type CborValue } from '../../../electron/core/ctap/cbor.js';
import { PinUvAuthToken } from '../../../electron/core/ctap/client-pin.js';
import { Ctap2 } from '../../../electron/core/ctap/ctap2.js';
import { CTAP_STATUS, CtapError, ProtocolError } from '../../../electron/core/ctap/errors.js';
import {
  attestationObjectBytes,
  encodeMakeCredentialRequest,
  parseAuthenticatorData,
  parseMakeCredentialResponse,
  type MakeCredentialRequest,
} from '../../../electron/core/ctap/make-credential.js';
import { PinProtocolV1, PinProtocolV2 } from '../../../electron/core/ctap/pin-protocol.js';
import { FakeTransport } from '../helpers/fake-transport.js';
import { AUTH_DATA_MC, MC_CREDENTIAL_ID, MC_RESP } from './vectors.js';

const b = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const hex = (u: Uint8Array) => Buffer.from(u).toString('hex');
const text = (s: string) => new TextEncoder().encode(s);

const minimal: MakeCredentialRequest = {
  clientDataHash: new Uint8Array(32),
  rp: { id: 'example.com', name: 'Example' },
  user: { id: text('user_id'), name: 'user' },
  pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
};

describe('makeCredential request encoding', () => {
  it('encodes the minimal request exactly (python-fido2 test_make_credential inputs)', () => {
    const expected =
      'a4' +
      '01' + '5820' + '00'.repeat(32) +
      '02' + 'a2' + '626964' + '6b' + hex(text('example.com')) + '646e616d65' + '67' + hex(text('Example')) +
      '03' + 'a2' + '626964' + '47' + hex(text('user_id')) + '646e616d65' + '64' + hex(text('user')) +
      '04' + '81' + 'a2' + '63616c67' + '26' + '6474797065' + '6a' + hex(text('public-key'));
    expect(hex(encode(encodeMakeCredentialRequest(minimal)))).toBe(expected);
  });

  it('encodes every member with its CTAP key, pinUvAuthParam over clientDataHash and enterprise attestation at 0x0A', () => {
    const token = b('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
    const clientDataHash = Uint8Array.from({ length: 32 }, (_, i) => 0x80 + i);
    const request: MakeCredentialRequest = {
      ...minimal,
      clientDataHash,
      user: { id: text('okta-user-1'), name: 'ada@example.com', displayName: 'Ada Lovelace' },
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }, { type: 'public-key', alg: -8 }],
      excludeList: [{ type: 'public-key', id: b('aabbcc') }],
      extensions: { credProtect: 2, minPinLength: true },
      options: { rk: true },
      pinUvAuthToken: new PinUvAuthToken(new PinProtocolV2(), token, 0x01),
      enterpriseAttestation: 2,
    };
    const m = decode(encode(encodeMakeCredentialRequest(request))) as CborMap;
    expect([...m.keys()]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(m.get(3)).toEqual(new Map<string, CborValue>([['id', text('okta-user-1')], ['name', 'ada@example.com'], ['displayName', 'Ada Lovelace']]));
    expect(m.get(5)).toEqual([new Map<string, CborValue>([['id', b('aabbcc')], ['type', 'public-key']])]);
    expect(m.get(6)).toEqual(new Map<string, CborValue>([['credProtect', 2], ['minPinLength', true]]));
    expect(m.get(7)).toEqual(new Map([['rk', true]]));
    expect(hex(m.get(8) as Uint8Array)).toBe(hex(new PinProtocolV2().authenticate(token, clientDataHash)));
    expect(m.get(9)).toBe(2);
    expect(m.get(10)).toBe(2);
  });

  it('sends a 16-byte pinUvAuthParam and protocol 1 for a protocol 1 token', () => {
    const m = encodeMakeCredentialRequest({ ...minimal, pinUvAuthToken: new PinUvAuthToken(new PinProtocolV1(), new Uint8Array(16)) });
    expect((m.get(8) as Uint8Array).length).toBe(16);
    expect(m.get(9)).toBe(1);
  });

  it('leaves out empty optional members', () => {
    const m = encodeMakeCredentialRequest({ ...minimal, excludeList: [], extensions: {}, options: {} });
    expect([...m.keys()]).toEqual([1, 2, 3, 4]);
  });

  it.each<[string, Partial<MakeCredentialRequest>]>([
    ['a 31-byte clientDataHash', { clientDataHash: new Uint8Array(31) }],
    ['an empty user id', { user: { id: new Uint8Array(0) } }],
    ['a 65-byte user id', { user: { id: new Uint8Array(65) } }],
    ['no algorithms', { pubKeyCredParams: [] }],
  ])('refuses %s before sending', (_name, change) => {
    expect(() => encodeMakeCredentialRequest({ ...minimal, ...change })).toThrow(RangeError);
  });
});

describe('makeCredential response parsing', () => {
  it('parses a real packed attestation (python-fido2 _MC_RESP)', () => {
    const response = parseMakeCredentialResponse(decode(b(MC_RESP)) as CborMap);
    expect(response.fmt).toBe('packed');
    expect(hex(response.authData)).toBe(AUTH_DATA_MC);
    expect([...response.attStmt.keys()].sort()).toEqual(['alg', 'sig', 'x5c']);
    expect(response.attStmt.get('alg')).toBe(-7);
    expect(response.epAtt).toBeUndefined();
    expect(response.largeBlobKey).toBeUndefined();
  });

  it('parses the authenticator data: rpIdHash, flags, counter, attested credential and its raw COSE key', () => {
    const data = parseAuthenticatorData(b(AUTH_DATA_MC));
    expect(hex(data.rpIdHash)).toBe('0021f5fc0b85cd22e60623bcd7d1ca48948909249b4776eb515154e57b66ae12');
    expect(data.flags).toEqual({
      value: 0x41, userPresent: true, userVerified: false, backupEligible: false, backedUp: false, attestedCredentialData: true, extensionData: false,
    });
    expect(data.signCount).toBe(28);
    const cred = data.attestedCredentialData!;
    expect(cred.aaguidString).toBe('f8a011f3-8c0a-4d15-8006-17111f9edc7d');
    expect(hex(cred.credentialId)).toBe(MC_CREDENTIAL_ID);
    expect(cred.credentialPublicKey).toEqual(
      new Map<number, CborValue>([
        [1, 2], [3, -7], [-1, 1],
        [-2, b('643566c206dd00227005fa5de69320616ca268043a38f08bde2e9dc45a5cafaf')],
        [-3, b('171353b2932434703726aae579fa6542432861fe591e481ea22d63997e1a5290')],
      ]),
    );
    expect(hex(cred.credentialPublicKeyBytes)).toBe(AUTH_DATA_MC.slice(AUTH_DATA_MC.indexOf('a501020326')));
    expect(data.extensions).toBeUndefined();
    expect(data.extensionOutputs).toEqual({});
  });

  it('reads credProtect and minPinLength extension outputs after the credential', () => {
    const authData = b(AUTH_DATA_MC);
    authData[32] = 0x41 | 0x80 | 0x04;
    const ext = encode(new Map<string, CborValue>([['credProtect', 2], ['minPinLength', 6]]));
    const data = parseAuthenticatorData(new Uint8Array([...authData, ...ext]));
    expect(data.flags.extensionData).toBe(true);
    expect(data.flags.userVerified).toBe(true);
    expect(data.extensionOutputs).toEqual({ credProtect: 2, minPinLength: 6 });
    expect(data.attestedCredentialData?.credentialId).toHaveLength(64);
  });

  it('reads extensions without attested credential data', () => {
    const authData = new Uint8Array([...b(AUTH_DATA_MC).subarray(0, 37), ...encode(new Map([['credProtect', 3]]))]);
    authData[32] = 0x81;
    const data = parseAuthenticatorData(authData);
    expect(data.attestedCredentialData).toBeUndefined();
    expect(data.extensionOutputs.credProtect).toBe(3);
  });

  it('reads BE and BS flags', () => {
    const authData = b(AUTH_DATA_MC).slice(0, 37);
    authData[32] = 0x1d;
    expect(parseAuthenticatorData(authData).flags).toMatchObject({ userPresent: true, userVerified: true, backupEligible: true, backedUp: true });
  });

  const truncated = () => b(AUTH_DATA_MC).slice(0, 36);
  const trailing = () => new Uint8Array([...b(AUTH_DATA_MC), 0x00]);
  const longId = () => {
    const a = b(AUTH_DATA_MC);
    a[53] = 0xff;
    return a;
  };
  const badKey = () => new Uint8Array([...b(AUTH_DATA_MC).subarray(0, 55 + 64), 0x1f]);
  const extNotMap = () => {
    const a = new Uint8Array([...b(AUTH_DATA_MC).subarray(0, 37), 0x01]);
    a[32] = 0x81;
    return a;
  };
  const badCredProtect = () => {
    const a = new Uint8Array([...b(AUTH_DATA_MC).subarray(0, 37), ...encode(new Map([['credProtect', 4]]))]);
    a[32] = 0x81;
    return a;
  };
  it.each<[string, () => Uint8Array, RegExp]>([
    ['shorter than 37 bytes', truncated, /36 bytes, at least 37/],
    ['with trailing bytes', trailing, /1 unexpected bytes/],
    ['whose credential ID runs past the end', longId, /runs past the end/],
    ['with a broken COSE key', badKey, /credentialPublicKey is not valid CTAP2 CBOR/],
    ['whose extensions are not a map', extNotMap, /extensions is not a map/],
    ['with credProtect 4', badCredProtect, /credProtect.*must be 1, 2 or 3/],
  ])('rejects authenticator data %s', (_name, make, message) => {
    const parse = () => parseAuthenticatorData(make());
    expect(parse).toThrow(ProtocolError);
    expect(parse).toThrow(message);
  });

  it.each<[string, Map<number, CborValue>, RegExp]>([
    ['fmt missing', new Map<number, CborValue>([[2, new Uint8Array(37)], [3, new Map()]]), /0x01 \(fmt\) is missing/],
    ['authData as text', new Map<number, CborValue>([[1, 'none'], [2, 'x'], [3, new Map()]]), /0x02 \(authData\) must be a byte string/],
    ['attStmt with an integer key', new Map<number, CborValue>([[1, 'none'], [2, new Uint8Array(37)], [3, new Map([[1, 1]])]]), /0x03 \(attStmt\) must have text keys/],
    ['epAtt not a boolean', new Map<number, CborValue>([[1, 'none'], [2, new Uint8Array(37)], [3, new Map()], [4, 1]]), /0x04 \(epAtt\) must be a boolean/],
    ['largeBlobKey of 16 bytes', new Map<number, CborValue>([[1, 'none'], [2, new Uint8Array(37)], [3, new Map()], [5, new Uint8Array(16)]]), /0x05 \(largeBlobKey\) must be 32 bytes/],
  ])('rejects a reply with %s, naming the member', (_name, reply, message) => {
    expect(() => parseMakeCredentialResponse(reply)).toThrow(message);
  });

  it('reads epAtt and largeBlobKey when present', () => {
    const r = parseMakeCredentialResponse(new Map<number, CborValue>([[1, 'packed'], [2, new Uint8Array(37)], [3, new Map()], [4, true], [5, new Uint8Array(32)]]));
    expect(r.epAtt).toBe(true);
    expect(r.largeBlobKey).toHaveLength(32);
  });
});

describe('WebAuthn attestation object', () => {
  it('re-encodes fmt, attStmt and authData with text keys, readable by @simplewebauthn/server', () => {
    const response = parseMakeCredentialResponse(decode(b(MC_RESP)) as CborMap);
    const bytes = attestationObjectBytes(response);
    const ours = decode(bytes) as CborMap;
    expect([...ours.keys()]).toEqual(['fmt', 'attStmt', 'authData']);
    const theirs = decodeAttestationObject(new Uint8Array(bytes));
    expect(theirs.get('fmt')).toBe('packed');
    expect(hex(theirs.get('authData'))).toBe(AUTH_DATA_MC);
    const parsed = swaParseAuthenticatorData(theirs.get('authData'));
    expect(parsed.counter).toBe(28);
    expect(hex(parsed.credentialID!)).toBe(MC_CREDENTIAL_ID);
  });
});

describe('Ctap2.makeCredential', () => {
  it('sends command 0x01 with the encoded request and returns the parsed reply', async () => {
    const transport = new FakeTransport().raw(new Uint8Array([0, ...b(MC_RESP)]));
    const onKeepalive = () => undefined;
    const response = await new Ctap2(transport).makeCredential(minimal, { timeoutMs: 30_000, onKeepalive });
    expect(transport.requests[0]!.command).toBe(0x01);
    expect(hex(transport.requests[0]!.data!)).toBe(hex(encode(encodeMakeCredentialRequest(minimal))));
    expect(transport.requests[0]!.options).toEqual({ timeoutMs: 30_000, onKeepalive });
    expect(response.fmt).toBe('packed');
  });

  const statuses = Object.entries(CTAP_STATUS)
    .map(([code, info]) => [Number(code), info.name] as const)
    .filter(([code]) => code !== 0)
    .concat([[0xe3, 'CTAP2_ERR_EXTENSION_0xe3'], [0xf7, 'CTAP2_ERR_VENDOR_0xf7'], [0x50, 'CTAP_STATUS_0x50']]);

  it.each(statuses)('status 0x%s becomes a CtapError named %s', async (code, name) => {
    const transport = new FakeTransport().status(code);
    const error = await new Ctap2(transport).makeCredential(minimal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CtapError);
    expect(error).toMatchObject({ status: code, statusName: name });
    expect((error as Error).message).toMatch(/^makeCredential: /);
  });
});
