// authenticatorCredentialManagement (0x0A, and the 2.1-PRE 0x41): metadata, RP and credential
// enumeration, delete, update user. Needs a token with the cm permission; the *GetNext subcommands
// continue the enumeration started by the previous command and need none.
import type { CborMap, CborValue } from '../ctap/cbor.js';
import { encode } from '../ctap/cbor.js';
import { CREDMAN_SUB, PERMISSION } from '../ctap/constants.js';
import { sha256 } from '../ctap/pin-protocol.js';
import { coseEs256 } from './auth-data.js';
import { concatBytes } from './bytes.js';
import type { StoredCredential } from './credential-store.js';
import type { KeyState } from './key-state.js';
import { credentialDescriptor, type Params } from './request.js';
import { STATUS, fail } from './status.js';

const KEY = { SUB: 1, PARAMS: 2, PIN_UV_AUTH_PROTOCOL: 3, PIN_UV_AUTH_PARAM: 4 } as const;
const SUB_PARAM = { RP_ID_HASH: 1, CREDENTIAL_ID: 2, USER: 3 } as const;
const OUT = {
  EXISTING_COUNT: 1,
  REMAINING_COUNT: 2,
  RP: 3,
  RP_ID_HASH: 4,
  TOTAL_RPS: 5,
  USER: 6,
  CREDENTIAL_ID: 7,
  PUBLIC_KEY: 8,
  TOTAL_CREDENTIALS: 9,
  CRED_PROTECT: 0x0a,
} as const;

/** An enumeration in progress: what the next *GetNext returns. */
export type Enumeration = { readonly kind: 'rps'; readonly items: CborMap[] } | { readonly kind: 'credentials'; readonly items: CborMap[] };

const utf8 = new TextEncoder();

function userMap(c: StoredCredential): Record<string, CborValue> {
  const user: Record<string, CborValue> = { id: c.user.id };
  if (c.user.name !== undefined) user.name = c.user.name;
  if (c.user.displayName !== undefined) user.displayName = c.user.displayName;
  return user;
}

function credentialEntry(c: StoredCredential): Map<number, CborValue> {
  return new Map<number, CborValue>([
    [OUT.USER, userMap(c)],
    [OUT.CREDENTIAL_ID, { id: c.id, type: 'public-key' }],
    [OUT.PUBLIC_KEY, coseEs256(c.publicKey)],
    [OUT.CRED_PROTECT, c.credProtect],
  ]);
}

