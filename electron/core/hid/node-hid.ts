// The node-hid adapter: real USB keys behind the HidBackend / HidDevice port. The node-hid module is
// injected (createNodeHidBackend) so the adapter is unit-tested without hardware; loadNodeHidBackend
// loads the real one and degrades to "virtual keys only" when the native library cannot load. A YubiKey's
// serial is read once per key from its OTP interface (vendor-serial/) when the key is first opened.
import { DeviceAccessError, DeviceGoneError } from '../ctap/errors.js';
import { FIDO_USAGE, FIDO_USAGE_PAGE, HID_REPORT_SIZE } from '../ctap/constants.js';
import type { HidBackend, HidDescriptor, HidDevice } from './device.js';
import { classifyOpenFailure } from './permissions.js';
import type { FeatureReportDevice } from './vendor-serial/feature-device.js';
import type { RealPath } from './vendor-serial/sibling-interfaces.js';
import { readVendorSerial } from './vendor-serial/vendor-serial.js';
import { z } from 'zod';

/** One entry of `HID.devicesAsync()`, as node-hid 3 reports it. */
export interface NodeHidDeviceInfo {
  readonly path?: string | undefined;
  readonly vendorId: number;
  readonly productId: number;
  readonly serialNumber?: string | undefined;
  readonly manufacturer?: string | undefined;
  readonly product?: string | undefined;
  readonly usagePage?: number | undefined;
  readonly usage?: number | undefined;
}

/** The part of an `HIDAsync` handle the adapter uses. */
export interface NodeHidHandle {
  write(data: Buffer): Promise<number>;
  /** Resolves undefined (or, in node-hid 3.4, an empty Buffer) when the timeout passes first. */
  read(timeoutMs?: number): Promise<Buffer | undefined>;
  close(): Promise<void>;
  /** Feature reports carry the vendor serial request; a handle without them yields no vendor serial. */
  sendFeatureReport?(data: Buffer): Promise<number>;
  /** Resolves with the report id byte followed by the report, as hidapi returns it. */
  getFeatureReport?(reportId: number, length: number): Promise<Buffer>;
}

/** The part of the node-hid module the adapter uses. */
export interface NodeHidModule {
  devicesAsync(): Promise<NodeHidDeviceInfo[]>;
  /** Loads the native binding; throws (ERR_DLOPEN_FAILED) when libusb or libudev is missing. */
  getHidapiVersion(): string;
  readonly HIDAsync: { open(path: string, options?: { nonExclusive?: boolean }): Promise<NodeHidHandle> };
}

export interface NodeHidBackendOptions {
  /** Resolves sysfs links when pairing a key's FIDO and OTP interfaces on Linux; defaults to fs.promises.realpath. */
  readonly realpath?: RealPath;
  /** Bound on one vendor serial lookup; defaults to 1.5 s. */
  readonly vendorSerialTimeoutMs?: number;
}

/** One vendor serial lookup per plugged-in key path; `serial` is filled once it answered. */
interface VendorSerialLookup {
  readonly done: Promise<string | undefined>;
  serial?: string;
}

export class NodeHidBackend implements HidBackend {
  readonly kind = 'usb' as const;
  private known = new Map<string, HidDescriptor>();
  /** Every HID interface of the last enumeration, FIDO or not: the vendor serial comes from a sibling interface. */
  private interfaces: NodeHidDeviceInfo[] = [];
  private readonly vendorSerials = new Map<string, VendorSerialLookup>();

  constructor(
    private readonly hid: NodeHidModule,
    private readonly platform: NodeJS.Platform = process.platform,
    private readonly options: NodeHidBackendOptions = {},
  ) {}

  get hidapiVersion(): string {
    return this.hid.getHidapiVersion();
  }

  /** FIDO interfaces only (usage page 0xF1D0, usage 1); on Linux this needs the default hidraw driver, which fills them. */
  async enumerate(): Promise<HidDescriptor[]> {
    let entries: unknown;
    try {
      entries = await this.hid.devicesAsync();
    } catch (error) {
      throw new DeviceAccessError(`Listing USB devices failed (${detail(error)}). Replug the USB hub; if it persists, restart keybench.`);
    }
    const list: unknown[] = Array.isArray(entries) ? entries : [];
    const found = new Map<string, HidDescriptor>();
    for (const entry of list) {
      const descriptor = toFidoDescriptor(entry);
      if (descriptor && !found.has(descriptor.path)) found.set(descriptor.path, this.withVendorSerial(descriptor));
    }
    this.known = found;
    this.interfaces = list.flatMap(toInterfaceInfo);
    // A key that left takes its answer along; whatever is plugged in at that path next is asked afresh.
    for (const path of this.vendorSerials.keys()) if (!found.has(path)) this.vendorSerials.delete(path);
    return [...found.values()];
  }

