import { describe, expect, it } from 'vitest';
import { CtapHidConnection } from '../../../electron/core/ctap/ctaphid.js';
import { DeviceAccessError, DeviceGoneError } from '../../../electron/core/ctap/errors.js';
import { createNodeHidBackend, loadNodeHidBackend, NodeHidBackend } from '../../../electron/core/hid/node-hid.js';
import type { NodeHidDeviceInfo, NodeHidHandle, NodeHidModule } from '../../../electron/core/hid/node-hid.js';
import { hexBytes, report } from '../helpers/scripted-hid.js';

const FIDO = { usagePage: 0xf1d0, usage: 1 };
const YUBIKEY: NodeHidDeviceInfo = { path: '/dev/hidraw3', vendorId: 0x1050, productId: 0x0407, serialNumber: '', product: 'YubiKey OTP+FIDO+CCID', manufacturer: 'Yubico', ...FIDO };

class FakeHandle implements NodeHidHandle {
  readonly writes: Buffer[] = [];
  readonly readTimeouts: (number | undefined)[] = [];
  readonly reads: (Buffer | undefined | Error)[] = [];
  writeError: Error | undefined;
  closeError: Error | undefined;
  closed = false;
  onWrite: ((data: Buffer) => void) | undefined;

  async write(data: Buffer): Promise<number> {
    if (this.writeError) throw this.writeError;
    this.writes.push(Buffer.from(data));
    this.onWrite?.(data);
    return data.length;
  }

  async read(timeoutMs?: number): Promise<Buffer | undefined> {
    this.readTimeouts.push(timeoutMs);
    const next = this.reads.shift();
    if (next instanceof Error) throw next;
    return next;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.closeError) throw this.closeError;
  }
}

function fakeModule(devices: NodeHidDeviceInfo[], options: { openError?: Error } = {}) {
  const handle = new FakeHandle();
  const opened: { path: string; options: { nonExclusive?: boolean } | undefined }[] = [];
  const module: NodeHidModule = {
    devicesAsync: async () => devices,
    getHidapiVersion: () => '0.15.0',
    HIDAsync: {
      open: async (path, openOptions) => {
        opened.push({ path, options: openOptions });
        if (options.openError) throw options.openError;
        return handle;
      },
    },
  };
  return { module, handle, opened };
}

describe('NodeHidBackend.enumerate', () => {
  it('keeps only FIDO interfaces (usage page 0xF1D0, usage 1) and describes them', async () => {
    const { module } = fakeModule([
      YUBIKEY,
      { path: '/dev/hidraw2', vendorId: 0x1050, productId: 0x0407, usagePage: 0x01, usage: 6, product: 'keyboard interface' },
      { path: '/dev/hidraw9', vendorId: 0x20a0, productId: 0x42b1, usagePage: 0, usage: 0, product: 'libusb backend, no usages' },
      { vendorId: 0x1050, productId: 0x0407, ...FIDO },
      { path: '/dev/hidraw4', vendorId: 0x1050, productId: 0x0407, serialNumber: '23456789', ...FIDO },
    ]);
    const found = await createNodeHidBackend(module, 'linux').enumerate();
    expect(found).toEqual([
      { path: '/dev/hidraw3', kind: 'usb', vendorId: 0x1050, productId: 0x0407, serialNumber: undefined, product: 'YubiKey OTP+FIDO+CCID', manufacturer: 'Yubico' },
      { path: '/dev/hidraw4', kind: 'usb', vendorId: 0x1050, productId: 0x0407, serialNumber: '23456789', product: undefined, manufacturer: undefined },
    ]);
  });

  it('lists a path once even if the OS reports it twice', async () => {
    const { module } = fakeModule([YUBIKEY, YUBIKEY]);
    expect(await createNodeHidBackend(module, 'linux').enumerate()).toHaveLength(1);
  });

  it('turns an enumeration failure into DeviceAccessError', async () => {
    const { module } = fakeModule([]);
    const failing: NodeHidModule = { ...module, devicesAsync: async () => Promise.reject(new Error('udev went away')) };
    await expect(createNodeHidBackend(failing, 'linux').enumerate()).rejects.toThrow(DeviceAccessError);
  });
});

