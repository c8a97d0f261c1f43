// The PIN side of the key: stored PIN hash, retry counters, the key-agreement key, and the
// pinUvAuthToken with its permissions and RP binding (CTAP 2.1 §6.5). Counters follow real keys:
// 8 retries, the 3rd mismatch in a row blocks PIN use until a power cycle, 0 retries blocks the PIN.
import { timingSafeEqual } from 'node:crypto';
import type { CborValue } from '../ctap/cbor.js';
import { PERMISSION } from '../ctap/constants.js';
import { ProtocolError } from '../ctap/errors.js';
import { ecdhX, generateKeyPair, parseCoseEcKey, pinProtocol, sha256 } from '../ctap/pin-protocol.js';
import type { EcKeyPair, PinProtocolVersion, PinUvAuthProtocol, Random } from '../ctap/pin-protocol.js';
import { STATUS, fail } from './status.js';

export const MAX_PIN_RETRIES = 8;
const MISMATCHES_BEFORE_AUTH_BLOCK = 3;
const PADDED_PIN_LENGTH = 64;
const MAX_PIN_BYTES = 63;

/** Permissions a legacy getPinToken (0x05) token carries. */
export const LEGACY_TOKEN_PERMISSIONS = PERMISSION.MAKE_CREDENTIAL | PERMISSION.GET_ASSERTION;

interface PinUvAuthToken {
  readonly value: Uint8Array;
  readonly permissions: number;
  rpId: string | undefined;
}

export class PinState {
  private pinHash: Uint8Array | undefined;
  /** Length of the current PIN in Unicode code points (for setMinPINLength's forcePINChange). */
  private pinLength = 0;
  retries = MAX_PIN_RETRIES;
  private mismatchesInARow = 0;
  minPinLength: number;
  minPinLengthRpIds: string[] = [];
  forcePinChange = false;
  private keyAgreement: EcKeyPair;
  private token: PinUvAuthToken | undefined;

  constructor(
    private readonly factoryMinPinLength: number,
    readonly protocols: readonly PinProtocolVersion[],
    private readonly random: Random,
  ) {
    this.minPinLength = factoryMinPinLength;
    this.keyAgreement = generateKeyPair(random);
  }

  get isSet(): boolean {
    return this.pinHash !== undefined;
  }

  get authBlocked(): boolean {
    return this.mismatchesInARow >= MISMATCHES_BEFORE_AUTH_BLOCK;
  }

  get currentPinLength(): number {
    return this.pinLength;
  }

  get keyAgreementPublicKey(): EcKeyPair['publicKey'] {
    return this.keyAgreement.publicKey;
  }

  /** Power-up: a fresh key-agreement key, no token, PIN use unblocked (retries persist). */
  powerUp(): void {
    this.mismatchesInARow = 0;
    this.keyAgreement = generateKeyPair(this.random);
    this.token = undefined;
  }

  factoryReset(): void {
    this.pinHash = undefined;
    this.pinLength = 0;
    this.retries = MAX_PIN_RETRIES;
    this.minPinLength = this.factoryMinPinLength;
    this.minPinLengthRpIds = [];
    this.forcePinChange = false;
    this.powerUp();
  }

  /** The protocol object for a request's pinUvAuthProtocol; absent → MISSING_PARAMETER, unsupported → INVALID_PARAMETER. */
  protocol(version: number | undefined): PinUvAuthProtocol {
    if (version === undefined) fail(STATUS.MISSING_PARAMETER);
    if (version !== 1 && version !== 2) fail(STATUS.INVALID_PARAMETER);
    if (!this.protocols.includes(version)) fail(STATUS.INVALID_PARAMETER);
    return pinProtocol(version, this.random);
  }

  /** The shared secret with the platform's key-agreement key. */
  sharedSecret(protocol: PinUvAuthProtocol, platformKey: CborValue | undefined): Uint8Array {
    if (platformKey === undefined) fail(STATUS.MISSING_PARAMETER);
    try {
      return protocol.kdf(ecdhX(this.keyAgreement.secret, parseCoseEcKey(platformKey)));
    } catch (e) {
      if (e instanceof ProtocolError) fail(STATUS.INVALID_PARAMETER);
      throw e;
    }
  }

