// The key's side of the YubiKey OTP feature-report protocol, written from the protocol description
// (yubikit core/otp.py, ykcore.c) and independent of the module under test: it takes a frame report by
// report, holds the write flag for a while after each, checks the frame's CRC, and answers the serial
// request with numbered "response pending" reports whose numbering wraps to 0 after the last one.
import type { FeatureReportDevice } from '../../../../electron/core/hid/vendor-serial/feature-device.js';

export interface FakeYubiKeyOtpOptions {
  readonly path?: string;
  readonly serial?: number;
  /** EXTFLAG_SERIAL_API_VISIBLE: off means the key ignores the serial request. */
  readonly serialVisible?: boolean;
  /** Reads after each written report that still show the write flag (the key is busy taking it). */
  readonly busyReads?: number;
  /** The key's answer carries a CRC that does not check out. */
  readonly corruptCrc?: boolean;
  /** getFeatureReport never settles. */
  readonly silent?: boolean;
}

/** CRC-16, ISO 13239 polynomial reflected (0x8408), initial value 0xFFFF, no final XOR. */
function specCrc(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) {
      const lowBit = crc & 1;
      crc >>>= 1;
      if (lowBit) crc ^= 0x8408;
    }
  }
  return crc;
}

export class FakeYubiKeyOtp implements FeatureReportDevice {
  readonly path: string;
  /** Anything the host did that the protocol does not allow. */
  readonly violations: string[] = [];
  /** The 8-byte reports the host wrote (report id removed). */
  readonly written: Uint8Array[] = [];
  /** Frames that arrived complete with a good CRC. */
  readonly frames: { slot: number; payload: Uint8Array }[] = [];
  resets = 0;
  reads = 0;
  closed = false;

  private readonly frame = new Uint8Array(70);
  private nextSeq = 0;
  private busy = 0;
  private lastWriteStatus = 0;
  private response: Uint8Array[] | undefined;
  private responseIndex = 0;

  constructor(private readonly options: FakeYubiKeyOtpOptions = {}) {
    this.path = options.path ?? '/dev/hidraw2';
  }

  async sendFeatureReport(data: Uint8Array): Promise<void> {
    if (this.closed) throw new Error('device has been closed');
    if (data.length !== 9 || data[0] !== 0) this.violations.push(`write of ${data.length} bytes with report id ${data[0]}`);
    const report = Uint8Array.from(data.subarray(1));
    this.written.push(report);
    const status = report[7]!;
    if (status === 0x8f) {
      this.response = undefined;
      this.resets++;
      return;
    }
    if ((status & 0x80) === 0) this.violations.push(`report without the write flag: ${status.toString(16)}`);
    if (this.busy > 0) this.violations.push('report written while the write flag was still set');
    const seq = status & 0x1f;
    if (seq > 9) return void this.violations.push(`sequence ${seq} beyond the frame`);
    if (seq === 0) {
      this.frame.fill(0);
      this.response = undefined;
    } else if (seq < this.nextSeq) {
      this.violations.push(`sequence went back from ${this.nextSeq - 1} to ${seq}`);
    }
    this.frame.set(report.subarray(0, 7), seq * 7);
    this.nextSeq = seq + 1;
    this.busy = this.options.busyReads ?? 1;
    this.lastWriteStatus = status;
    if (seq === 9) this.takeFrame();
  }

  async getFeatureReport(reportId: number, length: number): Promise<Uint8Array> {
    if (this.closed) throw new Error('device has been closed');
    if (this.options.silent) return new Promise(() => undefined);
    this.reads++;
    if (reportId !== 0 || length !== 9) this.violations.push(`read of report ${reportId} with length ${length}`);
    let report: Uint8Array;
    if (this.busy > 0) {
      this.busy--;
      report = this.statusReport(this.lastWriteStatus);
    } else if (this.response) {
      const index = this.responseIndex % this.response.length;
      this.responseIndex++;
      report = new Uint8Array(8);
      report.set(this.response[index]!);
      report[7] = 0x40 | index;
    } else {
      report = this.statusReport(0);
    }
    return Uint8Array.of(0, ...report);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private takeFrame(): void {
    const payload = this.frame.slice(0, 64);
    const slot = this.frame[64]!;
    const crc = this.frame[65]! | (this.frame[66]! << 8);
    if (specCrc(payload) !== crc) return void this.violations.push('frame CRC does not match its payload');
    this.frames.push({ slot, payload });
    if (slot === 0x10 && this.options.serialVisible !== false) this.answer(this.serialAnswer());
  }

  private serialAnswer(): Uint8Array {
    const serial = this.options.serial ?? 12345678;
    const data = Uint8Array.of(serial >>> 24, (serial >>> 16) & 0xff, (serial >>> 8) & 0xff, serial & 0xff);
    const check = (~specCrc(data) & 0xffff) ^ (this.options.corruptCrc ? 0x0001 : 0);
    return Uint8Array.of(...data, check & 0xff, check >>> 8);
  }

  private answer(bytes: Uint8Array): void {
    const chunks: Uint8Array[] = [];
    for (let offset = 0; offset < bytes.length; offset += 7) chunks.push(bytes.subarray(offset, offset + 7));
    this.response = chunks;
    this.responseIndex = 0;
  }

  /** Reserved byte, firmware 5.4.3, programming sequence 1, touch level (both slots valid), status. */
  private statusReport(status: number): Uint8Array {
    return Uint8Array.of(0, 5, 4, 3, 1, 0x03, 0, status);
  }
}
