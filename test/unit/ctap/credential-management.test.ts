import { describe, expect, it } from 'vitest';
import { encode, type CborMap, type CborValue } from '../../../electron/core/ctap/cbor.js';
import { PinUvAuthToken } from '../../../electron/core/ctap/client-pin.js';
import { CredentialManagement, credentialManagementAuthMessage } from '../../../electron/core/ctap/credential-management.js';
import { Ctap2 } from '../../../electron/core/ctap/ctap2.js';
import { CtapError, ProtocolError } from '../../../electron/core/ctap/errors.js';
import { parseAuthenticatorInfo } from '../../../electron/core/ctap/info.js';
import { PinProtocolV2, sha256 } from '../../../electron/core/ctap/pin-protocol.js';
import { FakeTransport } from '../helpers/fake-transport.js';

const hex = (u: Uint8Array) => Buffer.from(u).toString('hex');
const text = (s: string) => new TextEncoder().encode(s);
const TOKEN = Uint8Array.from({ length: 32 }, (_, i) => 0x40 + i);
const v2 = new PinProtocolV2();
const mac = (message: Uint8Array) => v2.authenticate(TOKEN, message);
const wire = (m: Map<number, CborValue>) => hex(encode(m));

const EXAMPLE_HASH = sha256(text('example.com'));
const OKTA_HASH = sha256(text('acme.okta.com'));
const coseKey = new Map<number, CborValue>([[1, 2], [3, -7], [-1, 1], [-2, new Uint8Array(32).fill(1)], [-3, new Uint8Array(32).fill(2)]]);

function infoWith(options: Record<string, boolean>) {
  return parseAuthenticatorInfo(new Map<number, CborValue>([[1, ['FIDO_2_1']], [3, new Uint8Array(16)], [4, new Map(Object.entries(options))]]));
}

function setup(options: Record<string, boolean> = { credMgmt: true }) {
  const transport = new FakeTransport();
  const ctap = new Ctap2(transport, infoWith(options));
  return { transport, credman: new CredentialManagement(ctap, new PinUvAuthToken(v2, TOKEN, 0x04)) };
}

const rpReply = (id: string, hash: Uint8Array, total?: number) =>
  new Map<number, CborValue>([[3, new Map([['id', id]])], [4, hash], ...(total === undefined ? [] : [[5, total] as [number, CborValue]])]);

const credReply = (userName: string, credId: Uint8Array, total?: number) =>
  new Map<number, CborValue>([
    [6, new Map<string, CborValue>([['id', text(userName)], ['name', userName]])],
    [7, new Map<string, CborValue>([['id', credId], ['type', 'public-key']])],
    [8, coseKey],
    ...(total === undefined ? [] : [[9, total] as [number, CborValue]]),
    [0x0a, 2],
  ]);

describe('credential management MAC input', () => {
  it('is the subcommand byte alone without params, subCommand ‖ CBOR(params) with them', () => {
    expect(hex(credentialManagementAuthMessage(0x01))).toBe('01');
    expect(hex(credentialManagementAuthMessage(0x04, new Map([[1, EXAMPLE_HASH]])))).toBe('04a1015820' + hex(EXAMPLE_HASH));
  });
});

