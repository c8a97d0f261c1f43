// The small preregistration endpoints: list, delete, mark-error (factor lifecycle), send-pin (mail the
// stored PIN) and initiate-fulfillment-request (a system-log event, nothing else).
import { z } from 'zod';
import { FULFILLMENT_VALIDATION_SUMMARY, SEND_PIN_VALIDATION_SUMMARY, notFound, preregValidation } from './errors.js';
import { FULFILLMENT_PROVIDER, FulfillmentProviderSchema, parsePreregBody, requireUser } from './context.js';
import type { CallInfo, SimContext } from './context.js';
import type { Enrollment } from './state.js';
import { randomId } from './random.js';
import { PREREGISTER_INITIATE_EVENT } from './syslog.js';
import { displayName, pinRecipient } from './users.js';

export const FACTOR_TYPE = 'UserFactor';

/** WebAuthnPreregistrationFactor (okta-prereg.md §4.8), with the `fulfillmentProvider` the SPEC example shows. */
export function factorModel(ctx: SimContext, e: Enrollment): Record<string, unknown> {
  return {
    id: e.id,
    factorType: 'webauthn',
    provider: 'FIDO',
    vendorName: 'FIDO',
    fulfillmentProvider: FULFILLMENT_PROVIDER,
    status: ctx.state.statusOf(e),
    created: e.created,
    lastUpdated: e.lastUpdated,
    profile: e.profile ?? {},
    _links: {
      self: {
        href: `${ctx.baseUrl}/webauthn-registration/api/v1/users/${e.userId}/enrollments/${e.id}`,
        hints: { allow: ['DELETE'] },
      },
    },
  };
}

export function listEnrollments(ctx: SimContext, userId: string): Record<string, unknown>[] {
  requireUser(ctx, userId);
  return ctx.state.enrollmentsOf(userId).map((e) => factorModel(ctx, e));
}

function requireEnrollment(ctx: SimContext, userId: string, enrollmentId: string): Enrollment {
  requireUser(ctx, userId);
  const e = ctx.state.enrollment(userId, enrollmentId);
  if (e === undefined) throw notFound(enrollmentId, FACTOR_TYPE);
  return e;
}

export function deleteEnrollment(ctx: SimContext, userId: string, enrollmentId: string): void {
  requireEnrollment(ctx, userId, enrollmentId);
  ctx.state.deleteEnrollment(enrollmentId);
}

export function markError(ctx: SimContext, userId: string, enrollmentId: string): void {
  const e = requireEnrollment(ctx, userId, enrollmentId);
  e.status = 'FULFILLMENT_ERRORED';
  ctx.state.touch(e);
}

const SendPinBodySchema = z.object({
  authenticatorEnrollmentId: z.string().min(1),
  fulfillmentProvider: FulfillmentProviderSchema,
  userId: z.string().min(1),
});

/** Mails the stored PIN to the user (secondEmail for STAGED users). Without a stored PIN: 400 with a cause. */
export async function sendPin(ctx: SimContext, body: unknown): Promise<void> {
  const req = parsePreregBody(SendPinBodySchema, body, SEND_PIN_VALIDATION_SUMMARY);
  const user = requireUser(ctx, req.userId);
  const e = requireEnrollment(ctx, req.userId, req.authenticatorEnrollmentId);
  if (e.pin === undefined || e.status !== 'ACTIVE') {
    throw preregValidation(SEND_PIN_VALIDATION_SUMMARY, `No preset PIN is available for enrollment ${e.id}: activate it first.`);
  }
  const to = pinRecipient(user);
  if (to === undefined) {
    throw preregValidation(SEND_PIN_VALIDATION_SUMMARY, `User ${user.id} has no email address to send the PIN to: set a primary or secondary email.`);
  }
  await ctx.outbox.sendPin({
    to,
    recipientName: displayName(user),
    userId: user.id,
    authenticatorEnrollmentId: e.id,
    authenticatorName: e.profile?.authenticatorName ?? 'security key',
    pin: e.pin,
    orgName: ctx.org.orgName,
    orgDomain: ctx.org.orgDomain,
  }, new Date(ctx.now()), randomId(ctx.rng, 'pin', 24));
}

const FulfillmentBodySchema = z.object({
  userId: z.string().min(1),
  fulfillmentProvider: FulfillmentProviderSchema,
  fulfillmentData: z.array(z.object({
    customizationId: z.string().optional(),
    inventoryProductId: z.string().optional(),
    productId: z.string().optional(),
  })),
});

/** Emits `system.mfa.preregister.initiate` for the user; the fulfillment provider picks it up from the log. */
export function initiateFulfillment(ctx: SimContext, body: unknown, call: CallInfo): void {
  const req = parsePreregBody(FulfillmentBodySchema, body, FULFILLMENT_VALIDATION_SUMMARY);
  const user = requireUser(ctx, req.userId);
  ctx.log.append({
    uuid: uuid(ctx),
    published: new Date(ctx.now()).toISOString(),
    eventType: PREREGISTER_INITIATE_EVENT,
    version: '0',
    severity: 'INFO',
    legacyEventType: null,
    displayMessage: 'MFA preregistration initiated',
    actor: { ...call.actor, alternateId: call.actor.displayName, detailEntry: null },
    client: { ipAddress: call.remoteAddress, userAgent: { rawUserAgent: call.userAgent } },
    outcome: { result: 'SUCCESS', reason: null },
    target: [{ id: user.id, type: 'User', alternateId: user.login, displayName: displayName(user), detailEntry: null }],
    transaction: { type: 'WEB', id: call.requestId, detail: {} },
    debugContext: {
      debugData: {
        requestId: call.requestId,
        requestUri: '/webauthn-registration/api/v1/initiate-fulfillment-request',
        fulfillmentProvider: req.fulfillmentProvider,
        fulfillmentData: req.fulfillmentData,
      },
    },
  });
}

function uuid(ctx: SimContext): string {
  const b = ctx.rng.bytes(16);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const hex = Buffer.from(b).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
