// How the station makes the random PIN it sets on a key and seals to Okta, and how that PIN is held in memory.
// The PIN is drawn uniformly from the policy's alphabet (rejection sampling: no modulo bias), is never one of the
// patterns people guess first, and lives in a PinSecret that cannot be printed, serialized or inspected.
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { PIN_MAX_BYTES, PIN_MIN_LENGTH } from '../wire/payloads.js';

/** The PIN request's policy (wire profile); `forceChangePin` is the pipeline's business, not the generator's. */
export interface PinPolicy {
  charset: 'numeric' | 'alphanumeric';
  length: number;
}

/** Returns `n` bytes from a CSPRNG. Tests pass a seeded source to make draws repeatable. */
export type RandomBytes = (n: number) => Uint8Array;

/**
 * The alphabets PINs are drawn from. The alphanumeric one leaves out 0 O o 1 I l: the station never shows the
 * PIN to the technician, but the key's owner copies it by eye from Okta's email or a printed letter, and those
 * six glyphs are the ones fonts make ambiguous. Sounds are not a concern (nobody reads the PIN aloud), so
 * letters that only sound alike stay. The cost is small: 5.81 instead of 5.95 bits per character.
 */
export const PIN_ALPHABETS: Readonly<Record<PinPolicy['charset'], string>> = {
  numeric: '0123456789',
  alphanumeric: '23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz',
};

export type PinErrorCode = 'policy' | 'too-long' | 'random-source' | 'wiped';

export class PinError extends Error {
  override readonly name = 'PinError';

