// CTAP2 canonical CBOR (CTAP 2.1 §8, RFC 8949 §4.2.1): shortest heads, definite lengths, map keys in
// bytewise order of their encodings, no tags or floats. General CBOR libraries get the key order or the
// map heads wrong for CTAP, so both directions live here, and the decoder rejects anything non-canonical.

export type CborKey = number | string;
export type CborValue =
  | number
  | bigint
  | string
  | boolean
  | null
  | Uint8Array
  | CborValue[]
  | CborMap
  | { readonly [key: string]: CborValue | undefined };
export type CborMap = Map<CborKey, CborValue>;

export class CborError extends Error {
  override readonly name = 'CborError';
}

const MAX_DEPTH = 24;
const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

function head(major: number, value: number | bigint, out: number[]): void {
  const v = BigInt(value);
  const mt = major << 5;
  if (v < 24n) out.push(mt | Number(v));
  else if (v < 0x100n) out.push(mt | 24, Number(v));
  else if (v < 0x10000n) out.push(mt | 25, Number(v >> 8n), Number(v & 0xffn));
  else if (v < 0x100000000n) {
    out.push(mt | 26);
    for (let s = 24n; s >= 0n; s -= 8n) out.push(Number((v >> s) & 0xffn));
  } else if (v < 0x10000000000000000n) {
    out.push(mt | 27);
    for (let s = 56n; s >= 0n; s -= 8n) out.push(Number((v >> s) & 0xffn));
  } else throw new CborError('integer too large for CBOR');
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function encodeInto(value: CborValue, out: number[], depth: number): void {
  if (depth > MAX_DEPTH) throw new CborError('CBOR nesting too deep');
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new CborError(`CTAP CBOR carries integers only, got ${value}`);
    if (value >= 0) head(0, value, out);
    else head(1, -1 - value, out);
  } else if (typeof value === 'bigint') {
    if (value >= 0n) head(0, value, out);
    else head(1, -1n - value, out);
  } else if (typeof value === 'string') {
    const bytes = utf8.encode(value);
    head(3, bytes.length, out);
    for (const b of bytes) out.push(b);
  } else if (typeof value === 'boolean') {
    out.push(value ? 0xf5 : 0xf4);
  } else if (value === null) {
    out.push(0xf6);
  } else if (value instanceof Uint8Array) {
    head(2, value.length, out);
    for (const b of value) out.push(b);
  } else if (Array.isArray(value)) {
    head(4, value.length, out);
    for (const item of value) encodeInto(item, out, depth + 1);
  } else {
    const entries: [CborKey, CborValue][] =
      value instanceof Map
        ? [...value.entries()]
        : (Object.entries(value).filter(([, v]) => v !== undefined) as [string, CborValue][]);
    const encoded = entries.map(([k, v]) => {
      if (typeof k !== 'number' && typeof k !== 'string') throw new CborError('map keys must be integers or text');
      const keyBytes: number[] = [];
      encodeInto(k, keyBytes, depth + 1);
      return { key: Uint8Array.from(keyBytes), value: v };
    });
    encoded.sort((a, b) => compareBytes(a.key, b.key));
    for (let i = 1; i < encoded.length; i++) {
      if (compareBytes(encoded[i - 1]!.key, encoded[i]!.key) === 0) throw new CborError('duplicate map key');
    }
    head(5, encoded.length, out);
    for (const e of encoded) {
      for (const b of e.key) out.push(b);
      encodeInto(e.value, out, depth + 1);
    }
  }
}

/** Encodes a value as CTAP2 canonical CBOR. Plain objects are maps with text keys; `undefined` members are left out. */
export function encode(value: CborValue): Uint8Array {
  const out: number[] = [];
  encodeInto(value, out, 0);
  return Uint8Array.from(out);
}

