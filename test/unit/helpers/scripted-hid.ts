// A scripted HidDevice for CTAPHID tests: records every written report and replays canned 64-byte reports,
// optionally after a delay, or reacts to writes (e.g. answers INIT, or a CANCEL with status 0x2D).
import { BROADCAST_CID, CTAPHID, HID_REPORT_SIZE } from '../../../electron/core/ctap/constants.js';
import { DeviceGoneError } from '../../../electron/core/ctap/errors.js';
import { encodeMessage } from '../../../electron/core/ctap/frames.js';
import type { HidDescriptor, HidDevice } from '../../../electron/core/hid/device.js';

type Scripted = { readonly delayMs: number; readyAt?: number } & ({ readonly report: Uint8Array } | { readonly error: Error });

export type WriteHandler = (report: Uint8Array, device: ScriptedHid) => void | Promise<void>;

export class ScriptedHid implements HidDevice {
  readonly descriptor: HidDescriptor;
  readonly writes: Uint8Array[] = [];
  closed = false;
  private readonly script: Scripted[] = [];
  private readonly wakers = new Set<() => void>();
  private gone: Error | undefined;
  private writeHandler: WriteHandler | undefined;
  private autoInit: { nextCid: number; capabilities: number } | undefined;

  constructor(descriptor: Partial<HidDescriptor> = {}) {
    this.descriptor = { path: 'scripted:0', kind: 'virtual', vendorId: 0x1050, productId: 0x0407, ...descriptor };
  }

  /** Queues reports to be read immediately, in order. */
  reply(...reports: Uint8Array[]): this {
    for (const report of reports) this.push({ delayMs: 0, report });
    return this;
  }

  /** Queues one report that becomes readable `delayMs` after it reaches the head of the queue. */
  replyAfter(delayMs: number, report: Uint8Array): this {
    this.push({ delayMs, report });
    return this;
  }

  /** Queues a read that rejects with `error`. */
  failRead(error: Error, delayMs = 0): this {
    this.push({ delayMs, error });
    return this;
  }

  /** Answers every INIT on the broadcast channel with the sent nonce, allocating `firstCid`, then +1 per INIT. */
  answerInit(firstCid: number, capabilities = 0x05): this {
    this.autoInit = { nextCid: firstCid, capabilities };
    return this;
  }

  onWrite(handler: WriteHandler | undefined): this {
    this.writeHandler = handler;
    return this;
  }

  /** Drops whatever is still queued. */
  clearReads(): void {
    this.script.length = 0;
  }

  /** Every pending and later read or write rejects with DeviceGoneError. */
  unplug(): void {
    this.gone = new DeviceGoneError();
    this.wake();
  }

  async write(report: Uint8Array): Promise<void> {
    if (this.gone) throw this.gone;
    if (report.length !== HID_REPORT_SIZE) throw new Error(`scripted device: wrote a report of ${report.length} bytes`);
    const copy = Uint8Array.from(report);
    this.writes.push(copy);
    if (this.autoInit && isBroadcastInit(copy)) {
      this.reply(initReply(copy.subarray(7, 15), this.autoInit.nextCid, this.autoInit.capabilities));
      this.autoInit.nextCid = (this.autoInit.nextCid + 1) >>> 0;
    }
    await this.writeHandler?.(copy, this);
  }

  read(timeoutMs: number): Promise<Uint8Array | undefined> {
    const until = Date.now() + timeoutMs;
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const attempt = (): void => {
        clearTimeout(timer);
        this.wakers.delete(attempt);
        if (this.gone) return reject(this.gone);
        const now = Date.now();
        const head = this.script[0];
        if (head) {
          head.readyAt ??= now + head.delayMs;
          if (head.readyAt <= now) {
            this.script.shift();
            if ('error' in head) reject(head.error);
            else resolve(head.report);
            return;
          }
        }
        if (now >= until) return resolve(undefined);
        this.wakers.add(attempt);
        timer = setTimeout(attempt, Math.min(until, head?.readyAt ?? until) - now);
      };
      attempt();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unplug();
  }

  /** Written reports as parsed CTAPHID commands (init packets only), e.g. [0x86, 0x90, 0x91]. */
  writtenCommands(): number[] {
    return this.writes.filter((r) => r[4]! & 0x80).map((r) => r[4]!);
  }

  private push(item: Scripted): void {
    this.script.push(item);
    this.wake();
  }

  private wake(): void {
    for (const waker of [...this.wakers]) waker();
  }
}

export function hexBytes(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  return Uint8Array.from(clean.match(/../g) ?? [], (byte) => parseInt(byte, 16));
}

/** One 64-byte report from hex, zero-padded like a key pads it. */
export function report(hex: string): Uint8Array {
  const out = new Uint8Array(HID_REPORT_SIZE);
  out.set(hexBytes(hex));
  return out;
}

/** The 17-byte INIT reply as the key frames it on the broadcast channel. */
export function initReply(nonce: Uint8Array, cid: number, capabilities = 0x05, version = [2, 5, 2, 1]): Uint8Array {
  const payload = new Uint8Array(17);
  payload.set(nonce);
  new DataView(payload.buffer).setUint32(8, cid);
  payload.set(version, 12);
  payload[16] = capabilities;
  return encodeMessage(BROADCAST_CID, CTAPHID.INIT, payload)[0]!;
}

export function fixedRandom(bytes: Uint8Array): (n: number) => Uint8Array {
  return (n) => bytes.slice(0, n);
}

function isBroadcastInit(written: Uint8Array): boolean {
  return new DataView(written.buffer, written.byteOffset).getUint32(0) === BROADCAST_CID && written[4] === (0x80 | CTAPHID.INIT);
}
