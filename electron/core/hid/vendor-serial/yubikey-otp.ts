// The YubiKey OTP interface (its keyboard interface) speaks in 8-byte feature reports: a command is one
// 70-byte frame (64-byte payload, slot/command byte, CRC-16, filler) cut into ten reports of 7 data bytes
// plus a sequence byte with the write flag; the answer comes back as reports flagged "response pending".
// Only what the serial request needs lives here. Protocol learnt from Yubico's yubikit (core/otp.py,
// yubiotp.py) and yubikey-personalization (ykcore/ykcore.c, ykdef.h).
import { CancelledError } from '../../ctap/errors.js';
import type { FeatureReportDevice } from './feature-device.js';

export const YUBICO_VENDOR_ID = 0x1050;
/** The OTP interface is a boot keyboard: Generic Desktop page, Keyboard usage. */
export const OTP_USAGE_PAGE = 0x0001;
export const OTP_USAGE = 0x0006;

export const FEATURE_REPORT_SIZE = 8;
export const FEATURE_REPORT_DATA_SIZE = FEATURE_REPORT_SIZE - 1;
export const SLOT_DATA_SIZE = 64;
/** Payload, slot, CRC (2 bytes, little-endian), 3 filler bytes: exactly ten reports' worth of data. */
export const FRAME_SIZE = SLOT_DATA_SIZE + 6;
export const FRAME_REPORT_COUNT = FRAME_SIZE / FEATURE_REPORT_DATA_SIZE;

/** Bits of a report's last byte. */
export const OTP_STATUS = {
  /** Set by the host on every report of a frame; the key clears it once it took the report. */
  SLOT_WRITE: 0x80,
  /** The key has response reports to read; the low five bits number them. */
  RESP_PENDING: 0x40,
  /** The key waits for a touch before it answers. */
  RESP_TIMEOUT_WAIT: 0x20,
} as const;
export const SEQUENCE_MASK = 0x1f;
/** A write with an invalid sequence number: tells the key to drop its pending response. */
export const DUMMY_REPORT_WRITE = 0x8f;

export const SLOT_DEVICE_SERIAL = 0x10;
/** CRC-16 of data followed by its own complemented CRC (little-endian) always comes out as this. */
export const CRC_OK_RESIDUAL = 0xf0b8;

const SERIAL_SIZE = 4;
const CRC_SIZE = 2;
/** The OTP interface has no numbered reports; hidapi still wants (and returns) the id byte 0x00. */
const REPORT_ID = 0x00;
const POLL_INTERVAL_MS = 20;
/** A serial answer is one report; a key that keeps sending numbered reports is not speaking this protocol. */
const MAX_RESPONSE_REPORTS = FRAME_REPORT_COUNT;

export type YubiKeyOtpFailure = 'timeout' | 'bad-report' | 'bad-crc' | 'incomplete';

/** The OTP interface did not answer the serial request sensibly. */
export class YubiKeyOtpError extends Error {
  override readonly name = 'YubiKeyOtpError';
  constructor(
    readonly reason: YubiKeyOtpFailure,
    message: string,
  ) {
    super(message);
  }
}

/** CRC-16 as the YubiKey uses it (ISO 13239 polynomial, reflected, initial 0xFFFF, no final XOR). */
export function crc16(data: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of data) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x8408 : crc >>> 1;
  }
  return crc;
}

/** One command frame: the payload zero-padded to 64 bytes, the slot, and the CRC of the payload (not complemented). */
export function encodeRequestFrame(slot: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (payload.length > SLOT_DATA_SIZE) throw new RangeError(`an OTP command payload is at most ${SLOT_DATA_SIZE} bytes, got ${payload.length}`);
  const frame = new Uint8Array(FRAME_SIZE);
  frame.set(payload);
  const crc = crc16(frame.subarray(0, SLOT_DATA_SIZE));
  frame[SLOT_DATA_SIZE] = slot;
  frame[SLOT_DATA_SIZE + 1] = crc & 0xff;
  frame[SLOT_DATA_SIZE + 2] = crc >>> 8;
  return frame;
}

