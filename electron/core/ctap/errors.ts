// Typed errors of the key stack. Every CTAP 2.1 status has a name and, where a technician can act on it,
// the one next step to take. Messages never carry PINs, tokens or key material.

export interface StatusInfo {
  readonly name: string;
  readonly advice: string;
}

const RETRY = 'Try again; if it keeps failing, set this key aside.';

export const CTAP_STATUS: Readonly<Record<number, StatusInfo>> = {
  0x00: { name: 'SUCCESS', advice: '' },
  0x01: { name: 'CTAP1_ERR_INVALID_COMMAND', advice: 'The key does not support this command; check that it is a FIDO2 key.' },
  0x02: { name: 'CTAP1_ERR_INVALID_PARAMETER', advice: 'The key rejected a parameter. ' + RETRY },
  0x03: { name: 'CTAP1_ERR_INVALID_LENGTH', advice: 'The key rejected the message length. ' + RETRY },
  0x04: { name: 'CTAP1_ERR_INVALID_SEQ', advice: 'USB packets arrived out of order. Replug the key and try again.' },
  0x05: { name: 'CTAP1_ERR_TIMEOUT', advice: 'The key timed out. Replug it and try again.' },
  0x06: { name: 'CTAP1_ERR_CHANNEL_BUSY', advice: 'Another program is using the key. Close other FIDO tools and try again.' },
  0x0a: { name: 'CTAP1_ERR_LOCK_REQUIRED', advice: 'Another program holds the key locked. Close other FIDO tools.' },
  0x0b: { name: 'CTAP1_ERR_INVALID_CHANNEL', advice: 'The key dropped its USB channel. Replug it and try again.' },
  0x11: { name: 'CTAP2_ERR_CBOR_UNEXPECTED_TYPE', advice: 'The key rejected the request encoding. ' + RETRY },
  0x12: { name: 'CTAP2_ERR_INVALID_CBOR', advice: 'The key rejected the request encoding. ' + RETRY },
  0x14: { name: 'CTAP2_ERR_MISSING_PARAMETER', advice: 'The key says a parameter is missing. ' + RETRY },
  0x15: { name: 'CTAP2_ERR_LIMIT_EXCEEDED', advice: 'The key hit an internal limit. Set it aside.' },
  0x16: { name: 'CTAP2_ERR_UNSUPPORTED_EXTENSION', advice: 'The key does not support a required extension. Use another model.' },
  0x17: { name: 'CTAP2_ERR_FP_DATABASE_FULL', advice: 'The key\'s fingerprint storage is full. Reset the key.' },
  0x18: { name: 'CTAP2_ERR_LARGE_BLOB_STORAGE_FULL', advice: 'The key\'s large-blob storage is full. Reset the key.' },
  0x19: { name: 'CTAP2_ERR_CREDENTIAL_EXCLUDED', advice: 'This key already holds a credential for this user. Reset it or use another key.' },
  0x21: { name: 'CTAP2_ERR_PROCESSING', advice: 'The key is still busy. Wait a moment and try again.' },
  0x22: { name: 'CTAP2_ERR_INVALID_CREDENTIAL', advice: 'The key rejected a credential. ' + RETRY },
  0x23: { name: 'CTAP2_ERR_USER_ACTION_PENDING', advice: 'The key is waiting for a touch.' },
  0x24: { name: 'CTAP2_ERR_OPERATION_PENDING', advice: 'The key is busy with another operation. Wait and try again.' },
  0x25: { name: 'CTAP2_ERR_NO_OPERATIONS', advice: 'The key had nothing to continue. ' + RETRY },
  0x26: { name: 'CTAP2_ERR_UNSUPPORTED_ALGORITHM', advice: 'The key does not support the required algorithm. Use another model.' },
  0x27: { name: 'CTAP2_ERR_OPERATION_DENIED', advice: 'The key refused the operation. ' + RETRY },
  0x28: { name: 'CTAP2_ERR_KEY_STORE_FULL', advice: 'The key has no room for another credential. Reset it or use another key.' },
  0x2b: { name: 'CTAP2_ERR_UNSUPPORTED_OPTION', advice: 'The key does not support a required option. Use another model.' },
  0x2c: { name: 'CTAP2_ERR_INVALID_OPTION', advice: 'The key rejected an option. ' + RETRY },
  0x2d: { name: 'CTAP2_ERR_KEEPALIVE_CANCEL', advice: 'The operation was cancelled.' },
  0x2e: { name: 'CTAP2_ERR_NO_CREDENTIALS', advice: 'The key holds no matching credential.' },
  0x2f: { name: 'CTAP2_ERR_USER_ACTION_TIMEOUT', advice: 'Nobody touched the key in time. Try again and touch the key when it blinks.' },
  0x30: { name: 'CTAP2_ERR_NOT_ALLOWED', advice: 'The key does not allow this now. For a reset: unplug the key, plug it back in and touch it within 10 seconds.' },
  0x31: { name: 'CTAP2_ERR_PIN_INVALID', advice: 'The key rejected the PIN. The key needs a reset before it can be provisioned.' },
  0x32: { name: 'CTAP2_ERR_PIN_BLOCKED', advice: 'The key\'s PIN is blocked. Reset the key: unplug it, plug it back in and touch it within 10 seconds.' },
  0x33: { name: 'CTAP2_ERR_PIN_AUTH_INVALID', advice: 'The key rejected the PIN authentication. ' + RETRY },
  0x34: { name: 'CTAP2_ERR_PIN_AUTH_BLOCKED', advice: 'Too many wrong PINs in a row. Unplug the key and plug it back in.' },
  0x35: { name: 'CTAP2_ERR_PIN_NOT_SET', advice: 'The key has no PIN yet.' },
  0x36: { name: 'CTAP2_ERR_PUAT_REQUIRED', advice: 'The key requires a PIN for this operation.' },
  0x37: { name: 'CTAP2_ERR_PIN_POLICY_VIOLATION', advice: 'The key rejected the PIN under its own policy (length or complexity). The station will pick another PIN.' },
  0x38: { name: 'CTAP2_ERR_PIN_TOKEN_EXPIRED', advice: 'The PIN session expired. Try again.' },
  0x39: { name: 'CTAP2_ERR_REQUEST_TOO_LARGE', advice: 'The request was too large for this key. Use another model.' },
  0x3a: { name: 'CTAP2_ERR_ACTION_TIMEOUT', advice: 'The key timed out waiting. Try again.' },
  0x3b: { name: 'CTAP2_ERR_UP_REQUIRED', advice: 'The key needs a touch for this operation.' },
  0x3c: { name: 'CTAP2_ERR_UV_BLOCKED', advice: 'Built-in user verification is blocked. Reset the key.' },
  0x3d: { name: 'CTAP2_ERR_INTEGRITY_FAILURE', advice: 'The key reported an integrity failure. Set it aside as faulty.' },
  0x3e: { name: 'CTAP2_ERR_INVALID_SUBCOMMAND', advice: 'The key does not support this subcommand. Use another model.' },
  0x3f: { name: 'CTAP2_ERR_UV_INVALID', advice: 'Built-in user verification failed. Try again.' },
  0x40: { name: 'CTAP2_ERR_UNAUTHORIZED_PERMISSION', advice: 'The PIN token lacks a permission. ' + RETRY },
  0x7f: { name: 'CTAP1_ERR_OTHER', advice: 'The key reported an unspecified error. ' + RETRY },
};