  constructor(
    readonly code: PinErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Trivial PINs make up well under 1% of any alphabet, so this many misses means the random source is broken. */
const MAX_DRAWS = 64;

const systemRandom: RandomBytes = (n) => new Uint8Array(randomBytes(n));

/** The PIN length a key gets: the longest of the policy's length, the key's own minimum and CTAP's 4. */
export function pinLengthFor(policy: PinPolicy, keyMinPinLength: number): number {
  if (!Number.isSafeInteger(policy.length) || policy.length < 0) {
    throw new PinError('policy', 'The PIN policy length is not a whole number; re-open the PIN request from Okta.');
  }
  if (!Number.isSafeInteger(keyMinPinLength) || keyMinPinLength < 0) {
    throw new PinError('policy', "The key reported a minimum PIN length that is not a whole number; unplug the key and check it again.");
  }
  const length = Math.max(policy.length, keyMinPinLength, PIN_MIN_LENGTH);
  if (length > PIN_MAX_BYTES) {
    throw new PinError(
      'too-long',
      `The PIN would need ${length} characters (policy ${policy.length}, key minimum ${keyMinPinLength}) but CTAP allows at most ${PIN_MAX_BYTES}; lower the PIN length in the Okta policy or use another key model.`,
    );
  }
  return length;
}

/** A fresh random PIN for one key: uniform over the policy's alphabet, of `pinLengthFor` characters, never trivial. */
export function generatePin(policy: PinPolicy, keyMinPinLength: number, random: RandomBytes = systemRandom): string {
  const length = pinLengthFor(policy, keyMinPinLength);
  if (!Object.hasOwn(PIN_ALPHABETS, policy.charset)) {
    throw new PinError('policy', 'The PIN policy names a character set other than numeric or alphanumeric; update keybench.');
  }
  const alphabet = PIN_ALPHABETS[policy.charset];
  for (let draw = 0; draw < MAX_DRAWS; draw++) {
    const pin = drawUniform(alphabet, length, random);
    if (!isTrivialPin(pin)) return pin;
  }
  throw new PinError('random-source', 'The random source keeps producing guessable PINs, so it is broken; restart keybench and report this.');
}

/** Rejection sampling: bytes at or above the largest multiple of the alphabet size are thrown away, not folded. */
function drawUniform(alphabet: string, length: number, random: RandomBytes): string {
  const limit = 256 - (256 % alphabet.length);
  let pin = '';
  for (let round = 0; pin.length < length; round++) {
    if (round === MAX_DRAWS) throw new PinError('random-source', 'The random source returns almost only unusable bytes, so it is broken; restart keybench and report this.');
    const wanted = length - pin.length;
    const bytes = random(wanted);
    if (!(bytes instanceof Uint8Array) || bytes.length !== wanted) {
      throw new PinError('random-source', 'The random source returned the wrong number of bytes; restart keybench and report this.');
    }
    for (const byte of bytes) {
      if (byte < limit) pin += alphabet[byte % alphabet.length];
    }
  }
  return pin;
}

/** PINs people try first; compared lower-cased. Runs, repeats and years are caught by rule, not listed here. */
const BLOCKLIST = new Set([
  '2580', '0852', '1470', '0741', '3690', '0963', '1379', '1397', '7913', '1004', '6969',
  '112233', '123321', '147258', '159357', '159753', '789456', '147258369',
  'abc123', 'a1b2c3', 'asdf', 'zxcv', 'qwer', 'admin', 'letmein', 'changeme', 'iloveyou', 'passw0rd',
]);

/** Words and keyboard rows that make a PIN guessable wherever they appear in it. */
const GUESSABLE_PARTS = ['password', 'qwerty', 'qwertz', 'azerty', 'asdfgh', 'zxcvbn', '1q2w3e'];

/**
 * Whether a PIN is one a person would guess: shorter than CTAP's minimum, one character over and over, a run
 * with a constant step (0123, 9876, 1357 — digits wrap, so 7890 counts), a repeated pattern (1212, 123123),
 * a 4-digit year 19xx/20xx, a common PIN or keyboard row. YubiKey 5.7's PIN complexity rejects the same kinds.
 */
export function isTrivialPin(pin: string): boolean {
  const lower = pin.toLowerCase();
  return (
    [...pin].length < PIN_MIN_LENGTH ||
    repeatsAPattern(lower) ||
    isDigitRun(lower) ||
    isLetterRun(lower) ||
    /^(19|20)\d\d$/.test(lower) ||
    BLOCKLIST.has(lower) ||
    GUESSABLE_PARTS.some((part) => lower.includes(part))
  );
}

/** True when the PIN is a prefix of length p repeated (the last copy may be cut short); p = 1 is "all the same". */
function repeatsAPattern(pin: string): boolean {
  for (let period = 1; period <= pin.length / 2; period++) {
    let repeats = true;
    for (let i = period; i < pin.length && repeats; i++) repeats = pin[i] === pin[i - period];
    if (repeats) return true;
  }
  return false;
}

function isDigitRun(pin: string): boolean {
  if (!/^\d+$/.test(pin)) return false;
  const step = (Number(pin[1]) - Number(pin[0]) + 10) % 10;
  for (let i = 2; i < pin.length; i++) {
    if ((Number(pin[i]) - Number(pin[i - 1]) + 10) % 10 !== step) return false;
  }
  return true;
}

function isLetterRun(pin: string): boolean {
  if (!/^[a-z]+$/.test(pin)) return false;
  const step = pin.charCodeAt(1) - pin.charCodeAt(0);
  if (Math.abs(step) !== 1) return false;
  for (let i = 2; i < pin.length; i++) {
    if (pin.charCodeAt(i) - pin.charCodeAt(i - 1) !== step) return false;
  }
  return true;
}

const REDACTED = '[PIN redacted]';

/**
 * A PIN in memory. The only copy this code controls is a byte array in a private field, handed out as a string
 * just for the duration of `use`; `wipe()` zeroes it. Every way of turning the object into text — String(),
 * template literals, JSON.stringify, util.inspect and so console.log of any object holding it — yields
 * '[PIN redacted]'. (JavaScript strings cannot be zeroed, so callers keep the string from `use` short-lived.)
 */
export class PinSecret {
  readonly #bytes: Uint8Array;
  #wiped = false;

  /** A Uint8Array is taken over, not copied, so `wipe()` zeroes the caller's bytes too. */
  constructor(pin: string | Uint8Array) {
    this.#bytes = typeof pin === 'string' ? new TextEncoder().encode(pin) : pin;
  }

  static generate(policy: PinPolicy, keyMinPinLength: number, random?: RandomBytes): PinSecret {
    return new PinSecret(generatePin(policy, keyMinPinLength, random));
  }

  get wiped(): boolean {
    return this.#wiped;
  }

  use<T>(fn: (pin: string) => T): T {
    if (this.#wiped) {
      throw new PinError('wiped', 'This PIN was already wiped from memory after it was used; generate a new PIN for the key.');
    }
    return fn(new TextDecoder().decode(this.#bytes));
  }

  wipe(): void {
    this.#bytes.fill(0);
    this.#wiped = true;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
