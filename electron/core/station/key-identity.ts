// Which key this is, as the bench records it: the AAGUID and firmware the key reports, a model name a
// technician recognises, and the serial with where it came from (the vendor's own interface, the USB
// descriptor, a scanned box label, or nothing). `activate` needs a serial and a firmware "x.y.z"; keys that tell neither still get one.
import { firmwareString } from '../ctap/key-summary.js';
import { modelForAaguid } from '../ctap/known-aaguids.js';
import type { AuthenticatorInfo } from '../ctap/info.js';
import type { HidDescriptor, HidKind } from '../hid/device.js';

export type SerialSource = 'usb' | 'vendor' | 'scan' | 'none';

export interface KeyIdentity {
  readonly path: string;
  readonly kind: HidKind;
  readonly aaguid: string;
  readonly model: string;
  readonly serial?: string;
  readonly serialSource: SerialSource;
  /** "major.minor.patch" when the key reports firmwareVersion. */
  readonly firmware?: string;
  readonly versions: readonly string[];
}

/** Sent as `serial` (activate, PIN response) when neither the key nor a scan gave one. */
export const UNKNOWN_SERIAL = 'unknown';
/** Sent as `version` when getInfo has no firmwareVersion. */
export const UNKNOWN_FIRMWARE = '0.0.0';

export function identifyKey(descriptor: HidDescriptor, info: AuthenticatorInfo): KeyIdentity {
  // The vendor's answer wins: some models fill iSerial with a constant.
  const vendorSerial = descriptor.vendorSerial?.trim();
  const usbSerial = descriptor.serialNumber?.trim();
  const firmware = firmwareString(info.firmwareVersion);
  return {
    path: descriptor.path,
    kind: descriptor.kind,
    aaguid: info.aaguidString,
    model: descriptor.product?.trim() || modelForAaguid(info.aaguidString) || `FIDO2 key (AAGUID ${info.aaguidString})`,
    ...(vendorSerial
      ? { serial: vendorSerial, serialSource: 'vendor' as const }
      : usbSerial
        ? { serial: usbSerial, serialSource: 'usb' as const }
        : { serialSource: 'none' as const }),
    ...(firmware === undefined ? {} : { firmware }),
    versions: [...info.versions],
  };
}

/** The same physical key as a journaled identity (after a restart the port may hold another key). */
export function sameKey(a: Pick<KeyIdentity, 'aaguid' | 'serial' | 'serialSource'>, b: Pick<KeyIdentity, 'aaguid' | 'serial' | 'serialSource'>): boolean {
  if (a.aaguid !== b.aaguid) return false;
  // A key that reports no serial itself cannot be told apart from its twin; the port path already matched.
  const reported = (s: SerialSource): boolean => s === 'usb' || s === 'vendor';
  if (!reported(a.serialSource) || !reported(b.serialSource)) return true;
  return a.serial === b.serial;
}
