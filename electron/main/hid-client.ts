// Main's side of the HID host (Trezor's ThreadProxy model): a HidBackend whose every call is a message to
// the utility process, matched to its answer by id and bounded by a timeout. When the host dies — node-hid
// can crash natively — every pending call rejects with DeviceGoneError, every open device is gone, and
// the host is forked again after a backoff (250 ms doubling to 5 s, reset once a host has stayed up).
import { DeviceGoneError, KeyTimeoutError, ProtocolError } from '../core/ctap/errors.js';
import { HID_REPORT_SIZE } from '../core/ctap/constants.js';
import type { HidBackend, HidDescriptor, HidDevice } from '../core/hid/device.js';
import { fromBase64url, toBase64url } from '../core/wire/base64url.js';
import { fromWireError, HID_OP_DATA, HidHostMessageSchema, type HidOp, type HidOpArgs, type HidOpData } from '../hid-host/protocol.js';

/** The part of Electron's UtilityProcess the client uses. */
export interface HidHostProcess {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  kill(): boolean;
}

export type DeviceChange = 'added' | 'removed';
export type DeviceChangeListener = (change: DeviceChange, descriptor: HidDescriptor) => void;

export interface HidClientLog {
  warn(message: string): void;
}

export interface HidHostClientOptions {
  /** Starts a new host process, e.g. `() => utilityProcess.fork(path, [], {serviceName: 'keybench-hid'})`. */
  fork(): HidHostProcess;
  /** Milliseconds each operation may take; `read` gets its own timeout plus `readGraceMs`. */
  readonly timeoutMs?: Partial<Record<Exclude<HidOp, 'read'>, number>>;
  readonly readGraceMs?: number;
  readonly restartDelayMs?: { readonly initial: number; readonly max: number };
  /** A host that stays up this long resets the restart delay to its initial value. */
  readonly stableAfterMs?: number;
  readonly log?: HidClientLog;
}

const DEFAULT_TIMEOUTS: Record<Exclude<HidOp, 'read'>, number> = { enumerate: 10_000, open: 10_000, write: 5_000, close: 5_000, watch: 5_000 };

interface Pending {
  readonly op: HidOp;
  resolve(data: unknown): void;
  reject(error: Error): void;
  readonly timer: ReturnType<typeof setTimeout>;
}

type Caller = <O extends HidOp>(op: O, args: HidOpArgs<O>, timeoutMs: number) => Promise<HidOpData<O>>;
type Timeouts = Record<Exclude<HidOp, 'read'>, number> & { readonly readGrace: number };

export class HidHostClient implements HidBackend {
  readonly kind = 'usb' as const;
  private child: HidHostProcess | undefined;
  private readonly pending = new Map<number, Pending>();
  private readonly devices = new Set<HostedHidDevice>();
  private readonly present = new Map<string, HidDescriptor>();
  private readonly listeners = new Set<DeviceChangeListener>();
  private watchIntervalMs = 0;
  private nextId = 1;
  private restartDelay: number;
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  private stableTimer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;
  private readonly timeouts: Timeouts;
  private readonly delays: { readonly initial: number; readonly max: number };
  private readonly stableAfterMs: number;
  private readonly log: HidClientLog;

