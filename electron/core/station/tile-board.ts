// Turns the engine's events into the tiles the technician sees (bench-ux.md "A tile's life"): one tile
// per port, its state as a word the UI shows with a colour and an icon, the step in plain words, and who
// may touch now. Pure bookkeeping, so it is tested without keys or Okta.
import type { Failure, KeyTile, TileState } from '../../contract/models.js';
import type { KeyView, StationEvent as EngineEvent } from './engine.js';
import type { StepName } from './job-steps.js';
import type { ProvisioningErrorView } from './provisioning-errors.js';

/** What the tile shows while the step after `step` runs. */
const AFTER_STEP: Readonly<Record<StepName, { state: TileState; step: string }>> = {
  'order-assigned': { state: 'enrolling', step: 'Enrolling with Okta' },
  'key-checked': { state: 'enrolling', step: 'Enrolling with Okta' },
  'enroll-started': { state: 'enrolling', step: 'Enrolling with Okta' },
  enrolled: { state: 'setting-pin', step: 'Setting the PIN' },
  'requests-opened': { state: 'setting-pin', step: 'Setting the PIN' },
  'pin-sealed': { state: 'setting-pin', step: 'Setting the PIN' },
  'pin-set': { state: 'creating-credential', step: 'Creating the credential' },
  'credential-made': { state: 'verifying', step: 'Configuring and verifying the key' },
  'attestation-rejected': { state: 'failed', step: 'Not a genuine key — quarantine it' },
  'mailer-printed': { state: 'creating-credential', step: 'PIN mailer printed — creating the credential' },
  'key-configured': { state: 'verifying', step: 'Verifying the key' },
  verified: { state: 'activating', step: 'Activating in Okta' },
  'awaiting-activation': { state: 'awaiting-activation', step: 'Programmed — remove key; it activates on sync' },
  activated: { state: 'delivering', step: 'Sending the PIN' },
  'pin-delivered': { state: 'delivering', step: 'Finishing' },
  done: { state: 'done', step: 'Done — remove key' },
  'marked-error': { state: 'failed', step: 'Failed' },
  'orphans-deleted': { state: 'enrolling', step: 'Cleaning up in Okta' },
  resumed: { state: 'enrolling', step: 'Resuming after a restart' },
  'enrollment-expired': { state: 'failed', step: 'Enrollment expired — reset the key' },
};

/** The single next step for each kind of failure, shown beside the cause. */
const ACTION: Readonly<Record<string, string>> = {
  'virtual-key-real-org': 'Unplug it: virtual keys only work with the simulator.',
  'key-not-fresh': 'Reset the key: unplug it, plug it back in, then press Reset and touch it within 10 seconds.',
  'key-unsupported': 'Set this key aside: this model cannot be provisioned.',
  'key-removed': 'Plug the key back in and press Retry, or take another key.',
  'key-error': 'Press Retry. If it fails again, quarantine the key.',
  'key-timeout': 'Press Retry and touch the key when it blinks.',
  'reset-not-allowed': 'Unplug the key, plug it back in, then press Reset and touch it within 10 seconds.',
  'verify-failed': 'Quarantine the key; it did not keep what was programmed.',
  okta: 'Press Retry. If Okta keeps refusing, check the order in the Okta admin console.',
  payload: 'Press Retry. If it fails again, check the station keys in Settings.',
  interrupted: 'Press Retry to provision the order again.',
  'pin-not-sent': 'Hand the key over as done; ask an Okta admin to resend the PIN. Do not reprovision it.',
  'enrollment-expired': 'Reset the key before reuse; its order was enrolled again.',
  offline: 'Enroll this order ahead while online, or wait until Okta is reachable.',
  cancelled: 'Press Retry, or Skip to the next order.',
  internal: 'Press Retry. If it fails again, quarantine the key and report the problem.',
  'untrusted-key': 'Set this key aside for the vendor; its order goes to another key.',
  printing: 'Fix the printer, reset this key, then press Retry.',
};

export function failureOf(error: ProvisioningErrorView): Failure {
  return { code: error.code, message: error.message, action: ACTION[error.code] ?? 'Press Retry, or quarantine the key.', retryable: error.retryable };
}

interface Entry {
  tile: KeyTile;
  orderId?: string;
  quarantined: boolean;
  /** The key was pulled while its job ran: the tile stays to say so until dismissed or a key arrives. */
  keyGone?: boolean;
}

/** Tile states in which a job is running on the key. */
const RUNNING: ReadonlySet<TileState> = new Set(['enrolling', 'setting-pin', 'touch', 'creating-credential', 'verifying', 'activating', 'delivering']);

