// The steps of a provisioning job (station-design.md) and what each one writes to the journal. The
// journal is read back after a crash, so every step's data has a schema and is parsed, never cast.
// Only encrypted payloads and public facts go here: never a PIN, a token or a private key.
import { z } from 'zod';
import { PRINT_VIAS } from './printing/printer.js';

const Ids = z.array(z.string().min(1));

/** Who the printed PIN mailer goes to, from the user's Okta profile (kept so a key can be programmed offline). */
const Recipient = z.object({
  name: z.string(),
  email: z.string().optional(),
  address: z
    .object({ street: z.string().optional(), city: z.string().optional(), state: z.string().optional(), postalCode: z.string().optional(), country: z.string().optional() })
    .optional(),
});

/** The attestation gate's verdict on a key's certificate chain (never a secret; the certificate is public). */
const Verdict = z.object({
  trusted: z.boolean(),
  reason: z.string(),
  source: z.enum(['mds', 'vendor', 'virtual']).optional(),
  rootSubject: z.string().optional(),
  leafSubject: z.string().optional(),
  mdsStatus: z.string().optional(),
});

export const STEP_SCHEMAS = {
  'order-assigned': z.object({ orderId: z.string(), user: z.string() }),
  'key-checked': z.object({
    path: z.string(),
    kind: z.enum(['usb', 'virtual']),
    aaguid: z.string(),
    model: z.string(),
    serial: z.string().optional(),
    serialSource: z.enum(['usb', 'vendor', 'scan', 'none']),
    firmware: z.string().optional(),
    versions: z.array(z.string()),
    pinSet: z.boolean(),
    minPinLength: z.number().int().optional(),
    remainingDiscoverableCredentials: z.number().int().optional(),
  }),
  'enroll-started': z.object({ userId: z.string().min(1), transportKid: z.string(), recipient: Recipient.optional() }),
  enrolled: z.object({
    pinRequestJwe: z.string().min(1),
    credRequests: z.array(z.object({ authenticatorEnrollmentId: z.string().min(1), keyId: z.string().min(1), credRequestJwe: z.string().min(1) })).min(1),
  }),
  'requests-opened': z.object({
    rpIds: z.array(z.string()),
    pinPolicy: z.object({ charset: z.enum(['numeric', 'alphanumeric']), length: z.number().int(), forceChangePin: z.boolean() }),
    expiresAt: z.string(),
  }),
  'pin-sealed': z.object({ pinResponseJwe: z.string().min(1), forceChangePin: z.boolean(), serial: z.string().min(1) }),
  'pin-set': z.object({}),
  'credential-made': z.object({
    authenticatorEnrollmentId: z.string().min(1),
    rpId: z.string(),
    credentialId: z.string(),
    credResponseJwe: z.string().min(1),
    attestationCertDer: z.string().optional(),
    attestation: Verdict.optional(),
  }),
  /** The gate refused the key's attestation: the credential was made but is never sent to Okta. */
  'attestation-rejected': z.object({ rpId: z.string(), verdict: Verdict, attestationCertDer: z.string().optional() }),
  /** The PIN mailer went to the printer (or to a one-time browser download) while the PIN existed. Never the PIN. */
  'mailer-printed': z.object({ printer: z.string(), via: z.enum(PRINT_VIAS), jobRef: z.string().optional() }),
  'key-configured': z.object({
    minPinLength: z.number().int().optional(),
    minPinLengthRpIds: z.array(z.string()),
    forceChangePin: z.boolean(),
    enterpriseAttestation: z.boolean(),
  }),
  verified: z.object({ credentialsPresent: z.array(z.string()), forcePinChange: z.boolean(), minPinLength: z.number().int().optional() }),
  /** Offline: the key is programmed and may be removed; activate and the PIN delivery wait for sync. */
  'awaiting-activation': z.object({ expiresAt: z.string() }),
  activated: z.object({ authenticatorEnrollmentIds: Ids }),
  'pin-delivered': z.object({ method: z.enum(['email', 'print', 'both', 'hold']), sent: z.boolean(), oktaRequestId: z.string().optional() }),
  done: z.object({}),
  'marked-error': z.object({ code: z.string(), cause: z.string(), ctapStatus: z.string().optional(), authenticatorEnrollmentIds: Ids }),
  'orphans-deleted': z.object({ authenticatorEnrollmentIds: Ids }),
  resumed: z.object({ plan: z.string() }),
  /**
   * Sync found the enrollment expired (or gone) before activation: its factors were deleted, never activated.
   * `statuses`: Okta's status of each enrollment ('DELETED' when not listed), or 'EXPIRING' when the station's
   * clock decided without a listing.
   */
  'enrollment-expired': z.object({ authenticatorEnrollmentIds: Ids, expiresAt: z.string(), statuses: z.array(z.string()) }),
} as const;

export type StepName = keyof typeof STEP_SCHEMAS;
export type StepData<N extends StepName> = z.infer<(typeof STEP_SCHEMAS)[N]>;

export function isStepName(name: string): name is StepName {
  return Object.hasOwn(STEP_SCHEMAS, name);
}

/** How far along a job is at each step, for a tile's progress bar. */
export const STEP_PERCENT: Readonly<Record<StepName, number>> = {
  'order-assigned': 2,
  'key-checked': 5,
  'enroll-started': 10,
  enrolled: 20,
  'requests-opened': 25,
  'pin-sealed': 30,
  'pin-set': 40,
  'credential-made': 60,
  'attestation-rejected': 100,
  'mailer-printed': 45,
  'key-configured': 70,
  verified: 80,
  'awaiting-activation': 85,
  activated: 90,
  'pin-delivered': 97,
  done: 100,
  'marked-error': 100,
  'orphans-deleted': 100,
  resumed: 0,
  'enrollment-expired': 100,
};

/** A committed step as the journal returns it. */
export type JournalStep = { [N in StepName]: { readonly name: N; readonly data: StepData<N>; readonly at: string } }[StepName];
