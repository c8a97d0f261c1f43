// authenticatorGetAssertion (0x02) and authenticatorGetNextAssertion (0x08): enough of CTAP 2.1 to
// prove a programmed credential works — allowList or discoverable lookup, credProtect filtering, up/uv,
// pinUvAuthParam with the ga permission.
import type { CborMap, CborValue } from '../ctap/cbor.js';
import { PERMISSION } from '../ctap/constants.js';
import { FLAG, authenticatorData } from './auth-data.js';
import { concatBytes } from './bytes.js';
import type { CommandContext } from './command-context.js';
import type { StoredCredential } from './credential-store.js';
import type { KeyState } from './key-state.js';
import { probePinSet, requireUvWhenAlwaysUv, signEs256 } from './make-credential.js';
import { credentialDescriptor, type Params } from './request.js';
import { STATUS, fail } from './status.js';

const KEY = { RP_ID: 1, CLIENT_DATA_HASH: 2, ALLOW_LIST: 3, EXTENSIONS: 4, OPTIONS: 5, PIN_UV_AUTH_PARAM: 6, PIN_UV_AUTH_PROTOCOL: 7 } as const;

/** Credentials left for getNextAssertion after a discoverable getAssertion found several. */
export interface PendingAssertions {
  readonly rpId: string;
  readonly clientDataHash: Uint8Array;
  readonly flags: number;
  readonly remaining: StoredCredential[];
}

function assertion(state: KeyState, credential: StoredCredential, rpId: string, clientDataHash: Uint8Array, flags: number, withUser: boolean): Map<number, CborValue> {
  const authData = authenticatorData(rpId, flags, state.nextSignCount());
  const reply = new Map<number, CborValue>([
    [1, { id: credential.id, type: 'public-key' }],
    [2, authData],
    [3, signEs256(credential.privateKey, concatBytes(authData, clientDataHash))],
  ]);
  if (withUser) {
    const user: Record<string, CborValue> = { id: credential.user.id };
    // Identifying user fields only after user verification (CTAP 2.1 §6.2.2).
    if (flags & FLAG.UV) {
      if (credential.user.name !== undefined) user.name = credential.user.name;
      if (credential.user.displayName !== undefined) user.displayName = credential.user.displayName;
    }
    reply.set(4, user);
  }
  return reply;
}

export async function getAssertion(
  p: Params,
  state: KeyState,
  ctx: CommandContext,
): Promise<{ reply: CborMap; pending: PendingAssertions | undefined }> {
  const rpId = p.text(KEY.RP_ID);
  const clientDataHash = p.bytes(KEY.CLIENT_DATA_HASH);
  const allowList = p.optionalArray(KEY.ALLOW_LIST)?.map(credentialDescriptor);
  p.optionalParams(KEY.EXTENSIONS);
  const keyOptions = p.optionalParams(KEY.OPTIONS);
  const param = p.optionalBytes(KEY.PIN_UV_AUTH_PARAM);
  const protocolVersion = p.optionalInt(KEY.PIN_UV_AUTH_PROTOCOL);

  if (param && param.length === 0) return probePinSet(state, ctx);
  if (param) state.pin.protocol(protocolVersion);
  if (keyOptions?.has('rk')) fail(STATUS.UNSUPPORTED_OPTION);
  if (keyOptions?.optionalBool('uv') === true) fail(STATUS.INVALID_OPTION);
  const up = keyOptions?.optionalBool('up') ?? true;
  requireUvWhenAlwaysUv(state, param);

  let uv = false;
  if (param) {
    state.pin.verifyToken(protocolVersion, param, clientDataHash, PERMISSION.GET_ASSERTION, rpId);
    uv = true;
  }

  const fromAllowList = allowList !== undefined && allowList.length > 0;
  const candidates = fromAllowList
    ? allowList
        .filter((d) => d.type === 'public-key')
        .map((d) => state.credentials.byId(d.id))
        .filter((c): c is StoredCredential => c !== undefined && c.rpId === rpId && (c.credProtect !== 3 || uv))
        .slice(0, 1)
    : state.credentials
        .discoverableFor(rpId)
        .filter((c) => c.credProtect === 1 || uv)
        .reverse();

  if (up) await ctx.requireUserPresence();
  const first = candidates[0];
  if (!first) fail(STATUS.NO_CREDENTIALS);

  const flags = (up ? FLAG.UP : 0) | (uv ? FLAG.UV : 0);
  const reply = assertion(state, first, rpId, clientDataHash, flags, !fromAllowList);
  if (!fromAllowList && candidates.length > 1) reply.set(5, candidates.length);
  const pending = candidates.length > 1 ? { rpId, clientDataHash, flags, remaining: candidates.slice(1) } : undefined;
  return { reply, pending };
}

export function getNextAssertion(state: KeyState, pending: PendingAssertions | undefined): { reply: CborMap; pending: PendingAssertions | undefined } {
  const next = pending?.remaining[0];
  if (!pending || !next) fail(STATUS.NOT_ALLOWED);
  const reply = assertion(state, next, pending.rpId, pending.clientDataHash, pending.flags, true);
  const remaining = pending.remaining.slice(1);
  return { reply, pending: remaining.length > 0 ? { ...pending, remaining } : undefined };
}
