// The serial a key's vendor reports through its own interface, beside the FIDO one. Only YubiKeys so far
// (their OTP interface); another vendor gets its own reader here. Every "no serial" outcome — no such
// interface, interface disabled or not accessible, serial hidden, garbage, timeout — is undefined: the
// station then falls back to the USB descriptor or a scanned label.
import { realpath as fsRealpath } from 'node:fs/promises';
import type { NodeHidDeviceInfo } from '../node-hid.js';
import type { FeatureReportDevice } from './feature-device.js';
import { findOtpSibling, type FidoInterface, type RealPath } from './sibling-interfaces.js';
import { readYubiKeySerial, YUBICO_VENDOR_ID } from './yubikey-otp.js';

export const DEFAULT_VENDOR_SERIAL_TIMEOUT_MS = 1500;

export type OpenFeatureDevice = (path: string) => Promise<FeatureReportDevice>;

export interface VendorSerialOptions {
  readonly platform: NodeJS.Platform;
  /** Bound on the whole lookup (pairing, opening, the exchange); defaults to 1.5 s. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly realpath?: RealPath;
}

/** The vendor serial of the key behind `fido`, as a decimal string, or undefined; never rejects. */
export async function readVendorSerial(
  fido: FidoInterface,
  devices: readonly NodeHidDeviceInfo[],
  open: OpenFeatureDevice,
  options: VendorSerialOptions,
): Promise<string | undefined> {
  if (fido.vendorId !== YUBICO_VENDOR_ID) return undefined;
  const timeoutMs = options.timeoutMs ?? DEFAULT_VENDOR_SERIAL_TIMEOUT_MS;
  const controller = new AbortController();
  const stop = () => controller.abort();
  options.signal?.addEventListener('abort', stop, { once: true });
  if (options.signal?.aborted) stop();
  const timer = setTimeout(stop, timeoutMs);
  const started = performance.now();
  const lookup = readYubiKeySerialOf(fido, devices, open, {
    platform: options.platform,
    realpath: options.realpath ?? fsRealpath,
    signal: controller.signal,
    remainingMs: () => timeoutMs - (performance.now() - started),
  }).catch(() => undefined);
  // Pairing and opening are not cancellable; the abort cuts the wait short and the lookup cleans up behind it.
  const cutOff = new Promise<undefined>((resolve) => controller.signal.addEventListener('abort', () => resolve(undefined), { once: true }));
  try {
    return await Promise.race([lookup, cutOff]);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', stop);
    controller.abort();
  }
}

interface LookupContext {
  readonly platform: NodeJS.Platform;
  readonly realpath: RealPath;
  readonly signal: AbortSignal;
  readonly remainingMs: () => number;
}

async function readYubiKeySerialOf(
  fido: FidoInterface,
  devices: readonly NodeHidDeviceInfo[],
  open: OpenFeatureDevice,
  context: LookupContext,
): Promise<string | undefined> {
  const otpPath = await findOtpSibling(fido, devices, context);
  if (otpPath === undefined || context.signal.aborted) return undefined;
  const device = await open(otpPath);
  try {
    const serial = await readYubiKeySerial(device, { timeoutMs: Math.max(0, context.remainingMs()), signal: context.signal });
    return serial === undefined ? undefined : String(serial);
  } finally {
    await device.close().catch(() => undefined);
  }
}
