// The client side of CTAPHID (CTAP 2.1 §11.2) over one HidDevice: channel allocation with INIT, one
// transaction at a time, keepalives, CHANNEL_BUSY retries, CANCEL. See ctap-anchors.md §2.3 and §2.5 for
// why each rule is here (libfido2, python-fido2, authenticator-rs and Chromium agree on them).
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HidDevice } from '../hid/device.js';
import { BROADCAST_CID, CAPABILITY, CTAPHID, CTAPHID_ERROR, INIT_DATA, KEEPALIVE_STATUS, MAX_MESSAGE_SIZE } from './constants.js';
import { CancelledError, CtapHidError, DeviceGoneError, KeyTimeoutError, ProtocolError } from './errors.js';
import { encodeMessage, MessageAssembler, parseFrame } from './frames.js';
import type { Random } from './pin-protocol.js';
import type { CallOptions, CtapTransport, KeepaliveStatus } from './transport.js';

/** Per-step deadline for commands that need no touch; callers pass longer ones for touch. */
export const DEFAULT_TIMEOUT_MS = 5000;
/** Pause before re-sending a request the key answered with CHANNEL_BUSY (all anchors use 100 ms). */
export const BUSY_RETRY_MS = 100;
/** How long to wait for the key to confirm a CANCEL before giving up on the reply. */
export const CANCEL_GRACE_MS = 2000;
/** Reads are sliced so a cancel or a re-armed deadline takes effect without an outstanding native read. */
const READ_SLICE_MS = 250;
const NONCE_SIZE = 8;
const INIT_REPLY_SIZE = 17;
const EMPTY = new Uint8Array(0);

export interface DeviceVersion {
  /** CTAPHID protocol version; 2 for every current key. */
  readonly protocol: number;
  readonly major: number;
  readonly minor: number;
  readonly build: number;
}

export interface OpenOptions {
  /** Source of the INIT nonce; tests inject a fixed one. */
  readonly random?: Random;
  readonly initTimeoutMs?: number;
}

interface Channel {
  readonly cid: number;
  readonly capabilities: number;
  readonly deviceVersion: DeviceVersion;
}

export class CtapHidConnection implements CtapTransport {
  private channel: Channel;
  private readonly random: Random;
  private queue: Promise<unknown> = Promise.resolve();
  /** Set when a transaction ended without its reply: a late reply on this CID must not answer the next request. */
  private needsFreshChannel = false;
  private closed = false;

  private constructor(
    readonly device: HidDevice,
    channel: Channel,
    random: Random,
  ) {
    this.channel = channel;
    this.random = random;
  }

  /** Allocates a channel on the key with CTAPHID INIT on the broadcast CID. */
  static async open(device: HidDevice, options: OpenOptions = {}): Promise<CtapHidConnection> {
    const random = options.random ?? ((n: number) => new Uint8Array(randomBytes(n)));
    const channel = await allocateChannel(device, random, options.initTimeoutMs ?? DEFAULT_TIMEOUT_MS);
    return new CtapHidConnection(device, channel, random);
  }

  get cid(): number {
    return this.channel.cid;
  }

  /** Capability bits from the INIT reply (CAPABILITY.WINK, CBOR, NMSG). */
  get capabilities(): number {
    return this.channel.capabilities;
  }

  get deviceVersion(): DeviceVersion {
    return this.channel.deviceVersion;
  }

  get canWink(): boolean {
    return (this.channel.capabilities & CAPABILITY.WINK) !== 0;
  }

  get supportsCbor(): boolean {
    return (this.channel.capabilities & CAPABILITY.CBOR) !== 0;
  }

