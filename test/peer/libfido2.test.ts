// libfido2 1.12 (Debian's libfido2-1, driven through ctypes with our own io functions) against a virtual
// key through serveStdio: libfido2's own CTAPHID framing, strict INIT check, PIN protocol choice and
// fido_cred_verify. Each test asserts both the peer's view and the key's snapshot.
import { beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_PIN_SUB, CONFIG_SUB, CTAP2_CMD, PERMISSION } from '../../electron/core/ctap/constants.js';
import type { CborMap } from '../../electron/core/ctap/cbor.js';
import type { VirtualKeyOverrides } from '../../electron/core/virtual-key/options.js';
import { VirtualKey } from '../../electron/core/virtual-key/virtual-key.js';
import {
  CREDENTIAL_REQUEST,
  NEW_TEST_PIN,
  PEER_KEY_KNOBS,
  PEER_TEST_TIMEOUT_MS,
  TEST_PIN,
  WRONG_TEST_PIN,
  cborRequests,
  checkPeer,
  reportOnFailure,
  runPeer,
  type PeerRun,
} from './harness.js';

const STATUS = { PIN_INVALID: 0x31, PIN_AUTH_BLOCKED: 0x34 } as const;
const FIDO_OK = 0;
const peer = checkPeer('libfido2');

async function run(key: VirtualKey, scenario: string, params: Record<string, unknown> = {}): Promise<PeerRun> {
  const outcome = await runPeer({ peer: 'libfido2', scenario, params, device: key.device });
  reportOnFailure(outcome);
  return outcome;
}

function freshKey(knobs: VirtualKeyOverrides = {}): VirtualKey {
  return new VirtualKey({ ...PEER_KEY_KNOBS, ...knobs });
}

/** The decoded parameter maps of every request libfido2 sent with this CTAP2 command. */
function requestsFor(outcome: PeerRun, command: number): CborMap[] {
  return cborRequests(outcome.frames).flatMap((r) => (r.command === command && r.params instanceof Map ? [r.params] : []));
}

