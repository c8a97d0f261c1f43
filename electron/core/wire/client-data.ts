// What a browser would have produced, built by the station because there is no browser at the bench:
// the exact clientDataJSON bytes and the RegistrationResponseJSON around the key's attestation.
import { toBase64url } from './base64url.js';
import { quoted, WireError } from './errors.js';
import { Base64urlSchema, isRpIdHostname, type RegistrationResponseJSON } from './webauthn-json.js';

export function originForRpId(rpId: string): string {
  return `https://${rpId}`;
}

/**
 * `{"type":"webauthn.create","challenge":"…","origin":"https://<rpId>","crossOrigin":false}` — this key order,
 * no spaces, as browsers serialise it (WebAuthn L3 §5.8.1.1), so any standard verifier accepts it.
 */
export function buildClientDataJSON(challengeB64url: string, rpId: string): Uint8Array {
  if (!Base64urlSchema.safeParse(challengeB64url).success || challengeB64url.length === 0) {
    throw new WireError('schema', 'The challenge must be non-empty base64url without padding.');
  }
  if (!isRpIdHostname(rpId)) {
    throw new WireError('schema', `RP ID ${quoted(rpId)} is not a bare hostname; remove any scheme, port or path.`);
  }
  const json =
    `{"type":"webauthn.create","challenge":${JSON.stringify(challengeB64url)},` +
    `"origin":${JSON.stringify(originForRpId(rpId))},"crossOrigin":false}`;
  return new TextEncoder().encode(json);
}

export function buildRegistrationResponse(input: {
  credentialId: Uint8Array;
  clientDataJSON: Uint8Array;
  attestationObject: Uint8Array;
  rk: boolean;
}): RegistrationResponseJSON {
  const id = toBase64url(input.credentialId);
  return {
    id,
    rawId: id,
    type: 'public-key',
    authenticatorAttachment: 'cross-platform',
    response: {
      clientDataJSON: toBase64url(input.clientDataJSON),
      attestationObject: toBase64url(input.attestationObject),
      transports: ['usb'],
    },
    clientExtensionResults: { credProps: { rk: input.rk } },
  };
}
