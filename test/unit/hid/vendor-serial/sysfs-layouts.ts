// Fake sysfs layouts and node-hid device lists for pairing tests: hidraw nodes of YubiKeys on a USB hub,
// as /sys/class/hidraw/<node>/device resolves on Linux.
import type { NodeHidDeviceInfo } from '../../../../electron/core/hid/node-hid.js';
import type { RealPath } from '../../../../electron/core/hid/vendor-serial/sibling-interfaces.js';

export const FIDO = { usagePage: 0xf1d0, usage: 1 } as const;
export const OTP = { usagePage: 0x01, usage: 6 } as const;

const HUB = '/sys/devices/pci0000:00/0000:00:14.0/usb1/1-2';

/** A YubiKey 5 (1050:0407) on hub port `port`: interface 0 is the OTP keyboard, interface 1 FIDO. */
export function yubiKey5(port: number, otpNode: string, fidoNode: string, instance: number) {
  const usb = `${HUB}/1-2.${port}`;
  const seq = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  return {
    links: {
      [`/sys/class/hidraw/${otpNode}/device`]: `${usb}/1-2.${port}:1.0/0003:1050:0407.${seq(instance)}`,
      [`/sys/class/hidraw/${fidoNode}/device`]: `${usb}/1-2.${port}:1.1/0003:1050:0407.${seq(instance + 1)}`,
    },
    devices: [
      { path: `/dev/${otpNode}`, vendorId: 0x1050, productId: 0x0407, ...OTP, product: 'YubiKey OTP+FIDO+CCID' },
      { path: `/dev/${fidoNode}`, vendorId: 0x1050, productId: 0x0407, ...FIDO, product: 'YubiKey OTP+FIDO+CCID' },
    ] satisfies NodeHidDeviceInfo[],
  };
}

/** A Security Key series key (1050:0120): a FIDO interface only. */
export function securityKey(port: number, fidoNode: string, instance: number) {
  return {
    links: { [`/sys/class/hidraw/${fidoNode}/device`]: `${HUB}/1-2.${port}/1-2.${port}:1.0/0003:1050:0120.${instance.toString(16).padStart(4, '0')}` },
    devices: [{ path: `/dev/${fidoNode}`, vendorId: 0x1050, productId: 0x0120, ...FIDO, product: 'Security Key by Yubico' }] satisfies NodeHidDeviceInfo[],
  };
}

export function fakeRealpath(links: Record<string, string>): RealPath & { calls: string[] } {
  const calls: string[] = [];
  const realpath = async (path: string): Promise<string> => {
    calls.push(path);
    const target = links[path];
    if (target === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, realpath '${path}'`), { code: 'ENOENT' });
    return target;
  };
  return Object.assign(realpath, { calls });
}
