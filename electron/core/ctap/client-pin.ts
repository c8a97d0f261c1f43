// authenticatorClientPIN (CTAP 2.1 §6.5): the wire format of the command, and the PIN flows built on it
// (retries, set, change, token). Every PIN operation runs its own getKeyAgreement, because a key
// regenerates its key-agreement key after a failed PIN attempt. PINs never appear in errors.
import type { CborMap, CborValue } from './cbor.js';
import { CLIENT_PIN_SUB, PERMISSION } from './constants.js';
import { ProtocolError } from './errors.js';
import type { Ctap2 } from './ctap2.js';
import { supportsPinUvAuthToken, type AuthenticatorInfo } from './info.js';
import { padPin, parseCoseEcKey, pinHash, type EcPublicKey, type PinUvAuthProtocol } from './pin-protocol.js';
import { ReplyReader } from './reply-reader.js';
import type { CallOptions } from './transport.js';

export interface ClientPinRequest {
  readonly pinUvAuthProtocol?: number;
  readonly subCommand: number;
  /** The platform's COSE key-agreement key. */
  readonly keyAgreement?: CborMap;
  readonly pinUvAuthParam?: Uint8Array;
  readonly newPinEnc?: Uint8Array;
  readonly pinHashEnc?: Uint8Array;
  readonly permissions?: number;
  readonly rpId?: string;
}

export interface ClientPinResponse {
  /** The key's COSE key-agreement key, unparsed. */
  readonly keyAgreement?: CborMap;
  /** Encrypted under the shared secret. */
  readonly pinUvAuthToken?: Uint8Array;
  readonly pinRetries?: number;
  readonly powerCycleState?: boolean;
  readonly uvRetries?: number;
}

const SUBCOMMAND_NAMES: Readonly<Record<number, string>> = {
  [CLIENT_PIN_SUB.GET_PIN_RETRIES]: 'getPINRetries',
  [CLIENT_PIN_SUB.GET_KEY_AGREEMENT]: 'getKeyAgreement',
  [CLIENT_PIN_SUB.SET_PIN]: 'setPIN',
  [CLIENT_PIN_SUB.CHANGE_PIN]: 'changePIN',
  [CLIENT_PIN_SUB.GET_PIN_TOKEN]: 'getPinToken',
  [CLIENT_PIN_SUB.GET_PIN_UV_AUTH_TOKEN_USING_UV_WITH_PERMISSIONS]: 'getPinUvAuthTokenUsingUvWithPermissions',
  [CLIENT_PIN_SUB.GET_UV_RETRIES]: 'getUVRetries',
  [CLIENT_PIN_SUB.GET_PIN_UV_AUTH_TOKEN_USING_PIN_WITH_PERMISSIONS]: 'getPinUvAuthTokenUsingPinWithPermissions',
};

export function clientPinSubcommandName(subCommand: number): string {
  return SUBCOMMAND_NAMES[subCommand] ?? `subcommand 0x${subCommand.toString(16).padStart(2, '0')}`;
}

export function encodeClientPinRequest(req: ClientPinRequest): CborMap {
  const m = new Map<number, CborValue>();
  if (req.pinUvAuthProtocol !== undefined) m.set(0x01, req.pinUvAuthProtocol);
  m.set(0x02, req.subCommand);
  if (req.keyAgreement) m.set(0x03, req.keyAgreement);
  if (req.pinUvAuthParam) m.set(0x04, req.pinUvAuthParam);
  if (req.newPinEnc) m.set(0x05, req.newPinEnc);
  if (req.pinHashEnc) m.set(0x06, req.pinHashEnc);
  if (req.permissions !== undefined) m.set(0x09, req.permissions);
  if (req.rpId !== undefined) m.set(0x0a, req.rpId);
  return m;
}

export function parseClientPinResponse(reply: CborMap, subCommand: number): ClientPinResponse {
  const r = new ReplyReader(reply, `clientPIN ${clientPinSubcommandName(subCommand)} reply`);
  return {
    keyAgreement: r.map(0x01, 'keyAgreement'),
    pinUvAuthToken: r.bytes(0x02, 'pinUvAuthToken'),
    pinRetries: r.uint(0x03, 'pinRetries'),
    powerCycleState: r.bool(0x04, 'powerCycleState'),
    uvRetries: r.uint(0x05, 'uvRetries'),
  };
}