/** The frame as ten 8-byte feature reports: 7 data bytes, then the write flag with the sequence number. */
export function frameReports(frame: Uint8Array): Uint8Array[] {
  if (frame.length !== FRAME_SIZE) throw new RangeError(`an OTP frame is ${FRAME_SIZE} bytes, got ${frame.length}`);
  return Array.from({ length: FRAME_REPORT_COUNT }, (_, seq) => {
    const report = new Uint8Array(FEATURE_REPORT_SIZE);
    report.set(frame.subarray(seq * FEATURE_REPORT_DATA_SIZE, (seq + 1) * FEATURE_REPORT_DATA_SIZE));
    report[FEATURE_REPORT_DATA_SIZE] = OTP_STATUS.SLOT_WRITE | seq;
    return report;
  });
}

/** Reports whose data is all zeros may be left out, except the first and the last: the key zero-fills the gap. */
export function isSkippableReport(report: Uint8Array, seq: number): boolean {
  if (seq === 0 || seq === FRAME_REPORT_COUNT - 1) return false;
  return report.subarray(0, FEATURE_REPORT_DATA_SIZE).every((byte) => byte === 0);
}

/** The serial from a response: 4 bytes big-endian followed by their complemented CRC, checked by the residual. */
export function decodeSerialResponse(response: Uint8Array): number {
  if (response.length < SERIAL_SIZE + CRC_SIZE) {
    throw new YubiKeyOtpError('incomplete', `The YubiKey answered the serial request with ${response.length} bytes, fewer than a serial and its checksum.`);
  }
  if (crc16(response.subarray(0, SERIAL_SIZE + CRC_SIZE)) !== CRC_OK_RESIDUAL) {
    throw new YubiKeyOtpError('bad-crc', 'The YubiKey answered the serial request with a corrupt checksum. Replug the key to read it again.');
  }
  return new DataView(response.buffer, response.byteOffset, SERIAL_SIZE).getUint32(0, false);
}

