// Count and ETA of a batch flushing through Okta's rate limiter. The ETA comes from the pace observed so
// far (time per finished item, concurrency and rate-limit waits included), not from a guess per call.

export class ProgressEta {
  readonly #started: number;
  readonly #now: () => number;
  #done = 0;
  #remaining: number;

  constructor(total: number, now: () => number = Date.now) {
    this.#remaining = total;
    this.#now = now;
    this.#started = now();
  }

  /** One item finished, whatever its outcome. */
  complete(): void {
    if (this.#remaining === 0) return;
    this.#done += 1;
    this.#remaining -= 1;
  }

  get done(): number {
    return this.#done;
  }

  get remaining(): number {
    return this.#remaining;
  }

  /** Milliseconds per finished item so far; undefined before the first one. */
  msPerItem(): number | undefined {
    return this.#done === 0 ? undefined : (this.#now() - this.#started) / this.#done;
  }

  /** Milliseconds until the rest is done at the pace so far; undefined before the first item. */
  etaMs(): number | undefined {
    const pace = this.msPerItem();
    return pace === undefined ? undefined : Math.round(pace * this.#remaining);
  }
}
