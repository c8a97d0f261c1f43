// The provisioning engine: many keys at once. It watches the USB (and virtual) keys come and go, checks
// each new key, hands the next waiting order to the next ready key (or the one the technician picks),
// runs every key's job concurrently, and tells the UI and CLI what happens through one typed event
// stream. On start it reconciles the jobs a crash left open. Offline batches (offline-batch.ts): orders
// enrolled ahead while online; offline, keys take only those and stop awaiting activation; sync() flushes
// them through Okta once it is reachable. It holds no Electron state and takes all its collaborators as
// options, so a child process can host it.
import { setTimeout as sleep } from 'node:timers/promises';
import { CtapHidConnection } from '../ctap/ctaphid.js';
import { Ctap2 } from '../ctap/ctap2.js';
import { CtapError } from '../ctap/errors.js';
import { clientPinSet, type AuthenticatorInfo } from '../ctap/info.js';
import type { HidBackend, HidDescriptor } from '../hid/device.js';
import { KeyDiscovery } from '../hid/discovery.js';
import type { OktaClient } from '../okta/client.js';
import type { StationKeyring } from '../wire/station-keys.js';
import { DEFAULT_TIMEOUTS, JobAbandoned, inspectKey, runJob, type JobEnvironment, type JobEvent, type JobOptions, type JobResult, type StepTimeouts } from './job.js';
import type { AttestationGate, MailerDesk } from './job-ports.js';
import type { StepName } from './job-steps.js';
import { deriveJobState, readyToActivate } from './job-state.js';
import { isParked, type Journal, type JobRow, type NewOrder, type OrderRow } from './journal.js';
import { sameKey, type KeyIdentity } from './key-identity.js';
import { OfflineBatch, type BatchEvent, type BatchSummary, type SyncStatus } from './offline-batch.js';
import type { RandomBytes } from './pin-policy.js';
import { ProvisioningError, RESET_INSTRUCTION, keyRemovedError, toProvisioningError, type ProvisioningErrorView } from './provisioning-errors.js';
import { planResume, type KeyPresence, type ResumePlan } from './reconcile.js';
import { expiresWithin } from './sync-plan.js';
import { TouchQueue } from './touch-queue.js';

export type KeyStatus = 'checking' | 'ready' | 'refused' | 'busy' | 'resetting' | 'done' | 'failed';

/** What the UI shows on a key's tile. */
export interface KeyView {
  readonly path: string;
  readonly kind: HidDescriptor['kind'];
  readonly status: KeyStatus;
  readonly identity?: KeyIdentity;
  readonly jobId?: string;
  readonly error?: ProvisioningErrorView;
}

export type StationEvent =
  | { readonly type: 'key-added'; readonly key: KeyView }
  | { readonly type: 'key-updated'; readonly key: KeyView }
  | { readonly type: 'key-removed'; readonly keyPath: string }
  | { readonly type: 'job-started'; readonly jobId: string; readonly orderId: string; readonly keyPath: string }
  | JobEvent
  | { readonly type: 'touch-queue'; readonly active?: string; readonly waiting: readonly string[] }
  | { readonly type: 'job-done'; readonly jobId: string; readonly orderId: string; readonly keyPath: string }
  | { readonly type: 'job-failed'; readonly jobId: string; readonly orderId: string; readonly keyPath: string; readonly error: ProvisioningErrorView; readonly cleanupPending: boolean }
  | { readonly type: 'job-resumed'; readonly jobId: string; readonly plan: ResumePlan['kind'] }
  /** Offline: the key is programmed and may be removed; its activation waits for sync. */
  | { readonly type: 'job-awaiting-activation'; readonly jobId: string; readonly orderId: string; readonly keyPath: string; readonly expiresAt: string }
  | { readonly type: 'offline-changed'; readonly offline: boolean }
  | BatchEvent
  | { readonly type: 'orders-changed'; readonly waiting: number }
  | { readonly type: 'discovery-error'; readonly message: string };

export type StationListener = (event: StationEvent) => void;

