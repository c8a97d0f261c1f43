// A virtual FIDO2 key: a CTAP 2.1 authenticator behind CTAPHID behind the HidDevice port, plus the
// hands of a technician (touch, unplug, replug) and a view of its state for tests. Its secrets live
// only in this process's memory, which is why keybench never provisions virtual keys against a real org.
import { randomInt } from 'node:crypto';
import { HID_REPORT_SIZE, INIT_DATA, CONT_DATA, CTAPHID, KEEPALIVE_STATUS } from '../ctap/constants.js';
import { DeviceGoneError } from '../ctap/errors.js';
import { defaultRandom, type Random } from '../ctap/pin-protocol.js';
import type { HidBackend, HidDescriptor, HidDevice } from '../hid/device.js';
import { attestationFor, type AttestationMaterial } from './attestation.js';
import { Authenticator } from './authenticator.js';
import { seededRandom, systemClock, unitInterval, type Clock, type TimerHandle } from './environment.js';
import { CtaphidServer, type CtaphidTransaction } from './hid-server.js';
import { KeyState } from './key-state.js';
import { commandName, firmwareVersionNumber, virtualKeyOptions, type VirtualKeyOptions, type VirtualKeyOverrides } from './options.js';
import { STATUS, fail } from './status.js';
import { UserPresence } from './user-presence.js';

/** pid.codes' test vendor/product id: made up, never a shipping security key. */
export const VIRTUAL_VENDOR_ID = 0x1209;
export const VIRTUAL_PRODUCT_ID = 0x0001;

export interface VirtualKeyEnvironment {
  readonly clock?: Clock;
  /** Key material and credential ids; defaults to the seed's generator, or the system CSPRNG without a seed. */
  readonly random?: Random;
  /** Port path; `virtual:1` unless a backend assigns another. */
  readonly path?: string;
}

/** What a test (or the bench UI in demo mode) may see of a key. No PINs, tokens or private keys. */
export interface VirtualKeySnapshot {
  readonly plugged: boolean;
  readonly serial: string;
  /** Lowercase hex. */
  readonly aaguid: string;
  readonly pinSet: boolean;
  readonly pinRetries: number;
  readonly pinAuthBlocked: boolean;
  readonly minPinLength: number;
  readonly minPinLengthRpIds: readonly string[];
  readonly forcePinChange: boolean;
  readonly alwaysUv: boolean;
  /** Whether enterprise attestation has been enabled (false when the key does not support it). */
  readonly epEnabled: boolean;
  readonly credentials: readonly { readonly rpId: string; readonly userId: string; readonly credProtect: number; readonly discoverable: boolean }[];
  readonly winks: number;
}

const gone = (what: string) => new DeviceGoneError(`${what} Plug the key back in and open it again.`);

/** One open handle on the key, like one program's file descriptor on its hidraw node. */
class VirtualKeyHandle implements HidDevice {
  private readonly queue: Uint8Array[] = [];
  private readonly readers: { resolve: (r: Uint8Array | undefined) => void; reject: (e: Error) => void; timer: TimerHandle }[] = [];
  private deadWith: DeviceGoneError | undefined;

  constructor(
    readonly descriptor: HidDescriptor,
    private readonly deliver: (report: Uint8Array) => void,
    private readonly detach: (handle: VirtualKeyHandle) => void,
    private readonly clock: Clock,
  ) {}

  push(report: Uint8Array): void {
    const reader = this.readers.shift();
    if (reader) {
      this.clock.clearTimeout(reader.timer);
      reader.resolve(report);
    } else {
      this.queue.push(report);
    }
  }

  kill(error: DeviceGoneError): void {
    if (this.deadWith) return;
    this.deadWith = error;
    this.queue.length = 0;
    for (const reader of this.readers.splice(0)) {
      this.clock.clearTimeout(reader.timer);
      reader.reject(error);
    }
  }

  async write(report: Uint8Array): Promise<void> {
    if (this.deadWith) throw this.deadWith;
    if (report.length !== HID_REPORT_SIZE) throw new RangeError(`a CTAPHID report is ${HID_REPORT_SIZE} bytes (without a report id), got ${report.length}`);
    this.deliver(Uint8Array.from(report));
  }

  read(timeoutMs: number): Promise<Uint8Array | undefined> {
    if (this.deadWith) return Promise.reject(this.deadWith);
    const next = this.queue.shift();
    if (next) return Promise.resolve(next);
    return new Promise((resolve, reject) => {
      const reader = {
        resolve,
        reject,
        timer: this.clock.setTimeout(() => {
          const index = this.readers.indexOf(reader);
          if (index >= 0) this.readers.splice(index, 1);
          resolve(undefined);
        }, Math.max(0, timeoutMs)),
      };
      this.readers.push(reader);
    });
  }

  async close(): Promise<void> {
    this.kill(new DeviceGoneError('This handle on the virtual key was closed. Open the key again.'));
    this.detach(this);
  }
}

