// Where a job stands, read from its journaled steps. A key resumed after a crash gets a new PIN (the old
// one died with the process), so PIN-dependent steps count only after the most recent `pin-sealed`.
import type { JournalStep, StepData } from './job-steps.js';

export interface JobState {
  readonly keyChecked?: StepData<'key-checked'>;
  readonly userId?: string;
  /** When `enroll-started` was committed: factors created after it and owned by no job are this job's orphans. */
  readonly enrollStartedAt?: string;
  readonly recipient?: StepData<'enroll-started'>['recipient'];
  readonly enrolled?: StepData<'enrolled'>;
  readonly opened?: StepData<'requests-opened'>;
  readonly pinSealed?: StepData<'pin-sealed'>;
  readonly pinSet: boolean;
  /** The PIN mailer of the current PIN was printed. */
  readonly mailerPrinted?: StepData<'mailer-printed'>;
  readonly attestationRejected?: StepData<'attestation-rejected'>;
  /** By authenticatorEnrollmentId. */
  readonly credentials: ReadonlyMap<string, StepData<'credential-made'>>;
  readonly keyConfigured?: StepData<'key-configured'>;
  readonly verified?: StepData<'verified'>;
  readonly awaitingActivation?: StepData<'awaiting-activation'>;
  readonly activated?: StepData<'activated'>;
  readonly pinDelivered?: StepData<'pin-delivered'>;
  readonly markedError?: StepData<'marked-error'>;
  readonly done: boolean;
}

export function deriveJobState(steps: readonly JournalStep[]): JobState {
  const state: {
    -readonly [K in keyof JobState]: JobState[K];
  } = { pinSet: false, credentials: new Map(), done: false };
  const credentials = new Map<string, StepData<'credential-made'>>();
  for (const step of steps) {
    switch (step.name) {
      case 'key-checked':
        state.keyChecked = step.data;
        break;
      case 'enroll-started':
        state.userId = step.data.userId;
        state.enrollStartedAt = step.at;
        state.recipient = step.data.recipient;
        break;
      case 'enrolled':
        state.enrolled = step.data;
        break;
      case 'requests-opened':
        state.opened = step.data;
        break;
      case 'pin-sealed':
        state.pinSealed = step.data;
        state.pinSet = false;
        state.mailerPrinted = undefined;
        credentials.clear();
        state.keyConfigured = undefined;
        state.verified = undefined;
        break;
      case 'pin-set':
        state.pinSet = true;
        break;
      case 'credential-made':
        credentials.set(step.data.authenticatorEnrollmentId, step.data);
        break;
      case 'mailer-printed':
        state.mailerPrinted = step.data;
        break;
      case 'attestation-rejected':
        state.attestationRejected = step.data;
        break;
      case 'key-configured':
        state.keyConfigured = step.data;
        break;
      case 'verified':
        state.verified = step.data;
        break;
      case 'awaiting-activation':
        state.awaitingActivation = step.data;
        break;
      case 'activated':
        state.activated = step.data;
        break;
      case 'pin-delivered':
        state.pinDelivered = step.data;
        break;
      case 'marked-error':
        state.markedError = step.data;
        break;
      case 'done':
        state.done = true;
        break;
      case 'order-assigned':
      case 'orphans-deleted':
      case 'resumed':
      case 'enrollment-expired':
        break;
    }
  }
  state.credentials = credentials;
  return state;
}

/** The enrollment ids of the job's enroll call, in Okta's order. */
export function enrollmentIdsOf(state: JobState): string[] {
  return state.enrolled?.credRequests.map((c) => c.authenticatorEnrollmentId) ?? [];
}

/** Every credential request has a journaled credential response (since the current PIN was sealed). */
export function allCredentialsMade(state: JobState): boolean {
  const ids = enrollmentIdsOf(state);
  return ids.length > 0 && ids.every((id) => state.credentials.has(id));
}

/**
 * Everything `activate` needs is journaled and true: the PIN is set, every credential made, and the
 * sealed `forceChangePin` claim has actually been applied to the key (or was false).
 */
export function readyToActivate(state: JobState): boolean {
  if (!state.pinSealed || !state.pinSet || !allCredentialsMade(state)) return false;
  return state.keyConfigured !== undefined || !state.pinSealed.forceChangePin;
}