  /** Decrypts newPinEnc and applies the PIN policy; returns the PIN's UTF-8 bytes. */
  decryptNewPin(protocol: PinUvAuthProtocol, shared: Uint8Array, newPinEnc: Uint8Array): Uint8Array {
    let padded: Uint8Array;
    try {
      padded = protocol.decrypt(shared, newPinEnc);
    } catch (e) {
      if (e instanceof ProtocolError) fail(STATUS.INVALID_PARAMETER);
      throw e;
    }
    if (padded.length !== PADDED_PIN_LENGTH) fail(STATUS.PIN_POLICY_VIOLATION);
    const end = padded.indexOf(0);
    if (end < 0 || end > MAX_PIN_BYTES || padded.subarray(end).some((b) => b !== 0)) fail(STATUS.PIN_POLICY_VIOLATION);
    const pin = padded.slice(0, end);
    if (codePoints(pin) < this.minPinLength) fail(STATUS.PIN_POLICY_VIOLATION);
    return pin;
  }

  /** Checks pinHashEnc against the stored PIN, counting retries like a real key. */
  verifyPinHash(protocol: PinUvAuthProtocol, shared: Uint8Array, pinHashEnc: Uint8Array): void {
    if (!this.isSet) fail(STATUS.PIN_NOT_SET);
    if (this.retries === 0) fail(STATUS.PIN_BLOCKED);
    if (this.authBlocked) fail(STATUS.PIN_AUTH_BLOCKED);
    this.retries--;
    let presented: Uint8Array;
    try {
      presented = protocol.decrypt(shared, pinHashEnc);
    } catch (e) {
      if (e instanceof ProtocolError) fail(STATUS.INVALID_PARAMETER);
      throw e;
    }
    if (presented.length !== 16 || !timingSafeEqual(presented, this.pinHash!)) {
      this.mismatchesInARow++;
      this.keyAgreement = generateKeyPair(this.random);
      if (this.retries === 0) fail(STATUS.PIN_BLOCKED);
      if (this.authBlocked) fail(STATUS.PIN_AUTH_BLOCKED);
      fail(STATUS.PIN_INVALID);
    }
    this.retries = MAX_PIN_RETRIES;
    this.mismatchesInARow = 0;
  }

  /** Whether `pin` (UTF-8) is the PIN currently set. */
  isCurrentPin(pin: Uint8Array): boolean {
    return this.pinHash !== undefined && timingSafeEqual(sha256(pin).subarray(0, 16), this.pinHash);
  }

  setPin(pin: Uint8Array): void {
    this.pinHash = sha256(pin).slice(0, 16);
    this.pinLength = codePoints(pin);
    this.retries = MAX_PIN_RETRIES;
    this.mismatchesInARow = 0;
    this.forcePinChange = false;
    this.token = undefined;
  }

  /** Issues a fresh pinUvAuthToken (the previous one stops working). */
  issueToken(permissions: number, rpId: string | undefined): Uint8Array {
    const value = this.random(32);
    this.token = { value, permissions, rpId };
    return value;
  }

  /**
   * Verifies a pinUvAuthParam over `message` with the current token and checks that the token carries
   * `permission` for `rpId` (a token without an RP binding gets bound to the first RP it is used for).
   */
  verifyToken(protocolVersion: number | undefined, param: Uint8Array, message: Uint8Array, permission: number, rpId?: string): void {
    const protocol = this.protocol(protocolVersion);
    const token = this.token;
    if (!token || !protocol.verify(token.value, message, param)) fail(STATUS.PIN_AUTH_INVALID);
    if ((token.permissions & permission) !== permission) fail(STATUS.UNAUTHORIZED_PERMISSION);
    if (rpId !== undefined) {
      if (token.rpId !== undefined && token.rpId !== rpId) fail(STATUS.UNAUTHORIZED_PERMISSION);
      token.rpId = rpId;
    }
  }

  /** The RP a token is bound to, for commands that refuse RP-bound tokens. */
  get tokenRpId(): string | undefined {
    return this.token?.rpId;
  }
}

function codePoints(utf8: Uint8Array): number {
  try {
    return [...new TextDecoder('utf-8', { fatal: true }).decode(utf8)].length;
  } catch {
    fail(STATUS.PIN_POLICY_VIOLATION);
  }
}
