// What the station does with the wire profile: open Okta's requests with its transport keys, and seal
// its answers — signed with its signing key, encrypted to the response key inside each request, with the
// same alg/enc the request came with.
import { toBase64url } from './base64url.js';
import { buildClientDataJSON } from './client-data.js';
import { decryptJson, encryptPlaintext, signJson, type ContentEnc, type KeyAlg, type PrivateKeySource } from './envelope.js';
import { quoted, WireError } from './errors.js';
import type { P384PrivateJwk, P384PublicJwk } from './jwk.js';
import {
  parseCredRequestPayload,
  parseCredResponsePayload,
  parsePinRequestPayload,
  parsePinResponsePayload,
  pinMeetsPolicy,
  WIRE_PROFILE_VERSION,
  type AuthenticatorInfo,
  type CredRequestPayload,
  type PinRequestPayload,
} from './payloads.js';
import type { RegistrationResponseJSON } from './webauthn-json.js';

export interface OpenedRequest<T> {
  request: T;
  alg: KeyAlg;
  enc: ContentEnc;
}

/** Opens one `credRequestJwe`; `keyId` is the one `enroll` returned beside it and must name the request's response key. */
export async function openCredRequest(
  jwe: string,
  keyId: string,
  transportKeys: PrivateKeySource,
): Promise<OpenedRequest<CredRequestPayload>> {
  const { payload, header } = await decryptJson(jwe, transportKeys);
  const request = parseCredRequestPayload(payload);
  if (request.responseKey.kid !== keyId) {
    throw new WireError(
      'kid-mismatch',
      `The credential request's response key is ${quoted(request.responseKey.kid)} but enroll named keyId ${quoted(keyId)}; ` +
        'the request belongs to another enrollment. Fetch the order again.',
    );
  }
  return { request, alg: header.alg, enc: header.enc };
}

export async function openPinRequest(jwe: string, transportKeys: PrivateKeySource): Promise<OpenedRequest<PinRequestPayload>> {
  const { payload, header } = await decryptJson(jwe, transportKeys);
  return { request: parsePinRequestPayload(payload), alg: header.alg, enc: header.enc };
}

function issuedAt(now: Date): number {
  return Math.floor(now.getTime() / 1000);
}

interface SealTarget {
  responseKey: P384PublicJwk;
  alg: KeyAlg;
  enc: ContentEnc;
  signer: P384PrivateJwk;
}

/** Sign, then encrypt (nested JWT): the JWE carries the compact JWS, `cty: "JWT"`. */
async function signThenEncrypt(payload: unknown, target: SealTarget): Promise<string> {
  const jws = await signJson(payload, target.signer);
  return encryptPlaintext(new TextEncoder().encode(jws), target.responseKey, { alg: target.alg, enc: target.enc, cty: 'JWT' });
}

export async function sealCredResponse(input: {
  request: CredRequestPayload;
  alg: KeyAlg;
  enc: ContentEnc;
  credential: RegistrationResponseJSON;
  authenticator: AuthenticatorInfo;
  signer: P384PrivateJwk;
  now?: Date;
}): Promise<string> {
  const { request } = input;
  // A clientDataJSON that does not answer this request would only be refused by Okta later; refuse it here.
  const expected = toBase64url(buildClientDataJSON(request.publicKey.challenge, request.publicKey.rp.id));
  if (input.credential.response.clientDataJSON !== expected) {
    throw new WireError('schema', "The credential's clientDataJSON does not answer this request's challenge and RP; build it with buildClientDataJSON.");
  }
  const payload = parseCredResponsePayload({
    v: WIRE_PROFILE_VERSION,
    userId: request.userId,
    authenticatorEnrollmentId: request.authenticatorEnrollmentId,
    iat: issuedAt(input.now ?? new Date()),
    credential: input.credential,
    authenticator: input.authenticator,
  });
  return signThenEncrypt(payload, { ...input, responseKey: request.responseKey });
}

export async function sealPinResponse(input: {
  request: PinRequestPayload;
  alg: KeyAlg;
  enc: ContentEnc;
  pin: string;
  forceChangePin: boolean;
  serial: string;
  signer: P384PrivateJwk;
  now?: Date;
}): Promise<string> {
  const { request } = input;
  if (!pinMeetsPolicy(input.pin, request.pinPolicy)) {
    const { charset, length } = request.pinPolicy;
    throw new WireError('pin-policy', `The PIN does not meet the request's policy (${charset}, at least ${length} characters); generate a new one.`);
  }
  const payload = parsePinResponsePayload({
    v: WIRE_PROFILE_VERSION,
    userId: request.userId,
    authenticatorEnrollmentIds: request.authenticatorEnrollmentIds,
    iat: issuedAt(input.now ?? new Date()),
    pin: input.pin,
    forceChangePin: input.forceChangePin,
    serial: input.serial,
  });
  return signThenEncrypt(payload, { ...input, responseKey: request.responseKey });
}
