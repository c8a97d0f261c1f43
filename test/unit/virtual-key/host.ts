// A deliberately small CTAPHID host and PIN platform for driving the virtual key in tests: hand-built
// frames through encodeMessage/parseFrame and the PIN protocol primitives, independent of the real client.
import { decode, encode, type CborMap, type CborValue } from '../../../electron/core/ctap/cbor.js';
import { BROADCAST_CID, CTAPHID, CTAP2_CMD, CLIENT_PIN_SUB } from '../../../electron/core/ctap/constants.js';
import { MessageAssembler, encodeMessage, parseFrame } from '../../../electron/core/ctap/frames.js';
import { parseCoseEcKey, pinHash, pinProtocol, type PinProtocolVersion } from '../../../electron/core/ctap/pin-protocol.js';
import type { HidDevice } from '../../../electron/core/hid/device.js';
import type { Clock } from '../../../electron/core/virtual-key/environment.js';

/** Real timers, but `now()` can be moved forward (the reset window, early touches). */
export class ShiftedClock implements Clock {
  offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  setTimeout(callback: () => void, ms: number): ReturnType<typeof setTimeout> {
    return setTimeout(callback, ms);
  }
  clearTimeout(handle: ReturnType<typeof setTimeout>): void {
    clearTimeout(handle);
  }
}

export interface Message {
  readonly cid: number;
  readonly cmd: number;
  readonly payload: Uint8Array;
}

export interface CborReply {
  readonly status: number;
  readonly body: CborMap | undefined;
  readonly raw: Uint8Array;
  readonly keepalives: number[];
}

export class TestHost {
  cid = 0;

  constructor(readonly device: HidDevice) {}

  async write(cid: number, cmd: number, payload: Uint8Array): Promise<void> {
    for (const report of encodeMessage(cid, cmd, payload)) await this.device.write(report);
  }

  /** Reads one whole message for `cid` (frames of other channels are skipped), collecting keepalive statuses. */
  async receive(cid: number, timeoutMs = 3000, keepalives: number[] = []): Promise<Message> {
    const assembler = new MessageAssembler();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`no reply on channel ${cid.toString(16)} within ${timeoutMs} ms`);
      const report = await this.device.read(remaining);
      if (!report) continue;
      const frame = parseFrame(report);
      if (frame.cid !== cid) continue;
      if (frame.kind === 'init' && frame.cmd === CTAPHID.KEEPALIVE) {
        keepalives.push(frame.data[0]!);
        continue;
      }
      const message = assembler.push(frame);
      if (message) return { cid, cmd: message.cmd, payload: message.payload };
    }
  }

  /** Allocates a channel through INIT on the broadcast channel; returns the raw INIT reply. */
  async init(nonce = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8])): Promise<Message> {
    await this.write(BROADCAST_CID, CTAPHID.INIT, nonce);
    const reply = await this.receive(BROADCAST_CID);
    this.cid = new DataView(reply.payload.buffer, reply.payload.byteOffset).getUint32(8);
    return reply;
  }

  async cbor(command: number, params?: CborValue, timeoutMs?: number): Promise<CborReply> {
    const request = params === undefined ? Uint8Array.of(command) : Uint8Array.from([command, ...encode(params)]);
    return this.cborRaw(request, timeoutMs);
  }

  async cborRaw(request: Uint8Array, timeoutMs?: number): Promise<CborReply> {
    await this.write(this.cid, CTAPHID.CBOR, request);
    return this.cborReply(timeoutMs);
  }

  async cborReply(timeoutMs?: number): Promise<CborReply> {
    const keepalives: number[] = [];
    const reply = await this.receive(this.cid, timeoutMs, keepalives);
    if (reply.cmd !== CTAPHID.CBOR) throw new Error(`expected a CBOR reply, got command 0x${reply.cmd.toString(16)} ${Buffer.from(reply.payload).toString('hex')}`);
    const raw = reply.payload.subarray(1);
    const body = raw.length > 0 ? decode(raw) : undefined;
    if (body !== undefined && !(body instanceof Map)) throw new Error('CBOR reply body is not a map');
    return { status: reply.payload[0]!, body, raw, keepalives };
  }
}

/** Zero-pads a PIN to 64 bytes without policy checks, so tests can offer PINs the key must refuse. */
export function rawPad(pin: string): Uint8Array {
  const out = new Uint8Array(64);
  out.set(new TextEncoder().encode(pin));
  return out;
}

/** A decoded text-keyed CBOR map (getInfo options, user entities) as a plain object for assertions. */
export function plain(value: CborValue | undefined): Record<string, CborValue> {
  if (!(value instanceof Map)) throw new Error('expected a CBOR map');
  return Object.fromEntries(value) as Record<string, CborValue>;
}

export function map(entries: [number | string, CborValue][]): CborMap {
  return new Map(entries);
}

