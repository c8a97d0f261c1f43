// Zod schemas for everything Okta sends back (okta-prereg.md §4) and for the keys we send. The SPEC marks
// almost nothing required and has drifted over time (§6), so the schemas require only what the station
// cannot work without, accept open strings where Okta added values outside its own enums, and drop
// unknown members (zod's default) instead of failing on them.
import { z } from 'zod';

export const FULFILLMENT_PROVIDER = 'yubico';

/** §4.1 — a public P-384 key; parsing strips any private member (`d`) so it can never be sent. */
export const EcKeyJwkSchema = z.object({
  kty: z.literal('EC'),
  crv: z.literal('P-384'),
  x: z.string().min(1),
  y: z.string().min(1),
  use: z.enum(['enc', 'sig']),
  kid: z.string().min(1),
});
export type EcKeyJwk = z.infer<typeof EcKeyJwkSchema>;

/** §4.3 `WebAuthnCredRequest`. */
export const CredRequestSchema = z.object({
  authenticatorEnrollmentId: z.string().min(1),
  credRequestJwe: z.string().min(1),
  keyId: z.string().optional(),
});
export type CredRequest = z.infer<typeof CredRequestSchema>;

/** §4.3 `EnrollmentInitializationResponse`. */
export const EnrollResponseSchema = z.object({
  credRequests: z.array(CredRequestSchema),
  pinRequestJwe: z.string().min(1),
  fulfillmentProvider: z.string().optional(),
  userId: z.string().optional(),
});
export type EnrollResponse = z.infer<typeof EnrollResponseSchema>;

/** §4.5 `EnrollmentActivationResponse`. */
export const ActivateResponseSchema = z.object({
  authenticatorEnrollmentIds: z.array(z.string()),
  fulfillmentProvider: z.string().optional(),
  userId: z.string().optional(),
});
export type ActivateResponse = z.infer<typeof ActivateResponseSchema>;

/** §4.8 — `status` is open: mark-error sets FULFILLMENT_ERRORED, which the SPEC enum lacks. */
export const PreregistrationFactorSchema = z.object({
  id: z.string().min(1),
  status: z.string().min(1),
  factorType: z.string().optional(),
  provider: z.string().optional(),
  vendorName: z.string().optional(),
  fulfillmentProvider: z.string().optional(),
  created: z.string().optional(),
  lastUpdated: z.string().optional(),
  profile: z
    .object({
      credentialId: z.string().optional(),
      authenticatorName: z.string().optional(),
      presetPinAvailable: z.boolean().optional(),
    })
    .optional(),
});
export type PreregistrationFactor = z.infer<typeof PreregistrationFactorSchema>;

export const PreregistrationFactorListSchema = z.array(PreregistrationFactorSchema);

/** The parts of an Okta user the station shows and keys orders by. */
export const OktaUserSchema = z.object({
  id: z.string().min(1),
  status: z.string().optional(),
  profile: z.object({
    login: z.string(),
    email: z.string().nullish(),
    secondEmail: z.string().nullish(),
    firstName: z.string().nullish(),
    lastName: z.string().nullish(),
    displayName: z.string().nullish(),
    // Okta's base profile address, for the window of a printed PIN mailer.
    streetAddress: z.string().nullish(),
    city: z.string().nullish(),
    state: z.string().nullish(),
    zipCode: z.string().nullish(),
    countryCode: z.string().nullish(),
  }),
});
export type OktaUser = z.infer<typeof OktaUserSchema>;

const LogTargetSchema = z.object({
  id: z.string(),
  type: z.string(),
  alternateId: z.string().nullish(),
  displayName: z.string().nullish(),
});

/** A System Log event, reduced to what a pending order needs. */
export const LogEventSchema = z.object({
  uuid: z.string().min(1),
  published: z.string(),
  eventType: z.string(),
  actor: LogTargetSchema.nullish(),
  target: z.array(LogTargetSchema).nullish(),
  debugContext: z.object({ debugData: z.record(z.string(), z.unknown()).nullish() }).nullish(),
});
export type LogEvent = z.infer<typeof LogEventSchema>;

export const LogEventListSchema = z.array(LogEventSchema);

/** §4.9 — `errorCauses` is an array on most endpoints but a single object in the preregistration 400s. */
const ErrorCauseSchema = z.object({ errorSummary: z.string() });
export const OktaErrorBodySchema = z.object({
  errorCode: z.string().optional(),
  errorSummary: z.string().optional(),
  errorLink: z.string().optional(),
  errorId: z.string().optional(),
  errorCauses: z
    .union([z.array(ErrorCauseSchema), ErrorCauseSchema])
    .optional()
    .transform((causes) => (causes === undefined ? [] : Array.isArray(causes) ? causes : [causes]).map((c) => c.errorSummary)),
});
export type OktaErrorBody = z.infer<typeof OktaErrorBodySchema>;

/** RFC 6749 §5.1 token response; `token_type` is `DPoP` when the app requires proof of possession. */
export const TokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().min(1),
  expires_in: z.number().positive(),
  scope: z.string().optional(),
});

/** RFC 6749 §5.2 token error. */
export const TokenErrorSchema = z.object({
  error: z.string(),
  error_description: z.string().optional(),
});
