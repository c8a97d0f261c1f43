// Offline batches (the engine's part that needs no key): enroll orders ahead while Okta is reachable, and
// sync what was programmed offline once it is again. Enroll-ahead runs a keyless job up to
// `requests-opened`, so the encrypted requests and their expiry wait in the journal; sync activates each
// job awaiting activation (never twice: Okta's listing decides) and delivers its PIN, or, when the
// enrollment expired, deletes it and enrolls the order again — never activating it late. Every Okta call
// goes through the client's shared rate limiter; progress carries a count and an ETA from the pace so far.
import type { OktaClient } from '../okta/client.js';
import { JobAbandoned, runEnrollAhead, runJob, type JobEnvironment, type JobResult } from './job.js';
import { deriveJobState, enrollmentIdsOf } from './job-state.js';
import { JournalError, type JobRow, type Journal, type OrderRow } from './journal.js';
import { ProgressEta } from './progress-eta.js';
import { ProvisioningError, toProvisioningError, type ProvisioningErrorView } from './provisioning-errors.js';
import { expiresWithin, planSync } from './sync-plan.js';

export type BatchPhase = 'enroll' | 'sync';

export type BatchItemOutcome =
  /** The order's requests are journaled; any key can be programmed for it offline. */
  | 'enrolled-ahead'
  | 'activated'
  /** Okta already listed the factors ACTIVE: recorded, not activated again. */
  | 'already-active'
  /** The enrollment expired (or was gone): deleted, never activated, and the order enrolled again. */
  | 're-enrolled'
  /** Deleted as expired, but enrolling the order again failed: it waits in the queue. */
  | 'expired'
  /** The order is no longer waiting (a key took it meanwhile). */
  | 'skipped'
  | 'failed';

export type BatchEvent =
  | {
      readonly type: 'batch-item';
      readonly phase: BatchPhase;
      readonly orderId: string;
      readonly user: string;
      readonly jobId?: string;
      readonly outcome: BatchItemOutcome;
      readonly expiresAt?: string;
      readonly error?: ProvisioningErrorView;
    }
  | { readonly type: 'batch-progress'; readonly phase: BatchPhase; readonly done: number; readonly failed: number; readonly remaining: number; readonly etaMs?: number };

export interface BatchSummary {
  readonly items: readonly Extract<BatchEvent, { type: 'batch-item' }>[];
  /** Items by outcome. */
  readonly counts: Readonly<Partial<Record<BatchItemOutcome, number>>>;
}

/** What the UI's status line shows about the offline queue. */
export interface SyncStatus {
  readonly enrolledAhead: number;
  readonly pendingActivations: number;
  /** Seconds until the pending activations are flushed, from the pace last observed. */
  readonly etaSeconds?: number;
  readonly nextExpiry?: string;
  readonly syncing: boolean;
}

/** What the engine lends the batch: its journal, Okta, job environment, event stream and job bookkeeping. */
export interface BatchHost {
  readonly journal: Journal;
  readonly okta: OktaClient;
  readonly env: JobEnvironment;
  readonly emit: (event: BatchEvent) => void;
  /** Marks a job as run by this process; false when something else runs it already. */
  readonly claim: (jobId: string) => boolean;
  readonly release: (jobId: string) => void;
  /** A job ended (or parked): the engine's job-done / job-failed events. */
  readonly finished: (job: JobRow, result: JobResult) => void;
  readonly now: () => number;
  /** Okta calls at once (the rate limiter still has the last word). */
  readonly concurrency: number;
  /** An enrolled-ahead order whose enrollment expires sooner than this is enrolled again on sync. */
  readonly expiryMarginMs: number;
  readonly batchId?: string;
  readonly operator?: string;
}

type Item = Extract<BatchEvent, { type: 'batch-item' }>;

export class OfflineBatch {
  readonly #host: BatchHost;
  #progress: ProgressEta | undefined;
  /** Time per activation observed in the last sync, for the ETA between syncs. */
  #msPerActivation: number | undefined;

  constructor(host: BatchHost) {
    this.#host = host;
  }

