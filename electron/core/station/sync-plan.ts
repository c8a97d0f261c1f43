// What sync does with a key programmed offline, given what Okta lists for the user now. Pure — the engine
// carries the plan out.
//
// Rules (offline batches):
// - Never activate twice: factors Okta already lists ACTIVE are recorded as activated, not activated again.
// - Never activate late: an enrollment Okta lists as EXPIRED (or no longer lists), or whose journaled expiry
//   has passed, is deleted and its order enrolled again; the key programmed for it needs a reset.
// - Anything else that is not PENDING_ACTIVATION throughout (errored in the admin console, half active)
//   cannot be activated as a whole either: its non-active factors are deleted and the order enrolled again.
import type { PreregistrationFactor } from '../okta/models.js';
import { enrollmentIdsOf, type JobState } from './job-state.js';

export type SyncPlan =
  | { readonly kind: 'activate' }
  | { readonly kind: 'already-active' }
  | {
      readonly kind: 'replace';
      /** The job's factors Okta still lists and that are not ACTIVE. */
      readonly deleteIds: readonly string[];
      /** Okta's status of each of the job's enrollments ('DELETED' when not listed). */
      readonly statuses: readonly string[];
    };

export interface SyncInput {
  readonly state: JobState;
  readonly factors: readonly PreregistrationFactor[];
  /** The station's clock, epoch ms. */
  readonly now: number;
}

/** The enrollment expires within `marginMs` from `now` (or its expiry cannot be read). */
export function expiresWithin(expiresAt: string | undefined, now: number, marginMs: number): boolean {
  const at = expiresAt === undefined ? Number.NaN : Date.parse(expiresAt);
  return !Number.isFinite(at) || at - marginMs <= now;
}

export function planSync(input: SyncInput): SyncPlan {
  const ids = enrollmentIdsOf(input.state);
  const status = new Map(input.factors.map((f) => [f.id, f.status]));
  const statuses = ids.map((id) => status.get(id) ?? 'DELETED');
  if (statuses.length > 0 && statuses.every((s) => s === 'ACTIVE')) return { kind: 'already-active' };
  const pending = statuses.length > 0 && statuses.every((s) => s === 'PENDING_ACTIVATION');
  if (pending && !expiresWithin(input.state.opened?.expiresAt, input.now, 0)) return { kind: 'activate' };
  const deleteIds = ids.filter((id) => status.has(id) && status.get(id) !== 'ACTIVE');
  return { kind: 'replace', deleteIds, statuses };
}