/** What a tile says when its key was pulled mid-job; the engine marks the factor errored and fails the order. */
export const KEY_PULLED_FAILURE: Failure = {
  code: 'key-removed',
  message: 'The key was removed in the middle of provisioning.',
  action: 'Its order was stopped. Press Retry to put the order back in the queue for the next ready key, or Dismiss.',
  retryable: true,
};

export interface OrderLookup {
  (orderId: string): { user: string; displayName?: string } | undefined;
}

export class TileBoard {
  readonly #entries = new Map<string, Entry>();
  /** Port numbers stay with a port for the whole session, so "key 3" keeps meaning the same socket. */
  readonly #numbers = new Map<string, number>();

  constructor(private readonly lookupOrder: OrderLookup) {}

  tiles(): KeyTile[] {
    return [...this.#entries.values()].map((e) => e.tile).sort((a, b) => this.#number(a.port) - this.#number(b.port));
  }

  tile(port: string): KeyTile | undefined {
    return this.#entries.get(port)?.tile;
  }

  orderOf(port: string): string | undefined {
    return this.#entries.get(port)?.orderId;
  }

  label(port: string): string {
    return `Key ${this.#number(port)}`;
  }

  #number(port: string): number {
    let n = this.#numbers.get(port);
    if (n === undefined) {
      n = this.#numbers.size + 1;
      this.#numbers.set(port, n);
    }
    return n;
  }

  /** A serial scanned from the key's box. */
  setSerial(port: string, serial: string): KeyTile | undefined {
    const entry = this.#entries.get(port);
    return entry && this.#update(entry, { serial, serialSource: 'scan' });
  }

