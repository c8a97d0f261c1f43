// authenticatorMakeCredential (0x01): ES256 credentials with packed batch attestation, credProtect and
// minPinLength extensions, enterprise attestation, exclusion and the CTAP 2.1 PIN/UV rules.
//
// enterpriseAttestation when EP is unsupported or not enabled → CTAP1_ERR_INVALID_PARAMETER, as CTAP 2.1
// §6.1.2 step 9 says (ctap-anchors §7 open question). Both EP kinds (1 vendor-facilitated, 2
// platform-managed) are granted for every RP: this key has no vendor RP list. The EP attestation uses the
// same batch certificate; the reply's epAtt flag tells the two apart.
import { p256 } from '@noble/curves/nist.js';
import type { CborMap, CborValue } from '../ctap/cbor.js';
import { COSE_ALG, PERMISSION } from '../ctap/constants.js';
import { generateKeyPair, type Random } from '../ctap/pin-protocol.js';
import { signWithBatchKey, type AttestationMaterial } from './attestation.js';
import { FLAG, authenticatorData } from './auth-data.js';
import { concatBytes } from './bytes.js';
import type { CommandContext } from './command-context.js';
import type { CredProtectLevel } from './credential-store.js';
import type { KeyState } from './key-state.js';
import type { VirtualKeyOptions } from './options.js';
import { Params, credentialDescriptor } from './request.js';
import { STATUS, fail } from './status.js';

const KEY = {
  CLIENT_DATA_HASH: 1,
  RP: 2,
  USER: 3,
  PUB_KEY_CRED_PARAMS: 4,
  EXCLUDE_LIST: 5,
  EXTENSIONS: 6,
  OPTIONS: 7,
  PIN_UV_AUTH_PARAM: 8,
  PIN_UV_AUTH_PROTOCOL: 9,
  ENTERPRISE_ATTESTATION: 0x0a,
} as const;

export const CREDENTIAL_ID_LENGTH = 48;

export interface MakeCredentialEnvironment {
  readonly options: VirtualKeyOptions;
  readonly state: KeyState;
  readonly random: Random;
  readonly attestation: () => Promise<AttestationMaterial>;
}

/** The CTAP 2.1 answer to a zero-length pinUvAuthParam: a touch, then whether a PIN is set. */
export async function probePinSet(state: KeyState, ctx: CommandContext): Promise<never> {
  await ctx.requireUserPresence();
  fail(state.pin.isSet ? STATUS.PIN_INVALID : STATUS.PIN_NOT_SET);
}

/** Enforces alwaysUv for commands that need a pinUvAuthParam when it is on. */
export function requireUvWhenAlwaysUv(state: KeyState, param: Uint8Array | undefined): void {
  if (!state.alwaysUv || param) return;
  fail(state.pin.isSet ? STATUS.PUAT_REQUIRED : STATUS.PIN_NOT_SET);
}


export function signEs256(privateKey: Uint8Array, data: Uint8Array): Uint8Array {
  return p256.sign(data, privateKey, { format: 'der' });
}

