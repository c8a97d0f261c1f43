// The WebAuthn Level 3 JSON dictionaries that travel inside the wire plaintexts, narrowed to what
// profile v1 sends: PublicKeyCredentialCreationOptionsJSON (in a credential request) and
// RegistrationResponseJSON (in a credential response). Binary members are unpadded base64url.
import { z } from 'zod';
import { fromBase64url, isBase64url } from './base64url.js';

export const Base64urlSchema = z.string().refine(isBase64url, { message: 'must be base64url without padding' });

function base64urlBytes(min: number, max: number) {
  return z.string().refine(
    (s) => {
      const n = fromBase64url(s)?.length;
      return n !== undefined && n >= min && n <= max;
    },
    { message: min === max ? `must be base64url of ${min} bytes` : `must be base64url of ${min}–${max} bytes` },
  );
}

// An RP ID is a bare hostname (Okta: "omit any protocol or path values").
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export function isRpIdHostname(rpId: string): boolean {
  return HOSTNAME.test(rpId);
}

export const AuthenticatorTransportSchema = z.enum(['usb', 'nfc', 'ble', 'hybrid', 'internal', 'smart-card', 'cable']);

const Requirement = z.enum(['required', 'preferred', 'discouraged']);

export const CHALLENGE_BYTES = 32;

export const CreationOptionsJSONSchema = z.object({
  rp: z.object({ id: z.string().refine(isRpIdHostname, { message: 'must be a bare hostname' }), name: z.string().min(1) }),
  user: z.object({
    id: base64urlBytes(1, 64),
    name: z.string().min(1),
    displayName: z.string(),
  }),
  challenge: base64urlBytes(CHALLENGE_BYTES, CHALLENGE_BYTES),
  pubKeyCredParams: z.array(z.object({ type: z.literal('public-key'), alg: z.number().int() })).min(1),
  timeout: z.number().int().positive(),
  excludeCredentials: z.array(
    z.object({
      type: z.literal('public-key'),
      id: base64urlBytes(1, 1023),
      transports: z.array(AuthenticatorTransportSchema).optional(),
    }),
  ),
  authenticatorSelection: z.object({ residentKey: Requirement, userVerification: Requirement }),
  attestation: z.enum(['direct', 'enterprise', 'none']),
  extensions: z.object({
    credentialProtectionPolicy: z.enum([
      'userVerificationOptional',
      'userVerificationOptionalWithCredentialIDList',
      'userVerificationRequired',
    ]),
    minPinLength: z.boolean(),
  }),
});
export type PublicKeyCredentialCreationOptionsJSON = z.infer<typeof CreationOptionsJSONSchema>;

export const RegistrationResponseJSONSchema = z
  .object({
    id: base64urlBytes(1, 1023),
    rawId: Base64urlSchema,
    type: z.literal('public-key'),
    authenticatorAttachment: z.literal('cross-platform'),
    response: z.object({
      clientDataJSON: base64urlBytes(1, 4096),
      attestationObject: base64urlBytes(1, 65536),
      transports: z.array(AuthenticatorTransportSchema),
    }),
    clientExtensionResults: z.object({ credProps: z.object({ rk: z.boolean() }) }),
  })
  .refine((r) => r.id === r.rawId, { message: 'id and rawId must be the same credential id', path: ['rawId'] });
export type RegistrationResponseJSON = z.infer<typeof RegistrationResponseJSONSchema>;