describe.skipIf(peer.skip)(`libfido2 peer${peer.skip ? ` (skipped: ${peer.message})` : ''}`, () => {
  beforeAll(() => {
    if (!peer.available) throw new Error(peer.message);
  });

  it('fido_dev_open accepts the INIT reply and getInfo; the key is FIDO2', { timeout: PEER_TEST_TIMEOUT_MS }, async () => {
    const key = freshKey();
    const outcome = await run(key, 'get-info');
    expect(outcome.result).toMatchObject({
      ok: true,
      isFido2: true,
      ctaphidVersion: 2,
      deviceVersion: [5, 4, 3],
      capabilities: 0x0d,
      info: {
        versions: ['FIDO_2_0', 'FIDO_2_1_PRE', 'FIDO_2_1'],
        extensions: ['credProtect', 'minPinLength'],
        aaguid: key.snapshot().aaguid,
        pinUvAuthProtocols: [2, 1],
        options: { clientPin: false, pinUvAuthToken: true, authnrCfg: true, setMinPINLength: true },
        maxMsgSize: 1200,
        minPinLength: 4,
        forcePinChange: false,
      },
    });
    // The CTAPHID INIT request is exactly 8 bytes of nonce on the broadcast channel.
    expect(outcome.frames[0]?.report.subarray(0, 7)).toEqual(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x86, 0x00, 0x08));
    expect(key.snapshot()).toMatchObject({ pinSet: false, credentials: [] });
  });

  // libfido2 picks protocol 2 whenever the key lists it, so the key's pinProtocols knob forces protocol 1.
  it.each([
    { protocol: 1, listed: [1] },
    { protocol: 2, listed: [2, 1] },
  ] as const)('sets and changes the PIN under protocol $protocol (key lists $listed)', { timeout: PEER_TEST_TIMEOUT_MS }, async ({ protocol, listed }) => {
    const key = freshKey({ pinProtocols: listed });
    const outcome = await run(key, 'pin', { pin: TEST_PIN, newPin: NEW_TEST_PIN });
    expect(outcome.result).toMatchObject({
      ok: true,
      retriesBeforeSet: 8,
      retriesAfterSet: 8,
      retriesAfterChange: 8,
      // The old PIN no longer works as the current PIN.
      oldPinAsCurrentError: STATUS.PIN_INVALID,
      retriesAtEnd: 7,
      clientPinOption: true,
    });
    const pinRequests = requestsFor(outcome, CTAP2_CMD.CLIENT_PIN);
    expect(pinRequests.map((r) => r.get(0x02))).toContain(CLIENT_PIN_SUB.SET_PIN);
    expect(pinRequests.map((r) => r.get(0x02))).toContain(CLIENT_PIN_SUB.CHANGE_PIN);
    // getPINRetries needs no shared secret (libfido2 1.12 always labels it protocol 1); everything else uses the chosen one.
    const keyed = pinRequests.filter((r) => r.get(0x02) !== CLIENT_PIN_SUB.GET_PIN_RETRIES);
    expect(new Set(keyed.map((r) => r.get(0x01)))).toEqual(new Set([protocol]));
    expect(key.snapshot()).toMatchObject({ pinSet: true, pinRetries: 7, pinAuthBlocked: false });
  });

  it('fido_dev_set_pin_minlen and fido_dev_force_pin_change: forcePINChange shows, PIN tokens fail until changePIN', { timeout: PEER_TEST_TIMEOUT_MS }, async () => {
    const key = freshKey();
    const outcome = await run(key, 'min-pin-force', { pin: TEST_PIN, newPin: NEW_TEST_PIN, minPinLength: 6 });
    expect(outcome.result).toMatchObject({
      ok: true,
      infoAfterConfig: { forcePinChange: true, minPinLength: 6 },
      configErrorWhileForced: STATUS.PIN_INVALID,
      infoAfterChange: { forcePinChange: false, minPinLength: 6 },
      retriesAtEnd: 8,
    });
    // libfido2 asked for tokens with the acfg permission (subcommand 0x09) and sent each config subcommand as documented.
    const tokenPermissions = requestsFor(outcome, CTAP2_CMD.CLIENT_PIN)
      .filter((r) => r.get(0x02) === CLIENT_PIN_SUB.GET_PIN_UV_AUTH_TOKEN_USING_PIN_WITH_PERMISSIONS)
      .map((r) => r.get(0x09));
    expect(tokenPermissions).toEqual([PERMISSION.AUTHENTICATOR_CONFIG, PERMISSION.AUTHENTICATOR_CONFIG, PERMISSION.AUTHENTICATOR_CONFIG]);
    expect(requestsFor(outcome, CTAP2_CMD.CONFIG).map((r) => [r.get(0x01), r.get(0x02)])).toEqual([
      [CONFIG_SUB.SET_MIN_PIN_LENGTH, new Map([[0x01, 6]])],
      [CONFIG_SUB.SET_MIN_PIN_LENGTH, new Map([[0x03, true]])],
    ]);
    expect(key.snapshot()).toMatchObject({ pinSet: true, pinRetries: 8, minPinLength: 6, forcePinChange: false });
  });

  it('fido_dev_make_cred with fido_cred_set_prot and a PIN; fido_cred_verify accepts the packed attestation', { timeout: PEER_TEST_TIMEOUT_MS }, async () => {
    const key = freshKey();
    const outcome = await run(key, 'make-credential', { pin: TEST_PIN, ...CREDENTIAL_REQUEST });
    expect(outcome.result).toMatchObject({
      ok: true,
      fmt: 'packed',
      verify: FIDO_OK,
      prot: CREDENTIAL_REQUEST.credProtect,
      // UP | UV | AT | ED
      flags: 0x01 | 0x04 | 0x40 | 0x80,
      credentialIdLength: 48,
    });
    // The same attestation over another clientDataHash must not verify.
    expect(outcome.result.verifyTampered).not.toBe(FIDO_OK);
    const [request] = requestsFor(outcome, CTAP2_CMD.MAKE_CREDENTIAL);
    expect(request?.get(0x06)).toEqual(new Map([['credProtect', CREDENTIAL_REQUEST.credProtect]]));
    expect(request?.get(0x08)).toBeInstanceOf(Uint8Array);
    expect(key.snapshot().credentials).toEqual([
      {
        rpId: CREDENTIAL_REQUEST.rpId,
        userId: Buffer.from(CREDENTIAL_REQUEST.userIdHex, 'hex').toString('base64url'),
        credProtect: CREDENTIAL_REQUEST.credProtect,
        discoverable: true,
      },
    ]);
  });

  it('changePIN with a wrong current PIN three times: PIN_INVALID, PIN_INVALID, PIN_AUTH_BLOCKED', { timeout: PEER_TEST_TIMEOUT_MS }, async () => {
    const key = freshKey();
    const outcome = await run(key, 'wrong-pin', { pin: TEST_PIN, newPin: NEW_TEST_PIN, wrongPin: WRONG_TEST_PIN });
    expect(outcome.result).toMatchObject({
      ok: true,
      wrongPinErrors: [STATUS.PIN_INVALID, STATUS.PIN_INVALID, STATUS.PIN_AUTH_BLOCKED],
      retriesAtEnd: 5,
    });
    expect(key.snapshot()).toMatchObject({ pinSet: true, pinRetries: 5, pinAuthBlocked: true });
  });
});
