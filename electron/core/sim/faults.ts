// Injected failures: 5xx answers and dropped connections, either by probability (drawn from the seeded
// source, so a run repeats) or scripted as "the next N calls of endpoint X".
import type { RandomSource } from './random.js';
import type { Endpoint } from './endpoints.js';

/** `before`: the call has no effect; `after`: the effect happened but the caller never hears of it. */
export type DropPhase = 'before' | 'after';

export interface FaultOptions {
  /** Probability in [0, 1] that any API call answers 5xx. */
  readonly errorRate?: number;
  /** Status used for probabilistic errors (default 500). */
  readonly errorStatus?: number;
  /** Probability in [0, 1] that any API call has its connection destroyed. */
  readonly dropRate?: number;
  readonly dropPhase?: DropPhase;
  readonly failNext?: readonly { endpoint: Endpoint; count: number; status?: number }[];
  readonly dropNext?: readonly { endpoint: Endpoint; count: number; phase?: DropPhase }[];
}

/** Tenant misconfigurations for the preflight (`keybench doctor`) to detect; each one fails a check. */
export interface PreflightFaults {
  /** Every preregistration endpoint answers as on an org without the feature: 401 E0000015. */
  readonly preregistrationDisabled?: boolean;
  /** The token endpoint grants only these of the requested scopes and lists just them in `scope`. */
  readonly grantedScopes?: readonly string[];
  /** Shifts the `Date` header of every answer; positive means Okta's clock is ahead of the station's. */
  readonly clockSkewMs?: number;
}

export type FaultDecision =
  | { readonly kind: 'none' }
  | { readonly kind: 'error'; readonly status: number }
  | { readonly kind: 'drop'; readonly phase: DropPhase };

interface Scripted<T> {
  remaining: number;
  readonly value: T;
}

export class FaultInjector {
  private readonly errors = new Map<Endpoint, Scripted<number>[]>();
  private readonly drops = new Map<Endpoint, Scripted<DropPhase>[]>();

  constructor(
    private readonly options: FaultOptions,
    private readonly rng: RandomSource,
  ) {
    for (const f of options.failNext ?? []) this.failNext(f.endpoint, f.count, f.status);
    for (const d of options.dropNext ?? []) this.dropNext(d.endpoint, d.count, d.phase);
  }

  /** The next `count` calls of `endpoint` answer `status` (default 500). */
  failNext(endpoint: Endpoint, count: number, status = 500): void {
    if (status < 500 || status > 599) throw new RangeError(`Injected errors must be 5xx, got ${status}.`);
    push(this.errors, endpoint, { remaining: count, value: status });
  }

  /** The next `count` calls of `endpoint` have their connection destroyed. */
  dropNext(endpoint: Endpoint, count: number, phase: DropPhase = 'before'): void {
    push(this.drops, endpoint, { remaining: count, value: phase });
  }

  decide(endpoint: Endpoint): FaultDecision {
    const drop = consume(this.drops, endpoint);
    if (drop !== undefined) return { kind: 'drop', phase: drop };
    const status = consume(this.errors, endpoint);
    if (status !== undefined) return { kind: 'error', status };
    // Both draws happen on every call so that one knob does not shift the other's sequence.
    const dropDraw = this.rng.float();
    const errorDraw = this.rng.float();
    if (dropDraw < (this.options.dropRate ?? 0)) return { kind: 'drop', phase: this.options.dropPhase ?? 'before' };
    if (errorDraw < (this.options.errorRate ?? 0)) return { kind: 'error', status: this.options.errorStatus ?? 500 };
    return { kind: 'none' };
  }
}

function push<T>(map: Map<Endpoint, Scripted<T>[]>, endpoint: Endpoint, entry: Scripted<T>): void {
  if (!Number.isInteger(entry.remaining) || entry.remaining < 1) return;
  const list = map.get(endpoint) ?? [];
  list.push(entry);
  map.set(endpoint, list);
}

function consume<T>(map: Map<Endpoint, Scripted<T>[]>, endpoint: Endpoint): T | undefined {
  const head = map.get(endpoint)?.[0];
  if (head === undefined) return undefined;
  head.remaining -= 1;
  if (head.remaining === 0) map.get(endpoint)?.shift();
  return head.value;
}