  async open(path: string): Promise<HidDevice> {
    const descriptor = this.known.get(path) ?? (await this.enumerate()).find((d) => d.path === path);
    // Only paths enumerated as FIDO interfaces are opened: CTAPHID frames must never reach a keyboard.
    if (!descriptor) throw new DeviceGoneError(`No FIDO key is plugged in at ${path}. Plug it back in and try again.`);
    let handle: NodeHidHandle;
    try {
      // hidapi on macOS seizes the device by default, which fails while a browser has the key open.
      handle = await this.hid.HIDAsync.open(path, this.platform === 'darwin' ? { nonExclusive: true } : undefined);
    } catch (error) {
      const failure = classifyOpenFailure(this.platform, detail(error));
      if (failure.kind === 'gone') throw new DeviceGoneError(failure.advice);
      throw new DeviceAccessError(`Cannot open the key at ${path} (${detail(error)}). ${failure.advice}`);
    }
    const vendorSerial = await this.vendorSerialFor(descriptor);
    return new NodeHidDevice(vendorSerial === undefined ? descriptor : { ...descriptor, vendorSerial }, handle);
  }

  /** Asks once per plugged-in key; a key without an answer (no OTP interface, serial hidden, no access) is not asked again. */
  private vendorSerialFor(descriptor: HidDescriptor): Promise<string | undefined> {
    const cached = this.vendorSerials.get(descriptor.path);
    if (cached) return cached.done;
    const lookup: VendorSerialLookup = {
      done: readVendorSerial(descriptor, this.interfaces, (path) => this.openFeatureDevice(path), {
        platform: this.platform,
        ...(this.options.realpath ? { realpath: this.options.realpath } : {}),
        ...(this.options.vendorSerialTimeoutMs === undefined ? {} : { timeoutMs: this.options.vendorSerialTimeoutMs }),
      }).then((serial) => {
        if (serial !== undefined) lookup.serial = serial;
        return serial;
      }),
    };
    this.vendorSerials.set(descriptor.path, lookup);
    return lookup.done;
  }

  private withVendorSerial(descriptor: HidDescriptor): HidDescriptor {
    const serial = this.vendorSerials.get(descriptor.path)?.serial;
    return serial === undefined ? descriptor : { ...descriptor, vendorSerial: serial };
  }

  /** Opens a sibling interface for feature reports only: CTAPHID never goes there, and a keyboard's input is never read. */
  private async openFeatureDevice(path: string): Promise<FeatureReportDevice> {
    // The OS holds keyboards open; macOS refuses a seizing open and Windows grants only feature-report access.
    const handle = await this.hid.HIDAsync.open(path, this.platform === 'darwin' ? { nonExclusive: true } : undefined);
    const { sendFeatureReport, getFeatureReport } = handle;
    if (!sendFeatureReport || !getFeatureReport) {
      await handle.close().catch(() => undefined);
      throw new DeviceAccessError(`The interface at ${path} cannot exchange feature reports through this node-hid build.`);
    }
    return {
      path,
      sendFeatureReport: async (data) => {
        await sendFeatureReport.call(handle, Buffer.from(data));
      },
      getFeatureReport: async (reportId, length) => Uint8Array.from(await getFeatureReport.call(handle, reportId, length)),
      close: () => handle.close(),
    };
  }
}

export function createNodeHidBackend(hidModule: NodeHidModule, platform: NodeJS.Platform = process.platform, options: NodeHidBackendOptions = {}): NodeHidBackend {
  return new NodeHidBackend(hidModule, platform, options);
}

export interface NodeHidUnavailable {
  readonly unavailable: string;
}

/** Loads node-hid and its native binding; on failure says why, so keybench carries on with virtual keys. */
export async function loadNodeHidBackend(
  importModule: () => Promise<NodeHidModule> = importNodeHid,
  platform: NodeJS.Platform = process.platform,
): Promise<NodeHidBackend | NodeHidUnavailable> {
  try {
    const hid = await importModule();
    hid.getHidapiVersion();
    return createNodeHidBackend(hid, platform);
  } catch (error) {
    return { unavailable: unavailableReason(error, platform) };
  }
}