  /** One CTAPHID transaction: `cmd` without bit 7, resolves with the reply payload. Calls queue behind each other. */
  call(cmd: number, payload: Uint8Array, options: CallOptions = {}): Promise<Uint8Array> {
    if (options.signal?.aborted) return Promise.reject(new CancelledError());
    if (this.closed) return Promise.reject(closedError());
    if (payload.length > MAX_MESSAGE_SIZE) {
      return Promise.reject(new ProtocolError(`A request of ${payload.length} bytes exceeds the CTAPHID limit of ${MAX_MESSAGE_SIZE} bytes; nothing was sent.`));
    }
    const run = (): Promise<Uint8Array> => this.transact(cmd, payload, options);
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  async sendCbor(command: number, data: Uint8Array | undefined, options?: CallOptions): Promise<Uint8Array> {
    const payload = new Uint8Array(1 + (data?.length ?? 0));
    payload[0] = command;
    if (data) payload.set(data, 1);
    const reply = await this.call(CTAPHID.CBOR, payload, options);
    if (reply.length === 0) throw new ProtocolError('The key sent an empty CTAP2 reply (no status byte).');
    return reply;
  }

  /** Echo test: the key must return `data` unchanged. */
  async ping(data: Uint8Array, options?: CallOptions): Promise<Uint8Array> {
    const reply = await this.call(CTAPHID.PING, data, options);
    if (!bytesEqual(reply, data)) throw new ProtocolError(`The key answered a PING of ${data.length} bytes with different data (${reply.length} bytes).`);
    return reply;
  }

  async wink(): Promise<void> {
    if (!this.canWink) throw new CtapHidError(CTAPHID_ERROR.INVALID_CMD);
    await this.call(CTAPHID.WINK, EMPTY);
  }

  /** Reserves the key for this channel for `seconds` (0 releases it); CTAPHID allows at most 10. */
  async lock(seconds: number): Promise<void> {
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > 10) throw new RangeError(`CTAPHID LOCK takes 0 to 10 seconds, got ${seconds}`);
    await this.call(CTAPHID.LOCK, Uint8Array.of(seconds));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.device.close();
  }