  status(): SyncStatus {
    const counts = this.#host.journal.parkedCounts();
    const eta = this.#progress?.etaMs() ?? (this.#msPerActivation === undefined ? undefined : this.#msPerActivation * counts.pendingActivations);
    return {
      enrolledAhead: counts.enrolledAhead,
      pendingActivations: counts.pendingActivations,
      ...(eta === undefined || counts.pendingActivations === 0 ? {} : { etaSeconds: Math.ceil(eta / 1000) }),
      ...(counts.nextExpiry ? { nextExpiry: counts.nextExpiry } : {}),
      syncing: this.#progress !== undefined,
    };
  }

  /** Enrolls each waiting order ahead of any key. */
  async enrollAhead(orders: readonly OrderRow[]): Promise<BatchSummary> {
    return this.#flush('enroll', orders, (order) => this.#enrollOne(order, 'enrolled-ahead'));
  }

  /**
   * Activates every job awaiting activation (or replaces its expired enrollment), and enrolls again the
   * enrolled-ahead orders whose enrollment is about to expire.
   */
  async sync(): Promise<BatchSummary> {
    const now = this.#host.now();
    const awaiting = this.#host.journal.awaitingActivationJobs();
    const expiring = this.#host.journal.enrolledAheadJobs().filter((job) => expiresWithin(job.expiresAt, now, this.#host.expiryMarginMs));
    return this.#flush('sync', [...awaiting, ...expiring], (job) =>
      this.#claimed(job, () => {
        if (job.state === 'awaiting-activation') return this.#activate(job);
        const ids = enrollmentIdsOf(deriveJobState(this.#host.journal.steps(job.id)));
        return this.#replace(job, ids, ids.map(() => 'EXPIRING'));
      }),
    );
  }

  /** Runs `work` over the items, `concurrency` at a time, with progress events and the ETA. */
  async #flush<T>(phase: BatchPhase, list: readonly T[], work: (item: T) => Promise<Item>): Promise<BatchSummary> {
    const progress = new ProgressEta(list.length, this.#host.now);
    if (phase === 'sync') this.#progress = progress;
    const items: Item[] = [];
    let failed = 0;
    const report = () => {
      const eta = progress.etaMs();
      this.#host.emit({ type: 'batch-progress', phase, done: progress.done, failed, remaining: progress.remaining, ...(eta === undefined ? {} : { etaMs: eta }) });
    };
    report();
    const queue = [...list];
    const worker = async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        const item = await work(next);
        items.push(item);
        if (item.outcome === 'failed' || item.outcome === 'expired') failed += 1;
        progress.complete();
        this.#host.emit(item);
        report();
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(this.#host.concurrency, Math.max(list.length, 1)) }, worker));
    } finally {
      if (phase === 'sync') {
        this.#msPerActivation = progress.msPerItem() ?? this.#msPerActivation;
        this.#progress = undefined;
      }
    }
    const counts: Partial<Record<BatchItemOutcome, number>> = {};
    for (const item of items) counts[item.outcome] = (counts[item.outcome] ?? 0) + 1;
    return { items, counts };
  }

  async #enrollOne(order: OrderRow, success: 'enrolled-ahead' | 're-enrolled'): Promise<Item> {
    const { journal } = this.#host;
    const base = { type: 'batch-item', phase: success === 'enrolled-ahead' ? 'enroll' : 'sync', orderId: order.id, user: order.user } as const;
    let job: JobRow;
    try {
      job = journal.startAheadJob({ orderId: order.id, batchId: this.#host.batchId, operator: this.#host.operator });
    } catch (error) {
      if (error instanceof JournalError) return { ...base, outcome: 'skipped' };
      throw error;
    }
    this.#host.claim(job.id);
    try {
      const result = await runEnrollAhead(this.#host.env, job.id, new AbortController().signal);
      if (result.outcome === 'enrolled-ahead') return { ...base, jobId: job.id, outcome: success, expiresAt: result.expiresAt };
      return { ...base, jobId: job.id, outcome: success === 're-enrolled' ? 'expired' : 'failed', error: result.error };
    } catch (error) {
      // Abandoned by the crash hook: nothing more is written, as after a kill.
      if (error instanceof JobAbandoned) return { ...base, jobId: job.id, outcome: 'failed', error: toProvisioningError(error, 'enrolling ahead').toView() };
      throw error;
    } finally {
      this.#host.release(job.id);
    }
  }

  /** Runs `work` holding the job, so neither resume nor a key runs it meanwhile. */
  async #claimed(job: JobRow, work: () => Promise<Item>): Promise<Item> {
    if (!this.#host.claim(job.id)) return { ...this.#itemBase(job), outcome: 'skipped' };
    try {
      return await work();
    } catch (error) {
      // Abandoned by the crash hook: nothing more is written, as after a kill.
      if (error instanceof JobAbandoned) return { ...this.#itemBase(job), outcome: 'failed', error: toProvisioningError(error, 'syncing').toView() };
      throw error;
    } finally {
      this.#host.release(job.id);
    }
  }

  #itemBase(job: JobRow) {
    const order = this.#host.journal.order(job.orderId)!;
    return { type: 'batch-item', phase: 'sync', orderId: order.id, user: order.user, jobId: job.id } as const;
  }

  async #activate(job: JobRow): Promise<Item> {
    const { journal, okta, env } = this.#host;
    const base = this.#itemBase(job);
    const state = deriveJobState(journal.steps(job.id));
    let factors;
    try {
      factors = await okta.listEnrollments(state.userId!, { signal: AbortSignal.timeout(env.timeouts.oktaMs) });
    } catch (error) {
      // Without the listing nothing is decided: the job stays parked for the next sync.
      const view = toProvisioningError(error, 'listing the user\'s enrollments').toView();
      journal.recordAttempt(job.id, 'sync', view);
      return { ...base, outcome: 'failed', error: view };
    }
    const plan = planSync({ state, factors, now: this.#host.now() });
    if (plan.kind === 'replace') return this.#replace(job, plan.deleteIds, plan.statuses);
    const result = await runJob(env, job.id, undefined, new AbortController().signal, { alreadyActive: plan.kind === 'already-active' });
    this.#host.finished(job, result);
    if (result.outcome === 'failed') return { ...base, outcome: 'failed', error: result.error };
    return { ...base, outcome: plan.kind === 'already-active' ? 'already-active' : 'activated' };
  }

  /** Deletes an expired (or otherwise unusable) enrollment — never activating it — ends its job and enrolls the order again. */
  async #replace(job: JobRow, deleteIds: readonly string[], statuses: readonly string[]): Promise<Item> {
    const { journal, okta, env } = this.#host;
    const base = this.#itemBase(job);
    const state = deriveJobState(journal.steps(job.id));
    const programmed = state.awaitingActivation !== undefined;
    try {
      for (const id of deleteIds) await okta.deleteEnrollment(state.userId!, id, { signal: AbortSignal.timeout(env.timeouts.oktaMs) });
    } catch (error) {
      const view = toProvisioningError(error, 'deleting the expired enrollment').toView();
      journal.recordAttempt(job.id, 'sync', view);
      return { ...base, outcome: 'failed', error: view };
    }
    const expiresAt = state.opened?.expiresAt ?? job.expiresAt ?? 'unknown';
    journal.appendStep(job.id, 'enrollment-expired', { authenticatorEnrollmentIds: enrollmentIdsOf(state), expiresAt, statuses: [...statuses] });
    const error = new ProvisioningError({
      code: 'enrollment-expired',
      message: programmed
        ? `Okta's enrollment for this order expired (${expiresAt}) before the key was activated, so it was deleted, never activated, and the order enrolled again. ` +
          'The key programmed for it holds a PIN nobody can learn: reset it before reuse.'
        : `Okta's enrollment for this order expired (${expiresAt}) before a key took it; it was deleted and the order enrolled again.`,
      retryable: true,
    });
    const ended = journal.finishJob(job.id, programmed ? 'failed' : 'cancelled', 'waiting', error.toView());
    if (programmed) this.#host.finished(ended, { outcome: 'failed', error: error.toView(), cleanupPending: false });
    const again = await this.#enrollOne(journal.order(base.orderId)!, 're-enrolled');
    return again.outcome === 're-enrolled' ? { ...again, error: error.toView() } : again;
  }
}
