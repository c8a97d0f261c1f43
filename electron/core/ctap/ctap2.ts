// The CTAP2 command layer over any CtapTransport: one method per authenticator command, request maps
// encoded canonically, replies decoded strictly. A non-zero status becomes a CtapError named after the
// command; a reply that is not a CBOR map with integer keys becomes a ProtocolError.
import { CborError, decode, encode, type CborMap, type CborValue } from './cbor.js';
import { clientPinSubcommandName, encodeClientPinRequest, parseClientPinResponse, type ClientPinRequest, type ClientPinResponse } from './client-pin.js';
import { encodeConfigRequest, type ConfigRequest } from './config.js';
import { CTAP2_CMD, MAX_MESSAGE_SIZE } from './constants.js';
import {
  encodeCredentialManagementRequest,
  parseCredentialManagementResponse,
  type CredentialManagementRequest,
  type CredentialManagementResponse,
} from './credential-management.js';
import { CtapError, ProtocolError } from './errors.js';
import { credentialManagementCommand, parseAuthenticatorInfo, type AuthenticatorInfo } from './info.js';
import { encodeMakeCredentialRequest, parseMakeCredentialResponse, type MakeCredentialRequest, type MakeCredentialResponse } from './make-credential.js';
import type { CallOptions, CtapTransport } from './transport.js';

/** CTAP 2.1 §6.4: the message size a key accepts when getInfo does not say. */
export const DEFAULT_MAX_MSG_SIZE = 1024;

const COMMAND_NAMES: Readonly<Record<number, string>> = {
  [CTAP2_CMD.MAKE_CREDENTIAL]: 'makeCredential',
  [CTAP2_CMD.GET_ASSERTION]: 'getAssertion',
  [CTAP2_CMD.GET_INFO]: 'getInfo',
  [CTAP2_CMD.CLIENT_PIN]: 'clientPIN',
  [CTAP2_CMD.RESET]: 'reset',
  [CTAP2_CMD.GET_NEXT_ASSERTION]: 'getNextAssertion',
  [CTAP2_CMD.BIO_ENROLLMENT]: 'bioEnrollment',
  [CTAP2_CMD.CREDENTIAL_MANAGEMENT]: 'credentialManagement',
  [CTAP2_CMD.SELECTION]: 'selection',
  [CTAP2_CMD.LARGE_BLOBS]: 'largeBlobs',
  [CTAP2_CMD.CONFIG]: 'authenticatorConfig',
  [CTAP2_CMD.CREDENTIAL_MANAGEMENT_PREVIEW]: 'credentialManagement (preview)',
};

function commandName(command: number): string {
  return COMMAND_NAMES[command] ?? `command 0x${command.toString(16).padStart(2, '0')}`;
}

/** A request the key would not accept because it exceeds the key's maxMsgSize; nothing was sent. */
export class RequestTooLargeError extends Error {
  override readonly name = 'RequestTooLargeError';
  constructor(
    readonly command: string,
    readonly size: number,
    readonly limit: number,
  ) {
    super(`The ${command} request is ${size} bytes; this key accepts at most ${limit}. Use fewer or shorter values, or another key model.`);
  }
}

export class Ctap2 {
  #info: AuthenticatorInfo | undefined;

  constructor(
    readonly transport: CtapTransport,
    /** A getInfo result already read from this key, e.g. by discovery. */
    info?: AuthenticatorInfo,
  ) {
    this.#info = info;
  }

  /** The last getInfo result, if any. */
  get info(): AuthenticatorInfo | undefined {
    return this.#info;
  }

  /** Largest request (command byte + CBOR) the key accepts: its maxMsgSize, default 1024, never above the CTAPHID limit. */
  get maxMsgSize(): number {
    return Math.min(this.#info?.maxMsgSize ?? DEFAULT_MAX_MSG_SIZE, MAX_MESSAGE_SIZE);
  }

  /** Sends one command and returns its reply map (empty when the key sent only a status byte). */
  async send(command: number, params?: CborValue, options?: CallOptions, context = commandName(command)): Promise<CborMap> {
    const data = params === undefined ? undefined : encode(params);
    const size = 1 + (data?.length ?? 0);
    if (size > this.maxMsgSize) throw new RequestTooLargeError(context, size, this.maxMsgSize);
    const reply = await this.transport.sendCbor(command, data, options);
    if (reply.length === 0) throw new ProtocolError(`${context} reply is empty: no status byte`);
    if (reply[0] !== 0) throw new CtapError(reply[0]!, context);
    if (reply.length === 1) return new Map();
    let value: CborValue;
    try {
      value = decode(reply.subarray(1));
    } catch (e) {
      if (e instanceof CborError) throw new ProtocolError(`${context} reply is not canonical CTAP2 CBOR: ${e.message}`);
      throw e;
    }
    if (!(value instanceof Map)) throw new ProtocolError(`${context} reply is not a CBOR map`);
    for (const key of value.keys()) {
      if (typeof key !== 'number') throw new ProtocolError(`${context} reply has the text key ${JSON.stringify(key)}; CTAP2 replies use integer keys`);
    }
    return value;
  }

  /** Reads getInfo and remembers it (maxMsgSize, options and PIN protocols steer later commands). */
  async getInfo(options?: CallOptions): Promise<AuthenticatorInfo> {
    const info = parseAuthenticatorInfo(await this.send(CTAP2_CMD.GET_INFO, undefined, options));
    this.#info = info;
    return info;
  }

  /** Needs a touch unless the key is told otherwise; pass onKeepalive to tell the technician. */
  async makeCredential(req: MakeCredentialRequest, options?: CallOptions): Promise<MakeCredentialResponse> {
    return parseMakeCredentialResponse(await this.send(CTAP2_CMD.MAKE_CREDENTIAL, encodeMakeCredentialRequest(req), options));
  }

  async clientPin(req: ClientPinRequest, options?: CallOptions): Promise<ClientPinResponse> {
    const context = `clientPIN ${clientPinSubcommandName(req.subCommand)}`;
    const reply = await this.send(CTAP2_CMD.CLIENT_PIN, encodeClientPinRequest(req), options, context);
    return parseClientPinResponse(reply, req.subCommand);
  }

  /**
   * Erases every credential and the PIN. Keys accept it only within about 10 s of being plugged in
   * (else CTAP2_ERR_NOT_ALLOWED) and after a touch (else CTAP2_ERR_USER_ACTION_TIMEOUT).
   */
  async reset(options?: CallOptions): Promise<void> {
    await this.send(CTAP2_CMD.RESET, undefined, options);
  }

  /** Waits for a touch, so the technician can show which key is which; USER_ACTION_TIMEOUT if nobody touches it. */
  async selection(options?: CallOptions): Promise<void> {
    await this.send(CTAP2_CMD.SELECTION, undefined, options);
  }

  async config(req: ConfigRequest, options?: CallOptions): Promise<void> {
    await this.send(CTAP2_CMD.CONFIG, encodeConfigRequest(req), options);
  }

  /** Uses 0x0A, or the preview command 0x41 when the key lists only `credentialMgmtPreview`. */
  async credentialManagement(req: CredentialManagementRequest, options?: CallOptions): Promise<CredentialManagementResponse> {
    const reply = await this.send(credentialManagementCommand(this.#info), encodeCredentialManagementRequest(req), options);
    return parseCredentialManagementResponse(reply);
  }
}
