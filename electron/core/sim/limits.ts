// Okta's two kinds of 429 (okta-prereg.md §9): a per-minute request budget whose window resets at a
// known epoch second, and a concurrency ceiling whose 429 shows Limit and Remaining as 0.

export interface RateWindow {
  readonly limit: number;
  readonly remaining: number;
  /** UTC epoch seconds when the window resets. */
  readonly resetEpochSeconds: number;
}

export class RequestBudget {
  private windowStart = 0;
  private used = 0;

  constructor(
    readonly perMinute: number,
    private readonly now: () => number,
  ) {}

  /** Spends one request if the window has room; otherwise reports the window without spending. */
  take(): { allowed: boolean; window: RateWindow } {
    this.roll();
    const allowed = this.used < this.perMinute;
    if (allowed) this.used += 1;
    return { allowed, window: this.current() };
  }

  current(): RateWindow {
    this.roll();
    return {
      limit: this.perMinute,
      remaining: Math.max(0, this.perMinute - this.used),
      resetEpochSeconds: Math.ceil((this.windowStart + 60_000) / 1000),
    };
  }

  private roll(): void {
    const now = this.now();
    if (now >= this.windowStart + 60_000) {
      this.windowStart = now;
      this.used = 0;
    }
  }
}

export class ConcurrencyGate {
  private inFlight = 0;

  constructor(readonly max: number) {}

  tryEnter(): boolean {
    if (this.inFlight >= this.max) return false;
    this.inFlight += 1;
    return true;
  }

  leave(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
  }
}
