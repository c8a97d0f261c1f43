// Differential runs: each scenario once with python-fido2 and once with our client (CtapHidConnection →
// Ctap2 → ClientPin / AuthenticatorConfig / makeCredential), each against its own fresh virtual key with
// the same knobs. The two keys must end in equal states, the CTAP2 requests must match in structure
// (command order, map keys, value types, byte-string lengths, integers and booleans), and the outcomes
// both clients report must agree.
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { decode } from '../../electron/core/ctap/cbor.js';
import { AuthenticatorConfig } from '../../electron/core/ctap/config.js';
import { ClientPin } from '../../electron/core/ctap/client-pin.js';
import { PERMISSION } from '../../electron/core/ctap/constants.js';
import { Ctap2 } from '../../electron/core/ctap/ctap2.js';
import { CtapHidConnection } from '../../electron/core/ctap/ctaphid.js';
import { CtapError } from '../../electron/core/ctap/errors.js';
import { choosePinProtocol, type AuthenticatorInfo } from '../../electron/core/ctap/info.js';
import { parseAuthenticatorData } from '../../electron/core/ctap/make-credential.js';
import { pinProtocol, type PinProtocolVersion } from '../../electron/core/ctap/pin-protocol.js';
import type { VirtualKeyOverrides } from '../../electron/core/virtual-key/options.js';
import { VirtualKey } from '../../electron/core/virtual-key/virtual-key.js';
import {
  CREDENTIAL_REQUEST,
  FrameLog,
  NEW_TEST_PIN,
  PEER_KEY_KNOBS,
  PEER_TEST_TIMEOUT_MS,
  TEST_PIN,
  WRONG_TEST_PIN,
  cborRequests,
  cborShape,
  checkPeer,
  formatRun,
  recordingDevice,
  reportOnFailure,
  runPeer,
  type RecordedFrame,
} from './harness.js';

const peer = checkPeer('python-fido2');
type Outcome = Record<string, unknown>;

/** The status of the CTAP error `call` must fail with. */
async function ctapErrorOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
  } catch (e) {
    if (e instanceof CtapError) return e.status;
    throw e;
  }
  throw new Error('expected a CTAP error, but the call succeeded');
}

/** getInfo as peer_pyfido2.py's info_dict reports it. */
function infoOutcome(info: AuthenticatorInfo): Outcome {
  return {
    versions: info.versions,
    extensions: info.extensions,
    aaguid: Buffer.from(info.aaguid).toString('hex'),
    options: Object.fromEntries(info.options),
    maxMsgSize: info.maxMsgSize,
    pinUvAuthProtocols: info.pinUvAuthProtocols,
    forcePinChange: info.forcePinChange,
    minPinLength: info.minPinLength,
    firmwareVersion: info.firmwareVersion,
    remainingDiscoverableCredentials: info.remainingDiscoverableCredentials,
  };
}

function clientPinFor(ctap: Ctap2, protocol: PinProtocolVersion | undefined): ClientPin {
  return new ClientPin(ctap, pinProtocol(protocol ?? choosePinProtocol(ctap.info!)));
}

interface Scenario {
  readonly title: string;
  readonly scenario: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly knobs?: VirtualKeyOverrides;
  /** The outcome members both clients report. */
  readonly compared: readonly string[];
  /** Our client's steps, mirroring peer_pyfido2.py's scenario call for call; getInfo has already run. */
  ours(ctap: Ctap2): Promise<Outcome>;
}

const MC = PERMISSION.MAKE_CREDENTIAL;

