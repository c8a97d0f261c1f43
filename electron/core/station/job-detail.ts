// One job in full for the History record view: each journaled step as a line a technician understands,
// the attempts that failed, the attestation verdict, and every PIN delivery. Built from the journal only;
// the step data's sealed payloads never leave this file (only the step's public facts are summarised).
import type { DeliveryRecord, HistoryEntry, JobDetail } from '../../contract/models.js';
import type { DeliveryLog } from './delivery-log.js';
import { deriveJobState } from './job-state.js';
import type { JournalStep } from './job-steps.js';
import type { Journal } from './journal.js';

const SERIAL_SOURCE: Readonly<Record<string, string>> = { usb: 'USB descriptor', vendor: "key's vendor interface", scan: 'scanned label', none: 'none' };

/** A step's public facts in one line. */
export function summarizeStep(step: JournalStep): string {
  switch (step.name) {
    case 'order-assigned':
      return `Order ${step.data.orderId} for ${step.data.user} given to this key`;
    case 'key-checked': {
      const d = step.data;
      const serial = d.serial ? `serial ${d.serial} (${SERIAL_SOURCE[d.serialSource] ?? d.serialSource})` : 'no serial';
      return `Key checked: ${d.model}, AAGUID ${d.aaguid}, ${serial}${d.firmware ? `, firmware ${d.firmware}` : ''}`;
    }
    case 'enroll-started':
      return `Enrolling Okta user ${step.data.userId}`;
    case 'enrolled':
      return `Enrolled: ${step.data.credRequests.map((c) => c.authenticatorEnrollmentId).join(', ')}`;
    case 'requests-opened':
      return `Okta's requests opened for ${step.data.rpIds.join(', ')}; PIN ${step.data.pinPolicy.length} ${step.data.pinPolicy.charset}; expires ${step.data.expiresAt}`;
    case 'pin-sealed':
      return `PIN generated and sealed for Okta${step.data.forceChangePin ? ' (change forced at first use)' : ''}`;
    case 'pin-set':
      return 'PIN set on the key';
    case 'mailer-printed':
      return step.data.via === 'download' ? 'PIN mailer handed to the browser as a one-time download' : `PIN mailer printed on ${step.data.printer}`;
    case 'credential-made': {
      const verdict = step.data.attestation;
      return `Credential made for ${step.data.rpId}${verdict ? ` — attestation ${verdict.trusted ? 'trusted' : 'NOT trusted'}` : ''}`;
    }
    case 'attestation-rejected':
      return `Attestation refused for ${step.data.rpId}: ${step.data.verdict.reason}`;
    case 'key-configured':
      return `Key configured${step.data.minPinLength ? `: minimum PIN length ${step.data.minPinLength}` : ''}${step.data.forceChangePin ? ', PIN change forced' : ''}`;
    case 'verified':
      return `Key verified: credentials for ${step.data.credentialsPresent.join(', ') || 'the RP'} present`;
    case 'awaiting-activation':
      return `Programmed offline; activates on sync before ${step.data.expiresAt}`;
    case 'activated':
      return 'Activated in Okta';
    case 'pin-delivered':
      return step.data.sent
        ? `Okta sent the PIN${step.data.oktaRequestId ? ` (request ${step.data.oktaRequestId})` : ''}`
        : step.data.method === 'hold'
          ? 'PIN held until the delivery is confirmed'
          : 'PIN delivered on paper';
    case 'done':
      return 'Done';
    case 'marked-error':
      return `Marked errored in Okta: ${step.data.cause}${step.data.ctapStatus ? ` (${step.data.ctapStatus})` : ''}`;
    case 'orphans-deleted':
      return `Deleted enrollments left by a lost answer: ${step.data.authenticatorEnrollmentIds.join(', ')}`;
    case 'resumed':
      return `Resumed after a restart: ${step.data.plan}`;
    case 'enrollment-expired':
      return `Enrollment expired before activation (${step.data.statuses.join(', ')}); deleted`;
  }
}

/** The first delivery as a record: the mailer print and the first send or hold. */
function firstDeliveries(steps: readonly JournalStep[], operator: string | undefined): DeliveryRecord[] {
  const records: DeliveryRecord[] = [];
  const by = operator ? { operator } : {};
  for (const step of steps) {
    if (step.name === 'mailer-printed') records.push({ method: 'print', outcome: 'printed', at: step.at, printer: step.data.printer, ...by });
    if (step.name === 'pin-delivered' && step.data.sent) records.push({ method: 'email', outcome: 'sent', at: step.at, ...(step.data.oktaRequestId ? { oktaRequestId: step.data.oktaRequestId } : {}), ...by });
    if (step.name === 'pin-delivered' && step.data.method === 'hold') records.push({ method: 'hold', outcome: 'held', at: step.at, ...by });
  }
  return records;
}

export function jobDetail(journal: Journal, deliveries: DeliveryLog, entry: HistoryEntry): JobDetail {
  const job = journal.job(entry.jobId)!;
  const steps = journal.steps(entry.jobId);
  const state = deriveJobState(steps);
  const made = [...state.credentials.values()];
  const verdict = state.attestationRejected?.verdict ?? made.find((c) => c.attestation && !c.attestation.trusted)?.attestation ?? made[0]?.attestation;
  const later = deliveries.of(entry.jobId).map(
    (d): DeliveryRecord => ({
      method: d.method,
      outcome: d.outcome,
      at: d.at,
      ...(d.printer ? { printer: d.printer } : {}),
      ...(d.oktaRequestId ? { oktaRequestId: d.oktaRequestId } : {}),
      ...(d.operator ? { operator: d.operator } : {}),
      ...(d.cause ? { cause: d.cause } : {}),
    }),
  );
  const order = journal.order(job.orderId);
  const held = deliveries.isHeld(entry.jobId);
  return {
    entry,
    key: {
      ...(job.aaguid ? { aaguid: job.aaguid } : {}),
      ...(job.model ? { model: job.model } : {}),
      ...(job.serial ? { serial: job.serial } : {}),
      ...(job.serialSource ? { serialSource: job.serialSource } : {}),
      ...(job.firmware ? { firmware: job.firmware } : {}),
    },
    ...(job.userId ? { userId: job.userId } : {}),
    ...(job.operator ? { operator: job.operator } : {}),
    ...(job.batchId ? { batchId: job.batchId } : {}),
    delivery: order?.delivery ?? 'email',
    steps: steps.map((step) => ({ name: step.name, at: step.at, summary: summarizeStep(step) })),
    attempts: journal.attempts(entry.jobId).map((a) => ({
      step: a.step,
      at: a.at,
      code: a.code,
      cause: a.cause,
      ...(a.oktaRequestId ? { oktaRequestId: a.oktaRequestId } : {}),
      ...(a.ctapStatus ? { ctapStatus: a.ctapStatus } : {}),
    })),
    ...(verdict ? { attestation: verdict } : {}),
    deliveries: [...firstDeliveries(steps, job.operator), ...later],
    can: {
      confirmDelivery: held,
      // A held PIN goes out by confirming the delivery, never by a resend that skips the confirmation.
      resendPin: state.activated !== undefined && !held,
      printLabel: state.enrolled !== undefined,
    },
  };
}
