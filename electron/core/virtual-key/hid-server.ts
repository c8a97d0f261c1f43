// The device side of CTAPHID (CTAP 2.1 §11.2): channel allocation, message reassembly, one transaction
// at a time (CHANNEL_BUSY for the others), keepalives while a CBOR command runs, CANCEL, PING, WINK,
// LOCK, and ERROR frames for whatever a host gets wrong.
import {
  BROADCAST_CID,
  CAPABILITY,
  CTAPHID,
  CTAPHID_ERROR,
  HID_REPORT_SIZE,
  KEEPALIVE_STATUS,
  MAX_MESSAGE_SIZE,
} from '../ctap/constants.js';
import { ProtocolError } from '../ctap/errors.js';
import { MessageAssembler, encodeMessage, parseFrame } from '../ctap/frames.js';
import type { Random } from '../ctap/pin-protocol.js';
import type { Clock, TimerHandle } from './environment.js';

const CTAPHID_PROTOCOL_VERSION = 2;
const INIT_NONCE_LENGTH = 8;
const MAX_LOCK_SECONDS = 10;
const MAX_CHANNELS = 64;

export type KeepaliveStatus = (typeof KEEPALIVE_STATUS)[keyof typeof KEEPALIVE_STATUS];

/** What a CBOR command handler gets from the transport. */
export interface CtaphidTransaction {
  /** Aborted by CTAPHID CANCEL on the same channel, a resync INIT, or power loss. */
  readonly signal: AbortSignal;
  /** What the keepalives say from now on (PROCESSING or UPNEEDED). */
  setKeepaliveStatus(status: KeepaliveStatus): void;
}

export interface CtaphidHandlers {
  cbor(request: Uint8Array, transaction: CtaphidTransaction): Promise<Uint8Array>;
  wink(): void;
}

export interface CtaphidServerOptions {
  /** Device version reported in the INIT reply. */
  readonly version: readonly [major: number, minor: number, build: number];
  readonly keepaliveIntervalMs: number;
  readonly messageTimeoutMs: number;
  readonly clock: Clock;
  readonly random: Random;
}

interface Receiving {
  readonly phase: 'receiving';
  readonly cid: number;
  readonly assembler: MessageAssembler;
  timer: TimerHandle;
}

interface Processing {
  readonly phase: 'processing';
  readonly cid: number;
  readonly controller: AbortController;
  status: KeepaliveStatus;
  keepalive: TimerHandle;
  /** Set when the reply must not go out (resync INIT, power loss). */
  abandoned: boolean;
}

export class CtaphidServer {
  private readonly channels = new Set<number>();
  private nextCid: number;
  private active: Receiving | Processing | undefined;
  private lock: { cid: number; until: number } | undefined;

  constructor(
    private readonly emit: (report: Uint8Array) => void,
    private readonly handlers: CtaphidHandlers,
    private readonly options: CtaphidServerOptions,
  ) {
    const seed = options.random(4);
    this.nextCid = new DataView(seed.buffer, seed.byteOffset, 4).getUint32(0);
  }

  /** Power loss: drops channels, the lock and any transaction; a running command is aborted and its reply suppressed. */
  stop(): void {
    this.abandonActive();
    this.channels.clear();
    this.lock = undefined;
  }

  /** Takes one 64-byte report from the host. */
  receive(report: Uint8Array): void {
    if (report.length !== HID_REPORT_SIZE) return;
    const frame = parseFrame(report);
    const cid = frame.cid;
    const active = this.active;

    if (frame.kind === 'cont') {
      // Continuation packets of a channel that is not sending a message are ignored (CTAP 2.1 §11.2.4).
      if (active?.phase === 'receiving' && active.cid === cid) this.continueMessage(active, frame);
      return;
    }

    if (cid === 0) return this.error(cid, CTAPHID_ERROR.INVALID_CHANNEL);
    if (frame.cmd === CTAPHID.INIT) return this.init(cid, frame.bcnt, frame.data);
    if (cid === BROADCAST_CID || !this.channels.has(cid)) return this.error(cid, CTAPHID_ERROR.INVALID_CHANNEL);
    if (this.lockedAgainst(cid)) return this.error(cid, CTAPHID_ERROR.CHANNEL_BUSY);

    if (frame.cmd === CTAPHID.CANCEL) {
      if (active?.phase === 'processing' && active.cid === cid) active.controller.abort();
      return;
    }
    if (active) {
      if (active.cid !== cid || active.phase === 'processing') return this.error(cid, CTAPHID_ERROR.CHANNEL_BUSY);
      this.endActive();
      return this.error(cid, CTAPHID_ERROR.INVALID_SEQ);
    }
    if (frame.bcnt > MAX_MESSAGE_SIZE) return this.error(cid, CTAPHID_ERROR.INVALID_LEN);

    const receiving: Receiving = { phase: 'receiving', cid, assembler: new MessageAssembler(), timer: this.messageTimer(cid) };
    this.active = receiving;
    this.accept(receiving, frame);
  }

  private continueMessage(receiving: Receiving, frame: Parameters<MessageAssembler['push']>[0]): void {
    this.options.clock.clearTimeout(receiving.timer);
    receiving.timer = this.messageTimer(receiving.cid);
    this.accept(receiving, frame);
  }

  private accept(receiving: Receiving, frame: Parameters<MessageAssembler['push']>[0]): void {
    let message: { cmd: number; payload: Uint8Array } | undefined;
    try {
      message = receiving.assembler.push(frame);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      this.endActive();
      return this.error(receiving.cid, CTAPHID_ERROR.INVALID_SEQ);
    }
    if (!message) return;
    this.endActive();
    this.dispatch(receiving.cid, message.cmd, message.payload);
  }

