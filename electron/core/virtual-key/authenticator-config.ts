// authenticatorConfig (0x0D): enable enterprise attestation, toggle alwaysUv, setMinPINLength. Once the
// key is PIN-protected every subcommand needs a token with the acfg permission, MACed over
// 32×0xFF ‖ 0x0D ‖ subCommand ‖ CBOR(subCommandParams).
import { encode } from '../ctap/cbor.js';
import { CONFIG_SUB, CTAP2_CMD, PERMISSION } from '../ctap/constants.js';
import { concatBytes } from './bytes.js';
import { MAX_RPIDS_FOR_SET_MIN_PIN_LENGTH } from './get-info.js';
import type { KeyState } from './key-state.js';
import type { VirtualKeyOptions } from './options.js';
import type { Params } from './request.js';
import { STATUS, fail } from './status.js';

const KEY = { SUB: 1, PARAMS: 2, PIN_UV_AUTH_PROTOCOL: 3, PIN_UV_AUTH_PARAM: 4 } as const;
const MIN_PIN = { NEW_MIN_PIN_LENGTH: 1, RP_IDS: 2, FORCE_CHANGE_PIN: 3 } as const;
const MAX_PIN_CODE_POINTS = 63;

export function authenticatorConfig(p: Params, state: KeyState, options: VirtualKeyOptions): void {
  const sub = p.int(KEY.SUB);
  const subParams = p.optionalParams(KEY.PARAMS);
  const param = p.optionalBytes(KEY.PIN_UV_AUTH_PARAM);
  const protocolVersion = p.optionalInt(KEY.PIN_UV_AUTH_PROTOCOL);

  if (param) {
    const message = concatBytes(
      new Uint8Array(32).fill(0xff),
      Uint8Array.of(CTAP2_CMD.CONFIG, sub),
      subParams ? encode(subParams.value) : new Uint8Array(0),
    );
    state.pin.verifyToken(protocolVersion, param, message, PERMISSION.AUTHENTICATOR_CONFIG);
  } else if (state.pin.isSet || state.alwaysUv) {
    fail(STATUS.PUAT_REQUIRED);
  }

  switch (sub) {
    case CONFIG_SUB.ENABLE_ENTERPRISE_ATTESTATION:
      if (!options.enterpriseAttestation) fail(STATUS.INVALID_SUBCOMMAND);
      state.epEnabled = true;
      return;

    case CONFIG_SUB.TOGGLE_ALWAYS_UV:
      state.alwaysUv = !state.alwaysUv;
      return;

    case CONFIG_SUB.SET_MIN_PIN_LENGTH: {
      const pin = state.pin;
      const newLength = subParams?.optionalInt(MIN_PIN.NEW_MIN_PIN_LENGTH) ?? pin.minPinLength;
      const rpIds = subParams?.optionalArray(MIN_PIN.RP_IDS)?.map((id) => {
        if (typeof id !== 'string') fail(STATUS.CBOR_UNEXPECTED_TYPE);
        return id;
      });
      const forceChangePin = subParams?.optionalBool(MIN_PIN.FORCE_CHANGE_PIN) ?? false;
      if (newLength < pin.minPinLength || newLength > MAX_PIN_CODE_POINTS) fail(STATUS.PIN_POLICY_VIOLATION);
      if (rpIds && rpIds.length > MAX_RPIDS_FOR_SET_MIN_PIN_LENGTH) fail(STATUS.PIN_POLICY_VIOLATION);
      if (forceChangePin && !pin.isSet) fail(STATUS.PIN_NOT_SET);
      pin.minPinLength = newLength;
      if (rpIds) pin.minPinLengthRpIds = rpIds;
      if (forceChangePin || (pin.isSet && pin.currentPinLength < newLength)) pin.forcePinChange = true;
      return;
    }

    default:
      fail(STATUS.INVALID_SUBCOMMAND);
  }
}
