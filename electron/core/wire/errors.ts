// One typed error for the whole wire profile. Messages say what was wrong and what to do; they never carry
// key material, PINs or decrypted plaintexts.

export type WireErrorCode =
  | 'wrong-curve'
  | 'wrong-key-use'
  | 'unsupported-alg'
  | 'bad-jwe'
  | 'bad-jws'
  | 'decrypt-failed'
  | 'bad-signature'
  | 'unknown-kid'
  | 'unknown-version'
  | 'schema'
  | 'kid-mismatch'
  | 'pin-policy';

export class WireError extends Error {
  override readonly name = 'WireError';

  constructor(
    readonly code: WireErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Quotes an untrusted, non-secret header value for a message, cut short so a hostile value stays small. */
export function quoted(value: unknown): string {
  const text = JSON.stringify(value ?? null) ?? 'null';
  return text.length > 64 ? `${text.slice(0, 61)}...` : text;
}
