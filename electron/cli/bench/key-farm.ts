// The bench's side of the key farm: starts the child process that hosts the virtual keys, and is the
// HidBackend the engine sees. It plugs fresh keys, touches and unplugs them, and counts the CTAP commands
// the station sends each key, from which the bench computes the key's device time.
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DeviceGoneError } from '../../core/ctap/errors.js';
import type { HidBackend, HidDescriptor, HidDevice } from '../../core/hid/device.js';
import type { CommandName, VirtualKeyOverrides } from '../../core/virtual-key/options.js';
import { cborCommandOf, startsSetPin } from './ctap-frames.js';
import type { FarmMessage, FarmRequest } from './key-farm-protocol.js';

/** The CTAP commands one key received. */
export interface CommandCount {
  readonly commands: Partial<Record<CommandName, number>>;
  readonly setPins: number;
}

type Reader = { resolve: (report: Uint8Array | undefined) => void; reject: (error: Error) => void; timer: NodeJS.Timeout };

class FarmDevice implements HidDevice {
  readonly #queue: Uint8Array[] = [];
  readonly #readers: Reader[] = [];
  #gone: DeviceGoneError | undefined;

  constructor(
    readonly descriptor: HidDescriptor,
    private readonly handle: number,
    private readonly farm: KeyFarm,
  ) {}

  deliver(report: Uint8Array): void {
    const reader = this.#readers.shift();
    if (!reader) {
      this.#queue.push(report);
      return;
    }
    clearTimeout(reader.timer);
    reader.resolve(report);
  }

  kill(message: string): void {
    if (this.#gone) return;
    this.#gone = new DeviceGoneError(`${message} Plug the key back in.`);
    this.#queue.length = 0;
    for (const reader of this.#readers.splice(0)) {
      clearTimeout(reader.timer);
      reader.reject(this.#gone);
    }
  }

  async write(report: Uint8Array): Promise<void> {
    if (this.#gone) throw this.#gone;
    this.farm.sent(this.descriptor.path, report);
    this.farm.post({ type: 'write', handle: this.handle, report });
  }

  read(timeoutMs: number): Promise<Uint8Array | undefined> {
    if (this.#gone) return Promise.reject(this.#gone);
    const next = this.#queue.shift();
    if (next) return Promise.resolve(next);
    return new Promise((resolve, reject) => {
      const reader: Reader = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#readers.splice(this.#readers.indexOf(reader), 1);
          resolve(undefined);
        }, Math.max(0, timeoutMs)),
      };
      this.#readers.push(reader);
    });
  }

  async close(): Promise<void> {
    this.kill('This handle on the key was closed.');
    this.farm.closed(this.handle);
  }
}

export class KeyFarm implements HidBackend {
  readonly kind = 'virtual' as const;
  readonly #child: ChildProcess;
  readonly #plugged = new Map<string, HidDescriptor>();
  readonly #devices = new Map<number, FarmDevice>();
  readonly #pending = new Map<number, { resolve: (m: Extract<FarmMessage, { type: 'done' }>) => void; reject: (e: Error) => void }>();
  readonly #counts = new Map<string, { commands: Partial<Record<CommandName, number>>; setPins: number }>();
  #nextId = 1;
  #exited: Error | undefined;

  private constructor(
    child: ChildProcess,
    /** The farm's virtual attestation CA (its keys attest under it, not under this process's). */
    readonly rootCertificate: Uint8Array,
  ) {
    this.#child = child;
    child.on('message', (message: FarmMessage) => this.#receive(message));
    child.once('exit', (code, signal) => {
      this.#exited = new Error(`The key farm process ended (${signal ?? `exit code ${code}`}).`);
      for (const waiter of this.#pending.values()) waiter.reject(this.#exited);
      this.#pending.clear();
      for (const device of this.#devices.values()) device.kill('The key farm process ended.');
    });
  }

  /** Starts the child process and waits until it can plug keys. */
  static async start(): Promise<KeyFarm> {
    const entry = fileURLToPath(new URL('./key-farm-process.ts', import.meta.url));
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const child = fork(entry, [], { execArgv: ['--import', tsx], serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const rootCertificate = await new Promise<Uint8Array>((resolve, reject) => {
      const onMessage = (message: FarmMessage) => {
        if (message.type !== 'ready') return;
        child.off('exit', onExit);
        child.off('message', onMessage);
        resolve(message.rootCertificate);
      };
      const onExit = (code: number | null) => reject(new Error(`The key farm process did not start (exit code ${code}). Run the bench from the repository root after npm ci.`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
    return new KeyFarm(child, rootCertificate);
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Plugs a fresh key in; returns its port path. */
  async plug(overrides: VirtualKeyOverrides, setPinSurchargeMs: number): Promise<string> {
    const { descriptor } = await this.#request({ type: 'plug', id: this.#nextId++, overrides, setPinSurchargeMs });
    if (!descriptor) throw new Error('The key farm plugged a key but did not say where.');
    this.#plugged.set(descriptor.path, descriptor);
    this.#counts.set(descriptor.path, { commands: {}, setPins: 0 });
    return descriptor.path;
  }

  async unplug(path: string): Promise<void> {
    this.#plugged.delete(path);
    await this.#request({ type: 'unplug', id: this.#nextId++, path });
  }

  touch(path: string): Promise<void> {
    return this.#request({ type: 'touch', id: this.#nextId++, path }).then(() => undefined);
  }

  /** The commands each key plugged so far received, by port path. */
  commandCounts(): ReadonlyMap<string, CommandCount> {
    return this.#counts;
  }

  async enumerate(): Promise<HidDescriptor[]> {
    return [...this.#plugged.values()];
  }

  async open(path: string): Promise<HidDevice> {
    const descriptor = this.#plugged.get(path);
    if (!descriptor) throw new DeviceGoneError(`No key is plugged in at ${path}. Refresh the key list.`);
    const handle = this.#nextId++;
    const device = new FarmDevice(descriptor, handle, this);
    this.#devices.set(handle, device);
    const { error } = await this.#request({ type: 'open', id: this.#nextId++, path, handle });
    if (error) {
      this.#devices.delete(handle);
      throw new DeviceGoneError(error);
    }
    return device;
  }

  async close(): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.disconnect();
    await exited;
  }

  /** Counts the command a report starts (called by the devices for every report the station writes). */
  sent(path: string, report: Uint8Array): void {
    const command = cborCommandOf(report);
    const count = this.#counts.get(path);
    if (!command || !count) return;
    count.commands[command] = (count.commands[command] ?? 0) + 1;
    if (startsSetPin(report)) count.setPins++;
  }

  post(request: FarmRequest): void {
    if (!this.#exited) this.#child.send(request);
  }

  closed(handle: number): void {
    if (this.#devices.delete(handle)) this.post({ type: 'close', handle });
  }

  #request(request: Extract<FarmRequest, { id: number }>): Promise<Extract<FarmMessage, { type: 'done' }>> {
    if (this.#exited) return Promise.reject(this.#exited);
    return new Promise((resolve, reject) => {
      this.#pending.set(request.id, { resolve, reject });
      this.#child.send(request);
    });
  }

  #receive(message: FarmMessage): void {
    switch (message.type) {
      case 'done':
        this.#pending.get(message.id)?.resolve(message);
        this.#pending.delete(message.id);
        return;
      case 'report':
        this.#devices.get(message.handle)?.deliver(message.report);
        return;
      case 'gone':
        this.#devices.get(message.handle)?.kill(message.message);
        this.#devices.delete(message.handle);
        return;
      case 'ready':
        return;
    }
  }
}
