// The four plaintexts of wire profile v1 (shared/design/wire-profile.md), as zod schemas. This file is the
// only place that knows their shape. `v` is checked first and alone: an unknown version is reported as
// such, never parsed as if it were v1.
import { z } from 'zod';
import { quoted, WireError } from './errors.js';
import { P384PublicJwkSchema, parseP384PublicJwk } from './jwk.js';
import { CreationOptionsJSONSchema, RegistrationResponseJSONSchema } from './webauthn-json.js';

export const WIRE_PROFILE_VERSION = 1;

const Version = z.literal(WIRE_PROFILE_VERSION);
const Id = z.string().min(1);
const ResponseKey = P384PublicJwkSchema.refine((k) => k.use === 'enc', { message: 'responseKey must have use "enc"' });
const IssuedAt = z.number().int().nonnegative();

/** CTAP 2.1 clientPIN: at least 4 code points, at most 63 bytes of UTF-8. */
export const PIN_MIN_LENGTH = 4;
export const PIN_MAX_BYTES = 63;

export const PinPolicySchema = z.strictObject({
  charset: z.enum(['numeric', 'alphanumeric']),
  length: z.number().int().min(PIN_MIN_LENGTH).max(PIN_MAX_BYTES),
  forceChangePin: z.boolean(),
});
export type PinPolicy = z.infer<typeof PinPolicySchema>;

export const CredRequestPayloadSchema = z.strictObject({
  v: Version,
  userId: Id,
  authenticatorEnrollmentId: Id,
  expiresAt: z.iso.datetime({ offset: true }),
  publicKey: CreationOptionsJSONSchema,
  responseKey: ResponseKey,
});
export type CredRequestPayload = z.infer<typeof CredRequestPayloadSchema>;

export const PinRequestPayloadSchema = z.strictObject({
  v: Version,
  userId: Id,
  authenticatorEnrollmentIds: z.array(Id).min(1),
  pinPolicy: PinPolicySchema,
  responseKey: ResponseKey,
});
export type PinRequestPayload = z.infer<typeof PinRequestPayloadSchema>;

export const AuthenticatorInfoSchema = z.strictObject({
  aaguid: z.guid(),
  serial: z.string().min(1),
  firmwareVersion: z.string().min(1),
});
export type AuthenticatorInfo = z.infer<typeof AuthenticatorInfoSchema>;

export const CredResponsePayloadSchema = z.strictObject({
  v: Version,
  userId: Id,
  authenticatorEnrollmentId: Id,
  iat: IssuedAt,
  credential: RegistrationResponseJSONSchema,
  authenticator: AuthenticatorInfoSchema,
});
export type CredResponsePayload = z.infer<typeof CredResponsePayloadSchema>;

export const PinResponsePayloadSchema = z.strictObject({
  v: Version,
  userId: Id,
  authenticatorEnrollmentIds: z.array(Id).min(1),
  iat: IssuedAt,
  pin: z.string().min(PIN_MIN_LENGTH).refine((p) => Buffer.byteLength(p, 'utf8') <= PIN_MAX_BYTES, {
    message: `must be at most ${PIN_MAX_BYTES} bytes`,
  }),
  forceChangePin: z.boolean(),
  serial: z.string().min(1),
});
export type PinResponsePayload = z.infer<typeof PinResponsePayloadSchema>;

const CHARSETS: Record<PinPolicy['charset'], RegExp> = {
  numeric: /^[0-9]+$/,
  alphanumeric: /^[0-9A-Za-z]+$/,
};

/** Whether a PIN fits a policy: only the policy's characters, at least its length, at most 63 bytes. */
export function pinMeetsPolicy(pin: string, policy: PinPolicy): boolean {
  return CHARSETS[policy.charset].test(pin) && pin.length >= policy.length && Buffer.byteLength(pin, 'utf8') <= PIN_MAX_BYTES;
}

function parseVersioned<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new WireError('schema', `The ${what} is not a JSON object.`);
  }
  const v: unknown = Reflect.get(value, 'v');
  if (v !== WIRE_PROFILE_VERSION) {
    const found = v === undefined ? 'no v' : `v ${quoted(v)}`;
    throw new WireError(
      'unknown-version',
      `The ${what} has ${found}; this station speaks wire profile v${WIRE_PROFILE_VERSION} only. Update the station or the sender.`,
    );
  }
  if ('responseKey' in value) parseP384PublicJwk(Reflect.get(value, 'responseKey'), `The ${what} responseKey`);
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new WireError('schema', `The ${what} does not match wire profile v1: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

export const parseCredRequestPayload = (value: unknown): CredRequestPayload =>
  parseVersioned(CredRequestPayloadSchema, value, 'credential request');
export const parsePinRequestPayload = (value: unknown): PinRequestPayload =>
  parseVersioned(PinRequestPayloadSchema, value, 'PIN request');
export const parseCredResponsePayload = (value: unknown): CredResponsePayload =>
  parseVersioned(CredResponsePayloadSchema, value, 'credential response');
export const parsePinResponsePayload = (value: unknown): PinResponsePayload =>
  parseVersioned(PinResponsePayloadSchema, value, 'PIN response');
