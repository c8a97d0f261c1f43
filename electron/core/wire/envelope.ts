// The JOSE envelope of wire profile v1, always through `jose`: compact JWE (ECDH-ES family, AES-GCM) around
// either a JSON plaintext (requests) or a compact ES384 JWS (responses, sign-then-encrypt).
// The protected header is read and checked before any key is touched, so a refused algorithm or a
// foreign curve is reported as such and never reaches the crypto.
import { CompactEncrypt, CompactSign, compactDecrypt, compactVerify, decodeProtectedHeader, errors, importJWK } from 'jose';
import { z } from 'zod';
import { isBase64url } from './base64url.js';
import { quoted, WireError } from './errors.js';
import {
  assertKeyUse,
  assertP384Curve,
  parseP384PrivateJwk,
  parseP384PublicJwk,
  P384EpkSchema,
  type P384PrivateJwk,
  type P384PublicJwk,
} from './jwk.js';

export const KEY_ALGS = ['ECDH-ES', 'ECDH-ES+A128KW', 'ECDH-ES+A192KW', 'ECDH-ES+A256KW'] as const;
export type KeyAlg = (typeof KEY_ALGS)[number];
export const CONTENT_ENCS = ['A128GCM', 'A192GCM', 'A256GCM'] as const;
export type ContentEnc = (typeof CONTENT_ENCS)[number];
export const SIGNATURE_ALG = 'ES384';

export interface JweHeader {
  alg: KeyAlg;
  enc: ContentEnc;
  kid?: string;
  cty?: string;
}

export interface EncryptOptions {
  alg?: KeyAlg;
  enc?: ContentEnc;
  cty?: string;
}

/** The keys a receiver may decrypt with: a list (picked by header kid) or a lookup by kid. */
export type PrivateKeySource = P384PrivateJwk[] | ((kid?: string) => P384PrivateJwk | undefined);

const DEFAULT_ALG: KeyAlg = 'ECDH-ES+A256KW';
const DEFAULT_ENC: ContentEnc = 'A256GCM';

const JweHeaderSchema = z.object({
  alg: z.enum(KEY_ALGS),
  enc: z.enum(CONTENT_ENCS),
  kid: z.string().min(1).optional(),
  cty: z.string().optional(),
  zip: z.never({ message: 'compressed JWEs are not part of the profile' }).optional(),
  epk: z.unknown(),
});

const JwsHeaderSchema = z.object({
  alg: z.literal(SIGNATURE_ALG),
  typ: z.literal('JWT'),
  kid: z.string().min(1),
});

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

function compactParts(token: string, count: number, what: string): void {
  const parts = token.split('.');
  if (parts.length !== count || !parts.every(isBase64url)) {
    throw new WireError(what === 'JWE' ? 'bad-jwe' : 'bad-jws', `The ${what} is not in compact serialization (${count} base64url parts).`);
  }
}

function protectedHeader(token: string, what: 'JWE' | 'JWS'): Record<string, unknown> {
  try {
    return decodeProtectedHeader(token);
  } catch {
    throw new WireError(what === 'JWE' ? 'bad-jwe' : 'bad-jws', `The ${what} protected header is not valid base64url JSON.`);
  }
}

/** Reads and checks the protected header of a compact JWE without decrypting it. */
export function readJweHeader(jwe: string): JweHeader {
  compactParts(jwe, 5, 'JWE');
  const raw = protectedHeader(jwe, 'JWE');
  if (!KEY_ALGS.some((a) => a === raw.alg)) {
    throw new WireError(
      'unsupported-alg',
      `JWE alg ${quoted(raw.alg)} is not accepted; wire profile v1 accepts ${KEY_ALGS.join(', ')}.`,
    );
  }
  if (!CONTENT_ENCS.some((e) => e === raw.enc)) {
    throw new WireError(
      'unsupported-alg',
      `JWE enc ${quoted(raw.enc)} is not accepted; wire profile v1 accepts ${CONTENT_ENCS.join(', ')}.`,
    );
  }
  const parsed = JweHeaderSchema.safeParse(raw);
  if (!parsed.success) throw new WireError('bad-jwe', `The JWE protected header is invalid: ${z.prettifyError(parsed.error)}`);
  if (parsed.data.epk === undefined) throw new WireError('bad-jwe', 'The JWE protected header has no epk; ECDH-ES needs one.');
  assertP384Curve(parsed.data.epk, 'The JWE ephemeral key (epk)');
  const epk = P384EpkSchema.safeParse(parsed.data.epk);
  if (!epk.success) throw new WireError('bad-jwe', `The JWE ephemeral key (epk) is invalid: ${z.prettifyError(epk.error)}`);
  const { alg, enc, kid, cty } = parsed.data;
  return { alg, enc, ...(kid === undefined ? {} : { kid }), ...(cty === undefined ? {} : { cty }) };
}

