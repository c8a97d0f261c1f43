import { describe, expect, it } from 'vitest';
import type { NodeHidDeviceInfo } from '../../../../electron/core/hid/node-hid.js';
import { findOtpSibling } from '../../../../electron/core/hid/vendor-serial/sibling-interfaces.js';
import { FIDO, fakeRealpath, OTP, securityKey, yubiKey5 } from './sysfs-layouts.js';

const fidoOf = (devices: readonly NodeHidDeviceInfo[], path: string) => {
  const entry = devices.find((d) => d.path === path)!;
  return { path, vendorId: entry.vendorId, productId: entry.productId };
};

describe('findOtpSibling on Linux (sysfs)', () => {
  const a = yubiKey5(1, 'hidraw0', 'hidraw1', 1);
  const b = yubiKey5(2, 'hidraw2', 'hidraw3', 3);
  const links = { ...a.links, ...b.links };
  // node-hid's order is not the USB order; interleave the two keys.
  const devices = [b.devices[1]!, a.devices[0]!, b.devices[0]!, a.devices[1]!];

  it('pairs each of two YubiKeys on a hub with its own OTP interface, never the other key’s', async () => {
    const realpath = fakeRealpath(links);
    expect(await findOtpSibling(fidoOf(devices, '/dev/hidraw1'), devices, { platform: 'linux', realpath })).toBe('/dev/hidraw0');
    expect(await findOtpSibling(fidoOf(devices, '/dev/hidraw3'), devices, { platform: 'linux', realpath })).toBe('/dev/hidraw2');
  });

  it('finds nothing for a Security Key (no OTP interface) plugged in beside a YubiKey 5', async () => {
    const sk = securityKey(3, 'hidraw4', 5);
    const all = [...devices, ...sk.devices];
    const realpath = fakeRealpath({ ...links, ...sk.links });
    expect(await findOtpSibling(fidoOf(all, '/dev/hidraw4'), all, { platform: 'linux', realpath })).toBeUndefined();
  });

  it('finds nothing when sysfs cannot be read or the layout is not a USB one', async () => {
    expect(await findOtpSibling(fidoOf(devices, '/dev/hidraw1'), devices, { platform: 'linux', realpath: fakeRealpath({}) })).toBeUndefined();
    // uhid (a software HID device) hangs off /sys/devices/virtual: no USB device directory to compare.
    const virtual = {
      '/sys/class/hidraw/hidraw0/device': '/sys/devices/virtual/misc/uhid/0003:1050:0407.0001',
      '/sys/class/hidraw/hidraw1/device': '/sys/devices/virtual/misc/uhid/0003:1050:0407.0002',
    };
    expect(await findOtpSibling(fidoOf(devices, '/dev/hidraw1'), devices, { platform: 'linux', realpath: fakeRealpath(virtual) })).toBeUndefined();
  });

  it('does not pair a node whose sysfs ids belong to another device', async () => {
    const wrongIds = { ...links, '/sys/class/hidraw/hidraw0/device': links['/sys/class/hidraw/hidraw0/device']!.replace('1050:0407', '046d:c52b') };
    expect(await findOtpSibling(fidoOf(devices, '/dev/hidraw1'), devices, { platform: 'linux', realpath: fakeRealpath(wrongIds) })).toBeUndefined();
  });

  it('leaves a non-Yubico key without a sibling even when it has a keyboard interface', async () => {
    const other: NodeHidDeviceInfo[] = [
      { path: '/dev/hidraw8', vendorId: 0x20a0, productId: 0x42b1, ...FIDO },
      { path: '/dev/hidraw9', vendorId: 0x1050, productId: 0x0407, ...OTP },
    ];
    const realpath = fakeRealpath({
      '/sys/class/hidraw/hidraw8/device': '/sys/devices/pci0000:00/0000:00:14.0/usb1/1-3/1-3:1.1/0003:20A0:42B1.0007',
      '/sys/class/hidraw/hidraw9/device': '/sys/devices/pci0000:00/0000:00:14.0/usb1/1-3/1-3:1.0/0003:1050:0407.0006',
    });
    expect(await findOtpSibling(fidoOf(other, '/dev/hidraw8'), other, { platform: 'linux', realpath })).toBeUndefined();
  });
});

describe('findOtpSibling on Windows and macOS (no shared path part)', () => {
  const win = (mi: string, hash: string) => `\\\\?\\hid#vid_1050&pid_0407&mi_${mi}#${hash}&0&0000#{4d1e55b2-f16f-11cf-88cb-001111000030}`;
  const one: NodeHidDeviceInfo[] = [
    { path: win('00', '8&a6f8690'), vendorId: 0x1050, productId: 0x0407, ...OTP },
    { path: win('01', '8&2e46c452'), vendorId: 0x1050, productId: 0x0407, ...FIDO },
  ];
  const never = fakeRealpath({});

  it('pairs when exactly one YubiKey FIDO and one OTP interface are plugged in', async () => {
    expect(await findOtpSibling(fidoOf(one, win('01', '8&2e46c452')), one, { platform: 'win32', realpath: never })).toBe(win('00', '8&a6f8690'));
    const mac: NodeHidDeviceInfo[] = [
      { path: 'DevSrvsID:4294968811', vendorId: 0x1050, productId: 0x0407, ...OTP },
      { path: 'DevSrvsID:4294968815', vendorId: 0x1050, productId: 0x0407, ...FIDO },
    ];
    expect(await findOtpSibling(fidoOf(mac, 'DevSrvsID:4294968815'), mac, { platform: 'darwin', realpath: never })).toBe('DevSrvsID:4294968811');
    expect(never.calls).toEqual([]);
  });

  it('never guesses between two YubiKeys', async () => {
    const two: NodeHidDeviceInfo[] = [
      ...one,
      { path: win('00', '8&11111111'), vendorId: 0x1050, productId: 0x0407, ...OTP },
      { path: win('01', '8&22222222'), vendorId: 0x1050, productId: 0x0407, ...FIDO },
    ];
    for (const fido of [win('01', '8&2e46c452'), win('01', '8&22222222')]) {
      expect(await findOtpSibling(fidoOf(two, fido), two, { platform: 'win32', realpath: never })).toBeUndefined();
    }
  });

  it('does not hand a Security Key the OTP interface of a YubiKey 5 beside it', async () => {
    const mixed: NodeHidDeviceInfo[] = [...one, { path: 'DevSrvsID:1', vendorId: 0x1050, productId: 0x0120, ...FIDO }];
    expect(await findOtpSibling(fidoOf(mixed, 'DevSrvsID:1'), mixed, { platform: 'darwin', realpath: never })).toBeUndefined();
    const alone: NodeHidDeviceInfo[] = [one[0]!, { path: 'DevSrvsID:1', vendorId: 0x1050, productId: 0x0120, ...FIDO }];
    expect(await findOtpSibling(fidoOf(alone, 'DevSrvsID:1'), alone, { platform: 'darwin', realpath: never })).toBeUndefined();
  });
});
