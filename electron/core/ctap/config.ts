// authenticatorConfig (CTAP 2.1 §6.11): the wire format and the three subcommands the station uses.
// The MAC covers 32×0xFF ‖ 0x0D ‖ subCommand ‖ CBOR(subCommandParams), as libfido2's config.c computes it.
import { encode, type CborMap, type CborValue } from './cbor.js';
import type { PinUvAuthToken } from './client-pin.js';
import { CONFIG_SUB, CTAP2_CMD } from './constants.js';
import type { Ctap2 } from './ctap2.js';
import type { CallOptions } from './transport.js';

export interface ConfigRequest {
  readonly subCommand: number;
  readonly subCommandParams?: CborMap;
  readonly pinUvAuthProtocol?: number;
  readonly pinUvAuthParam?: Uint8Array;
}

export function encodeConfigRequest(req: ConfigRequest): CborMap {
  const m = new Map<number, CborValue>([[0x01, req.subCommand]]);
  if (req.subCommandParams) m.set(0x02, req.subCommandParams);
  if (req.pinUvAuthProtocol !== undefined) m.set(0x03, req.pinUvAuthProtocol);
  if (req.pinUvAuthParam) m.set(0x04, req.pinUvAuthParam);
  return m;
}

/** The message a config pinUvAuthParam authenticates. */
export function configAuthMessage(subCommand: number, params?: CborMap): Uint8Array {
  const encoded = params ? encode(params) : new Uint8Array(0);
  const out = new Uint8Array(32 + 2 + encoded.length);
  out.fill(0xff, 0, 32);
  out[32] = CTAP2_CMD.CONFIG;
  out[33] = subCommand;
  out.set(encoded, 34);
  return out;
}

export interface SetMinPinLengthParams {
  readonly minPinLength?: number;
  /** RP IDs allowed to read the minimum PIN length through the minPinLength extension. */
  readonly rpIds?: readonly string[];
  readonly forceChangePin?: boolean;
}

export class AuthenticatorConfig {
  /**
   * `token` needs the authenticatorConfig permission (0x20). It may be omitted only while the key has no
   * PIN and alwaysUv is off; the key then accepts unauthenticated config commands.
   */
  constructor(
    private readonly ctap: Ctap2,
    private readonly token: PinUvAuthToken | undefined,
  ) {}

  private async call(subCommand: number, params: CborMap | undefined, options?: CallOptions): Promise<void> {
    const auth = this.token && {
      pinUvAuthProtocol: this.token.protocol.version,
      pinUvAuthParam: this.token.authenticate(configAuthMessage(subCommand, params)),
    };
    await this.ctap.config({ subCommand, subCommandParams: params, ...auth }, options);
  }

  enableEnterpriseAttestation(options?: CallOptions): Promise<void> {
    return this.call(CONFIG_SUB.ENABLE_ENTERPRISE_ATTESTATION, undefined, options);
  }

  toggleAlwaysUv(options?: CallOptions): Promise<void> {
    return this.call(CONFIG_SUB.TOGGLE_ALWAYS_UV, undefined, options);
  }

  async setMinPinLength(params: SetMinPinLengthParams, options?: CallOptions): Promise<void> {
    const m = new Map<number, CborValue>();
    if (params.minPinLength !== undefined) {
      if (!Number.isInteger(params.minPinLength) || params.minPinLength < 4 || params.minPinLength > 63) {
        throw new RangeError(`minPinLength must be an integer from 4 to 63, got ${params.minPinLength}`);
      }
      m.set(0x01, params.minPinLength);
    }
    if (params.rpIds !== undefined) m.set(0x02, [...params.rpIds]);
    if (params.forceChangePin !== undefined) m.set(0x03, params.forceChangePin);
    if (m.size === 0) throw new RangeError('setMinPinLength needs minPinLength, rpIds or forceChangePin');
    return this.call(CONFIG_SUB.SET_MIN_PIN_LENGTH, m, options);
  }
}