export async function encryptPlaintext(plaintext: Uint8Array, recipient: P384PublicJwk, opts: EncryptOptions = {}): Promise<string> {
  const key = parseP384PublicJwk(recipient, 'The recipient key');
  assertKeyUse(key, 'enc', 'The recipient key');
  const alg = opts.alg ?? DEFAULT_ALG;
  const enc = opts.enc ?? DEFAULT_ENC;
  if (!KEY_ALGS.includes(alg) || !CONTENT_ENCS.includes(enc)) {
    throw new WireError('unsupported-alg', `Cannot encrypt with ${alg}/${enc}; wire profile v1 uses the ECDH-ES family with AES-GCM.`);
  }
  const cryptoKey = await importJWK(key, alg);
  return new CompactEncrypt(plaintext)
    .setProtectedHeader({ alg, enc, kid: key.kid, ...(opts.cty === undefined ? {} : { cty: opts.cty }) })
    .encrypt(cryptoKey);
}

export async function encryptJson(payload: unknown, recipient: P384PublicJwk, opts: EncryptOptions = {}): Promise<string> {
  return encryptPlaintext(utf8.encode(JSON.stringify(payload)), recipient, opts);
}

function candidateKeys(source: PrivateKeySource, kid: string | undefined): P384PrivateJwk[] {
  if (typeof source === 'function') {
    const key = source(kid);
    if (!key) throw new WireError('unknown-kid', `No private key for JWE kid ${quoted(kid)}; it was encrypted to a key this side does not hold.`);
    return [key];
  }
  if (kid === undefined) return source;
  const key = source.find((k) => k.kid === kid);
  if (!key) throw new WireError('unknown-kid', `No private key with kid ${quoted(kid)}; it was encrypted to a key this side does not hold.`);
  return [key];
}

export async function decryptPlaintext(jwe: string, privateKeys: PrivateKeySource): Promise<{ plaintext: Uint8Array; header: JweHeader }> {
  const header = readJweHeader(jwe);
  const candidates = candidateKeys(privateKeys, header.kid);
  for (const candidate of candidates) {
    const key = parseP384PrivateJwk(candidate, 'The decryption key');
    assertKeyUse(key, 'enc', 'The decryption key');
    try {
      const { plaintext } = await compactDecrypt(jwe, await importJWK(key, header.alg), {
        keyManagementAlgorithms: [header.alg],
        contentEncryptionAlgorithms: [header.enc],
      });
      return { plaintext, header };
    } catch (error) {
      if (error instanceof errors.JWEInvalid) throw new WireError('bad-jwe', 'The JWE is malformed and cannot be decrypted.');
    }
  }
  throw new WireError(
    'decrypt-failed',
    'The JWE did not decrypt: it was encrypted to another key or altered in transit. Ask the sender to encrypt it again to the current key.',
  );
}

function parseJsonBytes(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(utf8Strict.decode(bytes));
  } catch {
    // The parser's own message quotes the input, which may be secret: say only what kind of defect it is.
    throw new WireError('schema', `The ${what} is not UTF-8 JSON.`);
  }
}

export async function decryptJson(jwe: string, privateKeys: PrivateKeySource): Promise<{ payload: unknown; header: JweHeader }> {
  const { plaintext, header } = await decryptPlaintext(jwe, privateKeys);
  return { payload: parseJsonBytes(plaintext, 'decrypted plaintext'), header };
}

export async function signJson(payload: unknown, signer: P384PrivateJwk): Promise<string> {
  const key = parseP384PrivateJwk(signer, 'The signing key');
  assertKeyUse(key, 'sig', 'The signing key');
  return new CompactSign(utf8.encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: SIGNATURE_ALG, kid: key.kid, typ: 'JWT' })
    .sign(await importJWK(key, SIGNATURE_ALG));
}

/** Verifies a compact ES384 JWS against the signing key its header names; returns the parsed JSON payload. */
export async function verifyJson(jws: string, jwks: P384PublicJwk[]): Promise<unknown> {
  compactParts(jws, 3, 'JWS');
  const raw = protectedHeader(jws, 'JWS');
  if (raw.alg !== SIGNATURE_ALG) {
    throw new WireError('unsupported-alg', `JWS alg ${quoted(raw.alg)} is not accepted; wire profile v1 signs with ES384.`);
  }
  const header = JwsHeaderSchema.safeParse(raw);
  if (!header.success) throw new WireError('bad-jws', `The JWS protected header is invalid: ${z.prettifyError(header.error)}`);
  const jwk = jwks.find((k) => k.kid === header.data.kid);
  if (!jwk) {
    throw new WireError('unknown-kid', `The JWS was signed with kid ${quoted(header.data.kid)}, which is not among the signing keys given.`);
  }
  const key = parseP384PublicJwk(jwk, `Signing key ${header.data.kid}`);
  assertKeyUse(key, 'sig', 'The verification key');
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(jws, await importJWK(key, SIGNATURE_ALG), { algorithms: [SIGNATURE_ALG] }));
  } catch (error) {
    if (error instanceof errors.JWSSignatureVerificationFailed) {
      throw new WireError('bad-signature', `The JWS signature does not verify with signing key ${key.kid}; the response was forged or altered.`);
    }
    throw new WireError('bad-jws', 'The JWS is malformed and cannot be verified.');
  }
  return parseJsonBytes(payload, 'signed payload');
}
