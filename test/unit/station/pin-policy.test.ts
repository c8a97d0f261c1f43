// The PIN a key gets must be unguessable (uniform, never a pattern), fit both Okta's policy and the key's own
// minimum, and never leak from memory into a log, a JSON file or a console line.
import { format, inspect } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  PIN_ALPHABETS,
  PinError,
  PinSecret,
  generatePin,
  isTrivialPin,
  pinLengthFor,
  type PinPolicy,
  type RandomBytes,
} from '../../../electron/core/station/pin-policy.js';
import { seededRandom } from '../../../electron/core/sim/random.js';
import { pinMeetsPolicy } from '../../../electron/core/wire/payloads.js';

const NUMERIC_8: PinPolicy = { charset: 'numeric', length: 8 };
const ALPHA_8: PinPolicy = { charset: 'alphanumeric', length: 8 };

function seeded(label: string): RandomBytes {
  const rng = seededRandom('pin-policy-test', label);
  return (n) => rng.bytes(n);
}

/** Pearson's statistic of observed counts against a uniform expectation. */
function chiSquare(counts: number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
}

/** Counts, per position, how often each alphabet character appears over `draws` PINs. */
function positionCounts(draw: () => string, alphabet: string, length: number, draws: number): number[][] {
  const counts = Array.from({ length }, () => new Array<number>(alphabet.length).fill(0));
  for (let i = 0; i < draws; i++) {
    const pin = draw();
    for (let p = 0; p < length; p++) {
      const row = counts[p];
      const index = alphabet.indexOf(pin[p] ?? '');
      if (row === undefined || index === -1) throw new Error(`unexpected character at position ${p}`);
      row[index] = (row[index] ?? 0) + 1;
    }
  }
  return counts;
}

// Loose bounds far above the p = 0.001 critical values (27.9 for 9 degrees of freedom, 93.2 for 55), so a
// correct generator never trips them, while the modulo-biased generator below lands in the hundreds.
const BOUND = { numeric: 40, alphanumeric: 115 };

describe('generatePin: uniform', () => {
  it.each([
    ['numeric', NUMERIC_8],
    ['alphanumeric', ALPHA_8],
  ] as const)('every position of a %s PIN is uniform over 20,000 seeded draws', (charset, policy) => {
    const random = seeded(charset);
    const alphabet = PIN_ALPHABETS[charset];
    const counts = positionCounts(() => generatePin(policy, 4, random), alphabet, 8, 20_000);
    for (const row of counts) {
      expect(row.every((c) => c > 0)).toBe(true);
      expect(chiSquare(row)).toBeLessThan(BOUND[charset]);
    }
  });

  it('the same bound catches a generator that folds bytes with % (modulo bias)', () => {
    const rng = seededRandom('pin-policy-test', 'biased');
    const alphabet = PIN_ALPHABETS.alphanumeric;
    const biased = () => [...rng.bytes(8)].map((b) => alphabet[b % alphabet.length]).join('');
    const counts = positionCounts(biased, alphabet, 8, 20_000);
    expect(chiSquare(counts[0] ?? [])).toBeGreaterThan(BOUND.alphanumeric);
  });

  it('throws away bytes at or above the largest multiple of the alphabet size instead of folding them', () => {
    // 250..255 would fold to 0..5 with %; rejection sampling must skip them and use the next bytes.
    const queue = [250, 251, 252, 253, 254, 255, 3, 8, 4, 1, 7, 2, 9, 5];
    const random: RandomBytes = (n) => Uint8Array.from(queue.splice(0, n));
    expect(generatePin({ charset: 'numeric', length: 8 }, 4, random)).toBe('38417295');
  });

  it('uses only the policy alphabet, which passes the wire profile check', () => {
    const random = seeded('policy-check');
    for (let i = 0; i < 200; i++) {
      const numeric = generatePin(NUMERIC_8, 4, random);
      const alpha = generatePin(ALPHA_8, 4, random);
      expect(numeric).toMatch(/^[0-9]{8}$/);
      expect(pinMeetsPolicy(numeric, { ...NUMERIC_8, forceChangePin: true })).toBe(true);
      expect(pinMeetsPolicy(alpha, { ...ALPHA_8, forceChangePin: true })).toBe(true);
    }
  });

  it('leaves the look-alike glyphs 0 O o 1 I l out of alphanumeric PINs', () => {
    expect(PIN_ALPHABETS.alphanumeric).not.toMatch(/[0Oo1Il]/);
    expect(new Set(PIN_ALPHABETS.alphanumeric).size).toBe(56);
    const random = seeded('lookalikes');
    for (let i = 0; i < 500; i++) expect(generatePin(ALPHA_8, 4, random)).not.toMatch(/[0Oo1Il]/);
  });

  it('uses the system CSPRNG by default: two PINs differ', () => {
    expect(generatePin(NUMERIC_8, 4)).not.toBe(generatePin(NUMERIC_8, 4));
  });
});

