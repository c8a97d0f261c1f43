// Typed access to the members of a CBOR map the key sent. Every reply member is untrusted: a member of
// the wrong type becomes a ProtocolError that names the command, the key and the member, so a misbehaving
// key is diagnosable from the message alone.
import type { CborKey, CborMap, CborValue } from './cbor.js';
import { ProtocolError } from './errors.js';

function label(key: CborKey): string {
  return typeof key === 'number' ? `0x${key.toString(16).padStart(2, '0')}` : JSON.stringify(key);
}

export class ReplyReader {
  constructor(
    private readonly members: ReadonlyMap<CborKey, CborValue>,
    /** Where the map came from, e.g. "getInfo reply" or "makeCredential attestedCredentialData". */
    readonly where: string,
  ) {}

  has(key: CborKey): boolean {
    return this.members.has(key);
  }

  /** Throws the ProtocolError for a member that is present but unacceptable. */
  invalid(key: CborKey, name: string, expected: string): never {
    throw new ProtocolError(`${this.where}: member ${label(key)} (${name}) ${expected}`);
  }

  private get(key: CborKey): CborValue | undefined {
    return this.members.get(key);
  }

  private required<T>(value: T | undefined, key: CborKey, name: string): T {
    if (value === undefined) this.invalid(key, name, 'is missing');
    return value;
  }

  uint(key: CborKey, name: string): number | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) this.invalid(key, name, 'must be an unsigned integer');
    return v;
  }

  needUint(key: CborKey, name: string): number {
    return this.required(this.uint(key, name), key, name);
  }

  int(key: CborKey, name: string): number | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) this.invalid(key, name, 'must be an integer');
    return v;
  }

  needInt(key: CborKey, name: string): number {
    return this.required(this.int(key, name), key, name);
  }

  bool(key: CborKey, name: string): boolean | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') this.invalid(key, name, 'must be a boolean');
    return v;
  }

  text(key: CborKey, name: string): string | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'string') this.invalid(key, name, 'must be a text string');
    return v;
  }

  needText(key: CborKey, name: string): string {
    return this.required(this.text(key, name), key, name);
  }

  bytes(key: CborKey, name: string, lengths?: readonly number[]): Uint8Array | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    if (!(v instanceof Uint8Array)) this.invalid(key, name, 'must be a byte string');
    if (lengths && !lengths.includes(v.length)) this.invalid(key, name, `must be ${lengths.join(' or ')} bytes long, got ${v.length}`);
    return v;
  }

  needBytes(key: CborKey, name: string, lengths?: readonly number[]): Uint8Array {
    return this.required(this.bytes(key, name, lengths), key, name);
  }

  map(key: CborKey, name: string): CborMap | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    if (!(v instanceof Map)) this.invalid(key, name, 'must be a map');
    return v;
  }

  needMap(key: CborKey, name: string): CborMap {
    return this.required(this.map(key, name), key, name);
  }

  /** A nested map, read with its own reader so its members are named too. */
  reader(key: CborKey, name: string): ReplyReader | undefined {
    const m = this.map(key, name);
    return m && new ReplyReader(m, `${this.where} ${name}`);
  }

  needReader(key: CborKey, name: string): ReplyReader {
    return this.required(this.reader(key, name), key, name);
  }

  array(key: CborKey, name: string): CborValue[] | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) this.invalid(key, name, 'must be an array');
    return v;
  }

  textArray(key: CborKey, name: string): string[] | undefined {
    const items = this.array(key, name);
    if (items === undefined) return undefined;
    if (!items.every((i): i is string => typeof i === 'string')) this.invalid(key, name, 'must be an array of text strings');
    return items;
  }

  needTextArray(key: CborKey, name: string): string[] {
    return this.required(this.textArray(key, name), key, name);
  }

  uintArray(key: CborKey, name: string): number[] | undefined {
    const items = this.array(key, name);
    if (items === undefined) return undefined;
    if (!items.every((i): i is number => typeof i === 'number' && Number.isSafeInteger(i) && i >= 0)) {
      this.invalid(key, name, 'must be an array of unsigned integers');
    }
    return items;
  }

  /** Each array element as a reader over a map (e.g. getInfo algorithms). */
  mapArray(key: CborKey, name: string): ReplyReader[] | undefined {
    const items = this.array(key, name);
    if (items === undefined) return undefined;
    return items.map((item, i) => {
      if (!(item instanceof Map)) this.invalid(key, name, `element ${i} must be a map`);
      return new ReplyReader(item, `${this.where} ${name}[${i}]`);
    });
  }

  /** A map whose keys are text and whose values all pass `check` (getInfo options, certifications). */
  textKeyedMap<T extends CborValue>(key: CborKey, name: string, check: (v: CborValue) => v is T, expected: string): Map<string, T> | undefined {
    const m = this.map(key, name);
    if (m === undefined) return undefined;
    const out = new Map<string, T>();
    for (const [k, v] of m) {
      if (typeof k !== 'string' || !check(v)) this.invalid(key, name, `must map text keys to ${expected}`);
      out.set(k, v);
    }
    return out;
  }
}
