// One limiter per Okta org, shared by every key being provisioned in parallel: Okta's rate limits are per
// org (and per app), so one key hitting a limit must hold all of them. It caps concurrent requests and,
// when Okta reports the window exhausted (Remaining 0 or a 429), holds everyone until the window resets.
import { OktaError } from './errors.js';

export interface RateLimiterOptions {
  /** Requests in flight at once (default 4; a bench needs far fewer than Okta's concurrency limit). */
  readonly concurrency?: number;
  /** Random extra wait after a reset, so held requests do not all fire in the same millisecond. */
  readonly jitterMs?: number;
  /** Upper bound on one hold, in case a Reset header is bogus. */
  readonly maxHoldMs?: number;
  readonly now?: () => number;
  readonly random?: () => number;
}

export interface RateLimitHeaders {
  readonly limit: number | undefined;
  readonly remaining: number | undefined;
  /** Local epoch ms at which the window resets, corrected for clock skew with the Date header. */
  readonly resetAtMs: number | undefined;
}

const DEFAULT_CONCURRENCY = 4;
const DEFAULT_JITTER_MS = 500;
const DEFAULT_MAX_HOLD_MS = 5 * 60_000;

const registry = new Map<string, RateLimiter>();

export class RateLimiter {
  /** The limiter shared by every client of this org in this process. */
  static forOrg(origin: string): RateLimiter {
    let limiter = registry.get(origin);
    if (!limiter) {
      limiter = new RateLimiter();
      registry.set(origin, limiter);
    }
    return limiter;
  }

  readonly concurrency: number;
  readonly #jitterMs: number;
  readonly #maxHoldMs: number;
  readonly #now: () => number;
  readonly #random: () => number;
  #active = 0;
  #heldUntil = 0;
  readonly #waiters: Array<() => void> = [];

  constructor(options: RateLimiterOptions = {}) {
    const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new OktaError({ code: 'config', summary: `Invalid concurrency ${concurrency}`, hint: 'Use a whole number of at least 1.', retryable: false });
    }
    this.concurrency = concurrency;
    this.#jitterMs = options.jitterMs ?? DEFAULT_JITTER_MS;
    this.#maxHoldMs = options.maxHoldMs ?? DEFAULT_MAX_HOLD_MS;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
  }

  /** Requests currently holding a slot. */
  get active(): number {
    return this.#active;
  }

  /** How long a request starting now would wait for the rate-limit window (0 when not held). */
  holdRemainingMs(): number {
    return Math.max(0, this.#heldUntil - this.#now());
  }

  /** Holds every request until `untilMs` (never shortens an existing hold); returns the hold length. */
  holdUntil(untilMs: number): number {
    const capped = Math.min(untilMs, this.#now() + this.#maxHoldMs);
    this.#heldUntil = Math.max(this.#heldUntil, capped);
    return this.holdRemainingMs();
  }

  /** Reads X-Rate-Limit-*; holds everyone when the window is used up. */
  observe(headers: Headers): RateLimitHeaders {
    const info = readRateLimitHeaders(headers, this.#now());
    if (info.remaining === 0 && info.resetAtMs !== undefined) this.holdUntil(info.resetAtMs);
    return info;
  }

  /**
   * Waits for a free slot, then for any hold to pass (with jitter); resolves with the release function.
   * Slots are handed over in arrival order.
   */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.#active < this.concurrency) {
      this.#active++;
    } else {
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          const index = this.#waiters.indexOf(grant);
          if (index >= 0) this.#waiters.splice(index, 1);
          reject(signal?.reason);
        };
        const grant = (): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        if (signal?.aborted) return reject(signal.reason);
        signal?.addEventListener('abort', onAbort, { once: true });
        this.#waiters.push(grant);
      });
    }
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.#handOver();
    };
    try {
      await this.#waitOutHold(signal);
    } catch (error) {
      release();
      throw error;
    }
    return release;
  }

  async #waitOutHold(signal?: AbortSignal): Promise<void> {
    for (let held = this.holdRemainingMs(); held > 0; held = this.holdRemainingMs()) {
      await sleep(held + Math.floor(this.#random() * this.#jitterMs), signal);
    }
  }

  #handOver(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#active--;
  }
}

/** Parses Okta's rate-limit headers. A duplicated header (comma-joined) is treated as absent. */
export function readRateLimitHeaders(headers: Headers, nowMs: number): RateLimitHeaders {
  const reset = readInt(headers.get('x-rate-limit-reset'));
  const serverDate = Date.parse(headers.get('date') ?? '');
  const skew = Number.isNaN(serverDate) ? 0 : nowMs - serverDate;
  return {
    limit: readInt(headers.get('x-rate-limit-limit')),
    remaining: readInt(headers.get('x-rate-limit-remaining')),
    resetAtMs: reset === undefined ? undefined : reset * 1000 + skew,
  };
}

function readInt(value: string | null): number | undefined {
  if (value === null || !/^\s*\d+\s*$/.test(value)) return undefined;
  return Number(value);
}

/** setTimeout as a promise that rejects with the signal's reason when aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