async function importNodeHid(): Promise<NodeHidModule> {
  const hid = await import('node-hid');
  return { devicesAsync: hid.devicesAsync, getHidapiVersion: hid.getHidapiVersion, HIDAsync: hid.HIDAsync };
}

function unavailableReason(error: unknown, platform: NodeJS.Platform): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  const text = detail(error);
  if (platform === 'linux' && (code === 'ERR_DLOPEN_FAILED' || /libusb|libudev/i.test(text))) {
    return 'Real keys are unavailable: node-hid could not load (libusb-1.0-0 missing?). Install it with `sudo apt-get install libusb-1.0-0`. Virtual keys still work.';
  }
  return `Real keys are unavailable: node-hid could not load (${text}). Virtual keys still work.`;
}

const nonEmptyText = z
  .string()
  .optional()
  .transform((text) => (text ? text : undefined));

/** A FIDO interface as node-hid lists it; anything else (keyboards, other collections, odd entries) fails to parse. */
const FidoInterfaceInfo = z.object({
  path: z.string().min(1),
  vendorId: z.number().int(),
  productId: z.number().int(),
  serialNumber: nonEmptyText,
  product: nonEmptyText,
  manufacturer: nonEmptyText,
  usagePage: z.literal(FIDO_USAGE_PAGE),
  usage: z.literal(FIDO_USAGE),
});

/** Any interface with a path and ids; the vendor serial lookup picks the ones it needs by usage. */
const HidInterfaceInfo = z.object({
  path: z.string().min(1),
  vendorId: z.number().int(),
  productId: z.number().int(),
  usagePage: z.number().int().optional(),
  usage: z.number().int().optional(),
});

function toInterfaceInfo(entry: unknown): NodeHidDeviceInfo[] {
  const parsed = HidInterfaceInfo.safeParse(entry);
  return parsed.success ? [parsed.data] : [];
}

function toFidoDescriptor(entry: unknown): HidDescriptor | undefined {
  const parsed = FidoInterfaceInfo.safeParse(entry);
  if (!parsed.success) return undefined;
  const { path, vendorId, productId, serialNumber, product, manufacturer } = parsed.data;
  return { path, kind: 'usb', vendorId, productId, serialNumber, product, manufacturer };
}

class NodeHidDevice implements HidDevice {
  private closed = false;

  constructor(
    readonly descriptor: HidDescriptor,
    private readonly handle: NodeHidHandle,
  ) {}

  /** Always 65 bytes: report id 0x00, then the packet. Without it hidraw eats a CID's leading 0x00 and Windows the first byte. */
  async write(report: Uint8Array): Promise<void> {
    if (report.length !== HID_REPORT_SIZE) throw new RangeError(`a CTAPHID report is ${HID_REPORT_SIZE} bytes, got ${report.length}`);
    if (this.closed) throw this.closedError();
    const out = Buffer.alloc(HID_REPORT_SIZE + 1);
    out.set(report, 1);
    try {
      await this.handle.write(out);
    } catch (error) {
      throw this.goneError(error);
    }
  }

  async read(timeoutMs: number): Promise<Uint8Array | undefined> {
    if (this.closed) throw this.closedError();
    let data: Buffer | undefined;
    try {
      data = await this.handle.read(Math.max(0, Math.ceil(timeoutMs)));
    } catch (error) {
      throw this.goneError(error);
    }
    if (!data || data.length === 0) return undefined;
    // hidraw returns the bare packet; a backend that keeps report id 0 in front gets it stripped here.
    const packet = data.length === HID_REPORT_SIZE + 1 && data[0] === 0 ? data.subarray(1) : data;
    return Uint8Array.from(packet);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.handle.close();
    } catch {
      // Closing a handle whose key is already unplugged fails; the handle is released either way.
    }
  }

  private goneError(error: unknown): DeviceGoneError {
    return new DeviceGoneError(`The key at ${this.descriptor.path} stopped answering (${detail(error)}). It was probably unplugged; plug it back in and try again.`);
  }

  private closedError(): DeviceGoneError {
    return new DeviceGoneError(`The connection to the key at ${this.descriptor.path} was closed. Open the key again.`);
  }
}

function detail(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