  constructor(private readonly options: HidHostClientOptions) {
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeoutMs, readGrace: options.readGraceMs ?? 5_000 };
    this.delays = options.restartDelayMs ?? { initial: 250, max: 5_000 };
    this.restartDelay = this.delays.initial;
    this.stableAfterMs = options.stableAfterMs ?? 30_000;
    this.log = options.log ?? console;
  }

  /** Forks the host now; otherwise the first call does. */
  start(): void {
    if (!this.child && !this.restartTimer && !this.disposed) this.spawn();
  }

  enumerate(): Promise<HidDescriptor[]> {
    return this.call('enumerate', {}, this.timeouts.enumerate);
  }

  async open(path: string): Promise<HidDevice> {
    const { handle, descriptor } = await this.call('open', { path }, this.timeouts.open);
    const device = new HostedHidDevice(descriptor, handle, this.call, this.timeouts, () => this.devices.delete(device));
    this.devices.add(device);
    return device;
  }

  /** Hotplug events polled inside the host; survives host restarts. Returns the unsubscribe function. */
  onDeviceChange(listener: DeviceChangeListener, intervalMs = 750): () => void {
    this.listeners.add(listener);
    if (this.watchIntervalMs !== intervalMs) {
      this.watchIntervalMs = intervalMs;
      this.sendWatch();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size > 0 || this.watchIntervalMs === 0) return;
      this.watchIntervalMs = 0;
      this.sendWatch();
    };
  }

  /** Stops the host for good; pending calls and open devices fail with DeviceGoneError. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.restartTimer);
    clearTimeout(this.stableTimer);
    const child = this.child;
    this.child = undefined;
    this.failEverything(new DeviceGoneError('keybench is shutting down its USB key service.'));
    child?.kill();
  }

  private readonly call: Caller = (op, args, timeoutMs) => {
    if (this.disposed) return Promise.reject(new DeviceGoneError('The USB key service has been stopped.'));
    if (!this.child && this.restartTimer) {
      return Promise.reject(new DeviceGoneError('The USB key service is restarting after a failure. Try again in a moment.'));
    }
    const child = this.child ?? this.spawn();
    if (!child) return Promise.reject(new DeviceGoneError('The USB key service could not be started. It is retried shortly.'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new KeyTimeoutError(`The USB key service did not answer "${op}" within ${timeoutMs} ms. Replug the key; if it keeps happening, restart keybench.`));
      }, timeoutMs);
      this.pending.set(id, {
        op,
        // onMessage parses the answer with HID_OP_DATA[op] before resolving.
        resolve: (data) => resolve(data as HidOpData<typeof op>),
        reject,
        timer,
      });
      try {
        child.postMessage({ id, op, args });
      } catch {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new DeviceGoneError('The USB key service stopped. It restarts by itself; try again in a moment.'));
      }
    });
  };

  private spawn(): HidHostProcess | undefined {
    let child: HidHostProcess;
    try {
      child = this.options.fork();
    } catch (error) {
      this.log.warn(`Could not start the USB key service (${error instanceof Error ? error.message : String(error)}).`);
      this.scheduleRestart();
      return undefined;
    }
    this.child = child;
    child.on('message', (message) => this.onMessage(child, message));
    child.on('exit', (code) => this.onExit(child, code));
    clearTimeout(this.stableTimer);
    this.stableTimer = setTimeout(() => {
      this.restartDelay = this.delays.initial;
    }, this.stableAfterMs);
    if (this.watchIntervalMs > 0) this.sendWatch();
    return child;
  }

  private sendWatch(): void {
    if (!this.child) {
      // A host that starts (now or after its backoff) is sent the watch as it spawns.
      if (this.watchIntervalMs > 0) this.start();
      return;
    }
    this.call('watch', { intervalMs: this.watchIntervalMs }, this.timeouts.watch).catch((error: unknown) => {
      this.log.warn(`The USB key service could not watch for keys (${error instanceof Error ? error.message : String(error)}).`);
    });
  }

  private onMessage(child: HidHostProcess, raw: unknown): void {
    if (child !== this.child) return;
    const parsed = HidHostMessageSchema.safeParse(raw);
    if (!parsed.success) {
      this.log.warn('Ignored a malformed message from the USB key service.');
      return;
    }
    const message = parsed.data;
    if ('event' in message) {
      if (message.event === 'added') this.present.set(message.descriptor.path, message.descriptor);
      else this.present.delete(message.descriptor.path);
      this.emit(message.event, message.descriptor);
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    clearTimeout(pending.timer);
    if (!message.ok) {
      pending.reject(fromWireError(message.error));
      return;
    }
    const data = HID_OP_DATA[pending.op].safeParse(message.data);
    if (data.success) pending.resolve(data.data);
    else pending.reject(new ProtocolError(`The USB key service sent a malformed answer to "${pending.op}".`));
  }

  private onExit(child: HidHostProcess, code: number): void {
    if (child !== this.child) return;
    this.child = undefined;
    clearTimeout(this.stableTimer);
    this.log.warn(`The USB key service stopped unexpectedly (exit code ${code}); restarting it in ${this.restartDelay} ms.`);
    this.failEverything(
      new DeviceGoneError(`The USB key service stopped unexpectedly (exit code ${code}). It restarts by itself; replug the key if it does not come back.`),
    );
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    if (this.disposed || this.restartTimer) return;
    const delay = this.restartDelay;
    this.restartDelay = Math.min(this.restartDelay * 2, this.delays.max);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.disposed) this.spawn();
    }, delay);
  }

  private failEverything(error: DeviceGoneError): void {
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
    for (const device of this.devices) device.markGone();
    this.devices.clear();
    const lost = [...this.present.values()];
    this.present.clear();
    for (const descriptor of lost) this.emit('removed', descriptor);
  }

  private emit(change: DeviceChange, descriptor: HidDescriptor): void {
    for (const listener of [...this.listeners]) listener(change, descriptor);
  }
}

/** A device opened inside the host, reached through the client's calls by its handle. */
class HostedHidDevice implements HidDevice {
  private state: 'open' | 'closed' | 'gone' = 'open';

  constructor(
    readonly descriptor: HidDescriptor,
    private readonly handle: number,
    private readonly call: Caller,
    private readonly timeouts: Timeouts,
    private readonly onClosed: () => void,
  ) {}

  async write(report: Uint8Array): Promise<void> {
    if (report.length !== HID_REPORT_SIZE) throw new RangeError(`a CTAPHID report is ${HID_REPORT_SIZE} bytes, got ${report.length}`);
    this.ensureOpen();
    await this.call('write', { handle: this.handle, report: toBase64url(report) }, this.timeouts.write);
  }

  async read(timeoutMs: number): Promise<Uint8Array | undefined> {
    this.ensureOpen();
    const timeout = Math.max(0, Math.ceil(timeoutMs));
    const { report } = await this.call('read', { handle: this.handle, timeoutMs: timeout }, timeout + this.timeouts.readGrace);
    if (report === null) return undefined;
    const bytes = fromBase64url(report);
    if (bytes?.length !== HID_REPORT_SIZE) throw new ProtocolError(`The USB key service returned a report that is not ${HID_REPORT_SIZE} bytes.`);
    return bytes;
  }

  async close(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'closed';
    this.onClosed();
    await this.call('close', { handle: this.handle }, this.timeouts.close).catch(() => undefined);
  }

  markGone(): void {
    if (this.state === 'open') this.state = 'gone';
  }

  private ensureOpen(): void {
    if (this.state === 'closed') throw new DeviceGoneError(`The connection to the key at ${this.descriptor.path} was closed. Open the key again.`);
    if (this.state === 'gone') {
      throw new DeviceGoneError(`The USB key service restarted, so the key at ${this.descriptor.path} was disconnected. Open the key again.`);
    }
  }
}