const SCENARIOS: readonly Scenario[] = [
  {
    title: 'getInfo',
    scenario: 'get-info',
    params: {},
    compared: ['info'],
    ours: async (ctap) => ({ info: infoOutcome(ctap.info!) }),
  },
  ...([1, 2] as const).map(
    (protocol): Scenario => ({
      title: `setPIN + changePIN, protocol ${protocol}`,
      scenario: 'pin',
      params: { protocol, pin: TEST_PIN, newPin: NEW_TEST_PIN },
      compared: ['protocol', 'retriesBeforeSet', 'retriesAfterSet', 'retriesAfterChange', 'oldPinError', 'newPinTokenLength', 'retriesAtEnd', 'clientPinOption'],
      ours: async (ctap) => {
        const pin = clientPinFor(ctap, protocol);
        const out: Outcome = { protocol: pin.protocol.version, retriesBeforeSet: await pin.getPinRetries() };
        await pin.setPin(TEST_PIN);
        out.retriesAfterSet = await pin.getPinRetries();
        await pin.changePin(TEST_PIN, NEW_TEST_PIN);
        out.retriesAfterChange = await pin.getPinRetries();
        out.oldPinError = await ctapErrorOf(pin.getPinToken(TEST_PIN, MC));
        out.newPinTokenLength = (await pin.getPinToken(NEW_TEST_PIN, MC)).token.length;
        out.retriesAtEnd = await pin.getPinRetries();
        out.clientPinOption = (await ctap.getInfo()).options.get('clientPin');
        return out;
      },
    }),
  ),
  {
    title: 'token with permissions mc|acfg, then a ga-only token refused by config',
    scenario: 'token-permissions',
    params: { pin: TEST_PIN, rpIds: ['example.com'] },
    compared: ['protocol', 'tokenLength', 'narrowTokenConfigError'],
    ours: async (ctap) => {
      const pin = clientPinFor(ctap, undefined);
      await pin.setPin(TEST_PIN);
      const token = await pin.getPinToken(TEST_PIN, MC | PERMISSION.AUTHENTICATOR_CONFIG);
      await new AuthenticatorConfig(ctap, token).setMinPinLength({ rpIds: ['example.com'] });
      const narrow = await pin.getPinToken(TEST_PIN, PERMISSION.GET_ASSERTION);
      const refused = await ctapErrorOf(new AuthenticatorConfig(ctap, narrow).setMinPinLength({ rpIds: ['other.example'] }));
      return { protocol: pin.protocol.version, tokenLength: token.token.length, narrowTokenConfigError: refused };
    },
  },
  {
    title: 'setMinPINLength + forceChangePin, then changePIN',
    scenario: 'min-pin-force',
    params: { pin: TEST_PIN, newPin: NEW_TEST_PIN, minPinLength: 6 },
    compared: ['infoAfterConfig', 'tokenErrorWhileForced', 'infoAfterChange', 'newPinTokenLength', 'retriesAtEnd'],
    ours: async (ctap) => {
      const pin = clientPinFor(ctap, undefined);
      await pin.setPin(TEST_PIN);
      const token = await pin.getPinToken(TEST_PIN, PERMISSION.AUTHENTICATOR_CONFIG);
      await new AuthenticatorConfig(ctap, token).setMinPinLength({ minPinLength: 6, forceChangePin: true });
      const forced = await ctap.getInfo();
      const out: Outcome = {
        infoAfterConfig: { forcePinChange: forced.forcePinChange, minPinLength: forced.minPinLength },
        tokenErrorWhileForced: await ctapErrorOf(pin.getPinToken(TEST_PIN, MC)),
      };
      await pin.changePin(TEST_PIN, NEW_TEST_PIN);
      const changed = await ctap.getInfo();
      out.infoAfterChange = { forcePinChange: changed.forcePinChange, minPinLength: changed.minPinLength };
      out.newPinTokenLength = (await pin.getPinToken(NEW_TEST_PIN, MC)).token.length;
      out.retriesAtEnd = await pin.getPinRetries();
      return out;
    },
  },
  {
    title: 'makeCredential with credProtect and pinUvAuthParam',
    scenario: 'make-credential',
    params: { pin: TEST_PIN, ...CREDENTIAL_REQUEST },
    compared: ['fmt', 'flags', 'rpIdHash', 'aaguid', 'credentialIdLength', 'extensions'],
    ours: async (ctap) => {
      const r = CREDENTIAL_REQUEST;
      const pin = clientPinFor(ctap, undefined);
      await pin.setPin(TEST_PIN);
      const token = await pin.getPinToken(TEST_PIN, MC, r.rpId);
      const response = await ctap.makeCredential({
        clientDataHash: new Uint8Array(createHash('sha256').update(r.clientData).digest()),
        rp: { id: r.rpId, name: r.rpName },
        user: { id: Uint8Array.from(Buffer.from(r.userIdHex, 'hex')), name: r.userName, displayName: r.userDisplayName },
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
        extensions: { credProtect: r.credProtect },
        options: { rk: true },
        pinUvAuthToken: token,
      });
      const authData = parseAuthenticatorData(response.authData);
      return {
        fmt: response.fmt,
        flags: authData.flags.value,
        rpIdHash: Buffer.from(authData.rpIdHash).toString('hex'),
        aaguid: Buffer.from(authData.attestedCredentialData!.aaguid).toString('hex'),
        credentialIdLength: authData.attestedCredentialData!.credentialId.length,
        extensions: authData.extensionOutputs,
      };
    },
  },
  {
    title: 'three wrong PINs → PIN_AUTH_BLOCKED',
    scenario: 'wrong-pin',
    params: { pin: TEST_PIN, wrongPin: WRONG_TEST_PIN },
    compared: ['wrongPinErrors', 'rightPinWhileBlocked', 'retriesAtEnd'],
    ours: async (ctap) => {
      const pin = clientPinFor(ctap, undefined);
      await pin.setPin(TEST_PIN);
      const wrongPinErrors: number[] = [];
      for (let i = 0; i < 3; i++) wrongPinErrors.push(await ctapErrorOf(pin.getPinToken(WRONG_TEST_PIN, MC)));
      const rightPinWhileBlocked = await ctapErrorOf(pin.getPinToken(TEST_PIN, MC));
      return { wrongPinErrors, rightPinWhileBlocked, retriesAtEnd: await pin.getPinRetries() };
    },
  },
];

