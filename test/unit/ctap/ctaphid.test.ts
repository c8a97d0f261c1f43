import { describe, expect, it } from 'vitest';
import { CtapHidConnection } from '../../../electron/core/ctap/ctaphid.js';
import { BROADCAST_CID, CTAPHID, CTAPHID_ERROR, MAX_MESSAGE_SIZE } from '../../../electron/core/ctap/constants.js';
import { CancelledError, CtapHidError, DeviceGoneError, KeyTimeoutError, ProtocolError } from '../../../electron/core/ctap/errors.js';
import { encodeMessage, MessageAssembler, parseFrame } from '../../../electron/core/ctap/frames.js';
import { fixedRandom, hexBytes, initReply, report, ScriptedHid } from '../helpers/scripted-hid.js';

const NONCE = hexBytes('0102030405060708');
const CID = 0x00220002; // the CID a real key allocated in libfido2's wiredata (ctap-anchors §1.1)

async function openOn(device: ScriptedHid, cid = CID, capabilities = 0x05): Promise<CtapHidConnection> {
  device.answerInit(cid, capabilities);
  return CtapHidConnection.open(device, { initTimeoutMs: 200 });
}

function keepalive(cid: number, status: number): Uint8Array {
  return encodeMessage(cid, CTAPHID.KEEPALIVE, Uint8Array.of(status))[0]!;
}

function errorFrame(cid: number, code: number): Uint8Array {
  return encodeMessage(cid, CTAPHID.ERROR, Uint8Array.of(code))[0]!;
}

function cidOf(written: Uint8Array): number {
  return new DataView(written.buffer, written.byteOffset).getUint32(0);
}

function isCancel(written: Uint8Array): boolean {
  return written[4] === (0x80 | CTAPHID.CANCEL);
}

/** Answers every complete request on `cid` with the same command and payload, like PING. */
function echo(device: ScriptedHid, cid: number): ScriptedHid {
  const assembler = new MessageAssembler();
  return device.onWrite((written, dev) => {
    const frame = parseFrame(written);
    if (frame.cid !== cid || (frame.kind === 'init' && frame.cmd === CTAPHID.CANCEL)) return;
    const message = assembler.push(frame);
    if (message) dev.reply(...encodeMessage(cid, message.cmd, message.payload));
  });
}

function randomPayload(length: number, seed = 7): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);
}

