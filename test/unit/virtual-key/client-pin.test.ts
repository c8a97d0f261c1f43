import { describe, expect, it } from 'vitest';
import { CTAP2_CMD, CLIENT_PIN_SUB, CONFIG_SUB, PERMISSION } from '../../../electron/core/ctap/constants.js';
import { encode, type CborMap, type CborValue } from '../../../electron/core/ctap/cbor.js';
import { padPin, type PinProtocolVersion } from '../../../electron/core/ctap/pin-protocol.js';
import { VirtualKey } from '../../../electron/core/virtual-key/virtual-key.js';
import { CLIENT_DATA_HASH, FAST, TestPlatform, connect, makeCredentialParams, map, plain } from './host.js';

const S = { PIN_INVALID: 0x31, PIN_BLOCKED: 0x32, PIN_AUTH_INVALID: 0x33, PIN_AUTH_BLOCKED: 0x34, PIN_NOT_SET: 0x35, POLICY: 0x37, NOT_ALLOWED: 0x30, UNAUTHORIZED: 0x40, PUAT_REQUIRED: 0x36 };

async function setup(version: PinProtocolVersion = 2, overrides: ConstructorParameters<typeof VirtualKey>[0] = {}) {
  const key = new VirtualKey({ ...FAST, ...overrides });
  const host = await connect(key.device);
  return { key, host, platform: new TestPlatform(host, version) };
}

async function info(platform: TestPlatform) {
  const reply = await platform.host.cbor(CTAP2_CMD.GET_INFO);
  return reply.body!;
}

function configMessage(sub: number, params: CborMap): Uint8Array {
  return Uint8Array.from([...new Uint8Array(32).fill(0xff), 0x0d, sub, ...encode(params)]);
}

async function setMinPinLength(platform: TestPlatform, token: Uint8Array | undefined, params: CborMap): Promise<number> {
  const entries: [number, CborValue][] = [
    [1, CONFIG_SUB.SET_MIN_PIN_LENGTH],
    [2, params],
  ];
  if (token) entries.push([3, platform.version], [4, platform.authenticate(token, configMessage(CONFIG_SUB.SET_MIN_PIN_LENGTH, params))]);
  return (await platform.host.cbor(CTAP2_CMD.CONFIG, map(entries))).status;
}

describe.each([1, 2] as const)('PIN protocol %i', (version) => {
  it('sets a PIN, issues a token that authorises makeCredential, and reports clientPin', async () => {
    const { host, platform } = await setup(version);
    expect(plain((await info(platform)).get(4))).toMatchObject({ clientPin: false });
    expect(await platform.setPin('1234')).toBe(0);
    expect(plain((await info(platform)).get(4))).toMatchObject({ clientPin: true });

    const token = await platform.requireToken('1234');
    expect(token.length).toBe(32);
    const reply = await host.cbor(
      CTAP2_CMD.MAKE_CREDENTIAL,
      makeCredentialParams('example.com', 1, [
        [8, platform.authenticate(token, CLIENT_DATA_HASH)],
        [9, version],
      ]),
    );
    expect(reply.status).toBe(0);
    const authData = reply.body!.get(2) as Uint8Array;
    expect(authData[32]! & 0x05).toBe(0x05); // UP and UV
  });

  it('refuses a second setPIN and a PIN shorter than the minimum', async () => {
    const { platform } = await setup(version);
    expect(await platform.setPin('123')).toBe(S.POLICY);
    expect(await platform.setPin('1234')).toBe(0);
    expect(await platform.setPin('5678')).toBe(S.NOT_ALLOWED);
  });

  it('changes the PIN; the old PIN stops working', async () => {
    const { platform } = await setup(version);
    await platform.setPin('1234');
    expect(await platform.changePin('1234', '98765')).toBe(0);
    expect((await platform.token('1234')).status).toBe(S.PIN_INVALID);
    expect((await platform.token('98765')).status).toBe(0);
  });
});

describe('PIN retries', () => {
  it('reports 8 retries before a PIN is set, or PIN_NOT_SET under the pin-not-set quirk', async () => {
    const normal = await setup();
    const retries = await normal.platform.retries();
    expect(retries.status).toBe(0);
    expect(retries.body!.get(3)).toBe(8);
    const quirky = await setup(2, { pinRetriesBeforeSet: 'pin-not-set' });
    expect((await quirky.platform.retries()).status).toBe(S.PIN_NOT_SET);
  });

  it('counts wrong PINs, blocks PIN auth on the 3rd in a row until a power cycle, and resets to 8 on success', async () => {
    const { key, platform } = await setup();
    await platform.setPin('1234');
    expect((await platform.token('0000')).status).toBe(S.PIN_INVALID);
    expect((await platform.token('0000')).status).toBe(S.PIN_INVALID);
    expect((await platform.token('0000')).status).toBe(S.PIN_AUTH_BLOCKED);
    expect((await platform.token('1234')).status).toBe(S.PIN_AUTH_BLOCKED);
    expect(key.snapshot()).toMatchObject({ pinRetries: 5, pinAuthBlocked: true });
    const retries = await platform.retries();
    expect(retries.body!.get(3)).toBe(5);
    expect(retries.body!.get(4)).toBe(true);

    key.powerCycle();
    const after = new TestPlatform(await connect(key.device), 2);
    expect((await after.token('1234')).status).toBe(0);
    expect(key.snapshot()).toMatchObject({ pinRetries: 8, pinAuthBlocked: false });
  });

  it('blocks the PIN for good at 0 retries', async () => {
    const { key } = await setup();
    let platform = new TestPlatform(await connect(key.device), 2);
    await platform.setPin('1234');
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 8; attempt++) {
      if (attempt % 3 === 0 && attempt > 0) {
        key.powerCycle();
        platform = new TestPlatform(await connect(key.device), 2);
      }
      statuses.push((await platform.token('0000')).status);
    }
    expect(statuses).toEqual([S.PIN_INVALID, S.PIN_INVALID, S.PIN_AUTH_BLOCKED, S.PIN_INVALID, S.PIN_INVALID, S.PIN_AUTH_BLOCKED, S.PIN_INVALID, S.PIN_BLOCKED]);
    key.powerCycle();
    platform = new TestPlatform(await connect(key.device), 2);
    expect((await platform.token('1234')).status).toBe(S.PIN_BLOCKED);
    expect(key.snapshot().pinRetries).toBe(0);
  });
});

