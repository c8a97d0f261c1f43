// authenticatorGetInfo (0x04): what the key supports, shaped by its knobs and current state.
import type { CborMap, CborValue } from '../ctap/cbor.js';
import { COSE_ALG } from '../ctap/constants.js';
import type { KeyState } from './key-state.js';
import { firmwareVersionNumber, type VirtualKeyOptions } from './options.js';

export const MAX_MSG_SIZE = 1200;
export const MAX_CRED_COUNT_IN_LIST = 8;
export const MAX_CRED_ID_LENGTH = 128;
export const MAX_RPIDS_FOR_SET_MIN_PIN_LENGTH = 8;

export function getInfo(options: VirtualKeyOptions, state: KeyState): CborMap {
  const extensions: string[] = [];
  if (options.credProtect) extensions.push('credProtect');
  if (options.minPinLengthExtension) extensions.push('minPinLength');

  const keyOptions: Record<string, boolean> = {
    rk: true,
    up: true,
    plat: false,
    clientPin: state.pin.isSet,
    pinUvAuthToken: true,
    authnrCfg: true,
    credMgmt: true,
    credentialMgmtPreview: true,
    setMinPINLength: true,
    makeCredUvNotRqd: !state.alwaysUv,
    alwaysUv: state.alwaysUv,
  };
  if (options.enterpriseAttestation) keyOptions.ep = state.epEnabled;

  const info = new Map<number, CborValue>([
    [0x01, ['FIDO_2_0', 'FIDO_2_1_PRE', 'FIDO_2_1']],
    [0x03, options.aaguid],
    [0x04, keyOptions],
    [0x05, MAX_MSG_SIZE],
    [0x06, [...options.pinProtocols]],
    [0x07, MAX_CRED_COUNT_IN_LIST],
    [0x08, MAX_CRED_ID_LENGTH],
    [0x09, ['usb']],
    [0x0a, [{ alg: COSE_ALG.ES256, type: 'public-key' }]],
    [0x0c, state.pin.forcePinChange],
    [0x0d, state.pin.minPinLength],
    [0x0e, firmwareVersionNumber(options.firmwareVersion)],
    [0x10, MAX_RPIDS_FOR_SET_MIN_PIN_LENGTH],
    [0x14, state.credentials.remainingDiscoverable],
  ]);
  if (extensions.length > 0) info.set(0x02, extensions);
  return info;
}
