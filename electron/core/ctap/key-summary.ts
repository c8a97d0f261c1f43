// What keybench reads from a key without changing it: the USB descriptor, getInfo, and the PIN retry
// counter. Used by `keybench keys` and by the station's key check.
import type { HidDevice } from '../hid/device.js';
import { ClientPin } from './client-pin.js';
import { Ctap2 } from './ctap2.js';
import { CtapHidConnection } from './ctaphid.js';
import { CtapError } from './errors.js';
import { choosePinProtocol, clientPinSet, type AuthenticatorInfo } from './info.js';
import { pinProtocol } from './pin-protocol.js';

export interface KeySummary {
  readonly path: string;
  readonly kind: 'usb' | 'virtual';
  readonly vendorId: string;
  readonly productId: string;
  readonly product?: string;
  readonly manufacturer?: string;
  readonly serial?: string;
  readonly aaguid: string;
  readonly versions: readonly string[];
  readonly extensions: readonly string[];
  readonly firmwareVersion?: string;
  readonly pinUvAuthProtocols: readonly number[];
  readonly pinSet: boolean;
  /** PIN retries left; absent when the key has no PIN or will not say. */
  readonly pinRetries?: number;
  readonly minPinLength: number;
  readonly forcePinChange: boolean;
  readonly remainingDiscoverableCredentials?: number;
  readonly options: Readonly<Record<string, boolean>>;
}

const hex4 = (n: number) => '0x' + n.toString(16).padStart(4, '0');

/** getInfo's firmwareVersion is an integer; vendors that use it pack x.y.z as 0xXXYYZZ. */
export function firmwareString(value: number | undefined): string | undefined {
  if (value === undefined) return undefined;
  return `${(value >> 16) & 0xff}.${(value >> 8) & 0xff}.${value & 0xff}`;
}

export function summarizeInfo(device: HidDevice, info: AuthenticatorInfo, pinRetries: number | undefined): KeySummary {
  const d = device.descriptor;
  const pinSet = clientPinSet(info) === true;
  return {
    path: d.path,
    kind: d.kind,
    vendorId: hex4(d.vendorId),
    productId: hex4(d.productId),
    product: d.product,
    manufacturer: d.manufacturer,
    serial: d.serialNumber,
    aaguid: info.aaguidString,
    versions: info.versions,
    extensions: info.extensions,
    firmwareVersion: firmwareString(info.firmwareVersion),
    pinUvAuthProtocols: info.pinUvAuthProtocols,
    pinSet,
    pinRetries,
    minPinLength: info.minPinLength ?? 4,
    forcePinChange: info.forcePinChange ?? false,
    remainingDiscoverableCredentials: info.remainingDiscoverableCredentials,
    options: Object.fromEntries(info.options),
  };
}

/** Opens the key, reads it, and closes the connection (the device handle stays the caller's). */
export async function inspectKey(device: HidDevice): Promise<KeySummary> {
  const connection = await CtapHidConnection.open(device);
  try {
    const ctap = new Ctap2(connection);
    const info = await ctap.getInfo();
    let retries: number | undefined;
    if (clientPinSet(info) === true) {
      try {
        retries = (await new ClientPin(ctap, pinProtocol(choosePinProtocol(info))).getPinRetries()).retries;
      } catch (e) {
        if (!(e instanceof CtapError)) throw e;
      }
    }
    return summarizeInfo(device, info, retries);
  } finally {
    await connection.close();
  }
}
