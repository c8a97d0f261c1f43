// Typed access to a CTAP2 request's parameter map. A real key answers malformed input with specific
// statuses, so every read states what it expects: absent → MISSING_PARAMETER, wrong CBOR type →
// CBOR_UNEXPECTED_TYPE, non-canonical encoding → INVALID_CBOR.
import { CborError, decode, type CborKey, type CborMap, type CborValue } from '../ctap/cbor.js';
import { STATUS, fail } from './status.js';

export class Params {
  private constructor(private readonly map: CborMap) {}

  /** Decodes the CBOR after the command byte; an empty body is an empty map. */
  static decode(body: Uint8Array): Params {
    if (body.length === 0) return new Params(new Map());
    let value: CborValue;
    try {
      value = decode(body);
    } catch (e) {
      if (e instanceof CborError) fail(STATUS.INVALID_CBOR);
      throw e;
    }
    return Params.of(value);
  }

  static of(value: CborValue | undefined): Params {
    if (!(value instanceof Map)) fail(STATUS.CBOR_UNEXPECTED_TYPE);
    return new Params(value);
  }

  has(key: CborKey): boolean {
    return this.map.has(key);
  }

  raw(key: CborKey): CborValue | undefined {
    return this.map.get(key);
  }

  private present(key: CborKey): CborValue {
    const v = this.map.get(key);
    if (v === undefined) fail(STATUS.MISSING_PARAMETER);
    return v;
  }

  bytes(key: CborKey): Uint8Array {
    const v = this.present(key);
    if (!(v instanceof Uint8Array)) fail(STATUS.CBOR_UNEXPECTED_TYPE);
    return v;
  }

  optionalBytes(key: CborKey): Uint8Array | undefined {
    return this.has(key) ? this.bytes(key) : undefined;
  }

  text(key: CborKey): string {
    const v = this.present(key);
    if (typeof v !== 'string') fail(STATUS.CBOR_UNEXPECTED_TYPE);
    return v;
  }

  optionalText(key: CborKey): string | undefined {
    return this.has(key) ? this.text(key) : undefined;
  }

  int(key: CborKey): number {
    const v = this.present(key);
    if (typeof v !== 'number') fail(STATUS.CBOR_UNEXPECTED_TYPE);
    return v;
  }

  optionalInt(key: CborKey): number | undefined {
    return this.has(key) ? this.int(key) : undefined;
  }

  optionalBool(key: CborKey): boolean | undefined {
    if (!this.has(key)) return undefined;
    const v = this.map.get(key);
    if (typeof v !== 'boolean') fail(STATUS.CBOR_UNEXPECTED_TYPE);
    return v;
  }

  params(key: CborKey): Params {
    return Params.of(this.present(key));
  }

  optionalParams(key: CborKey): Params | undefined {
    return this.has(key) ? this.params(key) : undefined;
  }

  array(key: CborKey): CborValue[] {
    const v = this.present(key);
    if (!Array.isArray(v)) fail(STATUS.CBOR_UNEXPECTED_TYPE);
    return v;
  }

  optionalArray(key: CborKey): CborValue[] | undefined {
    return this.has(key) ? this.array(key) : undefined;
  }

  /** The map as it came, for MACs computed over the encoded parameters. */
  get value(): CborMap {
    return this.map;
  }
}

export interface CredentialDescriptor {
  readonly type: string;
  readonly id: Uint8Array;
}

/** Reads a PublicKeyCredentialDescriptor ({type, id}). */
export function credentialDescriptor(value: CborValue): CredentialDescriptor {
  const p = Params.of(value);
  return { type: p.text('type'), id: p.bytes('id') };
}
