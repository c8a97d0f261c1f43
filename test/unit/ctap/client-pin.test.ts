import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { decode, encode, type CborMap, type CborValue } from '../../../electron/core/ctap/cbor.js';
import { ClientPin, PinFormatError, PinUvAuthToken } from '../../../electron/core/ctap/client-pin.js';
import { Ctap2 } from '../../../electron/core/ctap/ctap2.js';
import { CtapError, ProtocolError } from '../../../electron/core/ctap/errors.js';
import { parseAuthenticatorInfo, type AuthenticatorInfo } from '../../../electron/core/ctap/info.js';
import { defaultRandom, ecdhX, pinHash, PinProtocolV1, PinProtocolV2, pinProtocol, type Random } from '../../../electron/core/ctap/pin-protocol.js';
import { FakeTransport } from '../helpers/fake-transport.js';
import { INFO_FIDO20, INFO_YUBIKEY_BIO, PIN_V1, PIN_V2 } from './vectors.js';

const b = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const hex = (u: Uint8Array) => Buffer.from(u).toString('hex');
const info = (h: string): AuthenticatorInfo => parseAuthenticatorInfo(decode(b(h)) as CborMap);
const LEGACY_KEY = info(INFO_FIDO20); // no pinUvAuthToken option: getPinToken uses 0x05
const FIDO21_KEY = info(INFO_YUBIKEY_BIO); // pinUvAuthToken: true: getPinToken uses 0x09

/** Hands out the given chunks in order, checking each has the length the caller asked for. */
function scripted(...chunks: string[]): Random {
  const queue = chunks.map(b);
  return (n) => {
    const next = queue.shift();
    if (!next || next.length !== n) throw new Error(`scripted random: asked for ${n} bytes, next chunk is ${next?.length}`);
    return next;
  };
}

const deviceKeyAgreement = new Map<number, CborValue>([
  [1, new Map<number, CborValue>([[1, 2], [3, -25], [-1, 1], [-2, b(PIN_V1.deviceX)], [-3, b(PIN_V1.deviceY)]])],
]);
const platformCoseKey = new Map<number, CborValue>([[1, 2], [3, -25], [-1, 1], [-2, b(PIN_V1.platformX)], [-3, b(PIN_V1.platformY)]]);

function setup(version: 1 | 2, keyInfo: AuthenticatorInfo, random: Random) {
  const transport = new FakeTransport();
  const ctap = new Ctap2(transport, keyInfo);
  return { transport, pin: new ClientPin(ctap, pinProtocol(version, random)) };
}

/** The exact bytes the client must send: CTAP canonical CBOR of the expected map. */
const wire = (m: Map<number, CborValue>) => hex(encode(m));

