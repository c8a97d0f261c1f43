// Hotplug by polling: enumerates every backend on an interval and reports keys that appear and disappear.
// Identity is the port path, not the serial: two keys of one model may share a serial or have none, and a
// key moved to another port is a new key for the bench.
import type { HidBackend, HidDescriptor, HidKind } from './device.js';

export interface DiscoveryEvents {
  added: [descriptor: HidDescriptor];
  removed: [descriptor: HidDescriptor];
  /** An enumeration failed; reported once per run of failures, not on every tick. */
  error: [backendKind: HidKind, message: string];
}

export type DiscoveryListener<E extends keyof DiscoveryEvents> = (...args: DiscoveryEvents[E]) => void;

type Listeners = { [E in keyof DiscoveryEvents]: Set<DiscoveryListener<E>> };

export const DEFAULT_POLL_INTERVAL_MS = 750;

export class KeyDiscovery {
  /** Keyed by backend kind and path, so a virtual key and a USB key can never be confused. */
  private readonly known = new Map<string, { readonly backend: HidBackend; readonly descriptor: HidDescriptor }>();
  private readonly failing = new Set<HidBackend>();
  private readonly listeners: Listeners = { added: new Set(), removed: new Set(), error: new Set() };
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<void> | undefined;
  private followUp: Promise<void> | undefined;

  constructor(private readonly backends: readonly HidBackend[]) {}

  /** Polls now and then every `intervalMs`; a tick that finds the previous poll still running is skipped. */
  start(intervalMs = DEFAULT_POLL_INTERVAL_MS): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (!this.running) void this.rescan();
    }, intervalMs);
    void this.rescan();
  }

  /** Stops polling; a poll already under way still reports what it finds. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  current(): HidDescriptor[] {
    return [...this.known.values()].map((entry) => entry.descriptor);
  }

  /** Polls now. While a poll runs, one more is queued after it (so a key plugged just now is seen), never run beside it. */
  rescan(): Promise<void> {
    if (!this.running) {
      this.running = this.poll().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    this.followUp ??= this.running.then(() => {
      this.followUp = undefined;
      return this.rescan();
    });
    return this.followUp;
  }

  on<E extends keyof DiscoveryEvents>(event: E, listener: DiscoveryListener<E>): () => void {
    this.listeners[event].add(listener);
    return () => this.off(event, listener);
  }

  off<E extends keyof DiscoveryEvents>(event: E, listener: DiscoveryListener<E>): void {
    this.listeners[event].delete(listener);
  }

  private async poll(): Promise<void> {
    const results = await Promise.allSettled(this.backends.map((backend) => backend.enumerate()));
    results.forEach((result, index) => {
      const backend = this.backends[index]!;
      if (result.status === 'rejected') this.reportFailure(backend, result.reason);
      else {
        this.failing.delete(backend);
        this.update(backend, result.value);
      }
    });
  }

  private update(backend: HidBackend, found: readonly HidDescriptor[]): void {
    const now = new Map(found.map((descriptor) => [identity(backend.kind, descriptor.path), descriptor]));
    const removed: HidDescriptor[] = [];
    const added: HidDescriptor[] = [];
    for (const [key, entry] of this.known) {
      if (entry.backend !== backend) continue;
      const seen = now.get(key);
      // Same port, different key (a quick swap between two polls): the old one left, a new one arrived.
      if (!seen || !sameKey(seen, entry.descriptor)) {
        this.known.delete(key);
        removed.push(entry.descriptor);
      }
    }
    for (const [key, descriptor] of now) {
      if (this.known.has(key)) continue;
      this.known.set(key, { backend, descriptor });
      added.push(descriptor);
    }
    for (const descriptor of removed) this.emit('removed', descriptor);
    for (const descriptor of added) this.emit('added', descriptor);
  }

  private reportFailure(backend: HidBackend, reason: unknown): void {
    // Keys already listed stay listed: one failed enumeration does not mean they were unplugged.
    if (this.failing.has(backend)) return;
    this.failing.add(backend);
    this.emit('error', backend.kind, reason instanceof Error ? reason.message : String(reason));
  }

  private emit<E extends keyof DiscoveryEvents>(event: E, ...args: DiscoveryEvents[E]): void {
    const listeners: Set<DiscoveryListener<E>> = this.listeners[event];
    for (const listener of [...listeners]) listener(...args);
  }
}

function identity(kind: HidKind, path: string): string {
  return `${kind}\u0000${path}`;
}

function sameKey(a: HidDescriptor, b: HidDescriptor): boolean {
  return a.vendorId === b.vendorId && a.productId === b.productId && a.serialNumber === b.serialNumber && a.product === b.product;
}