/** The platform side of clientPIN, built from the PIN protocol primitives. */
export class TestPlatform {
  constructor(
    readonly host: TestHost,
    readonly version: PinProtocolVersion,
  ) {}

  readonly protocol = () => pinProtocol(this.version);

  async sharedSecret(): Promise<{ keyAgreement: CborMap; shared: Uint8Array }> {
    const reply = await this.host.cbor(CTAP2_CMD.CLIENT_PIN, map([[1, this.version], [2, CLIENT_PIN_SUB.GET_KEY_AGREEMENT]]));
    if (reply.status !== 0) throw new Error(`getKeyAgreement failed with 0x${reply.status.toString(16)}`);
    const { keyAgreement, sharedSecret } = this.protocol().encapsulate(parseCoseEcKey(reply.body?.get(1)));
    return { keyAgreement, shared: sharedSecret };
  }

  async retries(): Promise<CborReply> {
    return this.host.cbor(CTAP2_CMD.CLIENT_PIN, map([[1, this.version], [2, CLIENT_PIN_SUB.GET_PIN_RETRIES]]));
  }

  async setPin(pin: string): Promise<number> {
    const { keyAgreement, shared } = await this.sharedSecret();
    const p = this.protocol();
    const newPinEnc = p.encrypt(shared, rawPad(pin));
    const reply = await this.host.cbor(
      CTAP2_CMD.CLIENT_PIN,
      map([[1, this.version], [2, CLIENT_PIN_SUB.SET_PIN], [3, keyAgreement], [4, p.authenticate(shared, newPinEnc)], [5, newPinEnc]]),
    );
    return reply.status;
  }

  async changePin(oldPin: string, newPin: string): Promise<number> {
    const { keyAgreement, shared } = await this.sharedSecret();
    const p = this.protocol();
    const newPinEnc = p.encrypt(shared, rawPad(newPin));
    const pinHashEnc = p.encrypt(shared, pinHash(oldPin));
    const reply = await this.host.cbor(
      CTAP2_CMD.CLIENT_PIN,
      map([
        [1, this.version],
        [2, CLIENT_PIN_SUB.CHANGE_PIN],
        [3, keyAgreement],
        [4, p.authenticate(shared, Uint8Array.from([...newPinEnc, ...pinHashEnc]))],
        [5, newPinEnc],
        [6, pinHashEnc],
      ]),
    );
    return reply.status;
  }

  /** getPinToken (0x05) without permissions, or 0x09 with them; resolves the token or the failure status. */
  async token(pin: string, permissions?: number, rpId?: string): Promise<{ status: number; token?: Uint8Array }> {
    const { keyAgreement, shared } = await this.sharedSecret();
    const p = this.protocol();
    const entries: [number, CborValue][] = [
      [1, this.version],
      [2, permissions === undefined ? CLIENT_PIN_SUB.GET_PIN_TOKEN : CLIENT_PIN_SUB.GET_PIN_UV_AUTH_TOKEN_USING_PIN_WITH_PERMISSIONS],
      [3, keyAgreement],
      [6, p.encrypt(shared, pinHash(pin))],
    ];
    if (permissions !== undefined) entries.push([9, permissions]);
    if (rpId !== undefined) entries.push([0x0a, rpId]);
    const reply = await this.host.cbor(CTAP2_CMD.CLIENT_PIN, map(entries));
    if (reply.status !== 0) return { status: reply.status };
    const encrypted = reply.body?.get(2);
    if (!(encrypted instanceof Uint8Array)) throw new Error('token reply without a token');
    return { status: 0, token: p.decrypt(shared, encrypted) };
  }

  async requireToken(pin: string, permissions?: number, rpId?: string): Promise<Uint8Array> {
    const result = await this.token(pin, permissions, rpId);
    if (!result.token) throw new Error(`getting a token failed with 0x${result.status.toString(16)}`);
    return result.token;
  }

  authenticate(token: Uint8Array, message: Uint8Array): Uint8Array {
    return this.protocol().authenticate(token, message);
  }
}

export const CLIENT_DATA_HASH = new Uint8Array(32).fill(0x42);

/** A makeCredential parameter map with ES256, for `rpId` and a one-byte user id. */
export function makeCredentialParams(rpId: string, userId: number, extra: [number, CborValue][] = []): CborMap {
  return map([
    [1, CLIENT_DATA_HASH],
    [2, { id: rpId, name: rpId }],
    [3, { id: Uint8Array.of(userId), name: `user${userId}`, displayName: `User ${userId}` }],
    [4, [{ alg: -7, type: 'public-key' }]],
    ...extra,
  ]);
}

/** Opens a channel on a fresh host for `device`. */
export async function connect(device: HidDevice): Promise<TestHost> {
  const host = new TestHost(device);
  await host.init();
  return host;
}

export const FAST = { userPresence: { mode: 'auto', delayMs: 5 } } as const;