describe('CredentialManagement', () => {
  it('getMetadata sends subcommand 0x01 with a MAC over 0x01 and returns both counts', async () => {
    const { transport, credman } = setup();
    transport.ok(new Map([[1, 3], [2, 22]]));
    expect(await credman.getMetadata()).toEqual({ existingResidentCredentialsCount: 3, maxPossibleRemainingResidentCredentialsCount: 22 });
    expect(transport.requests[0]!.command).toBe(0x0a);
    expect(hex(transport.requests[0]!.data!)).toBe(wire(new Map<number, CborValue>([[1, 1], [3, 2], [4, mac(Uint8Array.of(1))]])));
  });

  it('enumerates RPs with an authenticated begin and unauthenticated getNext calls', async () => {
    const { transport, credman } = setup();
    transport.ok(rpReply('example.com', EXAMPLE_HASH, 2)).ok(rpReply('acme.okta.com', OKTA_HASH));
    const rps = await credman.enumerateRps();
    expect(rps.map((r) => r.rp.id)).toEqual(['example.com', 'acme.okta.com']);
    expect(hex(rps[1]!.rpIdHash)).toBe(hex(OKTA_HASH));
    expect(transport.requests.map((r) => hex(r.data!))).toEqual([
      wire(new Map<number, CborValue>([[1, 2], [3, 2], [4, mac(Uint8Array.of(2))]])),
      wire(new Map([[1, 3]])),
    ]);
  });

  it('returns no RPs for NO_CREDENTIALS or a total of zero, without further calls', async () => {
    const { transport, credman } = setup();
    transport.status(0x2e).ok(new Map([[5, 0]]));
    expect(await credman.enumerateRps()).toEqual([]);
    expect(await credman.enumerateRps()).toEqual([]);
    expect(transport.requests).toHaveLength(2);
  });

  it('enumerates credentials of one RP with the MAC over 0x04 ‖ CBOR({1: rpIdHash})', async () => {
    const { transport, credman } = setup();
    transport.ok(credReply('ada', Uint8Array.of(1, 2, 3), 3)).ok(credReply('bob', Uint8Array.of(4))).ok(credReply('cy', Uint8Array.of(5)));
    const creds = await credman.enumerateCredentials(OKTA_HASH);
    expect(creds.map((c) => c.user.name)).toEqual(['ada', 'bob', 'cy']);
    expect(creds[0]).toEqual({
      user: { id: text('ada'), name: 'ada', displayName: undefined },
      credentialId: { type: 'public-key', id: Uint8Array.of(1, 2, 3) },
      publicKey: coseKey,
      credProtect: 2,
      largeBlobKey: undefined,
    });
    const params = new Map([[1, OKTA_HASH]]);
    expect(hex(transport.requests[0]!.data!)).toBe(
      wire(new Map<number, CborValue>([[1, 4], [2, params], [3, 2], [4, mac(new Uint8Array([4, ...encode(params)]))]])),
    );
    expect(transport.requests.slice(1).map((r) => hex(r.data!))).toEqual([wire(new Map([[1, 5]])), wire(new Map([[1, 5]]))]);
  });

  it('returns no credentials when the key answers NO_CREDENTIALS', async () => {
    const { transport, credman } = setup();
    transport.status(0x2e);
    expect(await credman.enumerateCredentials(EXAMPLE_HASH)).toEqual([]);
  });

  it('deletes a credential by descriptor with the MAC over 0x06 ‖ CBOR(params)', async () => {
    const { transport, credman } = setup();
    transport.ok();
    await credman.deleteCredential(Uint8Array.of(9, 9));
    const params = new Map<number, CborValue>([[2, new Map<string, CborValue>([['id', Uint8Array.of(9, 9)], ['type', 'public-key']])]]);
    expect(hex(transport.requests[0]!.data!)).toBe(
      wire(new Map<number, CborValue>([[1, 6], [2, params], [3, 2], [4, mac(new Uint8Array([6, ...encode(params)]))]])),
    );
  });

  it('uses the preview command 0x41 when the key lists only credentialMgmtPreview', async () => {
    const { transport, credman } = setup({ credentialMgmtPreview: true });
    transport.ok(new Map([[1, 0], [2, 25]]));
    await credman.getMetadata();
    expect(transport.requests[0]!.command).toBe(0x41);
  });

  it.each<[string, CborMap, RegExp]>([
    ['an RP without an id', new Map<number, CborValue>([[3, new Map([['name', 'x']])], [4, EXAMPLE_HASH], [5, 1]]), /rp: member "id" \(id\) is missing/],
    ['a 31-byte rpIDHash', new Map<number, CborValue>([[3, new Map([['id', 'x']])], [4, new Uint8Array(31)], [5, 1]]), /0x04 \(rpIDHash\) must be 32 bytes/],
    ['no totalRPs', rpReply('example.com', EXAMPLE_HASH), /0x05 \(totalRPs\) is missing/],
  ])('rejects an enumerateRPs reply with %s', async (_name, reply, message) => {
    const { transport, credman } = setup();
    transport.ok(reply);
    const error = await credman.enumerateRps().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as Error).message).toMatch(message);
  });

  it('rejects a credential whose descriptor type is not public-key', async () => {
    const { transport, credman } = setup();
    const reply = credReply('ada', Uint8Array.of(1), 1);
    reply.set(7, new Map<string, CborValue>([['id', Uint8Array.of(1)], ['type', 'secret']]));
    transport.ok(reply);
    await expect(credman.enumerateCredentials(EXAMPLE_HASH)).rejects.toThrow(/credentialID: member "type" \(type\) must be "public-key"/);
  });

  it('passes other statuses on as named CtapErrors', async () => {
    const { transport, credman } = setup();
    transport.status(0x33);
    await expect(credman.getMetadata()).rejects.toSatisfy((e) => e instanceof CtapError && e.statusName === 'CTAP2_ERR_PIN_AUTH_INVALID');
  });
});
