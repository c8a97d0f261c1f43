// CTAPHID packets (64-byte reports): splitting a message into an init packet and continuation packets,
// parsing one report, and reassembling a message. Shared by the client and the virtual key.
import { CONT_DATA, CONT_HEADER, HID_REPORT_SIZE, INIT_DATA, INIT_HEADER, MAX_MESSAGE_SIZE, MAX_SEQ } from './constants.js';
import { ProtocolError } from './errors.js';

export type Frame =
  | { readonly kind: 'init'; readonly cid: number; readonly cmd: number; readonly bcnt: number; readonly data: Uint8Array }
  | { readonly kind: 'cont'; readonly cid: number; readonly seq: number; readonly data: Uint8Array };

/** Splits one CTAPHID message into zero-padded 64-byte reports. `cmd` is the command without bit 7. */
export function encodeMessage(cid: number, cmd: number, payload: Uint8Array): Uint8Array[] {
  if (payload.length > MAX_MESSAGE_SIZE) throw new ProtocolError(`message of ${payload.length} bytes exceeds the CTAPHID limit of ${MAX_MESSAGE_SIZE}`);
  const reports: Uint8Array[] = [];
  const first = new Uint8Array(HID_REPORT_SIZE);
  const view = new DataView(first.buffer);
  view.setUint32(0, cid >>> 0);
  first[4] = 0x80 | (cmd & 0x7f);
  view.setUint16(5, payload.length);
  first.set(payload.subarray(0, INIT_DATA), INIT_HEADER);
  reports.push(first);
  let offset = INIT_DATA;
  for (let seq = 0; offset < payload.length; seq++) {
    const cont = new Uint8Array(HID_REPORT_SIZE);
    new DataView(cont.buffer).setUint32(0, cid >>> 0);
    cont[4] = seq;
    cont.set(payload.subarray(offset, offset + CONT_DATA), CONT_HEADER);
    reports.push(cont);
    offset += CONT_DATA;
  }
  return reports;
}

export function parseFrame(report: Uint8Array): Frame {
  if (report.length !== HID_REPORT_SIZE) throw new ProtocolError(`HID report of ${report.length} bytes, expected ${HID_REPORT_SIZE}`);
  const view = new DataView(report.buffer, report.byteOffset, report.byteLength);
  const cid = view.getUint32(0);
  const b4 = report[4]!;
  if (b4 & 0x80) {
    return { kind: 'init', cid, cmd: b4 & 0x7f, bcnt: view.getUint16(5), data: report.subarray(INIT_HEADER) };
  }
  return { kind: 'cont', cid, seq: b4, data: report.subarray(CONT_HEADER) };
}

/** Reassembles the frames of one channel into a message; throws ProtocolError on a sequence gap or oversize length. */
export class MessageAssembler {
  private buffer: Uint8Array | undefined;
  private filled = 0;
  private nextSeq = 0;
  private command = 0;

  get inProgress(): boolean {
    return this.buffer !== undefined;
  }

  reset(): void {
    this.buffer = undefined;
    this.filled = 0;
    this.nextSeq = 0;
  }

  /** Feeds one frame of this channel; returns the message when its last frame arrives. */
  push(frame: Frame): { cmd: number; payload: Uint8Array } | undefined {
    if (frame.kind === 'init') {
      if (frame.bcnt > MAX_MESSAGE_SIZE) throw new ProtocolError(`announced length ${frame.bcnt} exceeds ${MAX_MESSAGE_SIZE}`);
      this.buffer = new Uint8Array(frame.bcnt);
      this.command = frame.cmd;
      this.nextSeq = 0;
      const n = Math.min(frame.bcnt, INIT_DATA);
      this.buffer.set(frame.data.subarray(0, n));
      this.filled = n;
    } else {
      if (!this.buffer) throw new ProtocolError('continuation packet without an init packet');
      if (frame.seq !== this.nextSeq || frame.seq > MAX_SEQ) {
        const expected = this.nextSeq;
        this.reset();
        throw new ProtocolError(`continuation packet out of sequence (got ${frame.seq}, expected ${expected})`);
      }
      this.nextSeq++;
      const n = Math.min(this.buffer.length - this.filled, CONT_DATA);
      this.buffer.set(frame.data.subarray(0, n), this.filled);
      this.filled += n;
    }
    if (this.filled === this.buffer.length) {
      const payload = this.buffer;
      this.reset();
      return { cmd: this.command, payload };
    }
    return undefined;
  }
}
