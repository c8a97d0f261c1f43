// A CtapTransport for unit tests: records every request (command, raw CBOR bytes, decoded parameters,
// call options) and answers from a script of replies, in order. Running out of replies fails the test.
import { decode, encode, type CborValue } from '../../../electron/core/ctap/cbor.js';
import type { CallOptions, CtapTransport } from '../../../electron/core/ctap/transport.js';

export interface RecordedRequest {
  readonly command: number;
  readonly data: Uint8Array | undefined;
  /** The request parameters decoded with the strict decoder (undefined when no data was sent). */
  readonly params: CborValue | undefined;
  readonly options: CallOptions | undefined;
}

export type ScriptedReply = Uint8Array | ((request: RecordedRequest) => Uint8Array);

export class FakeTransport implements CtapTransport {
  readonly requests: RecordedRequest[] = [];
  private readonly replies: ScriptedReply[] = [];
  canWink = false;
  winks = 0;
  closed = false;

  /** Queues a success reply carrying `body` (CBOR-encoded), or a bare status byte when body is undefined. */
  ok(body?: CborValue): this {
    return this.raw(body === undefined ? Uint8Array.of(0) : Uint8Array.of(0, ...encode(body)));
  }

  /** Queues an error status. */
  status(code: number): this {
    return this.raw(Uint8Array.of(code));
  }

  /** Queues exact reply bytes (status byte + CBOR), or a function computing them from the request. */
  raw(reply: ScriptedReply): this {
    this.replies.push(reply);
    return this;
  }

  get pending(): number {
    return this.replies.length;
  }

  async sendCbor(command: number, data: Uint8Array | undefined, options?: CallOptions): Promise<Uint8Array> {
    const request: RecordedRequest = { command, data, params: data === undefined ? undefined : decode(data), options };
    this.requests.push(request);
    const reply = this.replies.shift();
    if (reply === undefined) throw new Error(`FakeTransport: no scripted reply for command 0x${command.toString(16)}`);
    return typeof reply === 'function' ? reply(request) : reply;
  }

  async wink(): Promise<void> {
    this.winks++;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
