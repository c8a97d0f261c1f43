import { describe, expect, it } from 'vitest';
import type { FeatureReportDevice } from '../../../../electron/core/hid/vendor-serial/feature-device.js';
import { readVendorSerial } from '../../../../electron/core/hid/vendor-serial/vendor-serial.js';
import { FakeYubiKeyOtp, type FakeYubiKeyOtpOptions } from './fake-yubikey-otp.js';
import { FIDO, fakeRealpath, OTP, securityKey, yubiKey5 } from './sysfs-layouts.js';

const a = yubiKey5(1, 'hidraw0', 'hidraw1', 1);
const b = yubiKey5(2, 'hidraw2', 'hidraw3', 3);
const devices = [...a.devices, ...b.devices];
const realpath = fakeRealpath({ ...a.links, ...b.links });
const FIDO_A = { path: '/dev/hidraw1', vendorId: 0x1050, productId: 0x0407 };

function keys(options: Record<string, FakeYubiKeyOtpOptions>) {
  const opened: string[] = [];
  const made: FakeYubiKeyOtp[] = [];
  const open = async (path: string): Promise<FeatureReportDevice> => {
    opened.push(path);
    const key = new FakeYubiKeyOtp({ path, ...options[path] });
    made.push(key);
    return key;
  };
  return { open, opened, made };
}

describe('readVendorSerial', () => {
  it('reads the serial from the OTP interface of the same key, as a decimal string, and closes it', async () => {
    const { open, opened, made } = keys({ '/dev/hidraw0': { serial: 12345678 }, '/dev/hidraw2': { serial: 87654321 } });
    expect(await readVendorSerial(FIDO_A, devices, open, { platform: 'linux', realpath })).toBe('12345678');
    expect(await readVendorSerial({ ...FIDO_A, path: '/dev/hidraw3' }, devices, open, { platform: 'linux', realpath })).toBe('87654321');
    expect(opened).toEqual(['/dev/hidraw0', '/dev/hidraw2']);
    expect(made.every((key) => key.closed && key.violations.length === 0)).toBe(true);
  });

  it('is undefined when the key hides its serial', async () => {
    const { open, made } = keys({ '/dev/hidraw0': { serialVisible: false } });
    expect(await readVendorSerial(FIDO_A, devices, open, { platform: 'linux', realpath })).toBeUndefined();
    expect(made[0]!.closed).toBe(true);
  });

  it('is undefined, within the timeout, when the OTP interface stays silent', async () => {
    const { open, made } = keys({ '/dev/hidraw0': { silent: true } });
    expect(await readVendorSerial(FIDO_A, devices, open, { platform: 'linux', realpath, timeoutMs: 100 })).toBeUndefined();
    // The lookup closes the handle behind the cut-off, not before it.
    await expect.poll(() => made[0]!.closed).toBe(true);
  });

  it('is undefined, within the timeout, when opening the interface hangs; a late handle is closed', async () => {
    let release: ((device: FeatureReportDevice) => void) | undefined;
    const late = new FakeYubiKeyOtp();
    const open = () => new Promise<FeatureReportDevice>((resolve) => (release = resolve));
    expect(await readVendorSerial(FIDO_A, devices, open, { platform: 'linux', realpath, timeoutMs: 50 })).toBeUndefined();
    release!(late);
    await expect.poll(() => late.closed).toBe(true);
    expect(late.written).toEqual([]);
  });

  it('is undefined when the interface cannot be opened (no udev access to the keyboard node)', async () => {
    const open = async () => Promise.reject(new Error("Failed to open a device with path '/dev/hidraw0': Permission denied"));
    expect(await readVendorSerial(FIDO_A, devices, open, { platform: 'linux', realpath })).toBeUndefined();
  });

  it('asks nothing of a Security Key (no OTP interface) or of another vendor’s key', async () => {
    const sk = securityKey(3, 'hidraw4', 5);
    const { open, opened } = keys({});
    const all = [...devices, ...sk.devices];
    const withSk = fakeRealpath({ ...a.links, ...b.links, ...sk.links });
    expect(await readVendorSerial({ path: '/dev/hidraw4', vendorId: 0x1050, productId: 0x0120 }, all, open, { platform: 'linux', realpath: withSk })).toBeUndefined();
    const nitrokey = [
      { path: '/dev/hidraw8', vendorId: 0x20a0, productId: 0x42b1, ...FIDO },
      { path: '/dev/hidraw9', vendorId: 0x20a0, productId: 0x42b1, ...OTP },
    ];
    expect(await readVendorSerial({ path: '/dev/hidraw8', vendorId: 0x20a0, productId: 0x42b1 }, nitrokey, open, { platform: 'win32' })).toBeUndefined();
    expect(opened).toEqual([]);
  });

  it('is undefined when the caller aborts', async () => {
    const { open } = keys({ '/dev/hidraw0': { silent: true } });
    const controller = new AbortController();
    const reading = readVendorSerial(FIDO_A, devices, open, { platform: 'linux', realpath, timeoutMs: 10_000, signal: controller.signal });
    controller.abort();
    expect(await reading).toBeUndefined();
  });
});
