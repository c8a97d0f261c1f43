import { describe, expect, it } from 'vitest';
import * as cborg from 'cborg';
import { encode, type CborMap, type CborValue } from '../../../electron/core/ctap/cbor.js';
import { CONFIG_SUB, CREDMAN_SUB, CTAP2_CMD, PERMISSION } from '../../../electron/core/ctap/constants.js';
import { sha256 } from '../../../electron/core/ctap/pin-protocol.js';
import { VirtualKey } from '../../../electron/core/virtual-key/virtual-key.js';
import { FAST, ShiftedClock, TestPlatform, connect, makeCredentialParams, map, plain } from './host.js';

describe('getInfo', () => {
  it('is canonical CBOR (cborg re-encodes it byte for byte) and complete', async () => {
    const key = new VirtualKey({ ...FAST, serial: 'X1', firmwareVersion: '5.4.3' });
    const host = await connect(key.device);
    const reply = await host.cbor(CTAP2_CMD.GET_INFO);
    expect(reply.status).toBe(0);
    expect(cborg.encode(cborg.decode(reply.raw, { useMaps: true, strict: true }))).toEqual(reply.raw);

    const info = reply.body!;
    expect(info.get(1)).toEqual(['FIDO_2_0', 'FIDO_2_1_PRE', 'FIDO_2_1']);
    expect(info.get(2)).toEqual(['credProtect', 'minPinLength']);
    expect(info.get(3)).toEqual(key.options.aaguid);
    expect(plain(info.get(4))).toEqual({
      rk: true,
      up: true,
      plat: false,
      clientPin: false,
      pinUvAuthToken: true,
      authnrCfg: true,
      credMgmt: true,
      credentialMgmtPreview: true,
      setMinPINLength: true,
      makeCredUvNotRqd: true,
      alwaysUv: false,
      ep: false,
    });
    expect(info.get(5)).toBe(1200);
    expect(info.get(6)).toEqual([2, 1]);
    expect(info.get(9)).toEqual(['usb']);
    expect(info.get(0x0a)).toEqual([new Map<string, CborValue>([['alg', -7], ['type', 'public-key']])]);
    expect(info.get(0x0c)).toBe(false);
    expect(info.get(0x0d)).toBe(4);
    expect(info.get(0x0e)).toBe(0x050403);
    expect(info.get(0x14)).toBe(25);
  });

  it('follows the knobs: PIN protocols, extensions, capacity', async () => {
    const key = new VirtualKey({ pinProtocols: [1], credProtect: false, minPinLengthExtension: false, capacity: 3 });
    const info = (await (await connect(key.device)).cbor(CTAP2_CMD.GET_INFO)).body!;
    expect(info.get(6)).toEqual([1]);
    expect(info.has(2)).toBe(false);
    expect(info.get(0x14)).toBe(3);
  });
});

describe('request strictness', () => {
  it('answers INVALID_CBOR for non-canonical CBOR, MISSING_PARAMETER and CBOR_UNEXPECTED_TYPE for bad maps', async () => {
    const host = await connect(new VirtualKey(FAST).device);
    // {2: 1, 1: 1}: keys out of canonical order.
    expect((await host.cborRaw(Uint8Array.of(CTAP2_CMD.CLIENT_PIN, 0xa2, 0x02, 0x01, 0x01, 0x01))).status).toBe(0x12);
    // 1 encoded in two bytes.
    expect((await host.cborRaw(Uint8Array.of(CTAP2_CMD.CLIENT_PIN, 0xa1, 0x18, 0x01, 0x01))).status).toBe(0x12);
    const params = makeCredentialParams('example.com', 1);
    params.delete(1);
    expect((await host.cbor(CTAP2_CMD.MAKE_CREDENTIAL, params)).status).toBe(0x14);
    params.set(1, 'not bytes');
    expect((await host.cbor(CTAP2_CMD.MAKE_CREDENTIAL, params)).status).toBe(0x11);
    expect((await host.cbor(CTAP2_CMD.CLIENT_PIN, [1, 2])).status).toBe(0x11);
    expect((await host.cborRaw(Uint8Array.of(0x42))).status).toBe(0x01);
  });

  it('refuses requests over maxMsgSize', async () => {
    const host = await connect(new VirtualKey(FAST).device);
    const params = makeCredentialParams('example.com', 1);
    params.set(3, { id: new Uint8Array(1300) });
    expect((await host.cbor(CTAP2_CMD.MAKE_CREDENTIAL, params)).status).toBe(0x39);
  });
});

