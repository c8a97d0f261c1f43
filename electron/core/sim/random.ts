// Randomness for the simulator. With a seed every id, challenge and fault decision repeats run after run,
// so a benchmark or a failing test can be replayed exactly; without one it comes from the OS CSPRNG.
import { createHash, randomBytes } from 'node:crypto';

export interface RandomSource {
  bytes(length: number): Uint8Array;
  /** Uniform in [0, 1). */
  float(): number;
}

export function cryptoRandom(): RandomSource {
  return {
    bytes: (length) => new Uint8Array(randomBytes(length)),
    float: () => randomBytes(4).readUInt32BE(0) / 2 ** 32,
  };
}

/** SHA-256 in counter mode over the seed: deterministic, and distinct streams for distinct labels. */
export function seededRandom(seed: string, label = ''): RandomSource {
  let counter = 0;
  let pool = new Uint8Array(0);
  const take = (length: number): Uint8Array => {
    while (pool.length < length) {
      const block = createHash('sha256').update(`${label}\u0000${seed}\u0000${counter++}`).digest();
      const merged = new Uint8Array(pool.length + block.length);
      merged.set(pool);
      merged.set(block, pool.length);
      pool = merged;
    }
    const out = pool.slice(0, length);
    pool = pool.slice(length);
    return out;
  };
  return {
    bytes: take,
    float: () => new DataView(take(4).buffer).getUint32(0) / 2 ** 32,
  };
}

const ALPHANUMERIC = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Okta-style id: a fixed prefix (`00u`, `fwf`, `oae`…) padded with base62 characters to `length`. */
export function randomId(rng: RandomSource, prefix: string, length = 20, alphabet = ALPHANUMERIC): string {
  let id = prefix;
  // Rejection sampling keeps every character equally likely.
  const limit = 256 - (256 % alphabet.length);
  while (id.length < length) {
    for (const byte of rng.bytes(length - id.length)) {
      if (byte < limit && id.length < length) id += alphabet[byte % alphabet.length];
    }
  }
  return id;
}

export const LOWER_ALPHANUMERIC = '0123456789abcdefghijklmnopqrstuvwxyz';
