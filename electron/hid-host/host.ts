// The HID host's logic, free of Electron: it owns the HidBackend (node-hid) and every open device, answers
// one request per message, and pushes hotplug events while watched. A request it cannot parse is answered
// with an error when it names an id, and dropped otherwise.
import { DeviceAccessError, DeviceGoneError } from '../core/ctap/errors.js';
import { HID_REPORT_SIZE } from '../core/ctap/constants.js';
import type { HidBackend, HidDescriptor, HidDevice } from '../core/hid/device.js';
import { KeyDiscovery } from '../core/hid/discovery.js';
import { fromBase64url, toBase64url } from '../core/wire/base64url.js';
import { HidDescriptorSchema, HidHostRequestSchema, toWireError, type HidHostMessage, type HidHostRequest, type HidOpData } from './protocol.js';

/** What the host needs from hotplug polling; KeyDiscovery by default. */
export interface HostDiscovery {
  start(intervalMs: number): void;
  stop(): void;
  on(event: 'added' | 'removed', listener: (descriptor: HidDescriptor) => void): () => void;
}

export interface HidHostOptions {
  /** node-hid's backend, or why it could not load: then every request fails with that reason. */
  readonly backend: HidBackend | { readonly unavailable: string };
  post(message: HidHostMessage): void;
  createDiscovery?(backend: HidBackend): HostDiscovery;
}

export class HidHost {
  private readonly devices = new Map<number, HidDevice>();
  private nextHandle = 1;
  private discovery: { readonly watcher: HostDiscovery; intervalMs: number } | undefined;

  constructor(private readonly options: HidHostOptions) {}

  /** Answers one message from main; never throws. */
  async handle(raw: unknown): Promise<void> {
    const request = HidHostRequestSchema.safeParse(raw);
    if (!request.success) {
      const id = typeof raw === 'object' && raw !== null && 'id' in raw && Number.isSafeInteger(raw.id) ? Number(raw.id) : undefined;
      if (id !== undefined && id >= 0) this.options.post({ id, ok: false, error: { name: 'Error', message: 'The HID host received a malformed request.' } });
      return;
    }
    const { id } = request.data;
    try {
      this.options.post({ id, ok: true, data: await this.run(request.data) });
    } catch (error) {
      this.options.post({ id, ok: false, error: toWireError(error) });
    }
  }

  private backend(): HidBackend {
    const { backend } = this.options;
    if ('unavailable' in backend) throw new DeviceAccessError(backend.unavailable);
    return backend;
  }

  private device(handle: number): HidDevice {
    const device = this.devices.get(handle);
    if (!device) throw new DeviceGoneError('The connection to this key was closed. Open the key again.');
    return device;
  }

  private async run(request: HidHostRequest): Promise<HidOpData<HidHostRequest['op']>> {
    switch (request.op) {
      case 'enumerate':
        return (await this.backend().enumerate()).map(plainDescriptor);
      case 'open': {
        const device = await this.backend().open(request.args.path);
        const handle = this.nextHandle++;
        this.devices.set(handle, device);
        return { handle, descriptor: plainDescriptor(device.descriptor) };
      }
      case 'write': {
        const device = this.device(request.args.handle);
        const report = fromBase64url(request.args.report);
        if (report?.length !== HID_REPORT_SIZE) throw new RangeError(`a CTAPHID report is ${HID_REPORT_SIZE} bytes`);
        await device.write(report);
        return null;
      }
      case 'read': {
        const report = await this.device(request.args.handle).read(request.args.timeoutMs);
        return { report: report ? toBase64url(report) : null };
      }
      case 'close': {
        const device = this.devices.get(request.args.handle);
        this.devices.delete(request.args.handle);
        await device?.close();
        return null;
      }
      case 'watch':
        this.watch(request.args.intervalMs);
        return null;
    }
  }

  private watch(intervalMs: number): void {
    if (intervalMs === 0) {
      this.discovery?.watcher.stop();
      this.discovery = undefined;
      return;
    }
    if (this.discovery) {
      if (this.discovery.intervalMs === intervalMs) return;
      this.discovery.watcher.stop();
      this.discovery.intervalMs = intervalMs;
      this.discovery.watcher.start(intervalMs);
      return;
    }
    const backend = this.backend();
    const watcher = this.options.createDiscovery?.(backend) ?? new KeyDiscovery([backend]);
    watcher.on('added', (descriptor) => this.options.post({ event: 'added', descriptor: plainDescriptor(descriptor) }));
    watcher.on('removed', (descriptor) => this.options.post({ event: 'removed', descriptor: plainDescriptor(descriptor) }));
    this.discovery = { watcher, intervalMs };
    watcher.start(intervalMs);
  }
}

/** Only the descriptor's own fields cross the process boundary. */
function plainDescriptor(descriptor: HidDescriptor): HidDescriptor {
  return HidDescriptorSchema.parse(descriptor);
}
