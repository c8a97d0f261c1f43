import * as cborg from 'cborg';
import { describe, expect, it } from 'vitest';
import { CborError, decode, decodeFirst, encode, type CborValue } from '../../../electron/core/ctap/cbor.js';
import { seededRandom } from '../helpers/seeded-random.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));


// RFC 8949 appendix A: the integer, string and container vectors that CTAP uses.
const RFC_VECTORS: [string, CborValue][] = [
  ['00', 0],
  ['01', 1],
  ['0a', 10],
  ['17', 23],
  ['1818', 24],
  ['1819', 25],
  ['1864', 100],
  ['1903e8', 1000],
  ['1a000f4240', 1000000],
  ['1b000000e8d4a51000', 1000000000000],
  ['1bffffffffffffffff', 18446744073709551615n],
  ['3bffffffffffffffff', -18446744073709551616n],
  ['20', -1],
  ['29', -10],
  ['3863', -100],
  ['3903e7', -1000],
  ['f4', false],
  ['f5', true],
  ['f6', null],
  ['40', new Uint8Array(0)],
  ['4401020304', Uint8Array.of(1, 2, 3, 4)],
  ['60', ''],
  ['6161', 'a'],
  ['6449455446', 'IETF'],
  ['62225c', '"\\'],
  ['62c3bc', '\u00fc'],
  ['63e6b0b4', '\u6c34'],
  ['64f0908591', '\u{10151}'],
  ['80', []],
  ['83010203', [1, 2, 3]],
  ['8301820203820405', [1, [2, 3], [4, 5]]],
  ['98190102030405060708090a0b0c0d0e0f101112131415161718181819', Array.from({ length: 25 }, (_, i) => i + 1)],
  ['a0', new Map()],
  ['a201020304', new Map([[1, 2], [3, 4]])],
  ['a26161016162820203', new Map<string, CborValue>([['a', 1], ['b', [2, 3]]])],
  ['826161a161626163', ['a', new Map([['b', 'c']])]],
  ['a56161614161626142616361436164614461656145', new Map([['a', 'A'], ['b', 'B'], ['c', 'C'], ['d', 'D'], ['e', 'E']])],
];

describe('canonical CBOR: RFC 8949 appendix A', () => {
  it.each(RFC_VECTORS)('%s encodes and decodes', (h, value) => {
    expect(hex(encode(value))).toBe(h);
    expect(decode(bytes(h))).toEqual(value);
  });

  it('encodes integer heads in their shortest form at every boundary', () => {
    const cases: [number | bigint, string][] = [
      [23, '17'], [24, '1818'], [255, '18ff'], [256, '190100'], [65535, '19ffff'], [65536, '1a00010000'],
      [4294967295, '1affffffff'], [4294967296, '1b0000000100000000'], [-24, '37'], [-25, '3818'], [-256, '38ff'], [-257, '390100'],
    ];
    for (const [v, h] of cases) expect(hex(encode(v))).toBe(h);
  });
});

describe('canonical CBOR: CTAP key order', () => {
  it('sorts integer keys before negative keys before text keys, shorter encodings first', () => {
    const scrambled = new Map<number | string, CborValue>([
      ['clientPin', 0], ['uv', 0], [-1, 0], ['up', 0], [100, 0], ['rk', 0], [10, 0], ['plat', 0], [-2, 0], [1, 0],
    ]);
    const decoded = decode(encode(scrambled)) as Map<number | string, CborValue>;
    expect([...decoded.keys()]).toEqual([1, 10, 100, -1, -2, 'rk', 'up', 'uv', 'plat', 'clientPin']);
  });

  it('matches the FIDO canonical vectors for mixed key lengths', () => {
    expect(hex(encode(new Map([[4294967296, 0], [255, 0], [256, 0], [0, 0]])))).toBe('a4000018ff00190100001b000000010000000000');
    expect(hex(encode(new Map<number | string, CborValue>([['3', 0], [256, 0]])))).toBe('a2190100006133' + '00');
    expect(hex(encode({ type: 'public-key', alg: -7 }))).toBe('a263616c672664747970656a7075626c69632d6b6579');
  });

  it('leaves out undefined members of plain objects', () => {
    expect(hex(encode({ id: 'example.com', name: undefined }))).toBe(hex(encode({ id: 'example.com' })));
  });
});

function randomText(rnd: () => number): string {
  const pools = [[0x20, 0x7e], [0xa0, 0x7ff], [0x800, 0xd7ff], [0x10000, 0x10ffff]] as const;
  let s = '';
  const n = Math.floor(rnd() * 12);
  for (let i = 0; i < n; i++) {
    const [lo, hi] = pools[Math.floor(rnd() * pools.length)]!;
    s += String.fromCodePoint(lo + Math.floor(rnd() * (hi - lo + 1)));
  }
  return s;
}

function randomInt(rnd: () => number): number | bigint {
  const r = rnd();
  const sign = rnd() < 0.5 ? -1 : 1;
  // `|| 0` keeps -0 out: CBOR has no negative zero integer.
  if (r < 0.3) return sign * Math.floor(rnd() * 30) || 0;
  if (r < 0.6) return sign * Math.floor(rnd() * 70000) || 0;
  if (r < 0.85) return sign * Math.floor(rnd() * Number.MAX_SAFE_INTEGER) || 0;
  // Beyond 2^53 the decoder yields bigint; stay within CBOR's 64-bit range.
  const big = BigInt(Number.MAX_SAFE_INTEGER) + 1n + BigInt(Math.floor(rnd() * 2 ** 52)) * 1024n;
  return sign < 0 ? -big : big;
}