describe('ClientPin protocol 1: published vectors byte for byte', () => {
  it('getKeyAgreement asks with protocol 1 and subcommand 0x02', async () => {
    const { transport, pin } = setup(1, LEGACY_KEY, scripted(PIN_V1.platformPrivate));
    transport.ok(deviceKeyAgreement);
    const key = await pin.getKeyAgreement();
    expect(hex(key.x)).toBe(PIN_V1.deviceX);
    expect(transport.requests[0]!.command).toBe(0x06);
    expect(hex(transport.requests[0]!.data!)).toBe(wire(new Map([[1, 1], [2, 2]])));
  });

  it('setPIN sends the published newPinEnc and pinUvAuthParam (MAC over newPinEnc)', async () => {
    const { transport, pin } = setup(1, LEGACY_KEY, scripted(PIN_V1.platformPrivate));
    transport.ok(deviceKeyAgreement).ok();
    await pin.setPin('1234');
    expect(transport.requests).toHaveLength(2);
    expect(hex(transport.requests[1]!.data!)).toBe(
      wire(new Map<number, CborValue>([[1, 1], [2, 3], [3, platformCoseKey], [4, b(PIN_V1.setPinAuth)], [5, b(PIN_V1.setPinNewPinEnc)]])),
    );
  });

  it('changePIN sends the published newPinEnc, pinHashEnc and pinUvAuthParam (MAC over newPinEnc ‖ pinHashEnc)', async () => {
    const { transport, pin } = setup(1, LEGACY_KEY, scripted(PIN_V1.platformPrivate));
    transport.ok(deviceKeyAgreement).ok();
    await pin.changePin('1234', '4321');
    expect(hex(transport.requests[1]!.data!)).toBe(
      wire(
        new Map<number, CborValue>([
          [1, 1], [2, 4], [3, platformCoseKey], [4, b(PIN_V1.changePinAuth)], [5, b(PIN_V1.changePinNewPinEnc)], [6, b(PIN_V1.pinHashEnc1234)],
        ]),
      ),
    );
  });

  it('getPinToken on a CTAP 2.0 key uses legacy 0x05 without permissions and decrypts the published token', async () => {
    const { transport, pin } = setup(1, LEGACY_KEY, scripted(PIN_V1.platformPrivate));
    transport.ok(deviceKeyAgreement).ok(new Map([[2, b(PIN_V1.tokenEnc)]]));
    const token = await pin.getPinToken('1234', 0x01 | 0x20, 'example.com');
    expect(hex(transport.requests[1]!.data!)).toBe(wire(new Map<number, CborValue>([[1, 1], [2, 5], [3, platformCoseKey], [6, b(PIN_V1.pinHashEnc1234)]])));
    expect(hex(token.token)).toBe(PIN_V1.token);
    expect(token.permissions).toBeUndefined();
    expect(token.rpId).toBeUndefined();
    expect(token.protocol.version).toBe(1);
  });

  it('getPinToken on a key with pinUvAuthToken uses 0x09 with permissions and rpId', async () => {
    const { transport, pin } = setup(1, FIDO21_KEY, scripted(PIN_V1.platformPrivate));
    transport.ok(deviceKeyAgreement).ok(new Map([[2, b(PIN_V1.tokenEnc)]]));
    const token = await pin.getPinToken('1234', 0x01 | 0x20, 'example.com');
    expect(hex(transport.requests[1]!.data!)).toBe(
      wire(new Map<number, CborValue>([[1, 1], [2, 9], [3, platformCoseKey], [6, b(PIN_V1.pinHashEnc1234)], [9, 0x21], [0x0a, 'example.com']])),
    );
    expect(hex(token.token)).toBe(PIN_V1.token);
    expect(token.permissions).toBe(0x21);
    expect(token.rpId).toBe('example.com');
  });

  it('asks for makeCredential | getAssertion when no permissions are given', async () => {
    const { transport, pin } = setup(1, FIDO21_KEY, scripted(PIN_V1.platformPrivate));
    transport.ok(deviceKeyAgreement).ok(new Map([[2, b(PIN_V1.tokenEnc)]]));
    const token = await pin.getPinToken('1234');
    const sent = transport.requests[1]!.params as CborMap;
    expect(sent.get(9)).toBe(0x03);
    expect(sent.has(0x0a)).toBe(false);
    expect(token.permissions).toBe(0x03);
  });

  it('the token authenticates with the first 16 bytes of HMAC-SHA-256', async () => {
    const { transport, pin } = setup(1, LEGACY_KEY, scripted(PIN_V1.platformPrivate));
    transport.ok(deviceKeyAgreement).ok(new Map([[2, b(PIN_V1.tokenEnc)]]));
    const token = await pin.getPinToken('1234');
    const mac = token.authenticate(new Uint8Array(32));
    expect(mac).toHaveLength(16);
    expect(hex(mac)).toBe(hex(new PinProtocolV1().authenticate(b(PIN_V1.token), new Uint8Array(32))));
  });
});

