import { describe, expect, it } from 'vitest';
import { encode, type CborValue } from '../../../electron/core/ctap/cbor.js';
import { Ctap2, DEFAULT_MAX_MSG_SIZE, RequestTooLargeError } from '../../../electron/core/ctap/ctap2.js';
import { CtapError, KeyTimeoutError, ProtocolError } from '../../../electron/core/ctap/errors.js';
import { parseAuthenticatorInfo } from '../../../electron/core/ctap/info.js';
import type { KeepaliveStatus } from '../../../electron/core/ctap/transport.js';
import { FakeTransport } from '../helpers/fake-transport.js';
import { INFO_FIDO20, INFO_YUBIKEY_BIO } from './vectors.js';

const b = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const hex = (u: Uint8Array) => Buffer.from(u).toString('hex');

function infoWithMaxMsgSize(maxMsgSize: number | undefined) {
  const entries: [number, CborValue][] = [[1, ['FIDO_2_1']], [3, new Uint8Array(16)]];
  if (maxMsgSize !== undefined) entries.push([5, maxMsgSize]);
  return parseAuthenticatorInfo(new Map(entries));
}

/** A byte-string parameter whose request (command byte + CBOR) is exactly `size` bytes (256 ≤ payload < 65536). */
const requestOfSize = (size: number) => new Uint8Array(size - 1 - 3);

describe('Ctap2.getInfo', () => {
  it('sends command 0x04 without parameters and remembers the parsed info', async () => {
    const transport = new FakeTransport().raw(b('00' + INFO_YUBIKEY_BIO));
    const ctap = new Ctap2(transport);
    expect(ctap.info).toBeUndefined();
    const info = await ctap.getInfo();
    expect(transport.requests[0]).toMatchObject({ command: 0x04, data: undefined });
    expect(info.versions).toContain('FIDO_2_1');
    expect(ctap.info).toBe(info);
    expect(ctap.maxMsgSize).toBe(1200);
  });

  it('reads a CTAP 2.0 key too', async () => {
    const ctap = new Ctap2(new FakeTransport().raw(b('00' + INFO_FIDO20)));
    expect((await ctap.getInfo()).pinUvAuthProtocols).toEqual([1]);
  });
});

describe('Ctap2 reply handling', () => {
  it('turns a non-zero status into a CtapError named after the status and the command', async () => {
    const ctap = new Ctap2(new FakeTransport().status(0x30));
    const error = await ctap.reset().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CtapError);
    expect(error).toMatchObject({ status: 0x30, statusName: 'CTAP2_ERR_NOT_ALLOWED' });
    expect((error as Error).message).toMatch(/^reset: CTAP2_ERR_NOT_ALLOWED \(0x30\)\. .*within 10 seconds/);
  });

  it('returns an empty map for a bare success status', async () => {
    const ctap = new Ctap2(new FakeTransport().ok());
    expect(await ctap.send(0x0b)).toEqual(new Map());
  });

  it.each<[string, Uint8Array, RegExp]>([
    ['an empty reply', new Uint8Array(0), /getInfo reply is empty/],
    ['non-canonical CBOR', b('00a2020001f5'), /getInfo reply is not canonical CTAP2 CBOR: CBOR map keys not in canonical order/],
    ['a float', b('00f93c00'), /not canonical CTAP2 CBOR/],
    ['trailing bytes', b('00a0a0'), /trailing bytes/],
    ['an array instead of a map', b('008101'), /getInfo reply is not a CBOR map/],
    ['text keys', b('00a1616101'), /getInfo reply has the text key "a"/],
  ])('raises a ProtocolError for %s', async (_name, reply, message) => {
    const ctap = new Ctap2(new FakeTransport().raw(reply));
    const error = await ctap.getInfo().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as Error).message).toMatch(message);
  });

  it('names the member when a getInfo member has the wrong type', async () => {
    const ctap = new Ctap2(new FakeTransport().ok(new Map<number, CborValue>([[1, ['FIDO_2_1']], [3, new Uint8Array(16)], [5, 'big']])));
    await expect(ctap.getInfo()).rejects.toThrow('getInfo reply: member 0x05 (maxMsgSize) must be an unsigned integer');
  });

  it('lets transport errors through untouched', async () => {
    const timeout = new KeyTimeoutError('no reply');
    const ctap = new Ctap2(new FakeTransport().raw(() => { throw timeout; }));
    await expect(ctap.selection()).rejects.toBe(timeout);
  });
});

