// POST /webauthn-registration/api/v1/enroll: one PENDING_ACTIVATION factor per RP id, each with its own
// response key pair and 32-byte challenge, plus one PIN request for the whole call — all sealed to the
// provider's transport key as wire-profile.md describes.
import { z } from 'zod';
import { generateP384KeyPair, toPublicJwk } from '../wire/jwk.js';
import { sealCredRequest, sealPinRequest } from '../wire/okta-side.js';
import type { ExpectedEncryption } from '../wire/okta-side.js';
import { WIRE_PROFILE_VERSION } from '../wire/payloads.js';
import type { CredRequestPayload, PinRequestPayload } from '../wire/payloads.js';
import { FULFILLMENT_PROVIDER, FulfillmentProviderSchema, parsePreregBody, parseProviderKey, requireUser } from './context.js';
import type { SimContext } from './context.js';
import { ENROLL_VALIDATION_SUMMARY, OktaApiError, preregValidation } from './errors.js';
import { LOWER_ALPHANUMERIC, randomId } from './random.js';
import type { EnrollCall, Enrollment } from './state.js';
import { displayName } from './users.js';

const EnrollBodySchema = z.object({
  enrollmentRpIds: z.array(z.hostname({ error: 'each RP id must be a bare hostname' })).min(1).optional(),
  fulfillmentProvider: FulfillmentProviderSchema,
  userId: z.string().min(1),
  yubicoTransportKeyJWK: z.unknown(),
});

export interface EnrollResponse {
  readonly credRequests: { authenticatorEnrollmentId: string; credRequestJwe: string; keyId: string }[];
  readonly fulfillmentProvider: typeof FULFILLMENT_PROVIDER;
  readonly pinRequestJwe: string;
  readonly userId: string;
}

export async function enroll(ctx: SimContext, body: unknown, encryption: ExpectedEncryption): Promise<EnrollResponse> {
  const req = parsePreregBody(EnrollBodySchema, body, ENROLL_VALIDATION_SUMMARY);
  const user = requireUser(ctx, req.userId);
  if (user.status === 'SUSPENDED' || user.status === 'DEPROVISIONED') {
    const fix = user.status === 'SUSPENDED' ? 'unsuspend' : 'reactivate';
    throw preregValidation(ENROLL_VALIDATION_SUMMARY, `userId: user ${user.id} is ${user.status}; ${fix} the user before enrolling a key.`);
  }
  const transportKey = parseProviderKey(req.yubicoTransportKeyJWK, 'enc', 'yubicoTransportKeyJWK', ENROLL_VALIDATION_SUMMARY);
  const rpIds = [...new Set(req.enrollmentRpIds ?? [ctx.org.orgDomain])];

  const now = ctx.now();
  const created = new Date(now).toISOString();
  const expiresAt = now + ctx.org.enrollmentTtlMs;
  const slots = rpIds.map((rpId) => ({ rpId, id: ctx.state.newEnrollmentId() }));
  const enrollCall: EnrollCall = {
    enrollmentIds: slots.map((s) => s.id),
    pinResponseKey: await ctx.keys.next(newKeyId(ctx)),
    pinPolicy: ctx.org.pinPolicy,
    encryption,
  };

  const enrollments: Enrollment[] = [];
  const credRequests: EnrollResponse['credRequests'] = [];
  for (const { rpId, id } of slots) {
    const responseKey = await ctx.keys.next(newKeyId(ctx));
    const challenge = Buffer.from(ctx.rng.bytes(32)).toString('base64url');
    const payload: CredRequestPayload = {
      v: WIRE_PROFILE_VERSION,
      userId: user.id,
      authenticatorEnrollmentId: id,
      expiresAt: new Date(expiresAt).toISOString(),
      publicKey: {
        rp: { id: rpId, name: ctx.org.orgName },
        user: { id: ctx.state.userHandle(user.id), name: user.login, displayName: displayName(user) },
        challenge,
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
        timeout: ctx.org.enrollmentTtlMs,
        excludeCredentials: [],
        authenticatorSelection: { residentKey: 'required', userVerification: ctx.org.userVerification },
        attestation: ctx.org.attestation,
        extensions: { credentialProtectionPolicy: 'userVerificationRequired', minPinLength: true },
      },
      responseKey: toPublicJwk(responseKey),
    };
    credRequests.push({ authenticatorEnrollmentId: id, credRequestJwe: await sealCredRequest(payload, transportKey, encryption), keyId: responseKey.kid });
    enrollments.push({
      id,
      userId: user.id,
      rpId,
      keyId: responseKey.kid,
      responseKey,
      enrollCall,
      challenge,
      userVerification: ctx.org.userVerification,
      created,
      expiresAt,
      status: 'PENDING_ACTIVATION',
      lastUpdated: created,
      profile: undefined,
      serial: undefined,
      version: undefined,
      pin: undefined,
    });
  }
  const pinPayload: PinRequestPayload = {
    v: WIRE_PROFILE_VERSION,
    userId: user.id,
    authenticatorEnrollmentIds: [...enrollCall.enrollmentIds],
    pinPolicy: enrollCall.pinPolicy,
    responseKey: toPublicJwk(enrollCall.pinResponseKey),
  };
  const pinRequestJwe = await sealPinRequest(pinPayload, transportKey, encryption);
  // Factors exist only once every request is sealed, so a failed enroll leaves nothing behind.
  for (const e of enrollments) ctx.state.addEnrollment(e);
  return { credRequests, fulfillmentProvider: FULFILLMENT_PROVIDER, pinRequestJwe, userId: user.id };
}

/**
 * A seed user's PENDING_ACTIVATION factor, made by a real enroll sealed to a throwaway transport key: the
 * trace of a station that enrolled the user and never came back.
 */
export async function seedPendingEnrollment(ctx: SimContext, userId: string, encryption: ExpectedEncryption): Promise<void> {
  const lostStation = await generateP384KeyPair('enc', 'lost-station-transport');
  try {
    await enroll(ctx, { fulfillmentProvider: FULFILLMENT_PROVIDER, userId, yubicoTransportKeyJWK: lostStation.publicJwk }, encryption);
  } catch (error) {
    if (!(error instanceof OktaApiError)) throw error;
    throw new Error(`Cannot seed a pending enrollment for user ${userId} (${error.causes.join('; ') || error.message}); drop pendingEnrollment from that user.`);
  }
}

/** Okta key ids look like `h2r91gconqiai1vs0psg`: 20 lowercase letters and digits. */
function newKeyId(ctx: SimContext): string {
  return randomId(ctx.rng, '', 20, LOWER_ALPHANUMERIC);
}
