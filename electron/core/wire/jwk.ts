// P-384 keys as JWKs: the only key shape the profile allows ("the currently agreed protocol uses P-384").
// Curve and kty are checked before anything else so a wrong key is reported as a wrong curve, not as a
// vague schema failure.
import { p384 } from '@noble/curves/nist.js';
import { exportJWK, generateKeyPair } from 'jose';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { fromBase64url, isBase64url } from './base64url.js';
import { quoted, WireError } from './errors.js';

export { WireError } from './errors.js';
export type { WireErrorCode } from './errors.js';

const P384_COORDINATE_BYTES = 48;

const coordinate = z
  .string()
  .refine((s) => isBase64url(s) && fromBase64url(s)?.length === P384_COORDINATE_BYTES, {
    message: 'must be base64url of 48 bytes',
  });

function isOnP384(x: string, y: string): boolean {
  const xb = fromBase64url(x);
  const yb = fromBase64url(y);
  if (!xb || !yb) return false;
  try {
    const toBig = (b: Uint8Array): bigint => BigInt('0x' + Buffer.from(b).toString('hex'));
    p384.Point.fromAffine({ x: toBig(xb), y: toBig(yb) }).assertValidity();
    return true;
  } catch {
    return false;
  }
}

export const KeyUseSchema = z.enum(['enc', 'sig']);
export type KeyUse = z.infer<typeof KeyUseSchema>;

export const P384PublicJwkSchema = z
  .strictObject({
    kty: z.literal('EC'),
    crv: z.literal('P-384'),
    x: coordinate,
    y: coordinate,
    use: KeyUseSchema,
    kid: z.string().min(1),
  })
  .refine((k) => isOnP384(k.x, k.y), { message: 'x, y is not a point on P-384' });
export type P384PublicJwk = z.infer<typeof P384PublicJwkSchema>;

/** An ephemeral public key (`epk`) in a JWE header: bare coordinates, no use or kid. */
export const P384EpkSchema = z
  .strictObject({ kty: z.literal('EC'), crv: z.literal('P-384'), x: coordinate, y: coordinate })
  .refine((k) => isOnP384(k.x, k.y), { message: 'x, y is not a point on P-384' });

export const P384PrivateJwkSchema = z
  .strictObject({
    kty: z.literal('EC'),
    crv: z.literal('P-384'),
    x: coordinate,
    y: coordinate,
    d: coordinate,
    use: KeyUseSchema,
    kid: z.string().min(1),
  })
  .refine((k) => isOnP384(k.x, k.y), { message: 'x, y is not a point on P-384' });
export type P384PrivateJwk = z.infer<typeof P384PrivateJwkSchema>;

function member(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (Reflect.get(value, name) as unknown) : undefined;
}

/** Throws WireError 'wrong-curve' unless `value` claims kty EC / crv P-384. `what` names the key in the message. */
export function assertP384Curve(value: unknown, what: string): void {
  const kty = member(value, 'kty');
  const crv = member(value, 'crv');
  if (kty !== 'EC' || crv !== 'P-384') {
    const found = typeof value === 'object' && value !== null
      ? `kty ${quoted(kty)}, crv ${quoted(crv)}`
      : 'not a JWK object';
    throw new WireError('wrong-curve', `${what} is ${found}; wire profile v1 accepts only EC P-384 keys. Use a P-384 key.`);
  }
}

/** Parses an untrusted public JWK: wrong curve → 'wrong-curve', any other defect → 'schema'. */
export function parseP384PublicJwk(value: unknown, what: string): P384PublicJwk {
  assertP384Curve(value, what);
  const parsed = P384PublicJwkSchema.safeParse(value);
  if (!parsed.success) {
    throw new WireError('schema', `${what} is not a valid P-384 public JWK: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/** Parses a private JWK. The message never echoes the value, only which member is wrong. */
export function parseP384PrivateJwk(value: unknown, what: string): P384PrivateJwk {
  assertP384Curve(value, what);
  const parsed = P384PrivateJwkSchema.safeParse(value);
  if (!parsed.success) {
    const members = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(key)'))].join(', ');
    throw new WireError('schema', `${what} is not a valid P-384 private JWK (check: ${members}).`);
  }
  return parsed.data;
}

export function toPublicJwk(key: P384PrivateJwk): P384PublicJwk {
  return { kty: key.kty, crv: key.crv, x: key.x, y: key.y, use: key.use, kid: key.kid };
}

export function assertKeyUse(key: { use: KeyUse; kid: string }, use: KeyUse, what: string): void {
  if (key.use !== use) {
    throw new WireError('wrong-key-use', `${what} ${key.kid} has use "${key.use}" but must have use "${use}".`);
  }
}

/** A fresh random kid suffix, so two keys made on the same day never collide. */
export function randomKidSuffix(): string {
  return randomBytes(4).toString('hex');
}

export async function generateP384KeyPair(
  use: KeyUse,
  kid: string = `kb-${use}-${randomKidSuffix()}`,
): Promise<{ publicJwk: P384PublicJwk; privateJwk: P384PrivateJwk }> {
  const { privateKey } = await generateKeyPair(use === 'enc' ? 'ECDH-ES' : 'ES384', {
    crv: 'P-384',
    extractable: true,
  });
  const privateJwk = parseP384PrivateJwk({ ...(await exportJWK(privateKey)), use, kid }, 'generated key');
  return { publicJwk: toPublicJwk(privateJwk), privateJwk };
}