describe('Ctap2 maxMsgSize', () => {
  it('allows exactly 1024 bytes before getInfo and refuses 1025 without sending', async () => {
    const transport = new FakeTransport().ok();
    const ctap = new Ctap2(transport);
    expect(ctap.maxMsgSize).toBe(DEFAULT_MAX_MSG_SIZE);
    await ctap.send(0x0c, requestOfSize(1024));
    const error = await ctap.send(0x0c, requestOfSize(1025)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestTooLargeError);
    expect(error).toMatchObject({ size: 1025, limit: 1024, command: 'largeBlobs' });
    expect(transport.requests).toHaveLength(1);
  });

  it.each([
    [undefined, 1024],
    [1200, 1200],
    [4096, 4096],
    [65535, 7609],
  ])('with getInfo maxMsgSize %s the limit is %i', async (declared, limit) => {
    const transport = new FakeTransport().ok();
    const ctap = new Ctap2(transport, infoWithMaxMsgSize(declared));
    expect(ctap.maxMsgSize).toBe(limit);
    await expect(ctap.send(0x0c, requestOfSize(limit + 1))).rejects.toThrow(RequestTooLargeError);
    await ctap.send(0x0c, requestOfSize(limit));
    expect(transport.requests).toHaveLength(1);
  });

  it('refuses an oversized makeCredential before sending', async () => {
    const transport = new FakeTransport();
    const ctap = new Ctap2(transport);
    const excludeList = Array.from({ length: 20 }, (_, i) => ({ type: 'public-key' as const, id: new Uint8Array(64).fill(i) }));
    const request = {
      clientDataHash: new Uint8Array(32),
      rp: { id: 'example.com' },
      user: { id: Uint8Array.of(1) },
      pubKeyCredParams: [{ type: 'public-key' as const, alg: -7 }],
      excludeList,
    };
    await expect(ctap.makeCredential(request)).rejects.toThrow(/The makeCredential request is \d+ bytes; this key accepts at most 1024/);
    expect(transport.requests).toHaveLength(0);
  });
});

describe('Ctap2 commands that need a touch', () => {
  it('reset sends 0x07 with no data and passes the call options to the transport', async () => {
    const transport = new FakeTransport().ok();
    const seen: KeepaliveStatus[] = [];
    const options = { timeoutMs: 30_000, onKeepalive: (s: KeepaliveStatus) => seen.push(s) };
    await new Ctap2(transport).reset(options);
    expect(transport.requests[0]).toMatchObject({ command: 0x07, data: undefined });
    expect(transport.requests[0]!.options).toBe(options);
  });

  it('selection sends 0x0B and reports USER_ACTION_TIMEOUT by name', async () => {
    const transport = new FakeTransport().ok().status(0x2f);
    const ctap = new Ctap2(transport);
    await ctap.selection({ timeoutMs: 15_000 });
    expect(transport.requests[0]).toMatchObject({ command: 0x0b, data: undefined, options: { timeoutMs: 15_000 } });
    await expect(ctap.selection()).rejects.toMatchObject({ name: 'CtapError', statusName: 'CTAP2_ERR_USER_ACTION_TIMEOUT' });
  });
});

describe('Ctap2 raw commands', () => {
  it('clientPin encodes members by their CTAP keys and names the subcommand in errors', async () => {
    const transport = new FakeTransport().ok(new Map([[3, 8]])).status(0x31);
    const ctap = new Ctap2(transport);
    expect(await ctap.clientPin({ pinUvAuthProtocol: 2, subCommand: 1 })).toMatchObject({ pinRetries: 8 });
    expect(hex(transport.requests[0]!.data!)).toBe('a201020201');
    await expect(ctap.clientPin({ pinUvAuthProtocol: 2, subCommand: 5, pinHashEnc: new Uint8Array(32) })).rejects.toThrow(/^clientPIN getPinToken: CTAP2_ERR_PIN_INVALID/);
  });

  it('clientPin names a reply member of the wrong type', async () => {
    const ctap = new Ctap2(new FakeTransport().ok(new Map([[3, 'eight']])));
    await expect(ctap.clientPin({ subCommand: 1 })).rejects.toThrow('clientPIN getPINRetries reply: member 0x03 (pinRetries) must be an unsigned integer');
  });

  it('config sends command 0x0D with its members', async () => {
    const transport = new FakeTransport().ok();
    await new Ctap2(transport).config({ subCommand: 2, pinUvAuthProtocol: 1, pinUvAuthParam: new Uint8Array(16) });
    expect(transport.requests[0]!.command).toBe(0x0d);
    expect(hex(transport.requests[0]!.data!)).toBe(hex(encode(new Map<number, CborValue>([[1, 2], [3, 1], [4, new Uint8Array(16)]]))));
  });

  it('credentialManagement sends command 0x0A by default and parses the reply', async () => {
    const transport = new FakeTransport().ok(new Map([[1, 1], [2, 24]]));
    const reply = await new Ctap2(transport).credentialManagement({ subCommand: 1 });
    expect(transport.requests[0]!.command).toBe(0x0a);
    expect(reply).toMatchObject({ existingResidentCredentialsCount: 1, maxPossibleRemainingResidentCredentialsCount: 24 });
  });
});
