// What each journal step tells the audit trail. Step data carries sealed payloads (the PIN and credential
// responses, Okta's requests) next to public facts; only the facts are copied here — ids, rpIds, the key's
// identity, methods, codes. Every step is listed, mapped or skipped on purpose, so a new step cannot reach
// the journal without someone deciding what the trail says about it.
import { createHash } from 'node:crypto';
import { fromBase64url } from '../../wire/base64url.js';
import type { StepData, StepName } from '../job-steps.js';
import type { AuditData, AuditType } from './audit-entry.js';

export interface AuditSummary {
  readonly type: AuditType;
  readonly data: AuditData;
}

type Summaries = { [N in StepName]: ((data: StepData<N>) => AuditSummary) | 'skip' };

type Verdict = NonNullable<StepData<'credential-made'>['attestation']>;

/** The SHA-256 of the certificate's DER: it identifies the certificate without copying it. */
function certificateSha256(der: string | undefined): string | undefined {
  if (der === undefined) return undefined;
  const bytes = fromBase64url(der);
  return bytes === undefined ? 'not-base64url' : createHash('sha256').update(bytes).digest('hex');
}

/** Drops undefined members: the audit data is JSON, which has no undefined. */
function facts(data: Record<string, AuditData[string] | undefined>): AuditData {
  return Object.fromEntries(Object.entries(data).filter((entry): entry is [string, AuditData[string]] => entry[1] !== undefined));
}

function verdictFacts(verdict: Verdict): AuditData {
  return facts({ trusted: verdict.trusted, reason: verdict.reason, source: verdict.source, rootSubject: verdict.rootSubject, leafSubject: verdict.leafSubject, mdsStatus: verdict.mdsStatus });
}

function deliveryType(data: StepData<'pin-delivered'>): AuditType {
  if (data.sent) return 'pin-sent';
  return data.method === 'print' ? 'pin-printed' : 'pin-held';
}

/** 'done' is skipped: finishJob writes 'job-done' with the outcome in the same transaction. */
export const STEP_AUDIT: Summaries = {
  'order-assigned': (d) => ({ type: 'job-started', data: { user: d.user } }),
  'key-checked': (d) => ({
    type: 'key-identified',
    data: facts({ path: d.path, kind: d.kind, aaguid: d.aaguid, model: d.model, serial: d.serial, serialSource: d.serialSource, firmware: d.firmware, pinSet: d.pinSet }),
  }),
  // The recipient (name, postal address) is personal data the trail does not need: the user id names the person.
  'enroll-started': (d) => ({ type: 'enroll-requested', data: { userId: d.userId, transportKid: d.transportKid } }),
  enrolled: (d) => ({
    type: 'enrolled',
    data: { authenticatorEnrollmentIds: d.credRequests.map((r) => r.authenticatorEnrollmentId), keyIds: d.credRequests.map((r) => r.keyId) },
  }),
  'requests-opened': (d) => ({ type: 'requests-opened', data: { rpIds: d.rpIds, pinPolicy: d.pinPolicy, expiresAt: d.expiresAt } }),
  'pin-sealed': (d) => ({ type: 'pin-sealed', data: { forceChangePin: d.forceChangePin } }),
  'pin-set': () => ({ type: 'pin-set', data: {} }),
  'credential-made': (d) => ({
    type: 'credential-made',
    data: facts({
      authenticatorEnrollmentId: d.authenticatorEnrollmentId,
      rpId: d.rpId,
      credentialId: d.credentialId,
      attestationCertSha256: certificateSha256(d.attestationCertDer),
      attestation: d.attestation && verdictFacts(d.attestation),
    }),
  }),
  'attestation-rejected': (d) => ({
    type: 'attestation-checked',
    data: facts({ rpId: d.rpId, attestationCertSha256: certificateSha256(d.attestationCertDer), ...verdictFacts(d.verdict) }),
  }),
  'mailer-printed': (d) => ({ type: 'mailer-printed', data: facts({ printer: d.printer, via: d.via, jobRef: d.jobRef }) }),
  'key-configured': (d) => ({
    type: 'key-configured',
    data: facts({ minPinLength: d.minPinLength, minPinLengthRpIds: d.minPinLengthRpIds, forceChangePin: d.forceChangePin, enterpriseAttestation: d.enterpriseAttestation }),
  }),
  verified: (d) => ({ type: 'key-verified', data: facts({ credentialsPresent: d.credentialsPresent, forcePinChange: d.forcePinChange, minPinLength: d.minPinLength }) }),
  'awaiting-activation': (d) => ({ type: 'awaiting-activation', data: { expiresAt: d.expiresAt } }),
  activated: (d) => ({ type: 'activated', data: { authenticatorEnrollmentIds: d.authenticatorEnrollmentIds } }),
  'pin-delivered': (d) => ({ type: deliveryType(d), data: { method: d.method, sent: d.sent } }),
  done: 'skip',
  'marked-error': (d) => ({ type: 'marked-error', data: facts({ code: d.code, cause: d.cause, ctapStatus: d.ctapStatus, authenticatorEnrollmentIds: d.authenticatorEnrollmentIds }) }),
  'orphans-deleted': (d) => ({ type: 'orphans-deleted', data: { authenticatorEnrollmentIds: d.authenticatorEnrollmentIds } }),
  resumed: (d) => ({ type: 'job-resumed', data: { plan: d.plan } }),
  'enrollment-expired': (d) => ({ type: 'enrollment-expired', data: { authenticatorEnrollmentIds: d.authenticatorEnrollmentIds, expiresAt: d.expiresAt, statuses: d.statuses } }),
};

/** The audit summary of a committed step, or undefined for a step the trail skips (see STEP_AUDIT). */
export function auditForStep<N extends StepName>(name: N, data: StepData<N>): AuditSummary | undefined {
  const summarize = STEP_AUDIT[name] as ((data: StepData<N>) => AuditSummary) | 'skip';
  return summarize === 'skip' ? undefined : summarize(data);
}