/** Runs our client's side of a scenario on `key`, recording its frames; a failure carries them. */
async function runOurs(key: VirtualKey, scenario: Scenario): Promise<{ outcome: Outcome; frames: readonly RecordedFrame[] }> {
  const log = new FrameLog();
  const connection = await CtapHidConnection.open(recordingDevice(key.device, log));
  try {
    const ctap = new Ctap2(connection);
    await ctap.getInfo();
    return { outcome: await scenario.ours(ctap), frames: log.frames };
  } catch (e) {
    throw new Error(`our client failed in "${scenario.title}": ${e instanceof Error ? e.message : String(e)}\n${formatRun('our client', log.frames, '')}`, { cause: e });
  } finally {
    await connection.close();
  }
}

function requestStructure(frames: readonly RecordedFrame[]): unknown[] {
  return cborRequests(frames).map((r) => ({ command: r.command, params: cborShape(r.params) }));
}

function pick(outcome: Outcome, keys: readonly string[]): Outcome {
  return Object.fromEntries(keys.map((k) => [k, outcome[k]]));
}

describe.skipIf(peer.skip)(`our client vs python-fido2${peer.skip ? ` (skipped: ${peer.message})` : ''}`, () => {
  beforeAll(() => {
    if (!peer.available) throw new Error(peer.message);
  });

  it.each(SCENARIOS)('$title: same requests, same outcome, same key state', { timeout: PEER_TEST_TIMEOUT_MS }, async (scenario) => {
    const knobs = { ...PEER_KEY_KNOBS, ...scenario.knobs };
    const theirKey = new VirtualKey(knobs);
    const ourKey = new VirtualKey(knobs);

    const theirs = await runPeer({ peer: 'python-fido2', scenario: scenario.scenario, params: scenario.params, device: theirKey.device });
    reportOnFailure(theirs);
    expect(theirs.result.ok, theirs.result.error).toBe(true);
    const ours = await runOurs(ourKey, scenario);
    onTestFailed(() => {
      console.error(formatRun('our client', ours.frames, ''));
    });

    for (const member of scenario.compared) expect(theirs.result[member], `python-fido2 reported no ${member}`).toBeDefined();
    expect(pick(ours.outcome, scenario.compared)).toEqual(pick(theirs.result, scenario.compared));
    expect(requestStructure(ours.frames)).toEqual(requestStructure(theirs.frames));
    expect(ourKey.snapshot()).toEqual(theirKey.snapshot());
  });

  it("our authenticator-data parser reads python-fido2's attestation object as python-fido2 does", { timeout: PEER_TEST_TIMEOUT_MS }, async () => {
    const key = new VirtualKey(PEER_KEY_KNOBS);
    const theirs = await runPeer({ peer: 'python-fido2', scenario: 'make-credential', params: { pin: TEST_PIN, ...CREDENTIAL_REQUEST }, device: key.device });
    reportOnFailure(theirs);
    const hex = theirs.result.attestationObject;
    expect(typeof hex).toBe('string');
    const attestation = decode(Uint8Array.from(Buffer.from(String(hex), 'hex')));
    expect(attestation).toBeInstanceOf(Map);
    const authData = attestation instanceof Map ? attestation.get(2) : undefined;
    if (!(authData instanceof Uint8Array)) throw new Error('the attestation object has no authData byte string under key 2');
    const parsed = parseAuthenticatorData(authData);
    expect({
      flags: parsed.flags.value,
      rpIdHash: Buffer.from(parsed.rpIdHash).toString('hex'),
      credentialIdLength: parsed.attestedCredentialData?.credentialId.length,
      extensions: parsed.extensionOutputs,
    }).toEqual(pick(theirs.result, ['flags', 'rpIdHash', 'credentialIdLength', 'extensions']));
  });
});