export interface EngineOptions {
  readonly journal: Journal;
  readonly okta: OktaClient;
  readonly keyring: StationKeyring;
  /** node-hid and/or virtual keys. */
  readonly backends: readonly HidBackend[];
  readonly touchQueue?: TouchQueue;
  /** Hand the next waiting order to the next ready key by itself (default true). */
  readonly autoAssign?: boolean;
  readonly pollIntervalMs?: number;
  readonly timeouts?: Partial<StepTimeouts>;
  readonly batchId?: string;
  readonly operator?: string;
  readonly random?: RandomBytes;
  /** Test hook: called after every committed step; throwing stops that job dead, as a kill would. */
  readonly afterCommit?: (jobId: string, step: StepName) => void;
  /** Start offline: no Okta call; keys take only orders enrolled ahead (see setOffline). */
  readonly offline?: boolean;
  /** Okta calls at once while enrolling ahead or syncing (default 4; the rate limiter has the last word). */
  readonly batchConcurrency?: number;
  /** An order enrolled ahead is given to no key, and is enrolled again on sync, this close to its expiry (default 10 min). */
  readonly expiryMarginMs?: number;
  /** The station's clock (tests). */
  readonly now?: () => Date;
  /** Decides whether each key is genuine before its factor is activated. */
  readonly attestation?: AttestationGate;
  /** Prints PIN mailers for orders delivered on paper. */
  readonly mailer?: MailerDesk;
  /** The org's name on printed mailers. */
  readonly orgName?: string;
}

/** Which waiting orders to enroll ahead: the given ids, one batch, or (neither) every waiting order. */
export interface AheadSelection {
  readonly orderIds?: readonly string[];
  readonly batchId?: string;
}

export interface SyncSummary extends BatchSummary {
  /** Unfinished (not parked) jobs reconciled with Okta first, as after a restart. */
  readonly reconciled: number;
}

const DEFAULT_EXPIRY_MARGIN_MS = 10 * 60_000;
const RECONNECT_ATTEMPTS = 10;
const RECONNECT_RETRY_MS = 300;

interface KeyEntry {
  readonly descriptor: HidDescriptor;
  status: KeyStatus;
  ctap?: Ctap2;
  info?: AuthenticatorInfo;
  identity?: KeyIdentity;
  jobId?: string;
  error?: ProvisioningErrorView;
  controller?: AbortController;
  removed: boolean;
}

/** A request the engine cannot carry out as asked (unknown key, busy key, unknown order). */
export class EngineError extends Error {
  override readonly name = 'EngineError';
}

export class ProvisioningEngine {
  readonly #options: EngineOptions;
  readonly #journal: Journal;
  readonly #discovery: KeyDiscovery;
  readonly #touchQueue: TouchQueue;
  readonly #env: JobEnvironment;
  readonly #keys = new Map<string, KeyEntry>();
  readonly #listeners = new Set<StationListener>();
  readonly #work = new Set<Promise<unknown>>();
  readonly #runningJobs = new Set<string>();
  readonly #unsubscribe: (() => void)[] = [];
  readonly #batch: OfflineBatch;
  readonly #now: () => Date;
  #offline: boolean;
  #syncing: Promise<SyncSummary> | undefined;
  /** Enroll-ahead and sync runs, which close() waits for (not in #work: sync's resume settles #work). */
  readonly #batchWork = new Set<Promise<unknown>>();
  #resuming = false;
  #closed = false;