describe('CtapHidConnection.open (CTAPHID INIT)', () => {
  it('sends INIT with the nonce on the broadcast channel and reads the real-key reply with a CID starting with 0x00', async () => {
    const device = new ScriptedHid().reply(report('ffffffff 86 0011 0102030405060708 00220002 02 05 02 01 05'));
    const connection = await CtapHidConnection.open(device, { random: fixedRandom(NONCE), initTimeoutMs: 200 });

    expect(device.writes).toHaveLength(1);
    expect(device.writes[0]).toEqual(report('ffffffff 86 0008 0102030405060708'));
    expect(connection.cid).toBe(0x00220002);
    expect(connection.deviceVersion).toEqual({ protocol: 2, major: 5, minor: 2, build: 1 });
    expect(connection.capabilities).toBe(0x05);
    expect(connection.canWink).toBe(true);
    expect(connection.supportsCbor).toBe(true);

    // The leading 0x00 of this CID is exactly what a missing report-id byte would eat (anchors §2.5.1).
    echo(device, CID);
    await expect(connection.ping(Uint8Array.of(1, 2, 3))).resolves.toEqual(Uint8Array.of(1, 2, 3));
    expect(device.writes[1]!.subarray(0, 10)).toEqual(hexBytes('00220002 81 0003 010203'));
  });

  it('ignores a reply with another nonce (another process) and takes the one with ours', async () => {
    const device = new ScriptedHid().reply(initReply(hexBytes('ffeeddccbbaa9988'), 0x11111111), initReply(NONCE, 0x22222222));
    const connection = await CtapHidConnection.open(device, { random: fixedRandom(NONCE), initTimeoutMs: 200 });
    expect(connection.cid).toBe(0x22222222);
  });

  it('ignores an INIT reply on a non-broadcast channel', async () => {
    const onOwnChannel = initReply(NONCE, 0x33333333);
    new DataView(onOwnChannel.buffer).setUint32(0, 0x01020304);
    const device = new ScriptedHid().reply(onOwnChannel, initReply(NONCE, 0x44444444));
    const connection = await CtapHidConnection.open(device, { random: fixedRandom(NONCE), initTimeoutMs: 200 });
    expect(connection.cid).toBe(0x44444444);
  });

  it('accepts a reply longer than 17 bytes', async () => {
    const payload = new Uint8Array(24);
    payload.set(NONCE);
    payload.set(hexBytes('0a0b0c0d 02 01 00 07 04'), 8);
    const device = new ScriptedHid().reply(encodeMessage(BROADCAST_CID, CTAPHID.INIT, payload)[0]!);
    const connection = await CtapHidConnection.open(device, { random: fixedRandom(NONCE), initTimeoutMs: 200 });
    expect(connection.cid).toBe(0x0a0b0c0d);
    expect(connection.canWink).toBe(false);
    expect(connection.supportsCbor).toBe(true);
  });

  it('ignores a reply shorter than 17 bytes and times out with an explanation', async () => {
    const short = encodeMessage(BROADCAST_CID, CTAPHID.INIT, Uint8Array.from([...NONCE, 0, 0, 0, 9]))[0]!;
    const device = new ScriptedHid().reply(short);
    const error = await CtapHidConnection.open(device, { random: fixedRandom(NONCE), initTimeoutMs: 40 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyTimeoutError);
    expect((error as Error).message).toMatch(/did not answer the CTAPHID INIT handshake within 40 ms.*plug it back in/);
  });

  it('rejects the reserved channel ids 0 and broadcast', async () => {
    for (const cid of [0, BROADCAST_CID]) {
      const device = new ScriptedHid().reply(initReply(NONCE, cid));
      await expect(CtapHidConnection.open(device, { random: fixedRandom(NONCE), initTimeoutMs: 200 })).rejects.toBeInstanceOf(ProtocolError);
    }
  });
});

describe('CtapHidConnection.call', () => {
  it('sends CBOR as command byte + data and returns status + CBOR (libfido2 getRetries frame)', async () => {
    const device = new ScriptedHid();
    const connection = await openOn(device);
    device.onWrite((written, dev) => {
      if (written[4] === 0x90) dev.reply(report('00220002 90 0004 00 a1 03 08'));
    });
    const reply = await connection.sendCbor(0x06, hexBytes('a2 01 01 02 01'));
    expect(reply).toEqual(hexBytes('00 a1 03 08'));
    expect(device.writes[1]!.subarray(0, 13)).toEqual(hexBytes('00220002 90 0006 06 a2 01 01 02 01'));
  });

  it('rejects an empty CBOR reply', async () => {
    const device = new ScriptedHid();
    const connection = await openOn(device);
    device.onWrite((written, dev) => {
      if (written[4] === 0x90) dev.reply(report('00220002 90 0000'));
    });
    await expect(connection.sendCbor(0x04, undefined)).rejects.toBeInstanceOf(ProtocolError);
  });

  it('ignores frames for other channels interleaved with ours', async () => {
    const device = new ScriptedHid();
    const connection = await openOn(device);
    const ours = randomPayload(150, 1);
    const theirs = randomPayload(150, 2);
    device.onWrite((written, dev) => {
      if (cidOf(written) !== CID) return;
      const a = encodeMessage(CID, CTAPHID.PING, ours);
      const b = encodeMessage(0x00220003, CTAPHID.PING, theirs);
      dev.reply(b[0]!, a[0]!, b[1]!, keepalive(0x00220003, 2), a[1]!, b[2]!, errorFrame(0x00220003, CTAPHID_ERROR.INVALID_SEQ), a[2]!);
    });
    await expect(connection.call(CTAPHID.PING, ours)).resolves.toEqual(ours);
  });

  it('reports each keepalive status change once and keeps waiting while keepalives arrive', async () => {
    const device = new ScriptedHid();
    const connection = await openOn(device);
    device.onWrite((written, dev) => {
      if (written[4] !== 0x90) return;
      for (let i = 0; i < 8; i++) dev.replyAfter(15, keepalive(CID, 1));
      for (let i = 0; i < 8; i++) dev.replyAfter(15, keepalive(CID, 2));
      dev.replyAfter(15, report('00220002 90 0001 00'));
    });
    const statuses: string[] = [];
    // 17 steps of 15 ms take far longer than the 50 ms deadline: only re-arming keeps the call alive.
    const reply = await connection.sendCbor(0x01, Uint8Array.of(0xa0), { timeoutMs: 50, onKeepalive: (s) => statuses.push(s) });
    expect(reply).toEqual(Uint8Array.of(0));
    expect(statuses).toEqual(['processing', 'upneeded']);
  });

  it('retries after CHANNEL_BUSY and returns the reply of the retry', async () => {
    const device = new ScriptedHid();
    const connection = await openOn(device);
    let requests = 0;
    device.onWrite((written, dev) => {
      if (written[4] !== 0x81) return;
      requests++;
      dev.reply(requests === 1 ? errorFrame(CID, CTAPHID_ERROR.CHANNEL_BUSY) : report('00220002 81 0002 abcd'));
    });
    await expect(connection.call(CTAPHID.PING, hexBytes('abcd'), { timeoutMs: 1000 })).resolves.toEqual(hexBytes('abcd'));
    expect(requests).toBe(2);
  });

  it('gives up on a channel that stays busy at the deadline, naming the likely cause', async () => {
    const device = new ScriptedHid();
    const connection = await openOn(device);
    device.onWrite((written, dev) => {
      if (written[4] === 0x81) dev.reply(errorFrame(CID, CTAPHID_ERROR.CHANNEL_BUSY));
    });
    const error = await connection.call(CTAPHID.PING, hexBytes('01'), { timeoutMs: 250 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyTimeoutError);
    expect((error as Error).message).toMatch(/busy with another program/);
    expect(device.writtenCommands().filter((c) => c === 0x81).length).toBeGreaterThanOrEqual(2);
  });

  it('maps an ERROR frame to CtapHidError with its code', async () => {
    const device = new ScriptedHid();
    const connection = await openOn(device);
    device.onWrite((written, dev) => {
      if (written[4] === 0x90) dev.reply(report('00220002 bf 0001 0b'));
    });
    const error = await connection.sendCbor(0x04, undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CtapHidError);
    expect((error as CtapHidError).code).toBe(CTAPHID_ERROR.INVALID_CHANNEL);
  });

  it('rejects a sequence gap in the reply', async () => {
    const device = new ScriptedHid();
    const connection = await openOn(device);
    device.onWrite((written, dev) => {
      if (written[4] !== 0x81) return;
      const frames = encodeMessage(CID, CTAPHID.PING, randomPayload(200));
      dev.reply(frames[0]!, frames[1]!, frames[3]!);
    });
    await expect(connection.call(CTAPHID.PING, randomPayload(200), { timeoutMs: 200 })).rejects.toThrow(ProtocolError);
  });

  it('rejects a reply to a different command', async () => {
    const device = new ScriptedHid();
    const connection = await openOn(device);
    device.onWrite((written, dev) => {
      if (written[4] === 0x81) dev.reply(report('00220002 90 0001 00'));
    });
    await expect(connection.call(CTAPHID.PING, hexBytes('00'))).rejects.toBeInstanceOf(ProtocolError);
  });

  it('round-trips a message of exactly 7609 bytes in 129 frames each way', async () => {
    const device = new ScriptedHid();
    const connection = await openOn(device);
    echo(device, CID);
    const payload = randomPayload(MAX_MESSAGE_SIZE);
    await expect(connection.ping(payload)).resolves.toEqual(payload);
    expect(device.writes.filter((w) => cidOf(w) === CID)).toHaveLength(129);
  });

  it('refuses a 7610-byte message before writing anything', async () => {
    const device = new ScriptedHid();
    const connection = await openOn(device);
    const before = device.writes.length;
    await expect(connection.call(CTAPHID.PING, new Uint8Array(MAX_MESSAGE_SIZE + 1))).rejects.toBeInstanceOf(ProtocolError);
    expect(device.writes).toHaveLength(before);
  });

  it('times out with a message a technician can act on, cancels, and moves the next call to a fresh channel', async () => {
    const device = new ScriptedHid();
    const connection = await openOn(device, 0x00000100);
    const error = await connection.sendCbor(0x01, Uint8Array.of(0xa0), { timeoutMs: 30 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyTimeoutError);
    expect((error as Error).message).toMatch(/did not answer CTAPHID CBOR \(0x10\) within 30 ms\. Unplug it, plug it back in/);
    expect(isCancel(device.writes.at(-1)!)).toBe(true);

    // The key's late reply to the timed-out request must not be taken as the answer to the next one.
    device.reply(report('00000100 90 0001 2f'));
    device.onWrite((written, dev) => {
      if (written[4] === 0x90 && cidOf(written) === 0x00000101) dev.reply(report('00000101 90 0002 00 a0'));
    });
    await expect(connection.sendCbor(0x04, undefined, { timeoutMs: 200 })).resolves.toEqual(hexBytes('00 a0'));
    expect(connection.cid).toBe(0x00000101);
  });

  it('sends CANCEL only after the last packet of a multi-packet request, then rejects on the 0x2D reply', async () => {
    const device = new ScriptedHid();
    const connection = await openOn(device);
    const controller = new AbortController();
    let requestPackets = 0;
    device.onWrite(async (written, dev) => {
      if (isCancel(written)) {
        dev.replyAfter(5, report('00220002 90 0001 2d'));
        return;
      }
      if (cidOf(written) !== CID) return;
      requestPackets++;
      if (requestPackets === 2) controller.abort();
      await new Promise((resolve) => setTimeout(resolve, 2));
    });
    const error = await connection.sendCbor(0x01, randomPayload(300), { timeoutMs: 500, signal: controller.signal }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CancelledError);
    const ours = device.writes.filter((w) => cidOf(w) === CID);
    expect(ours).toHaveLength(encodeMessage(CID, CTAPHID.CBOR, new Uint8Array(301)).length + 1);
    expect(ours.findIndex(isCancel)).toBe(ours.length - 1);
    expect(ours.at(-1)).toEqual(report('00220002 91 0000'));
  });

  it('cancels while waiting for a touch and rejects with CancelledError', async () => {
    const device = new ScriptedHid();
    const connection = await openOn(device);
    const controller = new AbortController();
    device.onWrite((written, dev) => {
      if (isCancel(written)) dev.reply(keepalive(CID, 2), report('00220002 90 0001 2d'));
      else if (written[4] === 0x90) dev.reply(keepalive(CID, 2));
    });
    const statuses: string[] = [];
    const call = connection.sendCbor(0x01, Uint8Array.of(0xa0), {
      timeoutMs: 1000,
      signal: controller.signal,
      onKeepalive: (status) => {
        statuses.push(status);
        controller.abort();
      },
    });
    await expect(call).rejects.toBeInstanceOf(CancelledError);
    expect(statuses).toEqual(['upneeded']);
    expect(device.writes.filter(isCancel)).toHaveLength(1);
  });

  it('rejects at once without writing when the signal is already aborted', async () => {
    const device = new ScriptedHid();
    const connection = await openOn(device);
    const before = device.writes.length;
    await expect(connection.sendCbor(0x04, undefined, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(CancelledError);
    expect(device.writes).toHaveLength(before);
  });

  it('rejects with DeviceGoneError when the key disappears mid-read', async () => {
    const device = new ScriptedHid();
    const connection = await openOn(device);
    device.onWrite((written, dev) => {
      if (written[4] !== 0x90) return;
      dev.reply(keepalive(CID, 1));
      setTimeout(() => dev.unplug(), 10);
    });
    await expect(connection.sendCbor(0x01, Uint8Array.of(0xa0), { timeoutMs: 1000 })).rejects.toBeInstanceOf(DeviceGoneError);
  });

  it('wraps a raw read failure of the HID layer as DeviceGoneError', async () => {
    const device = new ScriptedHid();
    const connection = await openOn(device);
    device.failRead(new Error('could not read data from device'));
    const error = await connection.ping(Uint8Array.of(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeviceGoneError);
    expect((error as Error).message).toMatch(/could not read data from device.*plug it back in/);
  });

  it('runs one transaction at a time: the second request is written after the first reply', async () => {
    const device = new ScriptedHid();
    const connection = await openOn(device);
    echo(device, CID);
    const first = randomPayload(120, 1);
    const second = randomPayload(120, 2);
    const [a, b] = await Promise.all([connection.ping(first), connection.ping(second)]);
    expect(a).toEqual(first);
    expect(b).toEqual(second);
    const requestInits = device.writes.map((w, i) => (cidOf(w) === CID && w[4] === 0x81 ? i : -1)).filter((i) => i >= 0);
    expect(requestInits).toEqual([1, 4]);
  });

  it('winks only when the key declared WINK', async () => {
    const plain = new ScriptedHid();
    const noWink = await openOn(plain, CID, 0x04);
    await expect(noWink.wink()).rejects.toBeInstanceOf(CtapHidError);
    expect(plain.writes).toHaveLength(1);

    const blinking = new ScriptedHid();
    const connection = await openOn(blinking);
    blinking.onWrite((written, dev) => {
      if (written[4] === 0x88) dev.reply(report('00220002 88 0000'));
    });
    await connection.wink();
    expect(blinking.writes[1]!.subarray(0, 7)).toEqual(hexBytes('00220002 88 0000'));
  });

  it('locks for 0 to 10 seconds only', async () => {
    const device = new ScriptedHid();
    const connection = await openOn(device);
    device.onWrite((written, dev) => {
      if (written[4] === 0x84) dev.reply(report('00220002 84 0000'));
    });
    await expect(connection.lock(11)).rejects.toBeInstanceOf(RangeError);
    await connection.lock(3);
    expect(device.writes[1]!.subarray(0, 8)).toEqual(hexBytes('00220002 84 0001 03'));
  });

  it('rejects calls after close', async () => {
    const device = new ScriptedHid();
    const connection = await openOn(device);
    await connection.close();
    expect(device.closed).toBe(true);
    await expect(connection.ping(Uint8Array.of(1))).rejects.toBeInstanceOf(DeviceGoneError);
  });
});