describe('ClientPin protocol 2: derived vectors with injected key and IVs', () => {
  const IV = PIN_V2.iv;

  it('derives the documented shared secret from the vector keys', () => {
    const z = ecdhX(b(PIN_V1.platformPrivate), { x: b(PIN_V1.deviceX), y: b(PIN_V1.deviceY) });
    expect(hex(new PinProtocolV2().kdf(z))).toBe(PIN_V2.shared);
  });

  it('setPIN sends IV ‖ ciphertext and the documented 32-byte pinUvAuthParam', async () => {
    const { transport, pin } = setup(2, FIDO21_KEY, scripted(PIN_V1.platformPrivate, IV));
    transport.ok(deviceKeyAgreement).ok();
    await pin.setPin('1234');
    const sent = transport.requests[1]!.params as CborMap;
    expect(sent.get(1)).toBe(2);
    expect(sent.get(2)).toBe(3);
    expect(sent.get(3)).toEqual(platformCoseKey);
    const newPinEnc = sent.get(5) as Uint8Array;
    expect(newPinEnc).toHaveLength(16 + 64);
    expect(hex(newPinEnc.subarray(0, 16))).toBe(IV);
    expect(hex(sent.get(4) as Uint8Array)).toBe(PIN_V2.setPinAuth);
    const decrypted = new PinProtocolV2().decrypt(b(PIN_V2.shared), newPinEnc);
    expect(new TextDecoder().decode(decrypted.subarray(0, 4))).toBe('1234');
    expect(decrypted.subarray(4).every((x) => x === 0)).toBe(true);
  });

  it('getPinToken sends the documented pinHashEnc and decrypts a 32-byte token encrypted with another IV', async () => {
    const { transport, pin } = setup(2, FIDO21_KEY, scripted(PIN_V1.platformPrivate, IV));
    const token = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + i);
    const tokenEnc = new PinProtocolV2(scripted('f0'.repeat(16))).encrypt(b(PIN_V2.shared), token);
    transport.ok(deviceKeyAgreement).ok(new Map([[2, tokenEnc]]));
    const got = await pin.getPinToken('1234', 0x04);
    const sent = transport.requests[1]!.params as CborMap;
    expect(hex(sent.get(6) as Uint8Array)).toBe(PIN_V2.pinHashEnc1234);
    expect(sent.get(9)).toBe(0x04);
    expect(hex(got.token)).toBe(hex(token));
    expect(got.authenticate(new Uint8Array(1))).toHaveLength(32);
  });

  it('changePIN MACs newPinEnc ‖ pinHashEnc with the HMAC key half of the shared secret', async () => {
    const { transport, pin } = setup(2, FIDO21_KEY, scripted(PIN_V1.platformPrivate, IV, '11'.repeat(16)));
    transport.ok(deviceKeyAgreement).ok();
    await pin.changePin('1234', '98765');
    const sent = transport.requests[1]!.params as CborMap;
    const newPinEnc = sent.get(5) as Uint8Array;
    const pinHashEnc = sent.get(6) as Uint8Array;
    const v2 = new PinProtocolV2();
    expect(hex(newPinEnc.subarray(0, 16))).toBe(IV);
    expect(hex(pinHashEnc.subarray(0, 16))).toBe('11'.repeat(16));
    expect(hex(v2.decrypt(b(PIN_V2.shared), pinHashEnc))).toBe(hex(pinHash('1234')));
    expect(hex(sent.get(4) as Uint8Array)).toBe(hex(v2.authenticate(b(PIN_V2.shared), new Uint8Array([...newPinEnc, ...pinHashEnc]))));
  });

  it('rejects a decrypted token that is not 32 bytes under protocol 2', async () => {
    const { transport, pin } = setup(2, FIDO21_KEY, scripted(PIN_V1.platformPrivate, IV));
    const tokenEnc = new PinProtocolV2(scripted('f0'.repeat(16))).encrypt(b(PIN_V2.shared), new Uint8Array(16));
    transport.ok(deviceKeyAgreement).ok(new Map([[2, tokenEnc]]));
    await expect(pin.getPinToken('1234')).rejects.toThrow(/16 bytes, protocol 2 allows 32/);
  });
});

