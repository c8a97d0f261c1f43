// authenticatorCredentialManagement (CTAP 2.1 §6.8): the wire format and the flows the station needs to
// audit and clean discoverable credentials. Begin subcommands are authenticated with
// authenticate(subCommand ‖ CBOR(params)); getNext subcommands are not.
import { encode, type CborMap, type CborValue } from './cbor.js';
import type { PinUvAuthToken } from './client-pin.js';
import { CREDMAN_SUB } from './constants.js';
import type { Ctap2 } from './ctap2.js';
import { CtapError, ProtocolError } from './errors.js';
import type { CredentialDescriptor, RelyingPartyEntity, UserEntity } from './make-credential.js';
import { ReplyReader } from './reply-reader.js';
import type { CallOptions } from './transport.js';

/** CTAP2_ERR_NO_CREDENTIALS. */
const NO_CREDENTIALS = 0x2e;

export interface CredentialManagementRequest {
  readonly subCommand: number;
  readonly subCommandParams?: CborMap;
  readonly pinUvAuthProtocol?: number;
  readonly pinUvAuthParam?: Uint8Array;
}

export interface CredentialManagementResponse {
  readonly existingResidentCredentialsCount?: number;
  readonly maxPossibleRemainingResidentCredentialsCount?: number;
  readonly rp?: RelyingPartyEntity;
  readonly rpIdHash?: Uint8Array;
  readonly totalRps?: number;
  readonly user?: UserEntity;
  readonly credentialId?: CredentialDescriptor;
  /** COSE_Key. */
  readonly publicKey?: CborMap;
  readonly totalCredentials?: number;
  readonly credProtect?: number;
  readonly largeBlobKey?: Uint8Array;
}

export function encodeCredentialManagementRequest(req: CredentialManagementRequest): CborMap {
  const m = new Map<number, CborValue>([[0x01, req.subCommand]]);
  if (req.subCommandParams) m.set(0x02, req.subCommandParams);
  if (req.pinUvAuthProtocol !== undefined) m.set(0x03, req.pinUvAuthProtocol);
  if (req.pinUvAuthParam) m.set(0x04, req.pinUvAuthParam);
  return m;
}

export function parseCredentialManagementResponse(reply: CborMap): CredentialManagementResponse {
  const r = new ReplyReader(reply, 'credentialManagement reply');
  const rp = r.reader(0x03, 'rp');
  const user = r.reader(0x06, 'user');
  const descriptor = r.reader(0x07, 'credentialID');
  if (descriptor && descriptor.needText('type', 'type') !== 'public-key') descriptor.invalid('type', 'type', 'must be "public-key"');
  return {
    existingResidentCredentialsCount: r.uint(0x01, 'existingResidentCredentialsCount'),
    maxPossibleRemainingResidentCredentialsCount: r.uint(0x02, 'maxPossibleRemainingResidentCredentialsCount'),
    rp: rp && { id: rp.needText('id', 'id'), name: rp.text('name', 'name') },
    rpIdHash: r.bytes(0x04, 'rpIDHash', [32]),
    totalRps: r.uint(0x05, 'totalRPs'),
    user: user && { id: user.needBytes('id', 'id'), name: user.text('name', 'name'), displayName: user.text('displayName', 'displayName') },
    credentialId: descriptor && { type: 'public-key', id: descriptor.needBytes('id', 'id') },
    publicKey: r.map(0x08, 'publicKey'),
    totalCredentials: r.uint(0x09, 'totalCredentials'),
    credProtect: r.uint(0x0a, 'credProtect'),
    largeBlobKey: r.bytes(0x0b, 'largeBlobKey', [32]),
  };
}

/** The message a credential management pinUvAuthParam authenticates. */
export function credentialManagementAuthMessage(subCommand: number, params?: CborMap): Uint8Array {
  const encoded = params ? encode(params) : new Uint8Array(0);
  const out = new Uint8Array(1 + encoded.length);
  out[0] = subCommand;
  out.set(encoded, 1);
  return out;
}

export interface CredentialsMetadata {
  readonly existingResidentCredentialsCount: number;
  readonly maxPossibleRemainingResidentCredentialsCount: number;
}

export interface StoredRelyingParty {
  readonly rp: RelyingPartyEntity;
  readonly rpIdHash: Uint8Array;
}

export interface StoredCredential {
  readonly user: UserEntity;
  readonly credentialId: CredentialDescriptor;
  readonly publicKey: CborMap;
  readonly credProtect?: number;
  readonly largeBlobKey?: Uint8Array;
}

function need<T>(value: T | undefined, member: string, sub: string): T {
  if (value === undefined) throw new ProtocolError(`credentialManagement ${sub} reply: member ${member} is missing`);
  return value;
}