  private messageTimer(cid: number): TimerHandle {
    return this.options.clock.setTimeout(() => {
      if (this.active?.phase === 'receiving' && this.active.cid === cid) {
        this.active = undefined;
        this.error(cid, CTAPHID_ERROR.MSG_TIMEOUT);
      }
    }, this.options.messageTimeoutMs);
  }

  private lockedAgainst(cid: number): boolean {
    if (this.lock && this.options.clock.now() >= this.lock.until) this.lock = undefined;
    return this.lock !== undefined && this.lock.cid !== cid;
  }

  private init(cid: number, bcnt: number, data: Uint8Array): void {
    if (bcnt !== INIT_NONCE_LENGTH) return this.error(cid, CTAPHID_ERROR.INVALID_LEN);
    let channel: number;
    if (cid === BROADCAST_CID) {
      channel = this.allocateChannel();
    } else if (this.channels.has(cid)) {
      // INIT on an existing channel resynchronises it: whatever it was doing is dropped without a reply.
      if (this.active?.cid === cid) this.abandonActive();
      channel = cid;
    } else {
      return this.error(cid, CTAPHID_ERROR.INVALID_CHANNEL);
    }
    const reply = new Uint8Array(17);
    reply.set(data.subarray(0, INIT_NONCE_LENGTH));
    new DataView(reply.buffer).setUint32(8, channel);
    reply[12] = CTAPHID_PROTOCOL_VERSION;
    reply.set(this.options.version, 13);
    reply[16] = CAPABILITY.WINK | CAPABILITY.CBOR | CAPABILITY.NMSG;
    this.send(cid, CTAPHID.INIT, reply);
  }

  private allocateChannel(): number {
    let cid = this.nextCid;
    while (cid === 0 || cid === BROADCAST_CID || this.channels.has(cid)) cid = (cid + 1) >>> 0;
    this.nextCid = (cid + 1) >>> 0;
    this.channels.add(cid);
    if (this.channels.size > MAX_CHANNELS) {
      const oldest = this.channels.values().next().value;
      if (oldest !== undefined) this.channels.delete(oldest);
    }
    return cid;
  }

  private dispatch(cid: number, cmd: number, payload: Uint8Array): void {
    switch (cmd) {
      case CTAPHID.PING:
        return this.send(cid, CTAPHID.PING, payload);
      case CTAPHID.WINK:
        if (payload.length !== 0) return this.error(cid, CTAPHID_ERROR.INVALID_LEN);
        this.handlers.wink();
        return this.send(cid, CTAPHID.WINK, new Uint8Array(0));
      case CTAPHID.LOCK: {
        const seconds = payload[0];
        if (payload.length !== 1 || seconds === undefined) return this.error(cid, CTAPHID_ERROR.INVALID_LEN);
        if (seconds > MAX_LOCK_SECONDS) return this.error(cid, CTAPHID_ERROR.INVALID_PAR);
        this.lock = seconds === 0 ? undefined : { cid, until: this.options.clock.now() + seconds * 1000 };
        return this.send(cid, CTAPHID.LOCK, new Uint8Array(0));
      }
      case CTAPHID.CBOR:
        if (payload.length === 0) return this.error(cid, CTAPHID_ERROR.INVALID_LEN);
        return this.runCbor(cid, payload);
      default:
        // MSG included: the key declares NMSG (no CTAP1/U2F).
        return this.error(cid, CTAPHID_ERROR.INVALID_CMD);
    }
  }

  private runCbor(cid: number, request: Uint8Array): void {
    const processing: Processing = {
      phase: 'processing',
      cid,
      controller: new AbortController(),
      status: KEEPALIVE_STATUS.PROCESSING,
      keepalive: this.keepaliveTimer(cid),
      abandoned: false,
    };
    this.active = processing;
    const transaction: CtaphidTransaction = {
      signal: processing.controller.signal,
      setKeepaliveStatus: (status) => {
        processing.status = status;
      },
    };
    void this.handlers.cbor(request, transaction).then(
      (reply) => this.finish(processing, reply),
      () => this.finish(processing, Uint8Array.of(0x7f)),
    );
  }

  private finish(processing: Processing, reply: Uint8Array): void {
    if (processing.abandoned) return;
    this.endActive();
    this.send(processing.cid, CTAPHID.CBOR, reply);
  }

  private keepaliveTimer(cid: number): TimerHandle {
    return this.options.clock.setTimeout(() => {
      const active = this.active;
      if (active?.phase !== 'processing' || active.cid !== cid) return;
      this.send(cid, CTAPHID.KEEPALIVE, Uint8Array.of(active.status));
      active.keepalive = this.keepaliveTimer(cid);
    }, this.options.keepaliveIntervalMs);
  }

  private endActive(): void {
    const active = this.active;
    this.active = undefined;
    if (active?.phase === 'receiving') this.options.clock.clearTimeout(active.timer);
    if (active?.phase === 'processing') this.options.clock.clearTimeout(active.keepalive);
  }

  /** Ends the transaction without a reply: a running command is aborted and whatever it returns is dropped. */
  private abandonActive(): void {
    const active = this.active;
    if (active?.phase === 'processing') {
      active.abandoned = true;
      active.controller.abort();
    }
    this.endActive();
  }

  private error(cid: number, code: number): void {
    this.send(cid, CTAPHID.ERROR, Uint8Array.of(code));
  }

  private send(cid: number, cmd: number, payload: Uint8Array): void {
    for (const report of encodeMessage(cid, cmd, payload)) this.emit(report);
  }
}
