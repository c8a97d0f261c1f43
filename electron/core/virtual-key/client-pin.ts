// authenticatorClientPIN (0x06), protocols 1 and 2: retries, key agreement, setPIN, changePIN and the
// two PIN-based token subcommands. The key has no built-in UV, so the UV subcommands are unsupported.
import type { CborMap, CborValue } from '../ctap/cbor.js';
import { CLIENT_PIN_SUB, PERMISSION } from '../ctap/constants.js';
import { coseKeyAgreement } from '../ctap/pin-protocol.js';
import type { KeyState } from './key-state.js';
import type { VirtualKeyOptions } from './options.js';
import { LEGACY_TOKEN_PERMISSIONS } from './pin-state.js';
import { concatBytes } from './bytes.js';
import type { Params } from './request.js';
import { STATUS, fail } from './status.js';

const KEY = { PROTOCOL: 1, SUB: 2, KEY_AGREEMENT: 3, PIN_UV_AUTH_PARAM: 4, NEW_PIN_ENC: 5, PIN_HASH_ENC: 6, PERMISSIONS: 9, RP_ID: 0x0a } as const;
const OUT = { KEY_AGREEMENT: 1, TOKEN: 2, PIN_RETRIES: 3, POWER_CYCLE_STATE: 4 } as const;

/** Permissions this key can grant: no bio enrollment, no large blobs. */
const GRANTABLE = PERMISSION.MAKE_CREDENTIAL | PERMISSION.GET_ASSERTION | PERMISSION.CREDENTIAL_MANAGEMENT | PERMISSION.AUTHENTICATOR_CONFIG;


export function clientPin(p: Params, state: KeyState, options: VirtualKeyOptions): CborMap | undefined {
  const sub = p.int(KEY.SUB);
  const pin = state.pin;
  switch (sub) {
    case CLIENT_PIN_SUB.GET_PIN_RETRIES:
      if (!pin.isSet && options.pinRetriesBeforeSet === 'pin-not-set') fail(STATUS.PIN_NOT_SET);
      return new Map<number, CborValue>([
        [OUT.PIN_RETRIES, pin.retries],
        [OUT.POWER_CYCLE_STATE, pin.authBlocked],
      ]);

    case CLIENT_PIN_SUB.GET_KEY_AGREEMENT:
      pin.protocol(p.optionalInt(KEY.PROTOCOL));
      return new Map([[OUT.KEY_AGREEMENT, coseKeyAgreement(pin.keyAgreementPublicKey)]]);

    case CLIENT_PIN_SUB.SET_PIN: {
      const protocol = pin.protocol(p.optionalInt(KEY.PROTOCOL));
      const platformKey = p.params(KEY.KEY_AGREEMENT).value;
      const param = p.bytes(KEY.PIN_UV_AUTH_PARAM);
      const newPinEnc = p.bytes(KEY.NEW_PIN_ENC);
      if (pin.isSet) fail(STATUS.NOT_ALLOWED);
      const shared = pin.sharedSecret(protocol, platformKey);
      if (!protocol.verify(shared, newPinEnc, param)) fail(STATUS.PIN_AUTH_INVALID);
      pin.setPin(pin.decryptNewPin(protocol, shared, newPinEnc));
      return undefined;
    }

    case CLIENT_PIN_SUB.CHANGE_PIN: {
      const protocol = pin.protocol(p.optionalInt(KEY.PROTOCOL));
      const platformKey = p.params(KEY.KEY_AGREEMENT).value;
      const param = p.bytes(KEY.PIN_UV_AUTH_PARAM);
      const newPinEnc = p.bytes(KEY.NEW_PIN_ENC);
      const pinHashEnc = p.bytes(KEY.PIN_HASH_ENC);
      if (!pin.isSet) fail(STATUS.PIN_NOT_SET);
      if (pin.retries === 0) fail(STATUS.PIN_BLOCKED);
      const shared = pin.sharedSecret(protocol, platformKey);
      if (!protocol.verify(shared, concatBytes(newPinEnc, pinHashEnc), param)) fail(STATUS.PIN_AUTH_INVALID);
      pin.verifyPinHash(protocol, shared, pinHashEnc);
      const newPin = pin.decryptNewPin(protocol, shared, newPinEnc);
      // A forced change must actually change the PIN (python-fido2's device tests expect this).
      if (pin.forcePinChange && pin.isCurrentPin(newPin)) fail(STATUS.PIN_POLICY_VIOLATION);
      pin.setPin(newPin);
      return undefined;
    }

    case CLIENT_PIN_SUB.GET_PIN_TOKEN: {
      const protocol = pin.protocol(p.optionalInt(KEY.PROTOCOL));
      const platformKey = p.params(KEY.KEY_AGREEMENT).value;
      const pinHashEnc = p.bytes(KEY.PIN_HASH_ENC);
      if (p.has(KEY.PERMISSIONS) || p.has(KEY.RP_ID)) fail(STATUS.INVALID_PARAMETER);
      const shared = pin.sharedSecret(protocol, platformKey);
      pin.verifyPinHash(protocol, shared, pinHashEnc);
      if (pin.forcePinChange) fail(STATUS.PIN_INVALID);
      return new Map([[OUT.TOKEN, protocol.encrypt(shared, pin.issueToken(LEGACY_TOKEN_PERMISSIONS, undefined))]]);
    }

    case CLIENT_PIN_SUB.GET_PIN_UV_AUTH_TOKEN_USING_PIN_WITH_PERMISSIONS: {
      const protocol = pin.protocol(p.optionalInt(KEY.PROTOCOL));
      const platformKey = p.params(KEY.KEY_AGREEMENT).value;
      const pinHashEnc = p.bytes(KEY.PIN_HASH_ENC);
      const permissions = p.int(KEY.PERMISSIONS);
      const rpId = p.optionalText(KEY.RP_ID);
      if (permissions <= 0) fail(STATUS.INVALID_PARAMETER);
      if ((permissions & ~GRANTABLE) !== 0) fail(STATUS.UNAUTHORIZED_PERMISSION);
      const shared = pin.sharedSecret(protocol, platformKey);
      pin.verifyPinHash(protocol, shared, pinHashEnc);
      if (pin.forcePinChange) fail(STATUS.PIN_INVALID);
      return new Map([[OUT.TOKEN, protocol.encrypt(shared, pin.issueToken(permissions, rpId))]]);
    }

    case CLIENT_PIN_SUB.GET_PIN_UV_AUTH_TOKEN_USING_UV_WITH_PERMISSIONS:
    case CLIENT_PIN_SUB.GET_UV_RETRIES:
    default:
      fail(STATUS.INVALID_SUBCOMMAND);
  }
}
