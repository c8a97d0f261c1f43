import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { BROADCAST_CID, CTAPHID, CTAP2_CMD } from '../../../electron/core/ctap/constants.js';
import { encodeMessage, parseFrame } from '../../../electron/core/ctap/frames.js';
import { DeviceGoneError } from '../../../electron/core/ctap/errors.js';
import { exportAttestation, loadAttestation, AttestationMaterialError, useAttestation, attestationFor } from '../../../electron/core/virtual-key/attestation.js';
import { serveStdio } from '../../../electron/core/virtual-key/stdio.js';
import { VirtualKey, VirtualKeyBackend } from '../../../electron/core/virtual-key/virtual-key.js';
import { FAST, connect, makeCredentialParams } from './host.js';

describe('VirtualKeyBackend', () => {
  it('lists plugged keys at virtual:N with USB descriptor info, and opens them', async () => {
    const backend = new VirtualKeyBackend(2);
    expect(backend.kind).toBe('virtual');
    const listed = await backend.enumerate();
    expect(listed.map((d) => d.path)).toEqual(['virtual:1', 'virtual:2']);
    expect(listed[0]).toMatchObject({ kind: 'virtual', product: 'keybench Virtual Key', serialNumber: 'KBVK00000001' });
    expect(listed[1]!.serialNumber).toBe('KBVK00000002');

    const device = await backend.open('virtual:2');
    const host = await connect(device);
    expect((await host.cbor(CTAP2_CMD.GET_INFO)).status).toBe(0);

    backend.key('virtual:1')!.unplug();
    expect((await backend.enumerate()).map((d) => d.path)).toEqual(['virtual:2']);
    await expect(backend.open('virtual:1')).rejects.toBeInstanceOf(DeviceGoneError);
    await expect(backend.open('virtual:9')).rejects.toBeInstanceOf(DeviceGoneError);
  });

  it('keeps credentials across a power cycle but not the open handles', async () => {
    const key = new VirtualKey(FAST);
    const host = await connect(key.device);
    await host.cbor(CTAP2_CMD.MAKE_CREDENTIAL, makeCredentialParams('example.com', 1, [[7, { rk: true }]]));
    const before = key.device;
    key.powerCycle();
    await expect(before.write(new Uint8Array(64))).rejects.toBeInstanceOf(DeviceGoneError);
    expect(key.snapshot().credentials).toHaveLength(1);
  });

  it('never shows secrets in a snapshot', async () => {
    const key = new VirtualKey(FAST);
    const snapshot = JSON.stringify(key.snapshot());
    expect(snapshot).not.toMatch(/privateKey|token|pinHash/i);
  });
});

describe('attestation fixtures', () => {
  it('round-trips through export/load and is used for its AAGUID', async () => {
    const aaguid = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
    const material = await attestationFor(aaguid);
    const loaded = loadAttestation(JSON.parse(JSON.stringify(exportAttestation(material))));
    expect(loaded).toEqual(material);
    useAttestation(loaded);
    expect(await new VirtualKey({ aaguid }).attestation()).toBe(loaded);
  });

  it('refuses a fixture whose certificate carries another AAGUID', async () => {
    const fixture = exportAttestation(await attestationFor(new Uint8Array(16).fill(1)));
    expect(() => loadAttestation({ ...fixture, aaguid: '22'.repeat(16) })).toThrow(AttestationMaterialError);
    expect(() => loadAttestation({ aaguid: 'nope' })).toThrow(AttestationMaterialError);
  });
});

describe('serveStdio', () => {
  it('passes 64-byte records both ways and ends when input ends', async () => {
    const key = new VirtualKey();
    const input = new PassThrough();
    const output = new PassThrough();
    const records: Uint8Array[] = [];
    let buffered = Buffer.alloc(0);
    output.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 64) {
        records.push(new Uint8Array(buffered.subarray(0, 64)));
        buffered = buffered.subarray(64);
      }
    });
    const served = serveStdio(key.device, input, output);
    const [init] = encodeMessage(BROADCAST_CID, CTAPHID.INIT, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
    // Split across writes to show records are reassembled from arbitrary chunks.
    input.write(init!.subarray(0, 10));
    input.write(init!.subarray(10));
    await new Promise((r) => setTimeout(r, 100));
    input.end();
    await served;
    expect(records).toHaveLength(1);
    expect(parseFrame(records[0]!)).toMatchObject({ kind: 'init', cid: BROADCAST_CID, cmd: CTAPHID.INIT, bcnt: 17 });
  });

  it('rejects when the key goes away', async () => {
    const key = new VirtualKey();
    const input = new PassThrough();
    const served = serveStdio(key.device, input, new PassThrough());
    key.unplug();
    await expect(served).rejects.toBeInstanceOf(DeviceGoneError);
  });
});
