import { describe, expect, it } from 'vitest';
import { encode as encodeCbor } from '../../../electron/core/ctap/cbor.js';
import { BROADCAST_CID, CTAPHID, CTAPHID_ERROR, CTAP2_CMD, KEEPALIVE_STATUS } from '../../../electron/core/ctap/constants.js';
import { encodeMessage, parseFrame } from '../../../electron/core/ctap/frames.js';
import { DeviceGoneError } from '../../../electron/core/ctap/errors.js';
import { VirtualKey } from '../../../electron/core/virtual-key/virtual-key.js';
import { FAST, TestHost, connect, makeCredentialParams } from './host.js';

const MANUAL = { userPresence: { mode: 'manual', timeoutMs: 5000 } } as const;

async function expectError(host: TestHost, cid: number, code: number): Promise<void> {
  const reply = await host.receive(cid, 1000);
  expect(reply.cmd).toBe(CTAPHID.ERROR);
  expect([...reply.payload]).toEqual([code]);
}

describe('CTAPHID INIT', () => {
  it('allocates a channel with a reply of exactly 17 bytes: nonce, CID, protocol 2, version, capabilities', async () => {
    const key = new VirtualKey({ firmwareVersion: '5.4.3' });
    const host = new TestHost(key.device);
    const nonce = Uint8Array.from([9, 8, 7, 6, 5, 4, 3, 2]);
    await host.write(BROADCAST_CID, CTAPHID.INIT, nonce);
    const report = await key.device.read(1000);
    const frame = parseFrame(report!);
    expect(frame).toMatchObject({ kind: 'init', cid: BROADCAST_CID, cmd: CTAPHID.INIT, bcnt: 17 });
    const payload = frame.data.subarray(0, 17);
    expect([...payload.subarray(0, 8)]).toEqual([...nonce]);
    const cid = new DataView(payload.buffer, payload.byteOffset).getUint32(8);
    expect(cid).not.toBe(0);
    expect(cid).not.toBe(BROADCAST_CID);
    expect([...payload.subarray(12)]).toEqual([2, 5, 4, 3, 0x01 | 0x04 | 0x08]);
    expect(frame.data.subarray(17).every((b) => b === 0)).toBe(true);
  });

  it('gives each INIT a new channel and answers INIT on an existing channel on that channel', async () => {
    const key = new VirtualKey();
    const a = await connect(key.device);
    const b = await connect(key.device);
    expect(a.cid).not.toBe(b.cid);
    await a.write(a.cid, CTAPHID.INIT, new Uint8Array(8).fill(1));
    const resync = await a.receive(a.cid);
    expect(resync.cmd).toBe(CTAPHID.INIT);
    expect(new DataView(resync.payload.buffer, resync.payload.byteOffset).getUint32(8)).toBe(a.cid);
  });

  it('rejects an INIT whose nonce is not 8 bytes', async () => {
    const key = new VirtualKey();
    const host = new TestHost(key.device);
    await host.write(BROADCAST_CID, CTAPHID.INIT, new Uint8Array(4));
    await expectError(host, BROADCAST_CID, CTAPHID_ERROR.INVALID_LEN);
  });
});