describe('ClientPin behaviour', () => {
  it('runs a fresh getKeyAgreement for every PIN operation', async () => {
    const { transport, pin } = setup(2, FIDO21_KEY, defaultRandom);
    transport.ok(deviceKeyAgreement).ok().ok(deviceKeyAgreement).ok();
    await pin.setPin('1234');
    await pin.changePin('1234', '5678');
    const sent = transport.requests.map((r) => r.params as CborMap);
    expect(sent.map((m) => m.get(2))).toEqual([2, 3, 2, 4]);
    expect(hex(encode(sent[1]!.get(3)!))).not.toBe(hex(encode(sent[3]!.get(3)!)));
  });

  it('reports PIN retries with and without powerCycleState, and UV retries', async () => {
    const { transport, pin } = setup(1, LEGACY_KEY, scripted());
    transport.ok(new Map<number, CborValue>([[3, 8], [4, false]])).ok(new Map([[3, 5]])).ok(new Map([[5, 3]]));
    expect(await pin.getPinRetries()).toEqual({ retries: 8, powerCycleState: false });
    expect(await pin.getPinRetries()).toEqual({ retries: 5 });
    expect(await pin.getUvRetries()).toBe(3);
    expect(transport.requests.map((r) => hex(r.data!))).toEqual([wire(new Map([[1, 1], [2, 1]])), wire(new Map([[1, 1], [2, 1]])), wire(new Map([[1, 1], [2, 7]]))]);
  });

  it('raises a named CtapError for PIN_NOT_SET and a ProtocolError for a reply without pinRetries', async () => {
    const { transport, pin } = setup(1, LEGACY_KEY, scripted());
    transport.status(0x35).ok(new Map([[5, 1]]));
    await expect(pin.getPinRetries()).rejects.toMatchObject({ name: 'CtapError', statusName: 'CTAP2_ERR_PIN_NOT_SET' });
    await expect(pin.getPinRetries()).rejects.toThrow(/0x03 \(pinRetries\) is missing/);
  });

  it('rejects a key-agreement key that is not a P-256 point before using it', async () => {
    const { transport, pin } = setup(1, LEGACY_KEY, scripted(PIN_V1.platformPrivate));
    const offCurve = new Map<number, CborValue>([[1, new Map<number, CborValue>([[1, 2], [3, -25], [-1, 1], [-2, b(PIN_V1.deviceX)], [-3, b(PIN_V1.deviceX)]])]]);
    transport.ok(offCurve);
    await expect(pin.setPin('1234')).rejects.toThrow(ProtocolError);
    expect(transport.requests).toHaveLength(1);
  });

  it('refuses PINs the key cannot accept without sending anything, and never echoes the PIN', async () => {
    const keyInfo = { ...FIDO21_KEY, minPinLength: 6 };
    const { transport, pin } = setup(2, keyInfo, scripted());
    const attempts = [pin.setPin('abc'), pin.setPin('12345'), pin.setPin('x'.repeat(64)), pin.changePin('abc', '123456'), pin.getPinToken('zz9')];
    for (const attempt of attempts) {
      const error = await attempt.then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(PinFormatError);
      expect(String((error as Error).message)).not.toMatch(/abc|12345|xxxx|zz9/);
    }
    expect((await pin.setPin('1234').catch((e: Error) => e.message)) as string).toMatch(/minimum of 6 characters/);
    expect(transport.requests).toHaveLength(0);
  });

  it('keeps the PIN out of the error when the key rejects it', async () => {
    const { transport, pin } = setup(1, FIDO21_KEY, scripted(PIN_V1.platformPrivate));
    transport.ok(deviceKeyAgreement).status(0x31);
    const error = await pin.getPinToken('secret-9876').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CtapError);
    expect((error as CtapError).statusName).toBe('CTAP2_ERR_PIN_INVALID');
    expect((error as Error).message).toContain('clientPIN getPinUvAuthTokenUsingPinWithPermissions');
    expect((error as Error).message).not.toContain('secret-9876');
  });

  it('does not reveal token bytes when a token is logged or serialised', () => {
    const token = new PinUvAuthToken(new PinProtocolV1(), b(PIN_V1.token), 0x20, 'example.com');
    expect(inspect(token, { depth: 5, showHidden: true })).not.toMatch(/aff12c|175, 241/);
    expect(JSON.stringify(token)).toBe('{"protocol":1,"permissions":32,"rpId":"example.com"}');
    expect(hex(token.token)).toBe(PIN_V1.token);
  });
});
