// POST /webauthn-registration/api/v1/activate: every check of wire-profile.md "What Okta (and the
// simulator) checks on activate". All checks run before any state changes; the first failure is a
// 400 E0000001 whose cause names it.
import { modelForAaguid } from '../ctap/known-aaguids.js';
import { z } from 'zod';
import { WireError } from '../wire/jwk.js';
import { openCredResponse, openPinResponse } from '../wire/okta-side.js';
import { pinMeetsPolicy } from '../wire/payloads.js';
import { verifyRegistration } from '../wire/webauthn.js';
import { FULFILLMENT_PROVIDER, FulfillmentProviderSchema, parsePreregBody, parseProviderKey, requireUser } from './context.js';
import type { SimContext } from './context.js';
import { ACTIVATE_VALIDATION_SUMMARY, notFound, preregValidation } from './errors.js';
import { FACTOR_TYPE } from './factors.js';
import type { EnrollCall, Enrollment } from './state.js';

const ActivateBodySchema = z.object({
  credResponses: z.array(z.object({
    authenticatorEnrollmentId: z.string().min(1),
    credResponseJwe: z.string().min(1),
  })).min(1),
  fulfillmentProvider: FulfillmentProviderSchema,
  pinResponseJwe: z.string().min(1),
  serial: z.string().min(1),
  userId: z.string().min(1),
  version: z.string().min(1),
  yubicoSigningJwks: z.array(z.unknown()).min(1),
});

export interface ActivateResponse {
  readonly authenticatorEnrollmentIds: string[];
  readonly fulfillmentProvider: typeof FULFILLMENT_PROVIDER;
  readonly userId: string;
}

const GENERIC_AUTHENTICATOR_NAME = 'Security Key';

interface Verified {
  readonly enrollment: Enrollment;
  readonly credentialId: string;
  readonly aaguid: string;
}

export async function activate(ctx: SimContext, body: unknown, trustedRoots: string[] | undefined): Promise<ActivateResponse> {
  const req = parsePreregBody(ActivateBodySchema, body, ACTIVATE_VALIDATION_SUMMARY);
  const user = requireUser(ctx, req.userId);
  const signingJwks = req.yubicoSigningJwks.map((k, i) => parseProviderKey(k, 'sig', `yubicoSigningJwks[${i}]`, ACTIVATE_VALIDATION_SUMMARY));

  const ids = req.credResponses.map((r) => r.authenticatorEnrollmentId);
  if (new Set(ids).size !== ids.length) fail('credResponses: the same authenticatorEnrollmentId appears twice.');
  const pairs = req.credResponses.map((item) => {
    const enrollment = ctx.state.enrollment(user.id, item.authenticatorEnrollmentId);
    if (enrollment === undefined) throw notFound(item.authenticatorEnrollmentId, FACTOR_TYPE);
    return { item, enrollment };
  });
  const enrollments = pairs.map((p) => p.enrollment);
  for (const e of enrollments) checkActivatable(ctx, e);
  const enrollCall = sameEnrollCall(enrollments);

  const verified: Verified[] = [];
  for (const [i, { item, enrollment: e }] of pairs.entries()) {
    const where = `credResponses[${i}] (${e.id})`;
    const payload = await openOrFail(() => openCredResponse(item.credResponseJwe, e.responseKey, signingJwks, enrollCall.encryption), where);
    if (payload.authenticatorEnrollmentId !== e.id) {
      fail(`${where}: the credential response is for enrollment ${payload.authenticatorEnrollmentId}, not ${e.id}; enrollment ids must match.`);
    }
    if (payload.userId !== user.id) fail(`${where}: the credential response is for user ${payload.userId}, not ${user.id}.`);
    const result = await verifyRegistration({
      response: payload.credential,
      expectedChallenge: e.challenge,
      rpId: e.rpId,
      requireUserVerification: e.userVerification === 'required',
      ...(trustedRoots === undefined ? {} : { trustedRoots }),
    });
    if (!result.verified) fail(`${where}: WebAuthn registration verification failed: ${result.reason ?? 'unknown reason'}`);
    verified.push({ enrollment: e, credentialId: payload.credential.id, aaguid: result.aaguid ?? payload.authenticator.aaguid });
  }

  const pin = await openOrFail(
    () => openPinResponse(req.pinResponseJwe, enrollCall.pinResponseKey, signingJwks, enrollCall.encryption),
    'pinResponseJwe',
  );
  if (pin.userId !== user.id) fail(`pinResponseJwe: the PIN response is for user ${pin.userId}, not ${user.id}.`);
  const named = new Set(pin.authenticatorEnrollmentIds);
  if (named.size !== ids.length || !ids.every((id) => named.has(id))) {
    fail('pinResponseJwe: the PIN response names other enrollments than credResponses; both must name the same enrollments.');
  }
  if (!pinMeetsPolicy(pin.pin, enrollCall.pinPolicy)) {
    fail(`pinResponseJwe: the PIN does not meet the policy (${enrollCall.pinPolicy.charset}, at least ${enrollCall.pinPolicy.length} characters).`);
  }

  // Verification awaited; a concurrent activate of the same factors may have won meanwhile.
  for (const e of enrollments) checkActivatable(ctx, e);
  for (const v of verified) {
    const e = v.enrollment;
    e.status = 'ACTIVE';
    e.profile = {
      credentialId: v.credentialId,
      authenticatorName: modelForAaguid(v.aaguid) ?? GENERIC_AUTHENTICATOR_NAME,
      presetPinAvailable: true,
    };
    e.serial = req.serial;
    e.version = req.version;
    e.pin = pin.pin;
    ctx.state.touch(e);
  }
  return { authenticatorEnrollmentIds: ids, fulfillmentProvider: FULFILLMENT_PROVIDER, userId: user.id };
}

function fail(cause: string): never {
  throw preregValidation(ACTIVATE_VALIDATION_SUMMARY, cause);
}

function sameEnrollCall(enrollments: readonly Enrollment[]): EnrollCall {
  const [first, ...rest] = enrollments;
  if (first === undefined || rest.some((e) => e.enrollCall !== first.enrollCall)) {
    return fail('credResponses: the enrollments come from different enroll calls; activate each enroll call with its own PIN response.');
  }
  return first.enrollCall;
}

function checkActivatable(ctx: SimContext, e: Enrollment): void {
  const status = ctx.state.statusOf(e);
  if (status === 'ACTIVE') fail(`Enrollment ${e.id} is already ACTIVE; its challenge has been used and cannot be activated again.`);
  if (status === 'FULFILLMENT_ERRORED') fail(`Enrollment ${e.id} is FULFILLMENT_ERRORED; delete it and enroll again.`);
  if (status === 'EXPIRED') fail(`Enrollment ${e.id} expired at ${new Date(e.expiresAt).toISOString()}; delete it and enroll again.`);
}

async function openOrFail<T>(open: () => Promise<T>, where: string): Promise<T> {
  try {
    return await open();
  } catch (error) {
    if (error instanceof WireError) return fail(`${where}: ${error.code}: ${error.message}`);
    throw error;
  }
}