  private async transact(cmd: number, payload: Uint8Array, options: CallOptions): Promise<Uint8Array> {
    const { signal } = options;
    if (signal?.aborted) throw new CancelledError();
    if (this.closed) throw closedError();
    const stepMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (this.needsFreshChannel) {
      this.channel = await allocateChannel(this.device, this.random, stepMs);
      this.needsFreshChannel = false;
    }
    const cid = this.channel.cid;
    const request = encodeMessage(cid, cmd, payload);
    const assembler = new MessageAssembler();
    let deadline = Date.now() + stepMs;
    let lastStatus: KeepaliveStatus | undefined;
    let requestOnWire = false;
    // Widened on purpose: the abort listener changes it while this function awaits.
    let cancel = 'none' as 'none' | 'requested' | 'sent';
    let cancelWrite: Promise<void> | undefined;

    const sendCancel = (): void => {
      cancel = 'sent';
      deadline = Math.min(deadline, Date.now() + CANCEL_GRACE_MS);
      cancelWrite = writeAll(this.device, encodeMessage(cid, CTAPHID.CANCEL, EMPTY)).catch(() => undefined);
    };
    // Chromium's rule: a CANCEL between two packets of a request would corrupt it, so it waits for the last one.
    const onAbort = (): void => {
      if (cancel !== 'none') return;
      cancel = 'requested';
      if (requestOnWire) sendCancel();
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    // True once the key has answered this request; if it never does, its late reply must not reach the next one.
    let settled = false;
    try {
      for (;;) {
        await writeAll(this.device, request);
        requestOnWire = true;
        if (cancel === 'requested') sendCancel();

        let busy = false;
        while (!busy) {
          const report = await readReport(this.device, () => deadline);
          if (!report) {
            if (cancel === 'sent') throw new CancelledError('The operation was cancelled; the key did not confirm the cancel in time.');
            // Stop the key waiting for a touch nobody will give.
            await writeAll(this.device, encodeMessage(cid, CTAPHID.CANCEL, EMPTY)).catch(() => undefined);
            throw new KeyTimeoutError(`The key did not answer ${commandName(cmd)} within ${seconds(stepMs)}. Unplug it, plug it back in and try again.`);
          }
          const frame = parseFrame(report);
          if (frame.cid !== cid) continue;
          if (frame.kind === 'init' && frame.cmd === CTAPHID.KEEPALIVE) {
            deadline = Date.now() + (cancel === 'sent' ? CANCEL_GRACE_MS : stepMs);
            const status = keepaliveStatus(frame.data[0]!);
            if (status && status !== lastStatus) {
              lastStatus = status;
              options.onKeepalive?.(status);
            }
            continue;
          }
          if (frame.kind === 'init' && frame.cmd === CTAPHID.ERROR) {
            settled = true;
            if (cancel !== 'none') throw new CancelledError();
            if (frame.bcnt < 1) throw new ProtocolError('The key sent a CTAPHID ERROR frame without an error code.');
            const code = frame.data[0]!;
            if (code !== CTAPHID_ERROR.CHANNEL_BUSY) throw new CtapHidError(code);
            busy = true;
            continue;
          }
          const message = assembler.push(frame);
          if (!message) continue;
          if (message.cmd !== cmd) throw new ProtocolError(`The key answered ${commandName(cmd)} with ${commandName(message.cmd)}.`);
          settled = true;
          if (cancel !== 'none') throw new CancelledError();
          return message.payload;
        }

        requestOnWire = false;
        settled = false;
        if (Date.now() + BUSY_RETRY_MS > deadline) {
          throw new KeyTimeoutError(`The key stayed busy with another program for ${seconds(stepMs)}. Close browsers and other FIDO tools that may be using it, then try again.`);
        }
        try {
          await sleep(BUSY_RETRY_MS, undefined, signal ? { signal } : undefined);
        } catch {
          throw new CancelledError();
        }
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (requestOnWire && !settled) this.needsFreshChannel = true;
      await cancelWrite;
    }
  }
}

async function allocateChannel(device: HidDevice, random: Random, timeoutMs: number): Promise<Channel> {
  const nonce = Uint8Array.from(random(NONCE_SIZE));
  if (nonce.length !== NONCE_SIZE) throw new RangeError(`the INIT nonce source returned ${nonce.length} bytes, expected ${NONCE_SIZE}`);
  const deadline = Date.now() + timeoutMs;
  await writeAll(device, encodeMessage(BROADCAST_CID, CTAPHID.INIT, nonce));
  let errorSeen: number | undefined;
  for (;;) {
    const report = await readReport(device, () => deadline);
    if (!report) {
      const hint = errorSeen === undefined ? '' : ` (it only sent transport error ${new CtapHidError(errorSeen).message})`;
      throw new KeyTimeoutError(`The key did not answer the CTAPHID INIT handshake within ${seconds(timeoutMs)}${hint}. Unplug it, plug it back in and try again.`);
    }
    const frame = parseFrame(report);
    // Other processes share the key and the broadcast channel: anything but our own INIT reply is theirs.
    if (frame.kind !== 'init' || frame.cid !== BROADCAST_CID) continue;
    if (frame.cmd === CTAPHID.ERROR) {
      errorSeen = frame.data[0];
      continue;
    }
    if (frame.cmd !== CTAPHID.INIT || frame.bcnt < INIT_REPLY_SIZE || frame.bcnt > INIT_DATA) continue;
    const data = frame.data;
    if (!bytesEqual(data.subarray(0, NONCE_SIZE), nonce)) continue;
    const cid = new DataView(data.buffer, data.byteOffset + NONCE_SIZE, 4).getUint32(0);
    if (cid === 0 || cid === BROADCAST_CID) {
      throw new ProtocolError(`The key allocated the reserved channel id 0x${cid.toString(16).padStart(8, '0')}. Replug it; if it persists, the key is faulty.`);
    }
    return {
      cid,
      capabilities: data[16]!,
      deviceVersion: { protocol: data[12]!, major: data[13]!, minor: data[14]!, build: data[15]! },
    };
  }
}

async function writeAll(device: HidDevice, reports: readonly Uint8Array[]): Promise<void> {
  for (const report of reports) {
    try {
      await device.write(report);
    } catch (error) {
      throw asDeviceGone(error);
    }
  }
}

/** Next report before the (possibly moving) deadline, or undefined once it passes. */
async function readReport(device: HidDevice, deadline: () => number): Promise<Uint8Array | undefined> {
  for (;;) {
    const remaining = deadline() - Date.now();
    if (remaining <= 0) return undefined;
    let report: Uint8Array | undefined;
    try {
      report = await device.read(Math.min(remaining, READ_SLICE_MS));
    } catch (error) {
      throw asDeviceGone(error);
    }
    if (report) return report;
  }
}

function asDeviceGone(error: unknown): DeviceGoneError {
  if (error instanceof DeviceGoneError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new DeviceGoneError(`The key stopped answering (${detail}). It was probably unplugged; plug it back in and try again.`);
}

function closedError(): DeviceGoneError {
  return new DeviceGoneError('The connection to this key was closed. Open the key again.');
}

function keepaliveStatus(byte: number): KeepaliveStatus | undefined {
  if (byte === KEEPALIVE_STATUS.PROCESSING) return 'processing';
  if (byte === KEEPALIVE_STATUS.UPNEEDED) return 'upneeded';
  return undefined;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

function seconds(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}

const COMMAND_NAMES: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(CTAPHID).map(([name, code]) => [code, name]));

function commandName(cmd: number): string {
  return `CTAPHID ${COMMAND_NAMES[cmd] ?? 'command'} (0x${cmd.toString(16).padStart(2, '0')})`;
}