/** Tracks the frames of the CBOR reply going out, for the garble and unplug-mid-message faults. */
interface OutgoingReply {
  framesLeft: number;
  index: number;
  readonly length: number;
  readonly garbleFrame: number | undefined;
}

export class VirtualKey {
  readonly options: VirtualKeyOptions;
  readonly descriptor: HidDescriptor;
  private readonly clock: Clock;
  private readonly faultRandom: Random;
  private readonly state: KeyState;
  private readonly authenticator: Authenticator;
  private readonly presence: UserPresence;
  private readonly server: CtaphidServer;
  private readonly handles = new Set<VirtualKeyHandle>();
  private primary: VirtualKeyHandle;
  private isPlugged = true;
  private winks = 0;
  private unplugFaultUsed = false;
  private unplugArmed = false;
  private outgoing: OutgoingReply | undefined;

  constructor(overrides: VirtualKeyOverrides = {}, env: VirtualKeyEnvironment = {}) {
    this.options = virtualKeyOptions(overrides);
    const o = this.options;
    this.clock = env.clock ?? systemClock;
    const path = env.path ?? 'virtual:1';
    const seedLabel = o.seed === undefined ? undefined : `${o.seed}:${path}`;
    const random = env.random ?? (seedLabel === undefined ? defaultRandom : seededRandom(seedLabel));
    this.faultRandom = seededRandom(seedLabel === undefined ? `faults:${randomInt(2 ** 47)}` : `faults:${seedLabel}`);
    this.descriptor = {
      path,
      kind: 'virtual',
      vendorId: VIRTUAL_VENDOR_ID,
      productId: VIRTUAL_PRODUCT_ID,
      serialNumber: o.serial,
      product: o.productName,
      manufacturer: 'keybench',
    };
    this.state = new KeyState(o, random, this.clock.now());
    this.presence = new UserPresence(this.clock, o.userPresence, o.earlyTouchMs);
    this.authenticator = new Authenticator(o, this.state, { clock: this.clock, random, attestation: () => this.attestation() });
    const version = firmwareVersionNumber(o.firmwareVersion);
    this.server = new CtaphidServer(
      (report) => this.emit(report),
      { cbor: (request, transaction) => this.runCbor(request, transaction), wink: () => this.winks++ },
      {
        version: [(version >> 16) & 0xff, (version >> 8) & 0xff, version & 0xff],
        keepaliveIntervalMs: o.keepaliveIntervalMs,
        messageTimeoutMs: o.messageTimeoutMs,
        clock: this.clock,
        random,
      },
    );
    this.primary = this.newHandle();
  }

  /** The handle the station uses; a replug gives the key a new one (the old one stays dead). */
  get device(): HidDevice {
    return this.primary;
  }

  get plugged(): boolean {
    return this.isPlugged;
  }

  /** Another handle, as a second program opening the same key would get; reports go to every open handle. */
  open(): HidDevice {
    if (!this.isPlugged) throw gone('The virtual key is unplugged.');
    return this.newHandle();
  }

  /** The attestation PKI this key signs with (root certificate for verifiers included). */
  attestation(): Promise<AttestationMaterial> {
    return attestationFor(this.options.aaguid);
  }

  /** A finger on the key: satisfies the current wait for user presence, or one starting soon after. */
  touch(): void {
    if (this.isPlugged) this.presence.touch();
  }

  /** Pulls the key: the running command is dropped, and every handle's pending and future calls reject with DeviceGoneError. */
  unplug(): void {
    if (!this.isPlugged) return;
    this.isPlugged = false;
    this.outgoing = undefined;
    this.unplugArmed = false;
    this.server.stop();
    this.presence.clear();
    const error = gone('The virtual key was unplugged.');
    for (const handle of this.handles) handle.kill(error);
    this.handles.clear();
  }

  /** Plugs the key back in: a new power-up (reset window restarts, PIN_AUTH_BLOCKED clears) and a new handle. */
  replug(): void {
    if (this.isPlugged) return;
    this.state.powerUp(this.clock.now());
    this.authenticator.powerUp();
    this.isPlugged = true;
    this.primary = this.newHandle();
  }

  powerCycle(): void {
    this.unplug();
    this.replug();
  }

  snapshot(): VirtualKeySnapshot {
    const pin = this.state.pin;
    return {
      plugged: this.isPlugged,
      serial: this.options.serial,
      aaguid: Buffer.from(this.options.aaguid).toString('hex'),
      pinSet: pin.isSet,
      pinRetries: pin.retries,
      pinAuthBlocked: pin.authBlocked,
      minPinLength: pin.minPinLength,
      minPinLengthRpIds: [...pin.minPinLengthRpIds],
      forcePinChange: pin.forcePinChange,
      alwaysUv: this.state.alwaysUv,
      epEnabled: this.state.epEnabled,
      credentials: this.state.credentials.all().map((c) => ({
        rpId: c.rpId,
        userId: Buffer.from(c.user.id).toString('base64url'),
        credProtect: c.credProtect,
        discoverable: c.discoverable,
      })),
      winks: this.winks,
    };
  }

