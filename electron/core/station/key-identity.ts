// Which key this is, as the bench records it: the AAGUID and firmware the key reports, a model name a
// technician recognises, and the serial with where it came from (USB descriptor, a scanned box label,
// or nothing). `activate` needs a serial and a firmware "x.y.z"; keys that tell neither still get one.
import type { AuthenticatorInfo } from '../ctap/info.js';
import type { HidDescriptor, HidKind } from '../hid/device.js';

export type SerialSource = 'usb' | 'scan' | 'none';

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

/** Models a technician recognises by AAGUID when the USB product string is missing. */
const MODELS_BY_AAGUID: Readonly<Record<string, string>> = {
  'cb69481e-8ff7-4039-93ec-0a2729a154a8': 'YubiKey 5 Series',
  'ee882879-721c-4913-9775-3dfcce97072a': 'YubiKey 5 Series',
  'fa2b99dc-9e39-4257-8f92-4a30d23c4118': 'YubiKey 5 Series with NFC',
  '2fc0579f-8113-47ea-b116-bb5a8db9202a': 'YubiKey 5 Series with NFC',
  'c1f9a0bc-1dd2-404a-b27f-8e29047a43fd': 'YubiKey 5 FIPS Series with NFC',
  '73bb0cd4-e502-49b8-9c6f-b59445bf720b': 'YubiKey 5 FIPS Series',
  'a4e9fc6d-4cbe-4758-b8ba-37598bb5bbaa': 'Security Key NFC by Yubico',
  'ee041bce-25e5-4cdb-8f86-897fd6418464': 'Security Key NFC by Yubico - Enterprise Edition',
  '6b657962-656e-6368-7669-727475616c31': 'keybench Virtual Key',
};

/** getInfo's firmwareVersion integer (0xMMmmpp, as YubiKeys and the virtual key report it) as "M.m.p". */
export function firmwareString(version: number | undefined): string | undefined {
  if (version === undefined) return undefined;
  return `${(version >> 16) & 0xff}.${(version >> 8) & 0xff}.${version & 0xff}`;
}

export function identifyKey(descriptor: HidDescriptor, info: AuthenticatorInfo): KeyIdentity {
  const serial = descriptor.serialNumber?.trim();
  const firmware = firmwareString(info.firmwareVersion);
  return {
    path: descriptor.path,
    kind: descriptor.kind,
    aaguid: info.aaguidString,
    model: descriptor.product?.trim() || MODELS_BY_AAGUID[info.aaguidString] || `FIDO2 key (AAGUID ${info.aaguidString})`,
    ...(serial ? { serial, serialSource: 'usb' as const } : { serialSource: 'none' as const }),
    ...(firmware === undefined ? {} : { firmware }),
    versions: [...info.versions],
  };
}

/** The same physical key as a journaled identity (after a restart the port may hold another key). */
export function sameKey(a: Pick<KeyIdentity, 'aaguid' | 'serial' | 'serialSource'>, b: Pick<KeyIdentity, 'aaguid' | 'serial' | 'serialSource'>): boolean {
  if (a.aaguid !== b.aaguid) return false;
  // A key without a USB serial cannot be told apart from its twin; the port path already matched.
  if (a.serialSource !== 'usb' || b.serialSource !== 'usb') return true;
  return a.serial === b.serial;
}