describe('reset', () => {
  it('is NOT_ALLOWED more than 10 s after power-up, and inside the window clears everything after a touch', async () => {
    const clock = new ShiftedClock();
    const key = new VirtualKey(FAST, { clock });
    const host = await connect(key.device);
    const platform = new TestPlatform(host, 2);
    await platform.setPin('12345');
    const mc = await platform.requireToken('12345', PERMISSION.MAKE_CREDENTIAL);
    const made = makeCredentialParams('example.com', 1, [[7, { rk: true }], [9, 2]]);
    made.set(8, platform.authenticate(mc, made.get(1) as Uint8Array));
    expect((await host.cbor(CTAP2_CMD.MAKE_CREDENTIAL, made)).status).toBe(0);
    const acfg = await platform.requireToken('12345', PERMISSION.AUTHENTICATOR_CONFIG);
    const params = map([[1, 6]]);
    const mac = platform.authenticate(acfg, Uint8Array.from([...new Uint8Array(32).fill(0xff), 0x0d, CONFIG_SUB.SET_MIN_PIN_LENGTH, ...encode(params)]));
    expect((await host.cbor(CTAP2_CMD.CONFIG, map([[1, CONFIG_SUB.SET_MIN_PIN_LENGTH], [2, params], [3, 2], [4, mac]]))).status).toBe(0);
    expect(key.snapshot()).toMatchObject({ pinSet: true, minPinLength: 6, forcePinChange: true });
    expect(key.snapshot().credentials).toHaveLength(1);

    clock.offset = 11_000;
    expect((await host.cbor(CTAP2_CMD.RESET)).status).toBe(0x30);
    key.powerCycle();
    const fresh = await connect(key.device);
    expect((await fresh.cbor(CTAP2_CMD.RESET)).status).toBe(0);
    expect(key.snapshot()).toMatchObject({ pinSet: false, minPinLength: 4, forcePinChange: false, epEnabled: false, alwaysUv: false, pinRetries: 8 });
    expect(key.snapshot().credentials).toHaveLength(0);
  });

  it('times out without a touch', async () => {
    const key = new VirtualKey({ userPresence: { mode: 'manual', timeoutMs: 50 } });
    expect((await (await connect(key.device)).cbor(CTAP2_CMD.RESET)).status).toBe(0x2f);
  });
});

describe('authenticatorConfig', () => {
  it('toggles alwaysUv, which then demands a token for makeCredential', async () => {
    const key = new VirtualKey(FAST);
    const host = await connect(key.device);
    expect((await host.cbor(CTAP2_CMD.CONFIG, map([[1, CONFIG_SUB.TOGGLE_ALWAYS_UV]]))).status).toBe(0);
    expect(plain((await host.cbor(CTAP2_CMD.GET_INFO)).body!.get(4))).toMatchObject({ alwaysUv: true, makeCredUvNotRqd: false });
    expect((await host.cbor(CTAP2_CMD.MAKE_CREDENTIAL, makeCredentialParams('example.com', 1))).status).toBe(0x35);
    expect((await host.cbor(CTAP2_CMD.CONFIG, map([[1, CONFIG_SUB.TOGGLE_ALWAYS_UV]]))).status).toBe(0x36);
  });
});