export class CredentialManagement {
  /** `token` needs the credentialManagement permission (0x04). */
  constructor(
    private readonly ctap: Ctap2,
    private readonly token: PinUvAuthToken,
  ) {}

  private call(subCommand: number, params: CborMap | undefined, authenticated: boolean, options?: CallOptions): Promise<CredentialManagementResponse> {
    const auth = authenticated
      ? { pinUvAuthProtocol: this.token.protocol.version, pinUvAuthParam: this.token.authenticate(credentialManagementAuthMessage(subCommand, params)) }
      : {};
    return this.ctap.credentialManagement({ subCommand, subCommandParams: params, ...auth }, options);
  }

  async getMetadata(options?: CallOptions): Promise<CredentialsMetadata> {
    const reply = await this.call(CREDMAN_SUB.GET_CREDS_METADATA, undefined, true, options);
    return {
      existingResidentCredentialsCount: need(reply.existingResidentCredentialsCount, '0x01 (existingResidentCredentialsCount)', 'getCredsMetadata'),
      maxPossibleRemainingResidentCredentialsCount: need(
        reply.maxPossibleRemainingResidentCredentialsCount,
        '0x02 (maxPossibleRemainingResidentCredentialsCount)',
        'getCredsMetadata',
      ),
    };
  }

  /** Every RP with discoverable credentials on the key; empty when there are none. */
  async enumerateRps(options?: CallOptions): Promise<StoredRelyingParty[]> {
    const first = await this.orNone(this.call(CREDMAN_SUB.ENUMERATE_RPS_BEGIN, undefined, true, options));
    if (!first) return [];
    const total = need(first.totalRps, '0x05 (totalRPs)', 'enumerateRPsBegin');
    if (total === 0) return [];
    const rps = [storedRp(first, 'enumerateRPsBegin')];
    for (let i = 1; i < total; i++) {
      rps.push(storedRp(await this.call(CREDMAN_SUB.ENUMERATE_RPS_GET_NEXT, undefined, false, options), 'enumerateRPsGetNextRP'));
    }
    return rps;
  }

  /** Every discoverable credential of the RP whose ID hashes to `rpIdHash`; empty when there are none. */
  async enumerateCredentials(rpIdHash: Uint8Array, options?: CallOptions): Promise<StoredCredential[]> {
    if (rpIdHash.length !== 32) throw new RangeError(`rpIdHash must be 32 bytes, got ${rpIdHash.length}`);
    const params = new Map<number, CborValue>([[0x01, rpIdHash]]);
    const first = await this.orNone(this.call(CREDMAN_SUB.ENUMERATE_CREDENTIALS_BEGIN, params, true, options));
    if (!first) return [];
    const total = need(first.totalCredentials, '0x09 (totalCredentials)', 'enumerateCredentialsBegin');
    if (total === 0) return [];
    const creds = [storedCredential(first, 'enumerateCredentialsBegin')];
    for (let i = 1; i < total; i++) {
      creds.push(storedCredential(await this.call(CREDMAN_SUB.ENUMERATE_CREDENTIALS_GET_NEXT, undefined, false, options), 'enumerateCredentialsGetNextCredential'));
    }
    return creds;
  }

  async deleteCredential(credentialId: Uint8Array, options?: CallOptions): Promise<void> {
    const params = new Map<number, CborValue>([[0x02, { type: 'public-key', id: credentialId }]]);
    await this.call(CREDMAN_SUB.DELETE_CREDENTIAL, params, true, options);
  }

  /** CTAP 2.1 keys answer a begin subcommand with NO_CREDENTIALS when there is nothing to enumerate. */
  private async orNone(reply: Promise<CredentialManagementResponse>): Promise<CredentialManagementResponse | undefined> {
    try {
      return await reply;
    } catch (e) {
      if (e instanceof CtapError && e.status === NO_CREDENTIALS) return undefined;
      throw e;
    }
  }
}

function storedRp(reply: CredentialManagementResponse, sub: string): StoredRelyingParty {
  return { rp: need(reply.rp, '0x03 (rp)', sub), rpIdHash: need(reply.rpIdHash, '0x04 (rpIDHash)', sub) };
}

function storedCredential(reply: CredentialManagementResponse, sub: string): StoredCredential {
  return {
    user: need(reply.user, '0x06 (user)', sub),
    credentialId: need(reply.credentialId, '0x07 (credentialID)', sub),
    publicKey: need(reply.publicKey, '0x08 (publicKey)', sub),
    credProtect: reply.credProtect,
    largeBlobKey: reply.largeBlobKey,
  };
}