export interface ReadYubiKeySerialOptions {
  /** Bound on the whole exchange, polling included. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Asks the OTP interface for the device serial. Resolves undefined when the key keeps its serial to itself
 * (serial not visible over the API, or reported as 0); rejects with YubiKeyOtpError when the interface does
 * not answer in time or answers something that is not the protocol, and with CancelledError on `signal`.
 */
export async function readYubiKeySerial(device: FeatureReportDevice, options: ReadYubiKeySerialOptions): Promise<number | undefined> {
  const deadline = new Deadline(device.path, options.timeoutMs, options.signal);
  await sendFrame(device, encodeRequestFrame(SLOT_DEVICE_SERIAL), deadline);
  const response = await readResponse(device, deadline);
  if (response === undefined) return undefined;
  const serial = decodeSerialResponse(response);
  return serial === 0 ? undefined : serial;
}

async function sendFrame(device: FeatureReportDevice, frame: Uint8Array, deadline: Deadline): Promise<void> {
  for (const [seq, report] of frameReports(frame).entries()) {
    if (isSkippableReport(report, seq)) continue;
    await waitUntilWritable(device, deadline);
    await deadline.run(device.sendFeatureReport(withReportId(report)));
  }
}

/** The key takes the next report only once it has cleared the write flag of the previous one. */
async function waitUntilWritable(device: FeatureReportDevice, deadline: Deadline): Promise<void> {
  while ((statusByte(await readReport(device, deadline)) & OTP_STATUS.SLOT_WRITE) !== 0) {
    await deadline.sleep(POLL_INTERVAL_MS);
  }
}

/** The response bytes, or undefined when the key went back to plain status reports without answering. */
async function readResponse(device: FeatureReportDevice, deadline: Deadline): Promise<Uint8Array | undefined> {
  const data: number[] = [];
  let next = 0;
  for (;;) {
    const report = await readReport(device, deadline);
    const status = statusByte(report);
    if (status & OTP_STATUS.RESP_PENDING) {
      const seq = status & SEQUENCE_MASK;
      if (seq === next && next < MAX_RESPONSE_REPORTS) {
        data.push(...report.subarray(0, FEATURE_REPORT_DATA_SIZE));
        next++;
        continue;
      }
      // The numbering wraps to 0 after the last response report: the answer is complete.
      if (seq === 0) {
        await deadline.run(device.sendFeatureReport(withReportId(dummyReport())));
        return Uint8Array.from(data);
      }
      throw new YubiKeyOtpError('bad-report', `The OTP interface at ${device.path} sent response report ${seq} where ${next} was due. Replug the key to read its serial again.`);
    }
    if (status === 0) {
      if (data.length > 0) throw new YubiKeyOtpError('incomplete', `The OTP interface at ${device.path} stopped in the middle of its answer. Replug the key to read its serial again.`);
      return undefined;
    }
    // Still taking the frame (write flag) or waiting for something: ask again shortly.
    await deadline.sleep(POLL_INTERVAL_MS);
  }
}

async function readReport(device: FeatureReportDevice, deadline: Deadline): Promise<Uint8Array> {
  const raw: unknown = await deadline.run(device.getFeatureReport(REPORT_ID, FEATURE_REPORT_SIZE + 1));
  if (!(raw instanceof Uint8Array) || raw.length !== FEATURE_REPORT_SIZE + 1 || raw[0] !== REPORT_ID) {
    const size = raw instanceof Uint8Array ? `${raw.length} bytes` : typeof raw;
    throw new YubiKeyOtpError('bad-report', `The interface at ${device.path} returned a feature report of ${size}, not a YubiKey OTP report. It is not a YubiKey OTP interface.`);
  }
  return raw.slice(1);
}

function statusByte(report: Uint8Array): number {
  return report[FEATURE_REPORT_DATA_SIZE] ?? 0;
}

function withReportId(report: Uint8Array): Uint8Array {
  const out = new Uint8Array(FEATURE_REPORT_SIZE + 1);
  out[0] = REPORT_ID;
  out.set(report, 1);
  return out;
}

function dummyReport(): Uint8Array {
  const report = new Uint8Array(FEATURE_REPORT_SIZE);
  report[FEATURE_REPORT_DATA_SIZE] = DUMMY_REPORT_WRITE;
  return report;
}

/** One time budget for the whole exchange: every device call and every pause is cut off when it runs out. */
class Deadline {
  private readonly end: number;

  constructor(
    private readonly path: string,
    private readonly timeoutMs: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.end = performance.now() + timeoutMs;
  }

  /** Settles with `operation`, unless the budget runs out or the signal aborts first. */
  async run<T>(operation: Promise<T>): Promise<T> {
    this.check();
    // A device call that loses the race may still fail later; nobody waits for it any more.
    operation.catch(() => undefined);
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const cutOff = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.timeoutError()), this.remaining());
      onAbort = () => reject(cancelled());
      this.signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([operation, cutOff]);
    } finally {
      clearTimeout(timer);
      if (onAbort) this.signal?.removeEventListener('abort', onAbort);
    }
  }

  sleep(ms: number): Promise<void> {
    return this.run(new Promise((resolve) => setTimeout(resolve, Math.min(ms, this.remaining()))));
  }

  private check(): void {
    if (this.signal?.aborted) throw cancelled();
    if (this.remaining() <= 0) throw this.timeoutError();
  }

  private remaining(): number {
    return Math.max(0, this.end - performance.now());
  }

  private timeoutError(): YubiKeyOtpError {
    return new YubiKeyOtpError('timeout', `The OTP interface at ${this.path} did not answer the serial request within ${this.timeoutMs} ms. The key is recorded without a vendor serial.`);
  }
}

function cancelled(): CancelledError {
  return new CancelledError('Reading the YubiKey serial was cancelled.');
}
