// Checks shared by the fault tests (yank, CTAP errors): which PINs the station generated, and whether any
// of them — or anything named like a PIN or token — reached the journal.
import { generatePin, type RandomBytes } from '../../electron/core/station/pin-policy.js';
import type { Journal } from '../../electron/core/station/journal.js';
import { randomBytes } from 'node:crypto';

/**
 * The station's PIN randomness, recorded. PIN generation is synchronous, so the draws of one tick belong to
 * one PIN: replaying a tick's bytes through generatePin gives that PIN back.
 */
export class RecordingRandom {
  readonly #ticks: Uint8Array[][] = [];
  #current: Uint8Array[] | undefined;

  readonly random: RandomBytes = (n) => {
    const bytes = new Uint8Array(randomBytes(n));
    if (!this.#current) {
      const tick: Uint8Array[] = [];
      this.#current = tick;
      this.#ticks.push(tick);
      queueMicrotask(() => {
        this.#current = undefined;
      });
    }
    this.#current.push(bytes);
    return bytes;
  };

  /** Every PIN generated so far, given the policy of the PIN requests and the key's minimum length. */
  pins(policy: { charset: 'numeric' | 'alphanumeric'; length: number }, keyMinPinLength: number): string[] {
    return this.#ticks.map((draws) => {
      let next = 0;
      return generatePin(policy, keyMinPinLength, () => draws[next++]!);
    });
  }
}

/** The PIN policy and key minimum a job's PINs were generated under, if it got that far. */
export function pinPolicyOf(journal: Journal, jobId: string): { policy: { charset: 'numeric' | 'alphanumeric'; length: number }; keyMin: number } | undefined {
  const steps = journal.steps(jobId);
  const opened = steps.find((s) => s.name === 'requests-opened');
  const checked = steps.find((s) => s.name === 'key-checked');
  if (opened?.name !== 'requests-opened') return undefined;
  return { policy: opened.data.pinPolicy, keyMin: (checked?.name === 'key-checked' ? checked.data.minPinLength : undefined) ?? 4 };
}

/** Everything the journal holds about these jobs (rows, steps, failed attempts) as one text. */
export function journalText(journal: Journal, jobIds: readonly string[]): string {
  return JSON.stringify(jobIds.map((id) => ({ job: journal.job(id), steps: journal.steps(id), attempts: journal.attempts(id) })));
}

/** Property names in the journal that would hold a secret: a PIN or any token. */
export function secretFieldNames(journal: Journal, jobIds: readonly string[]): string[] {
  const found: string[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value !== null && typeof value === 'object') {
      for (const [name, inner] of Object.entries(value)) {
        if (/^pin$|token/i.test(name)) found.push(name);
        visit(inner);
      }
    }
  };
  visit(JSON.parse(journalText(journal, jobIds)));
  return found;
}
