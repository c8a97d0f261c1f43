// Time and randomness of a virtual key, injectable so tests can move the clock (reset window, early
// touches) and replay a run byte for byte (faults, credential ids, keys) from a seed.
import { createHash } from 'node:crypto';
import type { Random } from '../ctap/pin-protocol.js';

export type TimerHandle = ReturnType<typeof setTimeout>;

export interface Clock {
  /** Milliseconds on a monotonic-enough scale; only differences matter. */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle),
};

/**
 * A deterministic byte source: SHA-256 over (seed, counter) blocks. Good enough for a key whose secrets
 * live in the station's memory anyway; never used for anything that leaves the machine as a secret.
 */
export function seededRandom(seed: number | string): Random {
  const seedBytes = new TextEncoder().encode(`keybench-virtual-key:${seed}`);
  let counter = 0;
  let pool = new Uint8Array(0);
  return (length: number) => {
    const out = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      if (pool.length === 0) {
        const block = new Uint8Array(4);
        new DataView(block.buffer).setUint32(0, counter++);
        pool = new Uint8Array(createHash('sha256').update(seedBytes).update(block).digest());
      }
      const n = Math.min(pool.length, length - filled);
      out.set(pool.subarray(0, n), filled);
      pool = pool.subarray(n);
      filled += n;
    }
    return out;
  };
}

/** A number in [0, 1) drawn from a byte source. */
export function unitInterval(random: Random): number {
  const bytes = random(4);
  return new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0) / 0x1_0000_0000;
}

/** Waits `ms` on the clock; resolves false instead if `signal` aborts first. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = () => {
      clock.clearTimeout(timer);
      resolve(false);
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