  /** A job from before a restart runs on this port's key again: its tile names the order once more. */
  resumed(port: string, orderId: string): KeyTile | undefined {
    const entry = this.#entries.get(port);
    if (!entry || entry.quarantined) return undefined;
    entry.orderId = orderId;
    const order = this.lookupOrder(orderId);
    return this.#update(entry, {
      state: 'enrolling',
      step: 'Resuming after a restart',
      startedAt: new Date().toISOString(),
      finishedAt: undefined,
      failure: undefined,
      order: { orderId, user: order?.user ?? orderId, ...(order?.displayName ? { displayName: order.displayName } : {}) },
    });
  }

  /** Whether the tile stands for a key pulled mid-job (no key is in that port now). */
  isKeyGone(port: string): boolean {
    return this.#entries.get(port)?.keyGone === true;
  }

  /** The technician has read why a pulled key's job stopped: its tile goes. Other tiles stay. */
  dismiss(port: string): boolean {
    return this.isKeyGone(port) && this.forget(port);
  }

  /** Drops a port's tile whatever it shows (the station is shutting its keys down). */
  forget(port: string): boolean {
    return this.#entries.delete(port);
  }

  quarantine(port: string): KeyTile | undefined {
    const entry = this.#entries.get(port);
    if (!entry) return undefined;
    entry.quarantined = true;
    return this.#update(entry, { state: 'quarantined', step: 'Quarantined — set this key aside', touch: 'none' });
  }

  /** Applies one engine event; returns the tiles that changed and the ports whose tiles went away. */
  apply(event: EngineEvent): { changed: KeyTile[]; removed: string[] } {
    const changed: KeyTile[] = [];
    const removed: string[] = [];
    const put = (tile: KeyTile | undefined) => tile && changed.push(tile);
    switch (event.type) {
      case 'key-added':
      case 'key-updated':
        put(this.#fromKey(event.key));
        break;
      case 'key-removed': {
        const entry = this.#entries.get(event.keyPath);
        // The job may notice the key is gone before discovery does: then its tile already failed of it.
        const pulledMidJob = entry !== undefined && (RUNNING.has(entry.tile.state) || entry.tile.failure?.code === 'key-removed');
        if (entry && !entry.quarantined && pulledMidJob) {
          entry.keyGone = true;
          put(this.#update(entry, { state: 'failed', step: 'Key removed', touch: 'none', failure: KEY_PULLED_FAILURE }));
        } else if (this.forget(event.keyPath)) {
          removed.push(event.keyPath);
        }
        break;
      }
      case 'job-started': {
        const entry = this.#entries.get(event.keyPath);
        if (entry) {
          entry.orderId = event.orderId;
          const order = this.lookupOrder(event.orderId);
          put(
            this.#update(entry, {
              state: 'enrolling',
              step: 'Enrolling with Okta',
              progress: 0,
              startedAt: new Date().toISOString(),
              finishedAt: undefined,
              failure: undefined,
              order: { orderId: event.orderId, user: order?.user ?? event.orderId, ...(order?.displayName ? { displayName: order.displayName } : {}) },
            }),
          );
        }
        break;
      }
      case 'job-step': {
        const entry = this.#entries.get(event.keyPath);
        if (entry && !entry.quarantined && !entry.keyGone) put(this.#update(entry, { ...AFTER_STEP[event.step], progress: event.percent / 100 }));
        break;
      }
      case 'touch-needed': {
        const entry = this.#entries.get(event.keyPath);
        if (entry && !entry.quarantined && !entry.keyGone) put(this.#update(entry, { state: 'touch', step: event.jobId ? 'Touch the key now' : 'Touch the key now to reset it', touch: 'now' }));
        break;
      }
      case 'touch-queue':
        for (const entry of this.#entries.values()) {
          const touch = entry.tile.port === event.active ? (entry.tile.touch === 'now' ? 'now' : entry.tile.touch) : event.waiting.includes(entry.tile.port) ? 'waiting' : 'none';
          const wasTouching = entry.tile.state === 'touch' && entry.tile.port !== event.active;
          if (touch !== entry.tile.touch || wasTouching) {
            put(this.#update(entry, wasTouching ? { touch, state: 'creating-credential', step: 'Creating the credential' } : { touch }));
          }
        }
        break;
      case 'job-done': {
        const entry = this.#entries.get(event.keyPath);
        if (entry) put(this.#update(entry, { state: 'done', step: 'Done — remove key', progress: 1, touch: 'none', finishedAt: new Date().toISOString() }));
        break;
      }
      case 'job-awaiting-activation': {
        const entry = this.#entries.get(event.keyPath);
        if (entry && !entry.keyGone) {
          put(this.#update(entry, { state: 'awaiting-activation', step: 'Programmed — remove key; it activates on sync', progress: 1, touch: 'none', finishedAt: new Date().toISOString() }));
        }
        break;
      }
      case 'job-failed': {
        const entry = this.#entries.get(event.keyPath);
        if (!entry || entry.quarantined || entry.keyGone) break;
        const finishedAt = new Date().toISOString();
        if (event.error.code === 'untrusted-key') {
          // A key that may not be genuine is never offered another order.
          entry.quarantined = true;
          put(this.#update(entry, { state: 'quarantined', step: 'Not a genuine key — set it aside', touch: 'none', failure: failureOf(event.error), finishedAt }));
        } else {
          put(this.#update(entry, { state: 'failed', step: 'Failed', touch: 'none', failure: failureOf(event.error), finishedAt }));
        }
        break;
      }
      default:
        break;
    }
    return { changed, removed };
  }

  #fromKey(key: KeyView): KeyTile | undefined {
    let entry = this.#entries.get(key.path);
    // A new key in the port of a pulled one: the normal tile replaces the explanation.
    if (entry?.keyGone) {
      this.forget(key.path);
      entry = undefined;
    }
    if (!entry) {
      entry = {
        quarantined: false,
        tile: { port: key.path, label: this.label(key.path), kind: key.kind, state: 'checking', step: 'Checking the key', progress: 0, touch: 'none' },
      };
      this.#entries.set(key.path, entry);
    }
    if (entry.quarantined) return undefined;
    const identity = key.identity
      ? { model: key.identity.model, serial: key.identity.serial, serialSource: key.identity.serialSource }
      : {};
    switch (key.status) {
      case 'checking':
        return this.#update(entry, { ...identity, state: 'checking', step: 'Checking the key', progress: 0, failure: undefined, order: undefined });
      case 'ready':
        entry.orderId = undefined;
        return this.#update(entry, { ...identity, state: 'waiting-order', step: 'Ready — scan an order', progress: 0, failure: undefined, order: undefined, startedAt: undefined, finishedAt: undefined, touch: 'none' });
      case 'refused': {
        const failure = key.error ? failureOf(key.error) : undefined;
        const state: TileState = key.error?.code === 'key-not-fresh' || key.error?.code === 'reset-not-allowed' ? 'needs-reset' : 'not-supported';
        return this.#update(entry, { ...identity, state, step: state === 'needs-reset' ? 'Needs a reset' : 'Cannot be used', failure, touch: 'none' });
      }
      case 'resetting':
        return this.#update(entry, { ...identity, state: 'touch', step: 'Resetting — touch the key', failure: undefined });
      case 'busy':
      case 'done':
      case 'failed':
        return this.#update(entry, identity);
    }
  }

  #update(entry: Entry, patch: Partial<KeyTile>): KeyTile {
    const next = { ...entry.tile, ...patch } as KeyTile;
    for (const k of Object.keys(next) as (keyof KeyTile)[]) if (next[k] === undefined) delete next[k];
    entry.tile = next;
    return next;
  }
}