/** A PIN the station was asked to use cannot be valid for this key; nothing was sent. */
export class PinFormatError extends Error {
  override readonly name = 'PinFormatError';
}

/**
 * A pinUvAuthToken bound to the protocol it was obtained with. The token bytes sit in a private field so
 * logging or serialising the object does not reveal them.
 */
export class PinUvAuthToken {
  readonly #token: Uint8Array;

  constructor(
    readonly protocol: PinUvAuthProtocol,
    token: Uint8Array,
    /** The permissions asked for; undefined for a legacy (0x05) token, which the key scopes on its own. */
    readonly permissions?: number,
    readonly rpId?: string,
  ) {
    this.#token = Uint8Array.from(token);
  }

  get token(): Uint8Array {
    return Uint8Array.from(this.#token);
  }

  /** pinUvAuthParam for `message`: 16 bytes under protocol 1, 32 under protocol 2. */
  authenticate(message: Uint8Array): Uint8Array {
    return this.protocol.authenticate(this.#token, message);
  }

  toJSON(): { protocol: number; permissions?: number; rpId?: string } {
    return { protocol: this.protocol.version, permissions: this.permissions, rpId: this.rpId };
  }
}

export interface PinRetries {
  readonly retries: number;
  /** true: the key wants a power cycle before it accepts another PIN attempt. */
  readonly powerCycleState?: boolean;
}

const MIN_PIN_CODE_POINTS = 4;
const DEFAULT_TOKEN_PERMISSIONS = PERMISSION.MAKE_CREDENTIAL | PERMISSION.GET_ASSERTION;

export class ClientPin {
  constructor(
    private readonly ctap: Ctap2,
    readonly protocol: PinUvAuthProtocol,
  ) {}

  private async info(options?: CallOptions): Promise<AuthenticatorInfo> {
    return this.ctap.info ?? (await this.ctap.getInfo(options));
  }

  private call(req: Omit<ClientPinRequest, 'pinUvAuthProtocol'>, options?: CallOptions): Promise<ClientPinResponse> {
    return this.ctap.clientPin({ pinUvAuthProtocol: this.protocol.version, ...req }, options);
  }

  /** The key's current key-agreement public key. */
  async getKeyAgreement(options?: CallOptions): Promise<EcPublicKey> {
    const reply = await this.call({ subCommand: CLIENT_PIN_SUB.GET_KEY_AGREEMENT }, options);
    if (!reply.keyAgreement) throw new ProtocolError('clientPIN getKeyAgreement reply: member 0x01 (keyAgreement) is missing');
    return parseCoseEcKey(reply.keyAgreement);
  }

  /** A fresh key agreement: our COSE key to send, and the secret shared with the key. */
  private async agree(options?: CallOptions): Promise<{ keyAgreement: CborMap; sharedSecret: Uint8Array }> {
    return this.protocol.encapsulate(await this.getKeyAgreement(options));
  }

  async getPinRetries(options?: CallOptions): Promise<PinRetries> {
    const reply = await this.call({ subCommand: CLIENT_PIN_SUB.GET_PIN_RETRIES }, options);
    if (reply.pinRetries === undefined) throw new ProtocolError('clientPIN getPINRetries reply: member 0x03 (pinRetries) is missing');
    return reply.powerCycleState === undefined ? { retries: reply.pinRetries } : { retries: reply.pinRetries, powerCycleState: reply.powerCycleState };
  }

  async getUvRetries(options?: CallOptions): Promise<number> {
    const reply = await this.call({ subCommand: CLIENT_PIN_SUB.GET_UV_RETRIES }, options);
    if (reply.uvRetries === undefined) throw new ProtocolError('clientPIN getUVRetries reply: member 0x05 (uvRetries) is missing');
    return reply.uvRetries;
  }

  async setPin(pin: string, options?: CallOptions): Promise<void> {
    const padded = await this.paddedNewPin(pin, options);
    const { keyAgreement, sharedSecret } = await this.agree(options);
    const newPinEnc = this.protocol.encrypt(sharedSecret, padded);
    const pinUvAuthParam = this.protocol.authenticate(sharedSecret, newPinEnc);
    await this.call({ subCommand: CLIENT_PIN_SUB.SET_PIN, keyAgreement, pinUvAuthParam, newPinEnc }, options);
  }

  async changePin(oldPin: string, newPin: string, options?: CallOptions): Promise<void> {
    checkPinShape(oldPin, 'current');
    const padded = await this.paddedNewPin(newPin, options);
    const { keyAgreement, sharedSecret } = await this.agree(options);
    const newPinEnc = this.protocol.encrypt(sharedSecret, padded);
    const pinHashEnc = this.protocol.encrypt(sharedSecret, pinHash(oldPin));
    const pinUvAuthParam = this.protocol.authenticate(sharedSecret, concat(newPinEnc, pinHashEnc));
    await this.call({ subCommand: CLIENT_PIN_SUB.CHANGE_PIN, keyAgreement, pinUvAuthParam, newPinEnc, pinHashEnc }, options);
  }

  /**
   * A pinUvAuthToken. Keys that list `pinUvAuthToken` get subcommand 0x09 with `permissions` (default
   * makeCredential | getAssertion) and the optional `rpId`; older keys get the legacy 0x05 without them.
   */
  async getPinToken(pin: string, permissions?: number, rpId?: string, options?: CallOptions): Promise<PinUvAuthToken> {
    checkPinShape(pin, 'given');
    const withPermissions = supportsPinUvAuthToken(await this.info(options));
    const subCommand = withPermissions ? CLIENT_PIN_SUB.GET_PIN_UV_AUTH_TOKEN_USING_PIN_WITH_PERMISSIONS : CLIENT_PIN_SUB.GET_PIN_TOKEN;
    const granted = withPermissions ? (permissions ?? DEFAULT_TOKEN_PERMISSIONS) : undefined;
    const { keyAgreement, sharedSecret } = await this.agree(options);
    const pinHashEnc = this.protocol.encrypt(sharedSecret, pinHash(pin));
    const reply = await this.call({ subCommand, keyAgreement, pinHashEnc, permissions: granted, rpId: withPermissions ? rpId : undefined }, options);
    const where = `clientPIN ${clientPinSubcommandName(subCommand)} reply`;
    if (!reply.pinUvAuthToken) throw new ProtocolError(`${where}: member 0x02 (pinUvAuthToken) is missing`);
    const token = this.protocol.decrypt(sharedSecret, reply.pinUvAuthToken);
    const allowed = this.protocol.version === 1 ? [16, 32] : [32];
    if (!allowed.includes(token.length)) {
      throw new ProtocolError(`${where}: decrypted pinUvAuthToken is ${token.length} bytes, protocol ${this.protocol.version} allows ${allowed.join(' or ')}`);
    }
    return new PinUvAuthToken(this.protocol, token, granted, withPermissions ? rpId : undefined);
  }

  private async paddedNewPin(pin: string, options?: CallOptions): Promise<Uint8Array> {
    const minimum = Math.max(MIN_PIN_CODE_POINTS, (await this.info(options)).minPinLength ?? MIN_PIN_CODE_POINTS);
    if ([...pin].length < minimum) throw new PinFormatError(`The new PIN is shorter than this key's minimum of ${minimum} characters.`);
    checkPinShape(pin, 'new');
    return padPin(pin);
  }
}

/** CTAP carries PINs of 4 or more characters and at most 63 UTF-8 bytes. */
function checkPinShape(pin: string, which: 'current' | 'given' | 'new'): void {
  if ([...pin].length < MIN_PIN_CODE_POINTS) throw new PinFormatError(`The ${which} PIN is shorter than ${MIN_PIN_CODE_POINTS} characters.`);
  if (new TextEncoder().encode(pin).length > 63) throw new PinFormatError(`The ${which} PIN is longer than 63 bytes.`);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
