// After a restart: what to do with a job the journal shows unfinished, given what Okta lists for the
// user and whether the job's key is still plugged in. Pure — the engine carries the plan out.
//
// Rules (station-design.md, "Resume rules"):
// - Never activate twice: factors Okta already lists ACTIVE are recorded as activated, not activated again.
// - From `pin-sealed` on, the journal holds what activate needs; once every credential is journaled (and the
//   sealed forceChangePin claim was applied) the job finishes without the key.
// - A key still plugged in and still without a PIN continues the job (a new PIN is sealed first).
// - Anything else is cleaned up — orphans of a lost enroll deleted, enrolled factors marked errored — and the
//   order goes back to the queue. A key that may already hold the lost PIN needs a reset.
import type { PreregistrationFactor } from '../okta/models.js';
import { enrollmentIdsOf, readyToActivate, type JobState } from './job-state.js';

export interface KeyPresence {
  /** A key is plugged in at the job's port and answers. */
  readonly plugged: boolean;
  /** It is the key the job journaled (AAGUID, and USB serial where it has one). */
  readonly sameKey: boolean;
  /** Whether it has a PIN, from getInfo; undefined when unknown. */
  readonly pinSet?: boolean;
}

export type ResumePlan =
  /** Every step ran; only the job's end was not recorded. */
  | { readonly kind: 'close-done' }
  /** Activate from the journal (or record that Okta already did), deliver the PIN, done. No key needed. */
  | { readonly kind: 'finish'; readonly alreadyActive: boolean }
  /** Program the plugged-in key from where the job stopped, with a newly sealed PIN. */
  | { readonly kind: 'continue-with-key' }
  /** Clean up in Okta and put the order back in the queue. */
  | {
      readonly kind: 'requeue';
      readonly deleteIds: readonly string[];
      readonly markErrorIds: readonly string[];
      /** The key may hold a PIN nobody can learn any more: reset it before reuse. */
      readonly needsReset: boolean;
    };

export interface ResumeInput {
  readonly state: JobState;
  /** The user's preregistration factors as Okta lists them now; undefined when the job never reached enroll. */
  readonly factors: readonly PreregistrationFactor[] | undefined;
  /** Enrollment ids other jobs of this journal own: never orphans of this one. */
  readonly ownedElsewhere: ReadonlySet<string>;
  readonly key: KeyPresence;
  /** How far Okta's clock may run behind the station's when telling this job's orphans by creation time. */
  readonly clockSkewMs?: number;
}

const DEFAULT_CLOCK_SKEW_MS = 5 * 60_000;

export function planResume(input: ResumeInput): ResumePlan {
  const { state, key } = input;
  if (state.done) return { kind: 'close-done' };
  if (state.activated) return { kind: 'finish', alreadyActive: true };
  const factors = input.factors ?? [];
  const requeue = (deleteIds: readonly string[], markErrorIds: readonly string[]): ResumePlan => ({
    kind: 'requeue',
    deleteIds,
    markErrorIds,
    needsReset: key.pinSet === true || (key.pinSet === undefined && state.pinSealed !== undefined),
  });

  if (state.userId === undefined || state.markedError) return requeue([], []);
  if (!state.enrolled) return requeue(orphansOf(input, state.enrollStartedAt), []);

  const ids = enrollmentIdsOf(state);
  const status = new Map(factors.map((f) => [f.id, f.status]));
  if (ids.every((id) => status.get(id) === 'ACTIVE')) return { kind: 'finish', alreadyActive: true };
  const pending = ids.filter((id) => status.get(id) === 'PENDING_ACTIVATION');
  // Gone, errored, expired or half active: this enroll call can no longer be activated as a whole.
  if (pending.length !== ids.length) return requeue([], pending);

  if (readyToActivate(state)) return { kind: 'finish', alreadyActive: false };
  if (key.plugged && key.sameKey && key.pinSet === false) return { kind: 'continue-with-key' };
  return requeue([], ids);
}

/** PENDING_ACTIVATION factors no job owns, created after this job started its enroll call. */
function orphansOf(input: ResumeInput, enrollStartedAt: string | undefined): string[] {
  const since = enrollStartedAt === undefined ? Number.NEGATIVE_INFINITY : Date.parse(enrollStartedAt) - (input.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS);
  return (input.factors ?? [])
    .filter((f) => f.status === 'PENDING_ACTIVATION' && !input.ownedElsewhere.has(f.id))
    .filter((f) => f.created === undefined || !(Date.parse(f.created) < since))
    .map((f) => f.id);
}