function randomValue(rnd: () => number, depth: number): CborValue {
  const kind = Math.floor(rnd() * (depth > 3 ? 6 : 8));
  switch (kind) {
    case 0: return randomInt(rnd);
    case 1: return randomText(rnd);
    case 2: return Uint8Array.from({ length: Math.floor(rnd() * 40) }, () => Math.floor(rnd() * 256));
    case 3: return rnd() < 0.5;
    case 4: return null;
    case 5: return randomInt(rnd);
    case 6: return Array.from({ length: Math.floor(rnd() * 5) }, () => randomValue(rnd, depth + 1));
    default: {
      const m = new Map<number | string, CborValue>();
      const n = Math.floor(rnd() * 6);
      for (let i = 0; i < n; i++) {
        const k = rnd() < 0.5 ? Number(randomInt(rnd)) % 100000 || 0 : randomText(rnd);
        m.set(k, randomValue(rnd, depth + 1));
      }
      return m;
    }
  }
}

describe('canonical CBOR: cross-check against cborg', () => {
  it('encodes 2,000 random nested values byte for byte like cborg and decodes cborg output back', () => {
    const rnd = seededRandom(0xc7a9);
    for (let i = 0; i < 2000; i++) {
      const value = randomValue(rnd, 0);
      const ours = encode(value);
      const theirs = cborg.encode(value);
      expect(hex(ours), `value #${i}`).toBe(hex(theirs));
      expect(decode(theirs), `value #${i}`).toEqual(value);
      expect(cborg.decode(ours, { useMaps: true, strict: true, rejectDuplicateMapKeys: true }), `value #${i}`).toEqual(value);
    }
  });
});

describe('canonical CBOR: the strict decoder', () => {
  const rejects: [string, string][] = [
    ['1817', 'integer 23 in a 1-byte argument'],
    ['190017', 'integer in a 2-byte argument that fits 1 byte'],
    ['1a000000ff', 'integer in a 4-byte argument that fits 1 byte'],
    ['1b00000000ffffffff', 'integer in an 8-byte argument that fits 4 bytes'],
    ['3817', 'negative integer not in shortest form'],
    ['580161', 'byte string length not in shortest form'],
    ['780161', 'text string length not in shortest form'],
    ['980101', 'array length not in shortest form'],
    ['b8010100', 'map length not in shortest form'],
    ['a202000100', 'unsorted integer keys'],
    ['a2626161006162', 'text keys out of order (longer first)'],
    ['a2616100616100', 'duplicate text keys'],
    ['a201000100', 'duplicate integer keys'],
    ['a220000100', 'negative key before positive key'],
    ['5f4101ff', 'indefinite-length byte string'],
    ['7f6161ff', 'indefinite-length text string'],
    ['9f01ff', 'indefinite-length array'],
    ['bf0100ff', 'indefinite-length map'],
    ['c074323031332d30332d32315432303a30343a30305a', 'tag 0'],
    ['d818456449455446', 'tag 24'],
    ['f93c00', 'half-precision float'],
    ['fa47c35000', 'single-precision float'],
    ['fb3ff199999999999a', 'double-precision float'],
    ['f7', 'undefined'],
    ['f0', 'unassigned simple value'],
    ['f818', 'two-byte simple value'],
    ['0000', 'trailing bytes'],
    ['a1010000', 'trailing bytes after a map'],
    ['62c328', 'invalid UTF-8'],
    ['61ff', 'invalid UTF-8 byte'],
    ['63eda080', 'UTF-8-encoded surrogate'],
    ['1c', 'reserved additional information'],
    ['', 'no data'],
    ['5a00010000', 'length past the end'],
    ['a14000', 'byte-string map key'],
  ];

  it.each(rejects)('rejects %s (%s)', (h) => {
    expect(() => decode(bytes(h))).toThrow(CborError);
  });

  it('decodeFirst returns the first item and how many bytes it took', () => {
    const { value, length } = decodeFirst(bytes('a10102ffee'));
    expect(value).toEqual(new Map([[1, 2]]));
    expect(length).toBe(3);
  });
});

describe('canonical CBOR: bounded fuzz', () => {
  it('only ever yields a value or a CborError for random and mutated inputs', () => {
    const rnd = seededRandom(0x5eed);
    const seeds: Uint8Array[] = [...RFC_VECTORS.map(([h]) => bytes(h)), encode(randomValue(seededRandom(7), 0)), encode(randomValue(seededRandom(8), 0))];
    const unexpected: string[] = [];
    const attempt = (input: Uint8Array) => {
      try {
        const v = decode(input);
        // Whatever decodes must be canonical, so it re-encodes to the same bytes.
        if (hex(encode(v)) !== hex(input)) unexpected.push(`${hex(input)} decoded but re-encodes differently`);
      } catch (e) {
        if (!(e instanceof CborError)) unexpected.push(`${hex(input)} threw ${String(e)}`);
      }
    };
    for (let i = 0; i < 10_000; i++) {
      attempt(Uint8Array.from({ length: Math.floor(rnd() * 48) }, () => Math.floor(rnd() * 256)));
    }
    for (let i = 0; i < 10_000; i++) {
      const base = seeds[Math.floor(rnd() * seeds.length)]!;
      const m = Array.from(base);
      const edits = 1 + Math.floor(rnd() * 3);
      for (let e = 0; e < edits; e++) {
        const op = rnd();
        const at = Math.floor(rnd() * (m.length + 1));
        if (op < 0.5 && m.length > 0) m[at % m.length] = Math.floor(rnd() * 256);
        else if (op < 0.75) m.splice(at, 0, Math.floor(rnd() * 256));
        else m.splice(at, 1);
      }
      attempt(Uint8Array.from(m));
    }
    expect(unexpected.slice(0, 5)).toEqual([]);
  });
});