describe('generatePin: length', () => {
  it.each([
    [{ charset: 'numeric', length: 6 }, 4, 6],
    [{ charset: 'numeric', length: 6 }, 8, 8],
    [{ charset: 'numeric', length: 0 }, 0, 4],
    [{ charset: 'alphanumeric', length: 3 }, 2, 4],
    [{ charset: 'alphanumeric', length: 63 }, 4, 63],
  ] as const)('policy %j with a key minimum of %i gives %i characters', (policy, keyMin, expected) => {
    expect(pinLengthFor(policy, keyMin)).toBe(expected);
    expect(generatePin(policy, keyMin, seeded(`len-${expected}`))).toHaveLength(expected);
  });

  it('refuses a length CTAP cannot carry (more than 63 bytes), naming both sources', () => {
    const error = (() => {
      try {
        generatePin({ charset: 'numeric', length: 8 }, 64);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(PinError);
    expect(error).toMatchObject({ code: 'too-long' });
    expect((error as PinError).message).toMatch(/64 characters.*policy 8.*key minimum 64.*at most 63/);
  });

  it('refuses a policy length or key minimum that is not a whole number', () => {
    expect(() => generatePin({ charset: 'numeric', length: 7.5 }, 4)).toThrow(PinError);
    expect(() => generatePin(NUMERIC_8, Number.NaN)).toThrow(PinError);
    expect(() => generatePin(NUMERIC_8, -1)).toThrow(PinError);
  });

  it('refuses an unknown charset rather than guessing', () => {
    const policy = JSON.parse('{"charset":"emoji","length":8}') as PinPolicy;
    expect(() => generatePin(policy, 4)).toThrow(/numeric or alphanumeric/);
  });
});

describe('generatePin: never trivial, never stuck', () => {
  it('skips a trivial draw and returns the next one', () => {
    const queue = [...'1111', ...'1234', ...'2019', ...'7305'].map(Number);
    const random: RandomBytes = (n) => Uint8Array.from(queue.splice(0, n));
    expect(generatePin({ charset: 'numeric', length: 4 }, 4, random)).toBe('7305');
  });

  it('no 4-digit PIN from 5,000 seeded draws is trivial', () => {
    const random = seeded('four-digit');
    for (let i = 0; i < 5_000; i++) expect(isTrivialPin(generatePin({ charset: 'numeric', length: 4 }, 4, random))).toBe(false);
  });

  it('throws instead of looping forever when the random source is broken', () => {
    expect(() => generatePin(NUMERIC_8, 4, (n) => new Uint8Array(n))).toThrow(expect.objectContaining({ code: 'random-source' }));
    expect(() => generatePin(NUMERIC_8, 4, (n) => new Uint8Array(n).fill(255))).toThrow(expect.objectContaining({ code: 'random-source' }));
    expect(() => generatePin(NUMERIC_8, 4, () => new Uint8Array(1))).toThrow(expect.objectContaining({ code: 'random-source' }));
  });
});

describe('isTrivialPin', () => {
  it.each([
    '0000', '77777777', 'aaaa', 'AAAAaaaa',
    '0123', '1234', '12345678', '9876', '87654321', '7890', '8901234', '1357', '2468', '97531',
    'abcd', 'ABCDEF', 'zyxw',
    '1212', '12121212', '123123', '1231231', 'abab', 'ab12ab12',
    '1984', '2000', '2024', '1900',
    '2580', '147258', '159753', 'abc123', 'Password', 'mypassword1', 'QWERTY12', 'xAzErTy9', 'asdf',
    '123', '',
  ])('%j is trivial', (pin) => {
    expect(isTrivialPin(pin)).toBe(true);
  });

  it.each(['3859', '7305', '2113', '1800', '2100', '19845', '123412', '48213905', 'kT7mQ2xw', 'a1b2c3d4', '20242025', '12341235', 'abce'])(
    '%j is not trivial',
    (pin) => {
      expect(isTrivialPin(pin)).toBe(false);
    },
  );
});

describe('PinSecret', () => {
  const PIN = '73918264';

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('hands the PIN out only inside use()', () => {
    const secret = new PinSecret(PIN);
    expect(secret.use((pin) => pin)).toBe(PIN);
    expect(secret.use((pin) => pin.length)).toBe(8);
  });

  it('never shows the PIN when turned into text, JSON or an inspection, alone or inside an object', () => {
    const secret = new PinSecret(PIN);
    const job = { jobId: 'j1', pin: secret, nested: { deeper: [secret] } };
    const renderings = [
      String(secret),
      `${secret}`,
      'PIN: ' + secret,
      JSON.stringify(secret),
      JSON.stringify(job),
      inspect(secret),
      inspect(job, { depth: 10 }),
      inspect(job, { depth: 10, showHidden: true }),
      inspect(job, { depth: 10, customInspect: false, showHidden: true }),
      format('%s %o %O %j', secret, job, job, job),
      JSON.stringify(Object.entries(secret)),
      JSON.stringify({ ...secret }),
      inspect(structuredClone(job), { depth: 10, showHidden: true }),
    ];
    for (const text of renderings) expect(text).not.toContain(PIN);
    expect(String(secret)).toBe('[PIN redacted]');
    expect(JSON.stringify(job)).toContain('[PIN redacted]');
  });

  it('console.log of an object holding the PIN prints no PIN', () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      lines.push(format(...args));
    });
    const secret = new PinSecret(PIN);
    console.log('provisioning', { keyPath: '/dev/hidraw3', secret });
    console.log(secret);
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).not.toContain(PIN);
  });

  it('wipe() zeroes the bytes and use() afterwards throws', () => {
    const bytes = new TextEncoder().encode(PIN);
    const secret = new PinSecret(bytes);
    expect(secret.wiped).toBe(false);
    secret.wipe();
    expect([...bytes].every((b) => b === 0)).toBe(true);
    expect(secret.wiped).toBe(true);
    const seen: string[] = [];
    expect(() => secret.use((pin) => seen.push(pin))).toThrow(expect.objectContaining({ name: 'PinError', code: 'wiped' }));
    expect(seen).toEqual([]);
  });

  it('its wiped error does not carry the PIN', () => {
    const secret = new PinSecret(PIN);
    secret.wipe();
    try {
      secret.use(() => undefined);
      expect.unreachable();
    } catch (error) {
      expect(inspect(error)).not.toContain(PIN);
    }
  });

  it('generate() makes a secret that fits the policy', () => {
    const secret = PinSecret.generate(ALPHA_8, 10, seeded('generate'));
    secret.use((pin) => {
      expect(pin).toHaveLength(10);
      expect(isTrivialPin(pin)).toBe(false);
    });
  });
});