export function statusInfo(code: number): StatusInfo {
  const known = CTAP_STATUS[code];
  if (known) return known;
  if (code >= 0xe0 && code <= 0xef) return { name: `CTAP2_ERR_EXTENSION_${hex(code)}`, advice: 'An extension failed on the key. ' + RETRY };
  if (code >= 0xf0) return { name: `CTAP2_ERR_VENDOR_${hex(code)}`, advice: 'The key reported a vendor-specific error. ' + RETRY };
  return { name: `CTAP_STATUS_${hex(code)}`, advice: 'The key reported an unknown error. ' + RETRY };
}

function hex(n: number): string {
  return '0x' + n.toString(16).padStart(2, '0');
}

/** A CTAP2 status code other than success, returned by the key for a command. */
export class CtapError extends Error {
  override readonly name = 'CtapError';
  readonly status: number;
  readonly statusName: string;
  readonly advice: string;
  constructor(status: number, context?: string) {
    const info = statusInfo(status);
    super(`${context ? context + ': ' : ''}${info.name} (${hex(status)}). ${info.advice}`.trim());
    this.status = status;
    this.statusName = info.name;
    this.advice = info.advice;
  }
}

/** A CTAPHID ERROR frame (transport level: busy channel, bad sequence, …). */
export class CtapHidError extends Error {
  override readonly name = 'CtapHidError';
  readonly code: number;
  constructor(code: number) {
    const info = statusInfo(code);
    super(`USB transport error ${info.name} (${hex(code)}). ${info.advice}`);
    this.code = code;
  }
}

/** The key sent something that is not valid CTAPHID or CTAP2. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

/** No answer within the deadline (keepalives re-arm it). */
export class KeyTimeoutError extends Error {
  override readonly name = 'KeyTimeoutError';
}

/** The key disappeared (unplugged) or its handle was closed while a command was under way. */
export class DeviceGoneError extends Error {
  override readonly name = 'DeviceGoneError';
  constructor(message = 'The key was removed. Plug it back in and try again.') {
    super(message);
  }
}

/** The operation was cancelled by the station (CTAPHID CANCEL or an aborted signal). */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';
  constructor(message = 'The operation was cancelled.') {
    super(message);
  }
}

/** Opening the key failed for a reason the technician or an administrator can fix. */
export class DeviceAccessError extends Error {
  override readonly name = 'DeviceAccessError';
}
