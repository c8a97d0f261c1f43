// Authenticator data (WebAuthn §6.1): rpIdHash ‖ flags ‖ signCount ‖ [attested credential data] ‖ [extensions].
import { encode, type CborMap, type CborValue } from '../ctap/cbor.js';
import { COSE_ALG } from '../ctap/constants.js';
import { sha256, type EcPublicKey } from '../ctap/pin-protocol.js';

export const FLAG = { UP: 0x01, UV: 0x04, AT: 0x40, ED: 0x80 } as const;

export interface AttestedCredential {
  readonly aaguid: Uint8Array;
  readonly credentialId: Uint8Array;
  readonly publicKey: EcPublicKey;
}

/** COSE_Key of an ES256 credential public key. */
export function coseEs256(key: EcPublicKey): CborMap {
  return new Map<number, CborValue>([
    [1, 2],
    [3, COSE_ALG.ES256],
    [-1, 1],
    [-2, key.x],
    [-3, key.y],
  ]);
}

export function authenticatorData(rpId: string, flags: number, signCount: number, attested?: AttestedCredential, extensions?: CborMap): Uint8Array {
  const parts: Uint8Array[] = [sha256(new TextEncoder().encode(rpId))];
  let allFlags = flags;
  if (attested) allFlags |= FLAG.AT;
  if (extensions && extensions.size > 0) allFlags |= FLAG.ED;
  const header = new Uint8Array(5);
  header[0] = allFlags;
  new DataView(header.buffer).setUint32(1, signCount >>> 0);
  parts.push(header);
  if (attested) {
    const idLength = new Uint8Array(2);
    new DataView(idLength.buffer).setUint16(0, attested.credentialId.length);
    parts.push(attested.aaguid, idLength, attested.credentialId, encode(coseEs256(attested.publicKey)));
  }
  if (extensions && extensions.size > 0) parts.push(encode(extensions));
  return Uint8Array.from(Buffer.concat(parts));
}
