// The virtual key's touch sensor. In `auto` mode a touch arrives by itself after a delay; in `manual`
// mode only `touch()` satisfies a wait, until the timeout. A touch shortly before the key starts
// waiting still counts, as a technician often touches a key as soon as it blinks.
import type { Clock, TimerHandle } from './environment.js';
import type { UserPresenceMode } from './options.js';

export type PresenceResult = 'present' | 'timeout' | 'cancelled';

export class UserPresence {
  private lastTouchAt: number | undefined;
  private waiter: (() => void) | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly mode: UserPresenceMode,
    private readonly earlyTouchMs: number,
  ) {}

  get waiting(): boolean {
    return this.waiter !== undefined;
  }

  touch(): void {
    if (this.waiter) this.waiter();
    else this.lastTouchAt = this.clock.now();
  }

  /** Forgets an early touch (power loss). */
  clear(): void {
    this.lastTouchAt = undefined;
  }

  wait(signal: AbortSignal): Promise<PresenceResult> {
    if (signal.aborted) return Promise.resolve('cancelled');
    const early = this.lastTouchAt;
    this.lastTouchAt = undefined;
    if (early !== undefined && this.clock.now() - early <= this.earlyTouchMs) return Promise.resolve('present');
    return new Promise((resolve) => {
      const finish = (result: PresenceResult) => {
        this.clock.clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.waiter = undefined;
        resolve(result);
      };
      const onAbort = () => finish('cancelled');
      this.waiter = () => finish('present');
      signal.addEventListener('abort', onAbort, { once: true });
      const timer: TimerHandle =
        this.mode.mode === 'auto'
          ? this.clock.setTimeout(() => finish('present'), this.mode.delayMs)
          : this.clock.setTimeout(() => finish('timeout'), this.mode.timeoutMs);
    });
  }
}
