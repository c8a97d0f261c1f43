// One simulated technician: sees the station's "touch key N" prompt, takes `touchMs` to notice it, reach
// the key and touch it, and has one hand — prompts that come while busy wait their turn, in order.
import { setTimeout as sleep } from 'node:timers/promises';
import type { StationEvent } from '../../core/station/engine.js';

export class Technician {
  readonly #touch: (keyPath: string) => Promise<void>;
  readonly #touchMs: number;
  readonly #prompts: string[] = [];
  #busy = false;
  #touches = 0;
  #failure: unknown;

  constructor(touch: (keyPath: string) => Promise<void>, touchMs: number) {
    this.#touch = touch;
    this.#touchMs = touchMs;
  }

  get touches(): number {
    return this.#touches;
  }

  /** Why a touch could not be given, if one failed (the bench reports it). */
  get failure(): unknown {
    return this.#failure;
  }

  /** Feed every station event here; only touch prompts matter to the technician. */
  observe(event: StationEvent): void {
    if (event.type !== 'touch-needed' || this.#prompts.includes(event.keyPath)) return;
    this.#prompts.push(event.keyPath);
    if (!this.#busy) void this.#work();
  }

  async #work(): Promise<void> {
    this.#busy = true;
    try {
      for (let keyPath = this.#prompts[0]; keyPath !== undefined; keyPath = this.#prompts[0]) {
        await sleep(this.#touchMs);
        this.#prompts.shift();
        await this.#touch(keyPath);
        this.#touches++;
      }
    } catch (error) {
      this.#failure ??= error;
    } finally {
      this.#busy = false;
    }
  }
}
