import { describe, expect, it } from 'vitest';
import { createNodeHidBackend } from '../../../../electron/core/hid/node-hid.js';
import type { NodeHidDeviceInfo, NodeHidHandle, NodeHidModule } from '../../../../electron/core/hid/node-hid.js';
import { FakeYubiKeyOtp, type FakeYubiKeyOtpOptions } from './fake-yubikey-otp.js';
import { FIDO, fakeRealpath, OTP, yubiKey5 } from './sysfs-layouts.js';

const a = yubiKey5(1, 'hidraw0', 'hidraw1', 1);
const b = yubiKey5(2, 'hidraw2', 'hidraw3', 3);
const realpath = fakeRealpath({ ...a.links, ...b.links });

/** A CTAPHID handle that is only opened and closed here. */
function fidoHandle(): NodeHidHandle {
  return { write: async (data) => data.length, read: async () => undefined, close: async () => undefined };
}

/** node-hid's view of a simulated OTP interface: Buffers in and out, report id first. */
function otpHandle(key: FakeYubiKeyOtp): NodeHidHandle {
  return {
    write: async () => Promise.reject(new Error('the OTP interface must never get output reports')),
    read: async () => Promise.reject(new Error('the OTP interface must never be read')),
    close: () => key.close(),
    sendFeatureReport: async (data) => {
      await key.sendFeatureReport(Uint8Array.from(data));
      return data.length;
    },
    getFeatureReport: async (reportId, length) => Buffer.from(await key.getFeatureReport(reportId, length)),
  };
}

function fakeModule(initial: NodeHidDeviceInfo[], otp: Record<string, FakeYubiKeyOtpOptions>) {
  let devices = initial;
  const opened: string[] = [];
  const keys: FakeYubiKeyOtp[] = [];
  const module: NodeHidModule = {
    devicesAsync: async () => devices,
    getHidapiVersion: () => '0.15.0',
    HIDAsync: {
      open: async (path) => {
        opened.push(path);
        const options = otp[path];
        if (!options) return fidoHandle();
        const key = new FakeYubiKeyOtp({ path, ...options });
        keys.push(key);
        return otpHandle(key);
      },
    },
  };
  return { module, opened, keys, plug: (list: NodeHidDeviceInfo[]) => (devices = list) };
}

describe('NodeHidBackend and the vendor serial', () => {
  it('fills vendorSerial from the OTP interface of the same YubiKey when the key is opened', async () => {
    const { module, opened, keys } = fakeModule([...a.devices, ...b.devices], { '/dev/hidraw0': { serial: 12345678 }, '/dev/hidraw2': { serial: 7654321 } });
    const backend = createNodeHidBackend(module, 'linux', { realpath });
    await backend.enumerate();
    const first = await backend.open('/dev/hidraw1');
    const second = await backend.open('/dev/hidraw3');
    expect(first.descriptor.vendorSerial).toBe('12345678');
    expect(second.descriptor.vendorSerial).toBe('7654321');
    expect(keys.every((key) => key.closed && key.violations.length === 0)).toBe(true);
    expect(opened).toEqual(['/dev/hidraw1', '/dev/hidraw0', '/dev/hidraw3', '/dev/hidraw2']);
  });

  it('asks once per plugged-in key and lists the answer with later enumerations', async () => {
    const { module, opened } = fakeModule(a.devices, { '/dev/hidraw0': { serial: 12345678 } });
    const backend = createNodeHidBackend(module, 'linux', { realpath });
    await backend.open('/dev/hidraw1');
    const again = await backend.open('/dev/hidraw1');
    expect(again.descriptor.vendorSerial).toBe('12345678');
    expect(opened.filter((path) => path === '/dev/hidraw0')).toHaveLength(1);
    expect(await backend.enumerate()).toEqual([expect.objectContaining({ path: '/dev/hidraw1', vendorSerial: '12345678' })]);
  });

  it('remembers a key that gave no serial and does not ask it again; asks afresh after a replug', async () => {
    const { module, opened, plug } = fakeModule(a.devices, { '/dev/hidraw0': { serialVisible: false } });
    const backend = createNodeHidBackend(module, 'linux', { realpath });
    expect((await backend.open('/dev/hidraw1')).descriptor.vendorSerial).toBeUndefined();
    expect((await backend.open('/dev/hidraw1')).descriptor).not.toHaveProperty('vendorSerial');
    expect(opened.filter((path) => path === '/dev/hidraw0')).toHaveLength(1);
    plug([]);
    await backend.enumerate();
    plug(a.devices);
    await backend.open('/dev/hidraw1');
    expect(opened.filter((path) => path === '/dev/hidraw0')).toHaveLength(2);
  });

  it('opens no other interface for a key of another vendor', async () => {
    const nitrokey: NodeHidDeviceInfo[] = [
      { path: '/dev/hidraw8', vendorId: 0x20a0, productId: 0x42b1, ...FIDO },
      { path: '/dev/hidraw9', vendorId: 0x20a0, productId: 0x42b1, ...OTP },
    ];
    const { module, opened } = fakeModule(nitrokey, {});
    const device = await createNodeHidBackend(module, 'linux', { realpath }).open('/dev/hidraw8');
    expect(device.descriptor).not.toHaveProperty('vendorSerial');
    expect(opened).toEqual(['/dev/hidraw8']);
  });

  it('opens the OTP interface non-exclusively on macOS', async () => {
    const mac: NodeHidDeviceInfo[] = [
      { path: 'DevSrvsID:4294968811', vendorId: 0x1050, productId: 0x0407, ...OTP },
      { path: 'DevSrvsID:4294968815', vendorId: 0x1050, productId: 0x0407, ...FIDO },
    ];
    const { module } = fakeModule(mac, { 'DevSrvsID:4294968811': { serial: 23456789 } });
    const options: unknown[] = [];
    const open = module.HIDAsync.open;
    const spying: NodeHidModule = { ...module, HIDAsync: { open: (path, o) => (options.push(o), open(path, o)) } };
    const device = await createNodeHidBackend(spying, 'darwin').open('DevSrvsID:4294968815');
    expect(device.descriptor.vendorSerial).toBe('23456789');
    expect(options).toEqual([{ nonExclusive: true }, { nonExclusive: true }]);
  });
});
