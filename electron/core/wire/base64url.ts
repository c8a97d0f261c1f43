// Every binary value in the wire profile is base64url without padding. Node's decoder silently skips
// characters it does not know, so the strict shape is checked before decoding.

const BASE64URL = /^[A-Za-z0-9_-]*$/;

export function isBase64url(value: string): boolean {
  return BASE64URL.test(value) && value.length % 4 !== 1;
}

export function toBase64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** Decodes strict unpadded base64url; returns undefined for anything else. */
export function fromBase64url(value: string): Uint8Array<ArrayBuffer> | undefined {
  if (!isBase64url(value)) return undefined;
  return Uint8Array.from(Buffer.from(value, 'base64url'));
}
