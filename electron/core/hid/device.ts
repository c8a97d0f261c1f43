// The HidDevice port (architecture.md): what every transport below CTAPHID offers, whether it is a USB
// key through node-hid or a virtual key in memory. Reports are the 64 bytes of a CTAPHID packet; the
// node-hid adapter adds the leading 0x00 report id itself.

export type HidKind = 'usb' | 'virtual';

export interface HidDescriptor {
  /** Stable identity of the port: the OS device path for USB keys, `virtual:N` for virtual keys. */
  readonly path: string;
  readonly kind: HidKind;
  readonly vendorId: number;
  readonly productId: number;
  /** USB iSerial string where the vendor fills it; not unique on some models. */
  readonly serialNumber?: string;
  /** The serial the vendor's own interface reported (a YubiKey's OTP interface), when one answered. */
  readonly vendorSerial?: string;
  readonly product?: string;
  readonly manufacturer?: string;
}

export interface HidDevice {
  readonly descriptor: HidDescriptor;
  /** Sends one 64-byte report. Rejects with DeviceGoneError once the key is gone. */
  write(report: Uint8Array): Promise<void>;
  /** Resolves with the next 64-byte report, or undefined when `timeoutMs` passes first. Rejects with DeviceGoneError once the key is gone. */
  read(timeoutMs: number): Promise<Uint8Array | undefined>;
  close(): Promise<void>;
}

/** A source of keys: enumerates FIDO HID interfaces and opens them. */
export interface HidBackend {
  readonly kind: HidKind;
  enumerate(): Promise<HidDescriptor[]>;
  open(path: string): Promise<HidDevice>;
}
