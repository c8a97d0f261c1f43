import { describe, expect, it } from 'vitest';
import { CancelledError } from '../../../../electron/core/ctap/errors.js';
import {
  crc16,
  CRC_OK_RESIDUAL,
  decodeSerialResponse,
  encodeRequestFrame,
  frameReports,
  readYubiKeySerial,
  SLOT_DEVICE_SERIAL,
  YubiKeyOtpError,
} from '../../../../electron/core/hid/vendor-serial/yubikey-otp.js';
import type { FeatureReportDevice } from '../../../../electron/core/hid/vendor-serial/feature-device.js';
import { FakeYubiKeyOtp } from './fake-yubikey-otp.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('crc16', () => {
  it('matches the published check value of CRC-16/MCRF4XX (same parameters) for "123456789"', () => {
    expect(crc16(ascii('123456789'))).toBe(0x6f91);
  });

  it('leaves the residual 0xF0B8 over data followed by its complemented CRC, and not once a bit flips', () => {
    for (const data of [Uint8Array.of(0x00, 0xbc, 0x61, 0x4e), ascii('123456789'), new Uint8Array(20).fill(0xa5)]) {
      const check = ~crc16(data) & 0xffff;
      const sealed = Uint8Array.of(...data, check & 0xff, check >>> 8);
      expect(crc16(sealed)).toBe(CRC_OK_RESIDUAL);
      sealed[1]! ^= 0x10;
      expect(crc16(sealed)).not.toBe(CRC_OK_RESIDUAL);
    }
  });
});

describe('the serial request frame', () => {
  it('is ten feature reports: 7 frame bytes each, then 0x80 | sequence number', () => {
    // Frame per the protocol: 64 zero payload bytes, slot 0x10, CRC-16 of the payload little-endian
    // (CRC of 64 zero bytes = 0x5B6B), 3 filler bytes — 70 bytes, cut into reports of 7.
    const reports = frameReports(encodeRequestFrame(SLOT_DEVICE_SERIAL)).map(hex);
    expect(reports).toEqual([
      '0000000000000080',
      '0000000000000081',
      '0000000000000082',
      '0000000000000083',
      '0000000000000084',
      '0000000000000085',
      '0000000000000086',
      '0000000000000087',
      '0000000000000088',
      '00106b5b00000089',
    ]);
  });

  it('carries a payload and its CRC', () => {
    const frame = encodeRequestFrame(0x30, Uint8Array.of(1, 2, 3));
    expect(hex(frame.subarray(0, 4))).toBe('01020300');
    const crc = crc16(frame.subarray(0, 64));
    expect([...frame.subarray(64)]).toEqual([0x30, crc & 0xff, crc >>> 8, 0, 0, 0]);
    expect(() => encodeRequestFrame(0x30, new Uint8Array(65))).toThrow(RangeError);
  });
});

describe('decodeSerialResponse', () => {
  it('reads 4 bytes big-endian after checking the CRC residual', () => {
    expect(decodeSerialResponse(Uint8Array.of(0x00, 0xbc, 0x61, 0x4e, 0xc8, 0x04, 0x00))).toBe(12345678);
    const bad = decodeSerialResponse.bind(null, Uint8Array.of(0x00, 0xbc, 0x61, 0x4f, 0xc8, 0x04, 0x00));
    expect(bad).toThrow(expect.objectContaining({ reason: 'bad-crc' }));
    expect(() => decodeSerialResponse(Uint8Array.of(0x00, 0xbc))).toThrow(expect.objectContaining({ reason: 'incomplete' }));
  });
});

describe('readYubiKeySerial against a simulated OTP interface', () => {
  it('reads serial 12345678, sending only the first and last report, each after the write flag cleared', async () => {
    const key = new FakeYubiKeyOtp({ serial: 12345678, busyReads: 3 });
    expect(await readYubiKeySerial(key, { timeoutMs: 2000 })).toBe(12345678);
    expect(key.violations).toEqual([]);
    expect(key.frames).toEqual([{ slot: SLOT_DEVICE_SERIAL, payload: new Uint8Array(64) }]);
    // The two non-empty reports of the frame, then the dummy write that ends the read.
    expect(key.written.map(hex)).toEqual(['0000000000000080', '00106b5b00000089', '000000000000008f']);
    expect(key.resets).toBe(1);
  });

  it('reads the full 32-bit range', async () => {
    expect(await readYubiKeySerial(new FakeYubiKeyOtp({ serial: 0xfedcba98 }), { timeoutMs: 2000 })).toBe(0xfedcba98);
  });

  it('resolves undefined when the key keeps its serial hidden (only status reports come back)', async () => {
    const key = new FakeYubiKeyOtp({ serialVisible: false });
    expect(await readYubiKeySerial(key, { timeoutMs: 2000 })).toBeUndefined();
    expect(key.violations).toEqual([]);
  });

  it('resolves undefined for serial 0', async () => {
    expect(await readYubiKeySerial(new FakeYubiKeyOtp({ serial: 0 }), { timeoutMs: 2000 })).toBeUndefined();
  });

  it('rejects an answer whose CRC does not check out', async () => {
    const error = await readYubiKeySerial(new FakeYubiKeyOtp({ corruptCrc: true }), { timeoutMs: 2000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(YubiKeyOtpError);
    expect((error as YubiKeyOtpError).reason).toBe('bad-crc');
  });

  it('gives up with a timeout when the write flag never clears, polling with pauses rather than spinning', async () => {
    const key = new FakeYubiKeyOtp({ busyReads: Number.POSITIVE_INFINITY });
    const error = await readYubiKeySerial(key, { timeoutMs: 150 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(YubiKeyOtpError);
    expect((error as YubiKeyOtpError).reason).toBe('timeout');
    // 150 ms at one read per 20 ms pause: a busy loop would have read thousands of times.
    expect(key.reads).toBeLessThan(20);
  });

  it('gives up with a timeout when feature reads never return', async () => {
    const error = await readYubiKeySerial(new FakeYubiKeyOtp({ silent: true }), { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'YubiKeyOtpError', reason: 'timeout' });
  });

  it('rejects an interface whose feature reports are not 8 bytes after the report id', async () => {
    const other: FeatureReportDevice = {
      path: '/dev/hidraw7',
      sendFeatureReport: async () => undefined,
      getFeatureReport: async () => new Uint8Array(65),
      close: async () => undefined,
    };
    await expect(readYubiKeySerial(other, { timeoutMs: 500 })).rejects.toMatchObject({ reason: 'bad-report' });
  });

  it('stops with CancelledError when the signal aborts', async () => {
    const controller = new AbortController();
    const reading = readYubiKeySerial(new FakeYubiKeyOtp({ silent: true }), { timeoutMs: 5000, signal: controller.signal });
    controller.abort();
    await expect(reading).rejects.toBeInstanceOf(CancelledError);
  });
});
