// A HidBackend in memory for the HID host tests: devices echo what is written to them, and the backend
// can be told to fail.
import { DeviceGoneError } from '../../../electron/core/ctap/errors.js';
import type { HidBackend, HidDescriptor, HidDevice } from '../../../electron/core/hid/device.js';

export const KEY: HidDescriptor = { path: '/dev/hidraw4', kind: 'usb', vendorId: 0x1050, productId: 0x0407, product: 'YubiKey 5', serialNumber: '123' };

export class EchoDevice implements HidDevice {
  readonly written: Uint8Array[] = [];
  private readonly replies: Uint8Array[] = [];
  closed = false;
  gone = false;

  constructor(readonly descriptor: HidDescriptor) {}

  async write(report: Uint8Array): Promise<void> {
    if (this.gone) throw new DeviceGoneError(`The key at ${this.descriptor.path} stopped answering.`);
    this.written.push(Uint8Array.from(report));
    this.replies.push(Uint8Array.from(report));
  }

  async read(_timeoutMs: number): Promise<Uint8Array | undefined> {
    if (this.gone) throw new DeviceGoneError(`The key at ${this.descriptor.path} stopped answering.`);
    return this.replies.shift();
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

export class FakeBackend implements HidBackend {
  readonly kind = 'usb' as const;
  readonly opened: EchoDevice[] = [];
  descriptors: HidDescriptor[] = [KEY];

  async enumerate(): Promise<HidDescriptor[]> {
    // Extra members a real backend might carry must not cross the process boundary.
    return this.descriptors.map((d) => ({ ...d, internalHandle: 7 }));
  }

  async open(path: string): Promise<HidDevice> {
    const descriptor = this.descriptors.find((d) => d.path === path);
    if (!descriptor) throw new DeviceGoneError(`No FIDO key is plugged in at ${path}.`);
    const device = new EchoDevice(descriptor);
    this.opened.push(device);
    return device;
  }
}

export function report(fill: number): Uint8Array {
  return new Uint8Array(64).fill(fill);
}