  private newHandle(): VirtualKeyHandle {
    const handle = new VirtualKeyHandle(
      this.descriptor,
      (report) => {
        if (this.isPlugged) this.server.receive(report);
      },
      (h) => this.handles.delete(h),
      this.clock,
    );
    this.handles.add(handle);
    return handle;
  }

  private async runCbor(request: Uint8Array, transaction: CtaphidTransaction): Promise<Uint8Array> {
    const command = request[0] === undefined ? undefined : commandName(request[0]);
    const reply = await this.authenticator.process(request, {
      signal: transaction.signal,
      requireUserPresence: async () => {
        transaction.setKeepaliveStatus(KEEPALIVE_STATUS.UPNEEDED);
        const result = await this.presence.wait(transaction.signal);
        transaction.setKeepaliveStatus(KEEPALIVE_STATUS.PROCESSING);
        if (result === 'cancelled') fail(STATUS.KEEPALIVE_CANCEL);
        if (result === 'timeout') fail(STATUS.USER_ACTION_TIMEOUT);
      },
    });
    if (command !== undefined && command === this.options.faults.unplugDuring && !this.unplugFaultUsed) {
      this.unplugFaultUsed = true;
      this.unplugArmed = true;
    }
    return reply;
  }

  /** Every report the key sends passes here: faults apply, then each open handle receives it. */
  private emit(report: Uint8Array): void {
    if (!this.isPlugged) return;
    const isReplyStart = report[4] === (0x80 | CTAPHID.CBOR);
    if (isReplyStart) {
      const length = (report[5]! << 8) | report[6]!;
      const frames = 1 + Math.ceil(Math.max(0, length - INIT_DATA) / CONT_DATA);
      const garble = this.options.faults.garble ?? 0;
      const garbleFrame = garble > 0 && unitInterval(this.faultRandom) < garble ? Math.floor(unitInterval(this.faultRandom) * frames) : undefined;
      this.outgoing = { framesLeft: frames, index: 0, length, garbleFrame };
      if (this.unplugArmed) {
        // Mid-message: a multi-frame reply loses everything after its first frame; a one-frame reply is lost whole.
        this.unplugArmed = false;
        if (frames > 1) this.broadcast(report);
        this.unplug();
        return;
      }
    }
    const outgoing = this.outgoing;
    let out = report;
    if (outgoing && (isReplyStart || report[4]! < 0x80)) {
      if (outgoing.index === outgoing.garbleFrame) out = this.garbled(report, outgoing);
      outgoing.index++;
      if (--outgoing.framesLeft === 0) this.outgoing = undefined;
    }
    this.broadcast(out);
  }

  private garbled(report: Uint8Array, outgoing: OutgoingReply): Uint8Array {
    const header = outgoing.index === 0 ? 7 : 5;
    const before = outgoing.index === 0 ? 0 : INIT_DATA + (outgoing.index - 1) * CONT_DATA;
    const meaningful = Math.min(report.length - header, outgoing.length - before);
    const copy = Uint8Array.from(report);
    const position = header + Math.floor(unitInterval(this.faultRandom) * Math.max(1, meaningful));
    copy[position] = copy[position]! ^ (1 + Math.floor(unitInterval(this.faultRandom) * 255));
    return copy;
  }

  private broadcast(report: Uint8Array): void {
    for (const handle of this.handles) handle.push(Uint8Array.from(report));
  }
}

/** A HidBackend of virtual keys at `virtual:1`, `virtual:2`, … (what `keybench --virtual N` plugs in). */
export class VirtualKeyBackend implements HidBackend {
  readonly kind = 'virtual' as const;
  private readonly list: VirtualKey[] = [];

  constructor(
    keys: number | readonly VirtualKeyOverrides[] = 1,
    private readonly env: Omit<VirtualKeyEnvironment, 'path'> = {},
  ) {
    const overrides = typeof keys === 'number' ? Array.from({ length: keys }, () => ({})) : keys;
    for (const o of overrides) this.add(o);
  }

  get keys(): readonly VirtualKey[] {
    return this.list;
  }

  key(path: string): VirtualKey | undefined {
    return this.list.find((k) => k.descriptor.path === path);
  }

  /** Adds (plugs in) another key; its serial defaults to one derived from its position. */
  add(overrides: VirtualKeyOverrides = {}): VirtualKey {
    const n = this.list.length + 1;
    const key = new VirtualKey({ serial: `KBVK${String(n).padStart(8, '0')}`, ...overrides }, { ...this.env, path: `virtual:${n}` });
    this.list.push(key);
    return key;
  }

  async enumerate(): Promise<HidDescriptor[]> {
    return this.list.filter((k) => k.plugged).map((k) => k.descriptor);
  }

  async open(path: string): Promise<HidDevice> {
    const key = this.key(path);
    if (!key) throw new DeviceGoneError(`No virtual key at ${path}. Refresh the key list.`);
    return key.open();
  }
}