describe('NodeHidBackend.open and the device', () => {
  it('writes 65 bytes: report id 0x00 and the 64-byte packet, keeping a CID that starts with 0x00', async () => {
    const { module, handle } = fakeModule([YUBIKEY]);
    const device = await createNodeHidBackend(module, 'linux').open('/dev/hidraw3');
    const packet = report('00220002 90 0001 04');
    await device.write(packet);
    expect(handle.writes).toHaveLength(1);
    expect(handle.writes[0]).toHaveLength(65);
    expect(handle.writes[0]![0]).toBe(0);
    expect(new Uint8Array(handle.writes[0]!.subarray(1))).toEqual(packet);
    await expect(device.write(new Uint8Array(65))).rejects.toBeInstanceOf(RangeError);
  });

  it('reads undefined on timeout (undefined or the empty Buffer node-hid 3.4 returns) and 64-byte packets otherwise', async () => {
    const { module, handle } = fakeModule([YUBIKEY]);
    const device = await createNodeHidBackend(module, 'linux').open('/dev/hidraw3');
    const packet = report('00220002 bb 0001 02');
    handle.reads.push(undefined, Buffer.alloc(0), Buffer.from(packet), Buffer.concat([Buffer.of(0), Buffer.from(packet)]));
    expect(await device.read(12.3)).toBeUndefined();
    expect(await device.read(10)).toBeUndefined();
    expect(await device.read(10)).toEqual(packet);
    expect(await device.read(10)).toEqual(packet);
    expect(handle.readTimeouts).toEqual([13, 10, 10, 10]);
  });

  it('maps read and write failures after an unplug to DeviceGoneError', async () => {
    const { module, handle } = fakeModule([YUBIKEY]);
    const device = await createNodeHidBackend(module, 'linux').open('/dev/hidraw3');
    handle.reads.push(new Error('could not read data from device: hid_read_timeout: unexpected poll error (device disconnected)'));
    const readError = await device.read(10).catch((e: unknown) => e);
    expect(readError).toBeInstanceOf(DeviceGoneError);
    expect((readError as Error).message).toContain('/dev/hidraw3');
    handle.writeError = new Error('Cannot write to hid device');
    await expect(device.write(new Uint8Array(64))).rejects.toBeInstanceOf(DeviceGoneError);
  });

  it('closes once, tolerates a close failure of an unplugged key, and refuses I/O afterwards', async () => {
    const { module, handle } = fakeModule([YUBIKEY]);
    const device = await createNodeHidBackend(module, 'linux').open('/dev/hidraw3');
    handle.closeError = new Error('device has been closed');
    await device.close();
    await device.close();
    expect(handle.closed).toBe(true);
    await expect(device.read(10)).rejects.toBeInstanceOf(DeviceGoneError);
  });

  it('opens non-exclusively on macOS only', async () => {
    for (const [platform, expected] of [['darwin', { nonExclusive: true }], ['linux', undefined], ['win32', undefined]] as const) {
      const { module, opened } = fakeModule([YUBIKEY]);
      await createNodeHidBackend(module, platform).open('/dev/hidraw3');
      expect(opened).toEqual([{ path: '/dev/hidraw3', options: expected }]);
    }
  });

  it('refuses to open a path that is not a listed FIDO interface', async () => {
    const { module, opened } = fakeModule([YUBIKEY]);
    await expect(createNodeHidBackend(module, 'linux').open('/dev/hidraw2')).rejects.toBeInstanceOf(DeviceGoneError);
    expect(opened).toEqual([]);
  });

  it('turns open failures into DeviceAccessError with the fix for the platform', async () => {
    const cases = [
      ['linux', "cannot open device with path /dev/hidraw3: Failed to open a device with path '/dev/hidraw3': Permission denied", /udevadm control --reload/],
      ['win32', 'cannot open device with path /dev/hidraw3: open_device: (0x00000005) Access is denied.', /run as Administrator/],
      ['darwin', 'failed to open IOHIDDevice from mach entry: (0xE00002C5) (iokit/common) exclusive access and device already open', /a browser\?/],
    ] as const;
    for (const [platform, message, advice] of cases) {
      const { module } = fakeModule([YUBIKEY], { openError: new Error(message) });
      const error = await createNodeHidBackend(module, platform).open('/dev/hidraw3').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DeviceAccessError);
      expect((error as Error).message).toMatch(advice);
    }
  });

  it('reports a key unplugged between listing and opening as gone', async () => {
    const { module } = fakeModule([YUBIKEY], { openError: new Error("Failed to open a device with path '/dev/hidraw3': No such file or directory") });
    await expect(createNodeHidBackend(module, 'linux').open('/dev/hidraw3')).rejects.toBeInstanceOf(DeviceGoneError);
  });

  it('carries a whole CTAPHID INIT through the 65-byte write path with a CID starting with 0x00', async () => {
    const { module, handle } = fakeModule([YUBIKEY]);
    handle.onWrite = (data) => {
      // hidraw consumes the report id; the key sees bytes 1..64. Answer INIT with the CID from libfido2's wiredata.
      const packet = data.subarray(1);
      if (packet[4] === 0x86) handle.reads.push(Buffer.concat([Buffer.from(hexBytes('ffffffff 86 0011')), packet.subarray(7, 15), Buffer.from(hexBytes('00220002 02 05 02 01 05')), Buffer.alloc(40)]));
    };
    const device = await createNodeHidBackend(module, 'linux').open('/dev/hidraw3');
    const connection = await CtapHidConnection.open(device, { initTimeoutMs: 100 });
    expect(connection.cid).toBe(0x00220002);
  });
});

describe('loadNodeHidBackend', () => {
  it('explains a missing libusb and keeps virtual keys available', async () => {
    const dlopen = Object.assign(new Error('libusb-1.0.so.0: cannot open shared object file: No such file or directory'), { code: 'ERR_DLOPEN_FAILED' });
    const result = await loadNodeHidBackend(async () => Promise.reject(dlopen), 'linux');
    expect(result).toEqual({
      unavailable: 'Real keys are unavailable: node-hid could not load (libusb-1.0-0 missing?). Install it with `sudo apt-get install libusb-1.0-0`. Virtual keys still work.',
    });
  });

  it('catches a binding that fails on first use, not only at import', async () => {
    const { module } = fakeModule([]);
    const broken: NodeHidModule = {
      ...module,
      getHidapiVersion: () => {
        throw new Error('No native build was found for platform=linux arch=riscv64');
      },
    };
    const result = await loadNodeHidBackend(async () => broken, 'linux');
    expect(result).toEqual({ unavailable: expect.stringMatching(/No native build was found.*Virtual keys still work/) });
  });

  it('returns a backend when the module loads', async () => {
    const { module } = fakeModule([YUBIKEY]);
    const result = await loadNodeHidBackend(async () => module, 'linux');
    expect(result).toBeInstanceOf(NodeHidBackend);
    expect((result as NodeHidBackend).hidapiVersion).toBe('0.15.0');
  });
});
