// Which OTP interface belongs to the same physical key as a FIDO interface. node-hid lists every HID
// interface separately; asking the wrong key's OTP interface would stamp one key with another's serial,
// so a pairing is made only when it is certain, and otherwise not at all.
//
// Linux: each hidraw node resolves in sysfs to .../<usb-device>/<usb-device>:<config>.<interface>/<bus>:<vid>:<pid>.<n>;
// two nodes belong to one key when they resolve under the same USB device directory.
// Windows and macOS: the paths carry nothing shared between a key's interfaces (on Windows each interface's
// instance id is hashed from its own parent, e.g. `hid#vid_1050&pid_0114&mi_00#8&a6f8690&…` beside
// `…&mi_01#8&2e46c452&…`; on macOS they are registry entry ids), so a pair is made only when exactly one
// FIDO and one OTP interface of the vendor are plugged in.
import { posix } from 'node:path';
import { FIDO_USAGE, FIDO_USAGE_PAGE } from '../../ctap/constants.js';
import type { NodeHidDeviceInfo } from '../node-hid.js';
import { OTP_USAGE, OTP_USAGE_PAGE } from './yubikey-otp.js';

/** Resolves symlinks like `fs.promises.realpath`; injected so tests can lay out a fake sysfs. */
export type RealPath = (path: string) => Promise<string>;

export interface FidoInterface {
  readonly path: string;
  readonly vendorId: number;
  readonly productId: number;
}

export interface SiblingOptions {
  readonly platform: NodeJS.Platform;
  readonly realpath: RealPath;
}

const HIDRAW_PATH = /^\/dev\/(hidraw\d+)$/;
/** `<bus>:<vid>:<pid>.<instance>` in hex, bus 0003 being USB. */
const HID_DEVICE_DIR = /^0003:([0-9A-F]{4}):([0-9A-F]{4})\.[0-9A-F]+$/i;
const USB_INTERFACE_DIR = /^(.+):\d+\.\d+$/;

/** The path of the OTP interface on the same key as `fido`, or undefined when there is none or it cannot be told for sure. */
export async function findOtpSibling(fido: FidoInterface, devices: readonly NodeHidDeviceInfo[], options: SiblingOptions): Promise<string | undefined> {
  const otpPaths = interfacePaths(devices, fido.vendorId, OTP_USAGE_PAGE, OTP_USAGE, fido.productId);
  if (otpPaths.length === 0) return undefined;
  if (options.platform === 'linux') return sameUsbDevice(fido, otpPaths, options.realpath);
  const fidoPaths = interfacePaths(devices, fido.vendorId, FIDO_USAGE_PAGE, FIDO_USAGE);
  const allOtpPaths = interfacePaths(devices, fido.vendorId, OTP_USAGE_PAGE, OTP_USAGE);
  const onlyKey = fidoPaths.length === 1 && fidoPaths[0] === fido.path && allOtpPaths.length === 1;
  return onlyKey ? otpPaths[0] : undefined;
}

async function sameUsbDevice(fido: FidoInterface, otpPaths: readonly string[], realpath: RealPath): Promise<string | undefined> {
  const fidoDevice = await usbDeviceDirectory(fido.path, fido, realpath);
  if (fidoDevice === undefined) return undefined;
  const matches: string[] = [];
  for (const path of otpPaths) {
    if ((await usbDeviceDirectory(path, fido, realpath)) === fidoDevice) matches.push(path);
  }
  return matches.length === 1 ? matches[0] : undefined;
}

/** The sysfs directory of the USB device a hidraw node hangs off, if the layout is the usual USB one. */
async function usbDeviceDirectory(hidrawPath: string, key: FidoInterface, realpath: RealPath): Promise<string | undefined> {
  const name = HIDRAW_PATH.exec(hidrawPath)?.[1];
  if (name === undefined) return undefined;
  let hidDevice: string;
  try {
    hidDevice = await realpath(`/sys/class/hidraw/${name}/device`);
  } catch {
    return undefined;
  }
  const ids = HID_DEVICE_DIR.exec(posix.basename(hidDevice));
  if (!ids || parseInt(ids[1]!, 16) !== key.vendorId || parseInt(ids[2]!, 16) !== key.productId) return undefined;
  const usbInterface = posix.dirname(hidDevice);
  const usbDevice = posix.dirname(usbInterface);
  const owner = USB_INTERFACE_DIR.exec(posix.basename(usbInterface))?.[1];
  return owner !== undefined && owner === posix.basename(usbDevice) ? usbDevice : undefined;
}

function interfacePaths(devices: readonly NodeHidDeviceInfo[], vendorId: number, usagePage: number, usage: number, productId?: number): string[] {
  const paths = devices
    .filter((d) => d.vendorId === vendorId && d.usagePage === usagePage && d.usage === usage && (productId === undefined || d.productId === productId))
    .map((d) => d.path)
    .filter((path): path is string => typeof path === 'string' && path.length > 0);
  return [...new Set(paths)];
}
