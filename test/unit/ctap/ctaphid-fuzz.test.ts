// Bounded fuzzing of CTAPHID reassembly and of a whole client transaction with random frame sequences.
// The PRNG is seeded, and every failure names its seed and iteration so it can be replayed.
import { describe, expect, it } from 'vitest';
import { CtapHidConnection } from '../../../electron/core/ctap/ctaphid.js';
import { CONT_DATA, CTAPHID, CTAPHID_ERROR, INIT_DATA, MAX_MESSAGE_SIZE } from '../../../electron/core/ctap/constants.js';
import { CtapHidError, KeyTimeoutError, ProtocolError } from '../../../electron/core/ctap/errors.js';
import { encodeMessage, MessageAssembler, parseFrame } from '../../../electron/core/ctap/frames.js';
import { ScriptedHid } from '../helpers/scripted-hid.js';
import { seededRandom } from '../helpers/seeded-random.js';

const SEED = 0x5eed_c7a9;
const SEQUENCES = 3000;


class Fuzzer {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = seededRandom(seed);
  }
  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  bytes(length: number): Uint8Array {
    return Uint8Array.from({ length }, () => this.int(256));
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** A mix of well-formed, damaged and foreign frames around channel `cid`, biased towards near-valid traffic. */
  frames(cid: number, replyCmd: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    const count = 1 + this.int(12);
    let seq = 0;
    for (let i = 0; i < count; i++) {
      const targetCid = this.chance(0.75) ? cid : this.pick([0xffffffff, 0, cid ^ 1, this.int(2 ** 32)]);
      const roll = this.int(10);
      if (roll === 0) {
        out.push(this.bytes(this.pick([64, 64, 63, 65, 0])));
      } else if (roll <= 3) {
        const bcnt = this.pick([0, 1, 17, INIT_DATA, INIT_DATA + 1, 200, MAX_MESSAGE_SIZE, MAX_MESSAGE_SIZE + 1, 0xffff, this.int(400)]);
        const cmd = this.pick([replyCmd, CTAPHID.KEEPALIVE, CTAPHID.ERROR, CTAPHID.INIT, this.int(0x80)]);
        const frame = this.bytes(64);
        const view = new DataView(frame.buffer);
        view.setUint32(0, targetCid);
        frame[4] = 0x80 | cmd;
        view.setUint16(5, bcnt);
        if (cmd === CTAPHID.ERROR) frame[7] = this.pick([CTAPHID_ERROR.INVALID_SEQ, CTAPHID_ERROR.OTHER, this.int(256)]);
        out.push(frame);
        seq = 0;
      } else if (roll <= 6) {
        const frame = this.bytes(64);
        new DataView(frame.buffer).setUint32(0, targetCid);
        frame[4] = this.chance(0.8) ? seq++ & 0x7f : this.int(0x80);
        out.push(frame);
      } else if (roll <= 8) {
        out.push(encodeMessage(targetCid, CTAPHID.KEEPALIVE, Uint8Array.of(this.int(4)))[0]!);
      } else {
        out.push(...encodeMessage(targetCid, replyCmd, this.bytes(this.int(3 * CONT_DATA))));
      }
    }
    if (this.chance(0.7)) out.push(...encodeMessage(cid, replyCmd, this.bytes(this.int(2 * INIT_DATA))));
    return out;
  }
}

function isTyped(error: unknown): boolean {
  return error instanceof ProtocolError || error instanceof CtapHidError || error instanceof KeyTimeoutError;
}

describe('CTAPHID fuzzing', () => {
  it(`parseFrame + MessageAssembler survive ${SEQUENCES} random frame sequences with only ProtocolError or a message`, () => {
    const fuzz = new Fuzzer(SEED);
    const cid = 0x00220002;
    let messages = 0;
    let protocolErrors = 0;
    for (let iteration = 0; iteration < SEQUENCES; iteration++) {
      const assembler = new MessageAssembler();
      let announced = -1;
      for (const report of fuzz.frames(cid, CTAPHID.CBOR)) {
        try {
          const frame = parseFrame(report);
          if (frame.cid !== cid) continue;
          const bcnt = frame.kind === 'init' ? frame.bcnt : announced;
          const message = assembler.push(frame);
          announced = bcnt;
          if (message) {
            messages++;
            expect(message.payload.length, `seed ${SEED} iteration ${iteration}`).toBe(announced);
          }
        } catch (error) {
          if (!(error instanceof ProtocolError)) throw new Error(`seed ${SEED} iteration ${iteration}: unexpected ${String(error)}`);
          protocolErrors++;
        }
      }
    }
    // The generator must exercise both outcomes, or this loop proves nothing.
    expect(messages).toBeGreaterThan(SEQUENCES / 2);
    expect(protocolErrors).toBeGreaterThan(SEQUENCES / 10);
  });

  it(`CtapHidConnection.call ends every one of ${SEQUENCES} random reply sequences with a result or a typed error, never a hang`, async () => {
    const fuzz = new Fuzzer(SEED + 1);
    const device = new ScriptedHid().answerInit(0x00220002);
    const connection = await CtapHidConnection.open(device, { initTimeoutMs: 200 });
    device.onWrite((written, dev) => {
      const cid = new DataView(written.buffer).getUint32(0);
      if (cid === connection.cid && written[4] === (0x80 | CTAPHID.CBOR)) dev.reply(...fuzz.frames(cid, CTAPHID.CBOR));
    });

    const outcomes = { result: 0, protocol: 0, ctaphid: 0, timeout: 0 };
    for (let iteration = 0; iteration < SEQUENCES; iteration++) {
      device.clearReads();
      let hang: ReturnType<typeof setTimeout> | undefined;
      const guard = new Promise<never>((_, reject) => {
        hang = setTimeout(() => reject(new Error(`seed ${SEED + 1} iteration ${iteration}: call hung`)), 2000);
      });
      try {
        await Promise.race([connection.sendCbor(0x04, undefined, { timeoutMs: 4 }), guard]);
        outcomes.result++;
      } catch (error) {
        if (!isTyped(error)) throw new Error(`seed ${SEED + 1} iteration ${iteration}: unexpected ${String(error)}`, { cause: error });
        if (error instanceof ProtocolError) outcomes.protocol++;
        else if (error instanceof CtapHidError) outcomes.ctaphid++;
        else outcomes.timeout++;
      } finally {
        clearTimeout(hang);
      }
    }
    expect(outcomes.result).toBeGreaterThan(SEQUENCES / 5);
    expect(outcomes.protocol).toBeGreaterThan(0);
    expect(outcomes.ctaphid).toBeGreaterThan(0);
    expect(outcomes.timeout).toBeGreaterThan(0);
  });
});
