// PIN/UV auth protocols 1 and 2 (CTAP 2.1 §6.5.6, §6.5.7): key agreement, KDF, encrypt/decrypt and
// authenticate. Both the client and the virtual key use these primitives. Randomness is injectable so the
// published vectors can be asserted byte for byte.
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import type { CborMap, CborValue } from './cbor.js';
import { COSE_ALG } from './constants.js';
import { ProtocolError } from './errors.js';

export type Random = (length: number) => Uint8Array;
export const defaultRandom: Random = (n) => new Uint8Array(randomBytes(n));

export type PinProtocolVersion = 1 | 2;

export interface EcPublicKey {
  readonly x: Uint8Array;
  readonly y: Uint8Array;
}

export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', key).update(data).digest());
}

function aesCbc(encrypt: boolean, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  if (data.length % 16 !== 0) throw new ProtocolError('PIN protocol ciphertext is not a whole number of AES blocks');
  const c = encrypt ? createCipheriv('aes-256-cbc', key, iv) : createDecipheriv('aes-256-cbc', key, iv);
  c.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
}

/** COSE_Key of a P-256 key-agreement key as CTAP sends it (alg −25 is nominal). */
export function coseKeyAgreement(pub: EcPublicKey): CborMap {
  return new Map<number, CborValue>([
    [1, 2],
    [3, COSE_ALG.ECDH_ES_HKDF_256],
    [-1, 1],
    [-2, pub.x],
    [-3, pub.y],
  ]);
}

/** Reads a P-256 public key from a COSE_Key map, rejecting other key types and points off the curve. */
export function parseCoseEcKey(value: CborValue | undefined): EcPublicKey {
  if (!(value instanceof Map)) throw new ProtocolError('key agreement key is not a COSE_Key map');
  const x = value.get(-2);
  const y = value.get(-3);
  if (value.get(1) !== 2 || value.get(-1) !== 1 || !(x instanceof Uint8Array) || !(y instanceof Uint8Array) || x.length !== 32 || y.length !== 32) {
    throw new ProtocolError('key agreement key is not an uncompressed P-256 EC2 key');
  }
  const point = new Uint8Array(65);
  point[0] = 4;
  point.set(x, 1);
  point.set(y, 33);
  try {
    p256.Point.fromBytes(point).assertValidity();
  } catch {
    throw new ProtocolError('key agreement point is not on the P-256 curve');
  }
  return { x, y };
}

export interface EcKeyPair {
  readonly secret: Uint8Array;
  readonly publicKey: EcPublicKey;
}

export function generateKeyPair(random: Random = defaultRandom): EcKeyPair {
  for (;;) {
    const secret = random(32);
    if (!p256.utils.isValidSecretKey(secret)) continue;
    return { secret, publicKey: publicKeyOf(secret) };
  }
}

export function publicKeyOf(secret: Uint8Array): EcPublicKey {
  const pub = p256.getPublicKey(secret, false);
  return { x: pub.slice(1, 33), y: pub.slice(33, 65) };
}

/** ECDH on P-256: the 32-byte x coordinate of the shared point (it may start with 0x00). */
export function ecdhX(secret: Uint8Array, peer: EcPublicKey): Uint8Array {
  const point = new Uint8Array(65);
  point[0] = 4;
  point.set(peer.x, 1);
  point.set(peer.y, 33);
  return p256.getSharedSecret(secret, point, true).slice(1);
}

export interface PinUvAuthProtocol {
  readonly version: PinProtocolVersion;
  /** Derives the shared secret from the ECDH x coordinate. */
  kdf(z: Uint8Array): Uint8Array;
  encrypt(key: Uint8Array, plaintext: Uint8Array): Uint8Array;
  decrypt(key: Uint8Array, ciphertext: Uint8Array): Uint8Array;
  authenticate(key: Uint8Array, message: Uint8Array): Uint8Array;
  verify(key: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  /** Platform side: a fresh ephemeral key pair, its COSE key for the authenticator, and the shared secret. */
  encapsulate(peer: EcPublicKey): { keyAgreement: CborMap; sharedSecret: Uint8Array };
}

abstract class ProtocolBase {
  constructor(protected readonly random: Random = defaultRandom) {}
  abstract kdf(z: Uint8Array): Uint8Array;
  abstract authenticate(key: Uint8Array, message: Uint8Array): Uint8Array;