class Reader {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}

  byte(): number {
    if (this.pos >= this.bytes.length) throw new CborError('CBOR data ends early');
    return this.bytes[this.pos++]!;
  }

  take(n: number): Uint8Array {
    if (n > this.bytes.length - this.pos) throw new CborError('CBOR data ends early');
    const slice = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return slice;
  }

  /** Reads a head's argument, insisting on the shortest form. */
  argument(info: number): bigint {
    if (info < 24) return BigInt(info);
    let size: number;
    if (info === 24) size = 1;
    else if (info === 25) size = 2;
    else if (info === 26) size = 4;
    else if (info === 27) size = 8;
    else if (info === 31) throw new CborError('indefinite-length CBOR is not canonical');
    else throw new CborError(`reserved CBOR additional information ${info}`);
    let v = 0n;
    for (const b of this.take(size)) v = (v << 8n) | BigInt(b);
    const min = size === 1 ? 24n : size === 2 ? 0x100n : size === 4 ? 0x10000n : 0x100000000n;
    if (v < min) throw new CborError('CBOR integer or length not in its shortest form');
    return v;
  }

  length(info: number): number {
    const v = this.argument(info);
    if (v > BigInt(this.bytes.length - this.pos) && v > 0n) throw new CborError('CBOR length exceeds the data');
    return Number(v);
  }
}

function toNumber(v: bigint): number | bigint {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
}

function decodeItem(r: Reader, depth: number): CborValue {
  if (depth > MAX_DEPTH) throw new CborError('CBOR nesting too deep');
  const initial = r.byte();
  const major = initial >> 5;
  const info = initial & 0x1f;
  switch (major) {
    case 0:
      return toNumber(r.argument(info));
    case 1:
      return toNumber(-1n - r.argument(info));
    case 2:
      return Uint8Array.from(r.take(r.length(info)));
    case 3:
      try {
        return utf8Strict.decode(r.take(r.length(info)));
      } catch (e) {
        if (e instanceof CborError) throw e;
        throw new CborError('CBOR text string is not valid UTF-8');
      }
    case 4: {
      const n = r.length(info);
      const items: CborValue[] = [];
      for (let i = 0; i < n; i++) items.push(decodeItem(r, depth + 1));
      return items;
    }
    case 5: {
      const n = r.length(info);
      const map: CborMap = new Map();
      let previous: Uint8Array | undefined;
      for (let i = 0; i < n; i++) {
        const start = r.pos;
        const key = decodeItem(r, depth + 1);
        if (typeof key !== 'number' && typeof key !== 'string') throw new CborError('CBOR map key must be an integer or text');
        const keyBytes = r.bytes.subarray(start, r.pos);
        if (previous && compareBytes(previous, keyBytes) >= 0) {
          throw new CborError(compareBytes(previous, keyBytes) === 0 ? 'duplicate CBOR map key' : 'CBOR map keys not in canonical order');
        }
        previous = keyBytes;
        map.set(key, decodeItem(r, depth + 1));
      }
      return map;
    }
    case 6:
      throw new CborError('CBOR tags are not used by CTAP');
    default:
      if (info === 20) return false;
      if (info === 21) return true;
      if (info === 22) return null;
      throw new CborError(`unsupported CBOR simple value or float (0x${initial.toString(16)})`);
  }
}

/** Decodes exactly one canonical CBOR item; trailing bytes, non-canonical forms and unsupported types throw CborError. */
export function decode(bytes: Uint8Array): CborValue {
  const r = new Reader(bytes);
  const value = decodeItem(r, 0);
  if (r.pos !== bytes.length) throw new CborError('trailing bytes after CBOR item');
  return value;
}

/** Decodes the first item and returns it with the number of bytes it used (authenticator data embeds CBOR). */
export function decodeFirst(bytes: Uint8Array): { value: CborValue; length: number } {
  const r = new Reader(bytes);
  const value = decodeItem(r, 0);
  return { value, length: r.pos };
}

export function isCborMap(v: CborValue | undefined): v is CborMap {
  return v instanceof Map;
}