describe('tokens and permissions', () => {
  it('requires a token once a PIN is set, rejects a bad MAC, and enforces permissions and RP binding', async () => {
    const { host, platform } = await setup();
    await platform.setPin('1234');
    const rk = [7, { rk: true }] as [number, { rk: boolean }];
    expect((await host.cbor(CTAP2_CMD.MAKE_CREDENTIAL, makeCredentialParams('example.com', 1, [rk]))).status).toBe(S.PUAT_REQUIRED);

    const ga = await platform.requireToken('1234', PERMISSION.GET_ASSERTION);
    const withToken = (token: Uint8Array, rpId = 'example.com') =>
      host.cbor(CTAP2_CMD.MAKE_CREDENTIAL, makeCredentialParams(rpId, 1, [rk, [8, platform.authenticate(token, CLIENT_DATA_HASH)], [9, 2]]));
    expect((await withToken(ga)).status).toBe(S.UNAUTHORIZED);
    expect((await withToken(new Uint8Array(32))).status).toBe(S.PIN_AUTH_INVALID);

    const bound = await platform.requireToken('1234', PERMISSION.MAKE_CREDENTIAL, 'example.com');
    expect((await withToken(bound, 'other.example')).status).toBe(S.UNAUTHORIZED);
    expect((await withToken(bound)).status).toBe(0);

    const legacy = await platform.requireToken('1234');
    expect((await withToken(legacy)).status).toBe(0);
  });

  it('refuses permissions the key cannot grant (bio enrollment)', async () => {
    const { platform } = await setup();
    await platform.setPin('1234');
    expect((await platform.token('1234', PERMISSION.BIO_ENROLLMENT)).status).toBe(S.UNAUTHORIZED);
  });

  it('does not support UV subcommands', async () => {
    const { host } = await setup();
    const reply = await host.cbor(CTAP2_CMD.CLIENT_PIN, map([[1, 2], [2, CLIENT_PIN_SUB.GET_UV_RETRIES]]));
    expect(reply.status).toBe(0x3e);
  });
});

describe('forcePINChange and setMinPINLength', () => {
  it('forces a PIN change: tokens fail with PIN_INVALID, the same PIN is refused, a new PIN clears it', async () => {
    const { key, platform } = await setup();
    await platform.setPin('1234');
    const acfg = await platform.requireToken('1234', PERMISSION.AUTHENTICATOR_CONFIG);
    expect(await setMinPinLength(platform, acfg, map([[3, true]]))).toBe(0);
    expect((await info(platform)).get(0x0c)).toBe(true);
    expect((await platform.token('1234')).status).toBe(S.PIN_INVALID);
    expect(key.snapshot().pinRetries).toBe(8);
    expect(await platform.changePin('1234', '1234')).toBe(S.POLICY);
    expect(await platform.changePin('1234', '4321')).toBe(0);
    expect((await info(platform)).get(0x0c)).toBe(false);
    expect((await platform.token('4321')).status).toBe(0);
  });

  it('refuses to lower the minimum, needs acfg, and forces a change when the PIN is now too short', async () => {
    const { key, platform } = await setup();
    await platform.setPin('12345');
    expect(await setMinPinLength(platform, undefined, map([[1, 6]]))).toBe(S.PUAT_REQUIRED);
    const legacy = await platform.requireToken('12345');
    expect(await setMinPinLength(platform, legacy, map([[1, 6]]))).toBe(S.UNAUTHORIZED);

    const acfg = await platform.requireToken('12345', PERMISSION.AUTHENTICATOR_CONFIG);
    expect(await setMinPinLength(platform, acfg, map([[1, 6], [2, ['example.com']]]))).toBe(0);
    expect(key.snapshot()).toMatchObject({ minPinLength: 6, forcePinChange: true, minPinLengthRpIds: ['example.com'] });
    expect(await setMinPinLength(platform, acfg, map([[1, 5]]))).toBe(S.POLICY);
    expect(await platform.changePin('12345', '54321')).toBe(S.POLICY);
    expect(await platform.changePin('12345', '654321')).toBe(0);
    expect((await info(platform)).get(0x0d)).toBe(6);
  });

  it('accepts setMinPINLength without a token on a key with no PIN', async () => {
    const { key, platform } = await setup();
    expect(await setMinPinLength(platform, undefined, map([[1, 8]]))).toBe(0);
    expect(key.snapshot().minPinLength).toBe(8);
    expect(await platform.setPin('1234567')).toBe(S.POLICY);
  });

  it('rejects a padded PIN that is not 64 bytes', async () => {
    const { host, platform } = await setup(1);
    const { keyAgreement, shared } = await platform.sharedSecret();
    const p = platform.protocol();
    const newPinEnc = p.encrypt(shared, padPin('1234').subarray(0, 48));
    const reply = await host.cbor(
      CTAP2_CMD.CLIENT_PIN,
      map([[1, 1], [2, CLIENT_PIN_SUB.SET_PIN], [3, keyAgreement], [4, p.authenticate(shared, newPinEnc)], [5, newPinEnc]]),
    );
    expect(reply.status).toBe(S.POLICY);
  });
});