  verify(key: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    const expected = this.authenticate(key, message);
    return signature.length === expected.length && timingSafeEqual(expected, signature);
  }

  encapsulate(peer: EcPublicKey): { keyAgreement: CborMap; sharedSecret: Uint8Array } {
    const pair = generateKeyPair(this.random);
    return { keyAgreement: coseKeyAgreement(pair.publicKey), sharedSecret: this.kdf(ecdhX(pair.secret, peer)) };
  }
}

export class PinProtocolV1 extends ProtocolBase implements PinUvAuthProtocol {
  readonly version = 1 as const;

  kdf(z: Uint8Array): Uint8Array {
    return sha256(z);
  }

  encrypt(key: Uint8Array, plaintext: Uint8Array): Uint8Array {
    return aesCbc(true, key, new Uint8Array(16), plaintext);
  }

  decrypt(key: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    return aesCbc(false, key, new Uint8Array(16), ciphertext);
  }

  authenticate(key: Uint8Array, message: Uint8Array): Uint8Array {
    return hmacSha256(key, message).slice(0, 16);
  }
}

const HKDF_SALT = new Uint8Array(32);
const textBytes = (s: string) => new TextEncoder().encode(s);

export class PinProtocolV2 extends ProtocolBase implements PinUvAuthProtocol {
  readonly version = 2 as const;

  kdf(z: Uint8Array): Uint8Array {
    const out = new Uint8Array(64);
    out.set(hkdf(nobleSha256, z, HKDF_SALT, textBytes('CTAP2 HMAC key'), 32), 0);
    out.set(hkdf(nobleSha256, z, HKDF_SALT, textBytes('CTAP2 AES key'), 32), 32);
    return out;
  }

  private aesKey(key: Uint8Array): Uint8Array {
    return key.length === 64 ? key.subarray(32) : key;
  }

  encrypt(key: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const iv = this.random(16);
    const ct = aesCbc(true, this.aesKey(key), iv, plaintext);
    const out = new Uint8Array(16 + ct.length);
    out.set(iv);
    out.set(ct, 16);
    return out;
  }

  decrypt(key: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    if (ciphertext.length < 16) throw new ProtocolError('PIN protocol 2 ciphertext shorter than its IV');
    return aesCbc(false, this.aesKey(key), ciphertext.subarray(0, 16), ciphertext.subarray(16));
  }

  authenticate(key: Uint8Array, message: Uint8Array): Uint8Array {
    return hmacSha256(key.length > 32 ? key.subarray(0, 32) : key, message);
  }
}

export function pinProtocol(version: PinProtocolVersion, random?: Random): PinUvAuthProtocol {
  return version === 1 ? new PinProtocolV1(random) : new PinProtocolV2(random);
}

/** PIN as CTAP carries it: UTF-8, at least 4 code points, at most 63 bytes, zero-padded to 64 bytes. */
export function padPin(pin: string): Uint8Array {
  if ([...pin].length < 4) throw new RangeError('a PIN has at least 4 characters');
  const bytes = textBytes(pin);
  if (bytes.length > 63) throw new RangeError('a PIN has at most 63 bytes');
  const out = new Uint8Array(64);
  out.set(bytes);
  return out;
}

/** LEFT(SHA-256(PIN), 16), the value whose encryption is pinHashEnc. */
export function pinHash(pin: string): Uint8Array {
  return sha256(textBytes(pin)).slice(0, 16);
}