describe('credentialManagement', () => {
  it('reports metadata, enumerates RPs and credentials, and deletes with a cm token', async () => {
    const key = new VirtualKey(FAST);
    const host = await connect(key.device);
    const platform = new TestPlatform(host, 2);
    await platform.setPin('1234');
    for (const [rp, user] of [['a.example', 1], ['a.example', 2], ['b.example', 3]] as const) {
      // A token binds to the first RP it is used for, so each RP gets its own.
      const mc = await platform.requireToken('1234', PERMISSION.MAKE_CREDENTIAL, rp);
      const params = makeCredentialParams(rp, user, [[7, { rk: true }], [9, 2]]);
      params.set(8, platform.authenticate(mc, params.get(1) as Uint8Array));
      expect((await host.cbor(CTAP2_CMD.MAKE_CREDENTIAL, params)).status).toBe(0);
    }
    const cm = await platform.requireToken('1234', PERMISSION.CREDENTIAL_MANAGEMENT);
    const call = (sub: number, subParams?: CborMap, command: number = CTAP2_CMD.CREDENTIAL_MANAGEMENT) => {
      const entries: [number, CborValue][] = [[1, sub]];
      if (subParams) entries.push([2, subParams]);
      entries.push([3, 2], [4, platform.authenticate(cm, Uint8Array.from([sub, ...(subParams ? encode(subParams) : [])]))]);
      return host.cbor(command, map(entries));
    };

    const metadata = await call(CREDMAN_SUB.GET_CREDS_METADATA, undefined, CTAP2_CMD.CREDENTIAL_MANAGEMENT_PREVIEW);
    expect([metadata.body!.get(1), metadata.body!.get(2)]).toEqual([3, 22]);

    const firstRp = await call(CREDMAN_SUB.ENUMERATE_RPS_BEGIN);
    expect(firstRp.body!.get(5)).toBe(2);
    const nextRp = await host.cbor(CTAP2_CMD.CREDENTIAL_MANAGEMENT, map([[1, CREDMAN_SUB.ENUMERATE_RPS_GET_NEXT]]));
    expect([plain(firstRp.body!.get(3)).id, plain(nextRp.body!.get(3)).id].sort()).toEqual(['a.example', 'b.example']);

    const rpIdHash = sha256(new TextEncoder().encode('a.example'));
    const firstCred = await call(CREDMAN_SUB.ENUMERATE_CREDENTIALS_BEGIN, map([[1, rpIdHash]]));
    expect(firstCred.body!.get(9)).toBe(2);
    const nextCred = await host.cbor(CTAP2_CMD.CREDENTIAL_MANAGEMENT, map([[1, CREDMAN_SUB.ENUMERATE_CREDENTIALS_GET_NEXT]]));
    expect(nextCred.status).toBe(0);
    expect((await host.cbor(CTAP2_CMD.CREDENTIAL_MANAGEMENT, map([[1, CREDMAN_SUB.ENUMERATE_CREDENTIALS_GET_NEXT]]))).status).toBe(0x30);

    const credentialId = plain(firstCred.body!.get(7)).id as Uint8Array;
    expect((await call(CREDMAN_SUB.DELETE_CREDENTIAL, map([[2, { id: credentialId, type: 'public-key' }]]))).status).toBe(0);
    expect(key.snapshot().credentials.filter((c) => c.discoverable)).toHaveLength(2);

    const noToken = await host.cbor(CTAP2_CMD.CREDENTIAL_MANAGEMENT, map([[1, CREDMAN_SUB.GET_CREDS_METADATA]]));
    expect(noToken.status).toBe(0x36);
    const mcToken = await platform.requireToken('1234', PERMISSION.MAKE_CREDENTIAL);
    const wrongPermission = await host.cbor(
      CTAP2_CMD.CREDENTIAL_MANAGEMENT,
      map([[1, CREDMAN_SUB.GET_CREDS_METADATA], [3, 2], [4, platform.authenticate(mcToken, Uint8Array.of(CREDMAN_SUB.GET_CREDS_METADATA))]]),
    );
    expect(wrongPermission.status).toBe(0x40);
  });
});

describe('faults', () => {
  it('fails a chosen command once, or always', async () => {
    const once = await connect(new VirtualKey({ ...FAST, faults: { failCommand: { command: 'makeCredential', status: 0x28, repeat: 'once' } } }).device);
    expect((await once.cbor(CTAP2_CMD.MAKE_CREDENTIAL, makeCredentialParams('example.com', 1))).status).toBe(0x28);
    expect((await once.cbor(CTAP2_CMD.MAKE_CREDENTIAL, makeCredentialParams('example.com', 1))).status).toBe(0);
    expect((await once.cbor(CTAP2_CMD.GET_INFO)).status).toBe(0);

    const always = await connect(new VirtualKey({ faults: { failCommand: { command: 'getInfo', status: 0x7f, repeat: 'always' } } }).device);
    expect((await always.cbor(CTAP2_CMD.GET_INFO)).status).toBe(0x7f);
    expect((await always.cbor(CTAP2_CMD.GET_INFO)).status).toBe(0x7f);
  });

  it('garbles reply frames deterministically for a seed', async () => {
    const replies: Uint8Array[] = [];
    for (let run = 0; run < 2; run++) {
      const key = new VirtualKey({ seed: 7, faults: { garble: 1 } });
      const host = await connect(key.device);
      await host.write(host.cid, 0x10, Uint8Array.of(CTAP2_CMD.GET_INFO));
      replies.push((await host.receive(host.cid)).payload);
    }
    const clean = (await (await connect(new VirtualKey({ seed: 7 }).device)).cbor(CTAP2_CMD.GET_INFO)).raw;
    expect(replies[0]).toEqual(replies[1]);
    expect(replies[0]!.subarray(1)).not.toEqual(clean);
    expect(replies[0]!.length - 1).toBe(clean.length);
  });
});