function rpEntries(state: KeyState): Map<number, CborValue>[] {
  const byRp = new Map<string, StoredCredential>();
  for (const c of state.credentials.discoverable()) if (!byRp.has(c.rpId)) byRp.set(c.rpId, c);
  return [...byRp.values()].map((c) => {
    const rp: Record<string, CborValue> = { id: c.rpId };
    if (c.rpName !== undefined) rp.name = c.rpName;
    return new Map<number, CborValue>([
      [OUT.RP, rp],
      [OUT.RP_ID_HASH, sha256(utf8.encode(c.rpId))],
    ]);
  });
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export function credentialManagement(
  p: Params,
  state: KeyState,
  previous: Enumeration | undefined,
): { reply: CborMap | undefined; enumeration: Enumeration | undefined } {
  const sub = p.int(KEY.SUB);

  if (sub === CREDMAN_SUB.ENUMERATE_RPS_GET_NEXT || sub === CREDMAN_SUB.ENUMERATE_CREDENTIALS_GET_NEXT) {
    const wanted = sub === CREDMAN_SUB.ENUMERATE_RPS_GET_NEXT ? 'rps' : 'credentials';
    const next = previous?.kind === wanted ? previous.items[0] : undefined;
    if (!previous || !next) fail(STATUS.NOT_ALLOWED);
    const items = previous.items.slice(1);
    return { reply: next, enumeration: items.length > 0 ? { kind: previous.kind, items } : undefined };
  }

  const subParams = p.optionalParams(KEY.PARAMS);
  const param = p.optionalBytes(KEY.PIN_UV_AUTH_PARAM);
  if (!param) fail(STATUS.PUAT_REQUIRED);
  const message = concatBytes(Uint8Array.of(sub), subParams ? encode(subParams.value) : new Uint8Array(0));
  state.pin.verifyToken(p.optionalInt(KEY.PIN_UV_AUTH_PROTOCOL), param, message, PERMISSION.CREDENTIAL_MANAGEMENT);
  // A token bound to one RP may not look at the whole key.
  const boundRp = state.pin.tokenRpId;

  switch (sub) {
    case CREDMAN_SUB.GET_CREDS_METADATA:
      if (boundRp !== undefined) fail(STATUS.UNAUTHORIZED_PERMISSION);
      return {
        reply: new Map([
          [OUT.EXISTING_COUNT, state.credentials.discoverableCount],
          [OUT.REMAINING_COUNT, state.credentials.remainingDiscoverable],
        ]),
        enumeration: undefined,
      };

    case CREDMAN_SUB.ENUMERATE_RPS_BEGIN: {
      if (boundRp !== undefined) fail(STATUS.UNAUTHORIZED_PERMISSION);
      const [first, ...rest] = rpEntries(state);
      if (!first) fail(STATUS.NO_CREDENTIALS);
      first.set(OUT.TOTAL_RPS, rest.length + 1);
      return { reply: first, enumeration: rest.length > 0 ? { kind: 'rps', items: rest } : undefined };
    }

    case CREDMAN_SUB.ENUMERATE_CREDENTIALS_BEGIN: {
      const rpIdHash = (subParams ?? fail(STATUS.MISSING_PARAMETER)).bytes(SUB_PARAM.RP_ID_HASH);
      if (boundRp !== undefined && !sameBytes(sha256(utf8.encode(boundRp)), rpIdHash)) fail(STATUS.UNAUTHORIZED_PERMISSION);
      const matching = state.credentials.discoverable().filter((c) => sameBytes(sha256(utf8.encode(c.rpId)), rpIdHash));
      const [first, ...rest] = matching.map(credentialEntry);
      if (!first) fail(STATUS.NO_CREDENTIALS);
      first.set(OUT.TOTAL_CREDENTIALS, rest.length + 1);
      return { reply: first, enumeration: rest.length > 0 ? { kind: 'credentials', items: rest } : undefined };
    }

    case CREDMAN_SUB.DELETE_CREDENTIAL: {
      const descriptor = credentialDescriptor((subParams ?? fail(STATUS.MISSING_PARAMETER)).raw(SUB_PARAM.CREDENTIAL_ID) ?? fail(STATUS.MISSING_PARAMETER));
      const credential = state.credentials.byId(descriptor.id);
      if (!credential || !credential.discoverable) fail(STATUS.NO_CREDENTIALS);
      if (boundRp !== undefined && credential.rpId !== boundRp) fail(STATUS.UNAUTHORIZED_PERMISSION);
      state.credentials.delete(descriptor.id);
      return { reply: undefined, enumeration: undefined };
    }

    case CREDMAN_SUB.UPDATE_USER_INFORMATION: {
      const sp = subParams ?? fail(STATUS.MISSING_PARAMETER);
      const descriptor = credentialDescriptor(sp.raw(SUB_PARAM.CREDENTIAL_ID) ?? fail(STATUS.MISSING_PARAMETER));
      const user = sp.params(SUB_PARAM.USER);
      const credential = state.credentials.byId(descriptor.id);
      if (!credential || !credential.discoverable) fail(STATUS.NO_CREDENTIALS);
      if (boundRp !== undefined && credential.rpId !== boundRp) fail(STATUS.UNAUTHORIZED_PERMISSION);
      const userId = user.bytes('id');
      if (!sameBytes(userId, credential.user.id)) fail(STATUS.INVALID_PARAMETER);
      state.credentials.replaceUser(descriptor.id, { id: userId, name: user.optionalText('name'), displayName: user.optionalText('displayName') });
      return { reply: undefined, enumeration: undefined };
    }

    default:
      fail(STATUS.INVALID_SUBCOMMAND);
  }
}