  constructor(options: EngineOptions) {
    this.#options = options;
    this.#journal = options.journal;
    this.#discovery = new KeyDiscovery(options.backends);
    this.#touchQueue = options.touchQueue ?? new TouchQueue();
    this.#env = {
      journal: options.journal,
      okta: options.okta,
      keyring: options.keyring,
      touchQueue: this.#touchQueue,
      timeouts: { ...DEFAULT_TIMEOUTS, ...options.timeouts },
      report: (event) => this.#emit(event),
      afterCommit: options.afterCommit,
      random: options.random,
      ...(options.attestation ? { attestation: options.attestation } : {}),
      ...(options.mailer ? { mailer: options.mailer } : {}),
      ...(options.orgName ? { orgName: options.orgName } : {}),
    };
    this.#offline = options.offline ?? false;
    this.#now = options.now ?? (() => new Date());
    this.#batch = new OfflineBatch({
      journal: options.journal,
      okta: options.okta,
      env: this.#env,
      emit: (event) => this.#emit(event),
      claim: (jobId) => {
        if (this.#runningJobs.has(jobId)) return false;
        this.#runningJobs.add(jobId);
        return true;
      },
      release: (jobId) => this.#runningJobs.delete(jobId),
      finished: (job, result) => this.#finished(undefined, job, result),
      now: () => this.#now().getTime(),
      concurrency: options.batchConcurrency ?? 4,
      expiryMarginMs: this.#expiryMarginMs(),
      batchId: options.batchId,
      operator: options.operator,
    });
    this.#unsubscribe.push(
      this.#discovery.on('added', (descriptor) => this.#track(this.#arrive(descriptor))),
      this.#discovery.on('removed', (descriptor) => this.#depart(descriptor.path)),
      this.#discovery.on('error', (_kind, message) => this.#emit({ type: 'discovery-error', message })),
      this.#touchQueue.onChange((state) => this.#emit({ type: 'touch-queue', ...state })),
    );
  }

  /** Subscribes to every station event; returns the unsubscribe function. */
  on(listener: StationListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Finds the keys already plugged in, reconciles jobs a crash left open, then watches for keys. */
  async start(): Promise<void> {
    await this.resume();
    this.#discovery.start(this.#options.pollIntervalMs);
  }

  /**
   * Reconciles every unfinished job of the journal against Okta and the plugged-in keys: finishes what
   * can be finished, cleans up what cannot and puts those orders back in the queue. Jobs it continues
   * run in the background (see `idle()`).
   */
  async resume(): Promise<void> {
    this.#resuming = true;
    try {
      await this.#discovery.rescan();
      await this.#settle();
      for (const job of this.#journal.unfinishedJobs()) {
        // Parked jobs are sync's: resume would take an enrollment waiting for its key for an abandoned one.
        if (!this.#runningJobs.has(job.id) && !isParked(job)) await this.#resumeJob(job);
      }
    } finally {
      this.#resuming = false;
    }
    this.#assignWaiting();
  }

  get offline(): boolean {
    return this.#offline;
  }

  /**
   * Offline, the engine makes no Okta call: keys take only orders enrolled ahead and stop at
   * awaiting-activation, and resume leaves jobs that need Okta's listing for later. Going online does
   * not sync by itself; call sync().
   */
  setOffline(offline: boolean): void {
    if (offline === this.#offline) return;
    this.#offline = offline;
    this.#emit({ type: 'offline-changed', offline });
    this.#assignWaiting();
  }

  /** Enrolls waiting orders ahead of any key (online only), so keys can be programmed for them offline. */
  async enrollAhead(selection: AheadSelection = {}): Promise<BatchSummary> {
    if (this.#offline) throw new EngineError('Okta is out of reach (offline), so nothing can be enrolled ahead. Enroll while online.');
    const summary = await this.#inBatch(this.#batch.enrollAhead(this.#waitingOrders(selection)));
    this.#ordersChanged();
    this.#assignWaiting();
    return summary;
  }

  /**
   * Online again: reconciles what a crash left open (as resume does), then activates every key programmed
   * offline and has its PIN delivered, or replaces expired enrollments. Progress comes as batch events.
   */
  async sync(): Promise<SyncSummary> {
    if (this.#offline) throw new EngineError('Okta is out of reach (offline); sync once it is reachable again.');
    // A second caller (the UI while the reconnect sync runs) shares the sync in progress.
    this.#syncing ??= this.#inBatch(this.#sync()).finally(() => {
      this.#syncing = undefined;
    });
    return this.#syncing;
  }

  async #sync(): Promise<SyncSummary> {
    const reconciled = this.#journal.unfinishedJobs().filter((job) => !isParked(job) && !this.#runningJobs.has(job.id)).length;
    await this.resume();
    const summary = await this.#batch.sync();
    this.#ordersChanged();
    this.#assignWaiting();
    return { ...summary, reconciled };
  }

  /** The offline queue for the status line: orders enrolled ahead, activations pending, ETA. */
  syncStatus(): SyncStatus {
    return this.#batch.status();
  }

  /** Resolves once no job, key check or reset is running. */
  async idle(): Promise<void> {
    await this.#settle();
  }

  keys(): KeyView[] {
    return [...this.#keys.values()].map(view);
  }

  addOrders(orders: readonly NewOrder[]): { added: OrderRow[]; duplicates: string[] } {
    const result = this.#journal.addOrders(orders);
    this.#ordersChanged();
    this.#assignWaiting();
    return result;
  }

  /** Starts the order on the key the technician chose; returns the job id. */
  assign(orderId: string, keyPath: string): string {
    const entry = this.#keys.get(keyPath);
    if (!entry) throw new EngineError(`No key is plugged in at ${keyPath}. Plug it in, or pick another key.`);
    if (entry.status === 'refused' && entry.error) throw new ProvisioningError(entry.error);
    if (entry.status !== 'ready') throw new EngineError(`The key at ${keyPath} is ${entry.status}, not ready for an order. Pick a ready key.`);
    const ahead = this.#assignableAhead().find((job) => job.orderId === orderId);
    if (ahead) return this.#startAheadJob(entry, ahead);
    const order = this.#journal.order(orderId);
    if (!order || order.state !== 'waiting') throw new EngineError(`Order ${orderId} is not waiting in the queue. Pick a waiting order.`);
    if (this.#offline) throw new EngineError(`Order ${orderId} was not enrolled ahead, and Okta is out of reach (offline). Pick an order enrolled ahead, or wait until Okta is reachable.`);
    return this.#startJob(entry, order.id);
  }

  cancelOrder(orderId: string): OrderRow {
    const order = this.#journal.moveOrder(orderId, 'cancelled');
    this.#ordersChanged();
    return order;
  }

  /** Puts a failed or cancelled order back in the queue. */
  retryOrder(orderId: string): OrderRow {
    const order = this.#journal.moveOrder(orderId, 'waiting');
    this.#ordersChanged();
    this.#assignWaiting();
    return order;
  }

  /** Records the serial scanned from the key's box; it is sealed into the PIN response if the PIN is not sealed yet. */
  attachSerial(jobId: string, serial: string): JobRow {
    return this.#journal.attachSerial(jobId, serial);
  }

  /**
   * Resets a key that is not factory-fresh (a touch, within its power-up window) and checks it again.
   * Rejects with a ProvisioningError that says what to do when the window has passed or nobody touched it.
   */
  async resetKey(keyPath: string): Promise<KeyView> {
    const entry = this.#keys.get(keyPath);
    if (!entry?.ctap) throw new EngineError(`No key is plugged in at ${keyPath}.`);
    if (entry.status === 'busy' || entry.status === 'resetting') throw new EngineError(`The key at ${keyPath} is ${entry.status}; wait for it to finish first.`);
    const ctap = entry.ctap;
    this.#setStatus(entry, 'resetting');
    const work = (async () => {
      const turn = await this.#touchQueue.acquire(keyPath);
      try {
        if (ctap.transport.canWink) await ctap.transport.wink().catch(() => undefined);
        // Asked at the key's first UPNEEDED (a key past its reset window refuses without one), and only once.
        let asked = false;
        await ctap.reset({
          timeoutMs: this.#env.timeouts.touchMs,
          signal: turn.signal,
          onKeepalive: (status) => {
            if (status !== 'upneeded' || asked) return;
            asked = true;
            this.#emit({ type: 'touch-needed', keyPath });
          },
        });
      } catch (error) {
        const failure = resetFailure(error);
        entry.error = failure.toView();
        this.#setStatus(entry, 'refused');
        throw failure;
      } finally {
        turn.release();
      }
      await this.#check(entry);
      this.#assignWaiting();
      return view(entry);
    })();
    this.#track(work);
    return work;
  }

  /** Checks a key again after its job ended (a retry on the same key); it becomes ready or refused. */
  async recheckKey(keyPath: string): Promise<KeyView> {
    const entry = this.#keys.get(keyPath);
    if (!entry?.ctap) throw new EngineError(`No key is plugged in at ${keyPath}.`);
    if (entry.status === 'busy' || entry.status === 'resetting') throw new EngineError(`The key at ${keyPath} is ${entry.status}; wait for it to finish first.`);
    entry.jobId = undefined;
    const work = this.#check(entry).then(() => {
      this.#assignWaiting();
      return view(entry);
    });
    this.#track(work);
    return work;
  }

  /** Stops the job running on a key at its next step; the job fails as cancelled and is cleaned up in Okta. */
  cancelJob(keyPath: string): void {
    const entry = this.#keys.get(keyPath);
    if (!entry?.controller) throw new EngineError(`No job is running on the key at ${keyPath}.`);
    entry.controller.abort(new ProvisioningError({ code: 'cancelled', message: 'The technician cancelled this job. Retry it, or skip to the next order.', retryable: true }));
  }

  /** Blinks a key's light so the technician can find it on the hub. */
  async winkKey(keyPath: string): Promise<void> {
    const entry = this.#keys.get(keyPath);
    if (!entry?.ctap) throw new EngineError(`No key is plugged in at ${keyPath}.`);
    if (!entry.ctap.transport.canWink) throw new EngineError('This key cannot blink its light.');
    await entry.ctap.transport.wink();
  }

  /** Stops watching keys, waits for running jobs and closes the keys. The caller closes the journal. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#discovery.stop();
    await Promise.all([...this.#batchWork]);
    await this.#settle();
    for (const off of this.#unsubscribe) off();
    await Promise.all([...this.#keys.values()].map((entry) => entry.ctap?.transport.close().catch(() => undefined)));
    this.#keys.clear();
  }

  // Keys

  async #arrive(descriptor: HidDescriptor): Promise<void> {
    const entry: KeyEntry = { descriptor, status: 'checking', removed: false };
    this.#keys.set(descriptor.path, entry);
    this.#emit({ type: 'key-added', key: view(entry) });
    try {
      const backend = this.#options.backends.find((b) => b.kind === descriptor.kind);
      if (!backend) throw new EngineError(`No ${descriptor.kind} backend for ${descriptor.path}.`);
      const device = await backend.open(descriptor.path);
      entry.ctap = new Ctap2(await CtapHidConnection.open(device));
      if (entry.removed) {
        await entry.ctap.transport.close();
        return;
      }
      await this.#check(entry);
    } catch (error) {
      if (entry.removed) return;
      entry.error = toProvisioningError(error, 'checking the key').toView();
      this.#setStatus(entry, 'refused');
      return;
    }
    this.#assignWaiting();
  }

  /** getInfo, identity and the key-checked rules: ready, or refused with the technician's next step. */
  async #check(entry: KeyEntry): Promise<void> {
    this.#setStatus(entry, 'checking');
    const inspection = await inspectKey({ descriptor: entry.descriptor, ctap: entry.ctap! }, this.#options.okta.org, { timeoutMs: this.#env.timeouts.keyMs });
    entry.info = inspection.info;
    entry.identity = inspection.identity;
    entry.error = inspection.fit ? undefined : inspection.refusal.toView();
    this.#setStatus(entry, inspection.fit ? 'ready' : 'refused');
  }

  #depart(path: string): void {
    const entry = this.#keys.get(path);
    if (!entry) return;
    entry.removed = true;
    this.#keys.delete(path);
    // A job whose key work is journaled (verified, or everything activate needs) finishes through Okta alone.
    if (entry.jobId === undefined || !readyToActivate(deriveJobState(this.#journal.steps(entry.jobId)))) entry.controller?.abort(keyRemovedError());
    this.#touchQueue.drop(path);
    void entry.ctap?.transport.close().catch(() => undefined);
    this.#emit({ type: 'key-removed', keyPath: path });
  }

  #setStatus(entry: KeyEntry, status: KeyStatus): void {
    entry.status = status;
    if (!entry.removed) this.#emit({ type: 'key-updated', key: view(entry) });
  }

  // Jobs

  #assignWaiting(): void {
    if (this.#resuming || this.#closed || this.#options.autoAssign === false) return;
    const ready = [...this.#keys.values()].filter((entry) => entry.status === 'ready').sort((a, b) => a.descriptor.path.localeCompare(b.descriptor.path, undefined, { numeric: true }));
    // Orders enrolled ahead first: their enrollment's clock is running.
    const ahead = this.#assignableAhead();
    for (const entry of ready) {
      const job = ahead.shift();
      if (job) {
        this.#startAheadJob(entry, job);
        continue;
      }
      if (this.#offline) return;
      const order = this.#journal.nextWaitingOrder();
      if (!order) return;
      this.#startJob(entry, order.id);
    }
  }

  /** Orders enrolled ahead that a key may take: not being run, and not about to expire. */
  #assignableAhead(): JobRow[] {
    const now = this.#now().getTime();
    return this.#journal.enrolledAheadJobs().filter((job) => !this.#runningJobs.has(job.id) && !expiresWithin(job.expiresAt, now, this.#expiryMarginMs()));
  }

  #expiryMarginMs(): number {
    return this.#options.expiryMarginMs ?? DEFAULT_EXPIRY_MARGIN_MS;
  }

  #waitingOrders(selection: AheadSelection): OrderRow[] {
    if (selection.orderIds) {
      const unknown = selection.orderIds.filter((id) => !this.#journal.order(id));
      if (unknown.length > 0) throw new EngineError(`No order ${unknown.join(', ')} in the journal. Import the orders first.`);
      return selection.orderIds.map((id) => this.#journal.order(id)!).filter((order) => order.state === 'waiting');
    }
    return this.#journal.orders('waiting').filter((order) => selection.batchId === undefined || order.batchId === selection.batchId);
  }

  #startAheadJob(entry: KeyEntry, job: JobRow): string {
    const taken = this.#journal.takeAheadJob(job.id, entry.descriptor.path);
    this.#emit({ type: 'job-started', jobId: taken.id, orderId: taken.orderId, keyPath: taken.keyPath });
    this.#ordersChanged();
    this.#run(entry, taken, { offline: this.#offline });
    return taken.id;
  }

  #startJob(entry: KeyEntry, orderId: string): string {
    const job = this.#journal.startJob({ orderId, keyPath: entry.descriptor.path, batchId: this.#options.batchId, operator: this.#options.operator });
    this.#emit({ type: 'job-started', jobId: job.id, orderId, keyPath: job.keyPath });
    this.#ordersChanged();
    this.#run(entry, job, {}, true);
    return job.id;
  }

  /** Runs a job in the background on `entry` (or on no key, for a job finished from the journal). */
  #run(entry: KeyEntry | undefined, job: JobRow, options: JobOptions, justAssigned = false): void {
    const controller = new AbortController();
    if (entry) {
      entry.jobId = job.id;
      entry.controller = controller;
      entry.error = undefined;
      this.#setStatus(entry, 'busy');
    }
    const session = entry?.ctap ? { descriptor: entry.descriptor, ctap: entry.ctap } : undefined;
    this.#runningJobs.add(job.id);
    const work = (async () => {
      let result: JobResult;
      try {
        if (justAssigned) this.#afterAssigned(job.id);
        result = await runJob(this.#env, job.id, session, controller.signal, options);
      } catch (error) {
        // Abandoned (the crash hook): no cleanup, no events — exactly what a killed process leaves behind.
        if (error instanceof JobAbandoned) return;
        result = { outcome: 'failed', error: toProvisioningError(error, 'starting the job').toView(), cleanupPending: true };
      }
      this.#finished(entry, job, result);
    })().finally(() => this.#runningJobs.delete(job.id));
    this.#track(work);
  }

  /** `order-assigned` is committed by the journal itself (with the order's move); the crash hook sees it here. */
  #afterAssigned(jobId: string): void {
    try {
      this.#env.afterCommit?.(jobId, 'order-assigned');
    } catch (cause) {
      throw new JobAbandoned(jobId, 'order-assigned', cause);
    }
  }

  #finished(entry: KeyEntry | undefined, job: JobRow, result: JobResult): void {
    if (entry) entry.controller = undefined;
    if (result.outcome === 'awaiting-activation') {
      this.#emit({ type: 'job-awaiting-activation', jobId: job.id, orderId: job.orderId, keyPath: job.keyPath, expiresAt: result.expiresAt });
      if (entry && !entry.removed) this.#setStatus(entry, 'done');
    } else if (result.outcome === 'done') {
      this.#emit({ type: 'job-done', jobId: job.id, orderId: job.orderId, keyPath: job.keyPath });
      if (entry && !entry.removed) this.#setStatus(entry, 'done');
    } else {
      this.#emit({ type: 'job-failed', jobId: job.id, orderId: job.orderId, keyPath: job.keyPath, error: result.error, cleanupPending: result.cleanupPending });
      if (entry && !entry.removed) {
        entry.error = result.error;
        this.#setStatus(entry, 'failed');
        if (result.error.code === 'key-removed' && !result.cleanupPending) this.#track(this.#reconnectIfStillPlugged(entry, job));
      }
    }
    this.#ordersChanged();
  }

  /**
   * The key's connection died but its port still lists it: the HID host (node-hid's process) restarted under
   * it. Nobody pulled the key, so the order goes back in the queue and the key is opened and checked again.
   */
  async #reconnectIfStillPlugged(entry: KeyEntry, job: JobRow): Promise<void> {
    const backend = this.#options.backends.find((b) => b.kind === entry.descriptor.kind);
    let listed = false;
    // A restarting host refuses calls for a moment: ask a few times before deciding the key is gone.
    for (let attempt = 0; backend && attempt < RECONNECT_ATTEMPTS && !entry.removed; attempt++) {
      const all = await backend.enumerate().catch(() => undefined);
      if (all) {
        listed = all.some((d) => d.path === entry.descriptor.path);
        break;
      }
      await sleep(RECONNECT_RETRY_MS);
    }
    if (!listed || entry.removed || this.#keys.get(entry.descriptor.path) !== entry || this.#closed) return;
    if (this.#journal.order(job.orderId)?.state === 'failed') this.retryOrder(job.orderId);
    this.#depart(entry.descriptor.path);
    await this.#arrive(entry.descriptor);
  }

  async #resumeJob(job: JobRow): Promise<void> {
    const state = deriveJobState(this.#journal.steps(job.id));
    let factors;
    if (state.userId !== undefined) {
      // Deciding needs Okta's listing: offline, the job waits for the next resume (sync).
      if (this.#offline) return;
      try {
        factors = await this.#options.okta.listEnrollments(state.userId, { signal: AbortSignal.timeout(this.#env.timeouts.oktaMs) });
      } catch (error) {
        // Without Okta's listing nothing can be decided safely: the job stays open for the next resume.
        this.#journal.recordAttempt(job.id, 'resumed', toProvisioningError(error, 'listing the user\'s enrollments').toView());
        return;
      }
    }
    const entry = this.#keys.get(job.keyPath);
    const presence: KeyPresence = {
      plugged: entry?.info !== undefined,
      sameKey: entry?.identity !== undefined && state.keyChecked !== undefined && sameKey(entry.identity, state.keyChecked),
      ...(entry?.info ? { pinSet: clientPinSet(entry.info) === true } : {}),
    };
    const plan = planResume({ state, factors, ownedElsewhere: this.#journal.enrollmentIdsOwned(job.id), key: presence });
    this.#journal.appendStep(job.id, 'resumed', { plan: plan.kind });
    this.#emit({ type: 'job-resumed', jobId: job.id, plan: plan.kind });
    switch (plan.kind) {
      case 'close-done':
        this.#journal.finishJob(job.id, 'done', 'done');
        return;
      case 'finish':
        this.#run(presence.sameKey && entry?.status !== 'busy' ? entry : undefined, job, { alreadyActive: plan.alreadyActive });
        return;
      case 'continue-with-key':
        this.#run(entry, job, {});
        return;
      case 'requeue':
        await this.#requeue(job, state.userId, plan);
        return;
    }
  }

  async #requeue(job: JobRow, userId: string | undefined, plan: Extract<ResumePlan, { kind: 'requeue' }>): Promise<void> {
    const signal = AbortSignal.timeout(this.#env.timeouts.oktaMs);
    try {
      for (const id of plan.deleteIds) await this.#options.okta.deleteEnrollment(userId!, id, { signal });
      for (const id of plan.markErrorIds) await this.#options.okta.markError(userId!, id, { signal });
    } catch (error) {
      this.#journal.recordAttempt(job.id, 'resumed', toProvisioningError(error, 'cleaning up in Okta').toView());
      return;
    }
    const error = new ProvisioningError({
      code: 'interrupted',
      message:
        'The station stopped while this key was being provisioned; its order is back in the queue.' + (plan.needsReset ? ` This key already has a PIN. ${RESET_INSTRUCTION}` : ''),
      retryable: true,
    });
    if (plan.deleteIds.length > 0) this.#journal.appendStep(job.id, 'orphans-deleted', { authenticatorEnrollmentIds: [...plan.deleteIds] });
    if (plan.markErrorIds.length > 0) {
      this.#journal.appendStep(job.id, 'marked-error', { code: error.code, cause: error.message, authenticatorEnrollmentIds: [...plan.markErrorIds] });
    }
    this.#journal.finishJob(job.id, 'failed', 'waiting', error.toView());
    this.#emit({ type: 'job-failed', jobId: job.id, orderId: job.orderId, keyPath: job.keyPath, error: error.toView(), cleanupPending: false });
    this.#ordersChanged();
  }

  // Plumbing

  #inBatch<T>(work: Promise<T>): Promise<T> {
    const tracked = work.catch(() => undefined).finally(() => this.#batchWork.delete(tracked));
    this.#batchWork.add(tracked);
    return work;
  }

  #track(work: Promise<unknown>): void {
    const tracked = work.catch(() => undefined).finally(() => this.#work.delete(tracked));
    this.#work.add(tracked);
  }

  async #settle(): Promise<void> {
    while (this.#work.size > 0) await Promise.all([...this.#work]);
  }

  #ordersChanged(): void {
    this.#emit({ type: 'orders-changed', waiting: this.#journal.orders('waiting').length });
  }

  #emit(event: StationEvent): void {
    for (const listener of [...this.#listeners]) listener(event);
  }
}

function view(entry: KeyEntry): KeyView {
  return {
    path: entry.descriptor.path,
    kind: entry.descriptor.kind,
    status: entry.status,
    ...(entry.identity ? { identity: entry.identity } : {}),
    ...(entry.jobId ? { jobId: entry.jobId } : {}),
    ...(entry.error ? { error: entry.error } : {}),
  };
}

const NOT_ALLOWED = 0x30;
const USER_ACTION_TIMEOUT = 0x2f;

function resetFailure(error: unknown): ProvisioningError {
  if (error instanceof CtapError && error.status === NOT_ALLOWED) {
    return new ProvisioningError({ code: 'reset-not-allowed', message: `The key only accepts a reset right after it is plugged in. ${RESET_INSTRUCTION}`, retryable: true, ctapStatus: error.statusName });
  }
  if (error instanceof CtapError && error.status === USER_ACTION_TIMEOUT) {
    return new ProvisioningError({ code: 'reset-not-allowed', message: `Nobody touched the key in time, so it was not reset. ${RESET_INSTRUCTION}`, retryable: true, ctapStatus: error.statusName });
  }
  return toProvisioningError(error, 'resetting the key');
}