export async function makeCredential(p: Params, env: MakeCredentialEnvironment, ctx: CommandContext): Promise<CborMap> {
  const { options, state } = env;
  const clientDataHash = p.bytes(KEY.CLIENT_DATA_HASH);
  const rp = p.params(KEY.RP);
  const rpId = rp.text('id');
  const rpName = rp.optionalText('name');
  const user = p.params(KEY.USER);
  const userEntity = { id: user.bytes('id'), name: user.optionalText('name'), displayName: user.optionalText('displayName') };
  const algorithms = p.array(KEY.PUB_KEY_CRED_PARAMS).map((item) => {
    const entry = Params.of(item);
    return { type: entry.text('type'), alg: entry.int('alg') };
  });
  const excludeList = (p.optionalArray(KEY.EXCLUDE_LIST) ?? []).map(credentialDescriptor);
  const extensions = p.optionalParams(KEY.EXTENSIONS);
  const keyOptions = p.optionalParams(KEY.OPTIONS);
  const param = p.optionalBytes(KEY.PIN_UV_AUTH_PARAM);
  const protocolVersion = p.optionalInt(KEY.PIN_UV_AUTH_PROTOCOL);
  const enterpriseAttestation = p.optionalInt(KEY.ENTERPRISE_ATTESTATION);

  if (param && param.length === 0) return probePinSet(state, ctx);
  if (param) state.pin.protocol(protocolVersion);
  if (!algorithms.some((a) => a.type === 'public-key' && a.alg === COSE_ALG.ES256)) fail(STATUS.UNSUPPORTED_ALGORITHM);

  const rk = keyOptions?.optionalBool('rk') ?? false;
  if (keyOptions?.optionalBool('up') === false) fail(STATUS.INVALID_OPTION);
  if (keyOptions?.optionalBool('uv') === true) fail(STATUS.INVALID_OPTION);

  requireUvWhenAlwaysUv(state, param);
  // makeCredUvNotRqd: without a token, a PIN-protected key still makes non-discoverable credentials.
  if (state.pin.isSet && !param && rk) fail(STATUS.PUAT_REQUIRED);

  if (enterpriseAttestation !== undefined) {
    if (!options.enterpriseAttestation || !state.epEnabled) fail(STATUS.INVALID_PARAMETER);
    if (enterpriseAttestation !== 1 && enterpriseAttestation !== 2) fail(STATUS.INVALID_OPTION);
  }

  let uv = false;
  if (param) {
    state.pin.verifyToken(protocolVersion, param, clientDataHash, PERMISSION.MAKE_CREDENTIAL, rpId);
    uv = true;
  }

  for (const descriptor of excludeList) {
    const existing = descriptor.type === 'public-key' ? state.credentials.byId(descriptor.id) : undefined;
    if (existing && existing.rpId === rpId && (existing.credProtect !== 3 || uv)) {
      await ctx.requireUserPresence();
      fail(STATUS.CREDENTIAL_EXCLUDED);
    }
  }

  if (rk && state.credentials.needsSlot(rpId, userEntity.id) && state.credentials.remainingDiscoverable === 0) fail(STATUS.KEY_STORE_FULL);

  let credProtect: CredProtectLevel = 1;
  const requestedCredProtect = options.credProtect ? extensions?.optionalInt('credProtect') : undefined;
  if (requestedCredProtect !== undefined) {
    if (requestedCredProtect !== 1 && requestedCredProtect !== 2 && requestedCredProtect !== 3) fail(STATUS.INVALID_OPTION);
    credProtect = requestedCredProtect;
  }
  const wantsMinPinLength = options.minPinLengthExtension && extensions?.optionalBool('minPinLength') === true;

  await ctx.requireUserPresence();

  const keyPair = generateKeyPair(env.random);
  const credentialId = env.random(CREDENTIAL_ID_LENGTH);
  state.credentials.add({
    id: credentialId,
    rpId,
    rpName,
    user: userEntity,
    privateKey: keyPair.secret,
    publicKey: keyPair.publicKey,
    credProtect,
    discoverable: rk,
  });

  const extensionOutputs = new Map<string, CborValue>();
  if (requestedCredProtect !== undefined) extensionOutputs.set('credProtect', credProtect);
  if (wantsMinPinLength && state.pin.minPinLengthRpIds.includes(rpId)) extensionOutputs.set('minPinLength', state.pin.minPinLength);

  const flags = FLAG.UP | (uv ? FLAG.UV : 0);
  const material = await env.attestation();
  const authData = authenticatorData(
    rpId,
    flags,
    state.nextSignCount(),
    { aaguid: options.aaguid, credentialId, publicKey: keyPair.publicKey },
    extensionOutputs,
  );
  const attStmt = {
    alg: COSE_ALG.ES256,
    sig: signWithBatchKey(material, concatBytes(authData, clientDataHash)),
    x5c: [material.batchCertificate],
  };
  const reply = new Map<number, CborValue>([
    [1, 'packed'],
    [2, authData],
    [3, attStmt],
  ]);
  if (enterpriseAttestation !== undefined) reply.set(4, true);
  return reply;
}