describe('CTAPHID messages', () => {
  it('echoes a multi-frame PING', async () => {
    const key = new VirtualKey();
    const host = await connect(key.device);
    const data = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    await host.write(host.cid, CTAPHID.PING, data);
    const reply = await host.receive(host.cid);
    expect(reply.cmd).toBe(CTAPHID.PING);
    expect([...reply.payload]).toEqual([...data]);
  });

  it('winks and counts it', async () => {
    const key = new VirtualKey();
    const host = await connect(key.device);
    await host.write(host.cid, CTAPHID.WINK, new Uint8Array(0));
    expect((await host.receive(host.cid)).cmd).toBe(CTAPHID.WINK);
    expect(key.snapshot().winks).toBe(1);
  });

  it('answers ERROR frames for bad channels, commands, sequences and lengths', async () => {
    const key = new VirtualKey({ messageTimeoutMs: 40 });
    const host = await connect(key.device);

    await host.write(BROADCAST_CID, CTAPHID.PING, Uint8Array.of(1));
    await expectError(host, BROADCAST_CID, CTAPHID_ERROR.INVALID_CHANNEL);

    await host.write(0x01020304, CTAPHID.PING, Uint8Array.of(1));
    await expectError(host, 0x01020304, CTAPHID_ERROR.INVALID_CHANNEL);

    await host.write(host.cid, 0x55, Uint8Array.of(1));
    await expectError(host, host.cid, CTAPHID_ERROR.INVALID_CMD);

    await host.write(host.cid, CTAPHID.MSG, Uint8Array.of(0, 1, 0, 0));
    await expectError(host, host.cid, CTAPHID_ERROR.INVALID_CMD);

    const frames = encodeMessage(host.cid, CTAPHID.PING, new Uint8Array(200));
    await key.device.write(frames[0]!);
    await key.device.write(frames[2]!);
    await expectError(host, host.cid, CTAPHID_ERROR.INVALID_SEQ);

    await key.device.write(frames[0]!);
    await expectError(host, host.cid, CTAPHID_ERROR.MSG_TIMEOUT);

    await host.write(host.cid, CTAPHID.LOCK, Uint8Array.of(11));
    await expectError(host, host.cid, CTAPHID_ERROR.INVALID_PAR);
  });

  it('answers CHANNEL_BUSY to a second channel while a transaction runs, then completes the first', async () => {
    const key = new VirtualKey(MANUAL);
    const a = await connect(key.device);
    const b = await connect(key.device);
    await a.write(a.cid, CTAPHID.CBOR, Uint8Array.of(CTAP2_CMD.SELECTION));
    await b.write(b.cid, CTAPHID.CBOR, Uint8Array.of(CTAP2_CMD.GET_INFO));
    await expectError(b, b.cid, CTAPHID_ERROR.CHANNEL_BUSY);
    key.touch();
    const reply = await a.cborReply();
    expect(reply.status).toBe(0);
    expect((await b.cbor(CTAP2_CMD.GET_INFO)).status).toBe(0);
  });

  it('sends UPNEEDED keepalives about every 100 ms while waiting for a touch', async () => {
    const key = new VirtualKey(MANUAL);
    const host = await connect(key.device);
    await host.write(host.cid, CTAPHID.CBOR, Uint8Array.of(CTAP2_CMD.SELECTION));
    setTimeout(() => key.touch(), 350);
    const reply = await host.cborReply();
    expect(reply.status).toBe(0);
    expect(reply.keepalives.length).toBeGreaterThanOrEqual(2);
    expect(reply.keepalives.length).toBeLessThanOrEqual(5);
    expect(reply.keepalives.every((s) => s === KEEPALIVE_STATUS.UPNEEDED)).toBe(true);
  });

  it('sends PROCESSING keepalives during slow commands', async () => {
    const key = new VirtualKey({ latencyMs: { getInfo: 250 } });
    const host = await connect(key.device);
    const reply = await host.cbor(CTAP2_CMD.GET_INFO);
    expect(reply.status).toBe(0);
    expect(reply.keepalives.length).toBeGreaterThanOrEqual(1);
    expect(reply.keepalives.every((s) => s === KEEPALIVE_STATUS.PROCESSING)).toBe(true);
  });

  it('ends a request waiting for a touch with KEEPALIVE_CANCEL (0x2D) on CANCEL, sending nothing for the CANCEL itself', async () => {
    const key = new VirtualKey(MANUAL);
    const host = await connect(key.device);
    await host.write(host.cid, CTAPHID.CBOR, Uint8Array.from([CTAP2_CMD.MAKE_CREDENTIAL, ...encodeParams()]));
    setTimeout(() => void host.write(host.cid, CTAPHID.CANCEL, new Uint8Array(0)), 150);
    const reply = await host.cborReply();
    expect(reply.status).toBe(0x2d);
    expect(reply.keepalives).toContain(KEEPALIVE_STATUS.UPNEEDED);
    expect(key.snapshot().credentials).toHaveLength(0);
    expect(await key.device.read(50)).toBeUndefined();
  });
});

function encodeParams(): Uint8Array {
  return encodeCbor(makeCredentialParams('example.com', 1));
}

describe('unplugging', () => {
  it('drops off mid-reply under unplugDuring: the host gets the first frame, then DeviceGoneError', async () => {
    const key = new VirtualKey({ ...FAST, faults: { unplugDuring: 'makeCredential' } });
    const host = await connect(key.device);
    await host.write(host.cid, CTAPHID.CBOR, Uint8Array.from([CTAP2_CMD.MAKE_CREDENTIAL, ...encodeParams()]));
    let first: Uint8Array | undefined;
    do first = await key.device.read(2000);
    while (first && parseFrame(first).kind === 'init' && (parseFrame(first) as { cmd: number }).cmd === CTAPHID.KEEPALIVE);
    expect(first && parseFrame(first)).toMatchObject({ kind: 'init', cmd: CTAPHID.CBOR });
    await expect(key.device.read(500)).rejects.toBeInstanceOf(DeviceGoneError);
    await expect(key.device.write(new Uint8Array(64))).rejects.toBeInstanceOf(DeviceGoneError);
    expect(key.plugged).toBe(false);
  });

  it('rejects a pending read when the key is pulled, and works again on a new handle after replug', async () => {
    const key = new VirtualKey();
    const old = key.device;
    const pending = old.read(5000);
    key.unplug();
    await expect(pending).rejects.toBeInstanceOf(DeviceGoneError);
    key.replug();
    expect(key.device).not.toBe(old);
    const host = await connect(key.device);
    expect((await host.cbor(CTAP2_CMD.GET_INFO)).status).toBe(0);
  });
});
