// What Okta (here: the embedded simulator) does with the wire profile: seal requests to the station's
// transport key, and open the station's responses — decrypt with its own response key, then verify the
// inner JWS with the station's signing keys.
import {
  decryptPlaintext,
  encryptJson,
  verifyJson,
  type ContentEnc,
  type EncryptOptions,
  type KeyAlg,
} from './envelope.js';
import { quoted, WireError } from './errors.js';
import type { P384PrivateJwk, P384PublicJwk } from './jwk.js';
import {
  parseCredRequestPayload,
  parseCredResponsePayload,
  parsePinRequestPayload,
  parsePinResponsePayload,
  type CredRequestPayload,
  type CredResponsePayload,
  type PinRequestPayload,
  type PinResponsePayload,
} from './payloads.js';

/** The profile's default for requests: ECDH-ES+A256KW with A256GCM. */
export const DEFAULT_REQUEST_ENCRYPTION: { alg: KeyAlg; enc: ContentEnc } = { alg: 'ECDH-ES+A256KW', enc: 'A256GCM' };

export async function sealCredRequest(payload: CredRequestPayload, transportKey: P384PublicJwk, opts: EncryptOptions = {}): Promise<string> {
  return encryptJson(parseCredRequestPayload(payload), transportKey, { ...DEFAULT_REQUEST_ENCRYPTION, ...opts });
}

export async function sealPinRequest(payload: PinRequestPayload, transportKey: P384PublicJwk, opts: EncryptOptions = {}): Promise<string> {
  return encryptJson(parsePinRequestPayload(payload), transportKey, { ...DEFAULT_REQUEST_ENCRYPTION, ...opts });
}

/** When given, the alg/enc of the request this response answers; the profile requires the response to match. */
export type ExpectedEncryption = { alg: KeyAlg; enc: ContentEnc };

async function openSignedResponse(
  jwe: string,
  responsePrivateKey: P384PrivateJwk,
  signingJwks: P384PublicJwk[],
  expected: ExpectedEncryption | undefined,
): Promise<unknown> {
  const { plaintext, header } = await decryptPlaintext(jwe, [responsePrivateKey]);
  if (expected && (header.alg !== expected.alg || header.enc !== expected.enc)) {
    throw new WireError(
      'unsupported-alg',
      `The response uses ${header.alg}/${header.enc} but its request used ${expected.alg}/${expected.enc}; responses must match their request.`,
    );
  }
  if (header.cty !== 'JWT') {
    throw new WireError('bad-jwe', `The response JWE has cty ${quoted(header.cty)}; profile v1 responses carry a signed JWT (cty "JWT").`);
  }
  let jws: string;
  try {
    jws = new TextDecoder('utf-8', { fatal: true }).decode(plaintext);
  } catch {
    throw new WireError('bad-jws', 'The response JWE does not contain a compact JWS.');
  }
  return verifyJson(jws, signingJwks);
}

export async function openCredResponse(
  jwe: string,
  responsePrivateKey: P384PrivateJwk,
  signingJwks: P384PublicJwk[],
  expected?: ExpectedEncryption,
): Promise<CredResponsePayload> {
  return parseCredResponsePayload(await openSignedResponse(jwe, responsePrivateKey, signingJwks, expected));
}

export async function openPinResponse(
  jwe: string,
  responsePrivateKey: P384PrivateJwk,
  signingJwks: P384PublicJwk[],
  expected?: ExpectedEncryption,
): Promise<PinResponsePayload> {
  return parsePinResponsePayload(await openSignedResponse(jwe, responsePrivateKey, signingJwks, expected));
}
