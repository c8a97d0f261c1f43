// Runs an independent CTAP2 client (python-fido2 or libfido2, see peer_*.py) against a virtual key: the
// peer is a `/usr/bin/python3 -u` child whose stdout/stdin carry 64-byte HID reports, bridged to the key
// in-process with serveStdio (or to a `keybench virtual-key --stdio` process). Every frame is recorded,
// so a failure shows what crossed the wire, and so tests can decode the CBOR requests a client sent.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Readable, Transform, type Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { onTestFailed } from 'vitest';
import { z } from 'zod';
import { decode, type CborValue } from '../../electron/core/ctap/cbor.js';
import { CTAPHID, HID_REPORT_SIZE } from '../../electron/core/ctap/constants.js';
import { MessageAssembler, parseFrame } from '../../electron/core/ctap/frames.js';
import type { HidDevice } from '../../electron/core/hid/device.js';
import type { VirtualKeyOverrides } from '../../electron/core/virtual-key/options.js';
import { serveStdio } from '../../electron/core/virtual-key/stdio.js';

/** Debian's interpreter: the PATH python may be a pyenv that cannot see python3-fido2. */
export const PYTHON = '/usr/bin/python3';

/** Test PINs, not secrets: they appear in failure reports and libfido2's debug log on purpose. */
export const TEST_PIN = '12345678';
export const NEW_TEST_PIN = '87654321';
export const WRONG_TEST_PIN = '00000000';

/** Knobs every peer test starts from: a touch arrives by itself after 20 ms, so makeCredential is quick. */
export const PEER_KEY_KNOBS: VirtualKeyOverrides = { userPresence: { mode: 'auto', delayMs: 20 } };

/** The credential the makeCredential scenarios ask for (peers hash clientData themselves). */
export const CREDENTIAL_REQUEST = {
  rpId: 'example.com',
  rpName: 'Example Corp',
  userIdHex: '757365722d3432',
  userName: 'user42@example.com',
  userDisplayName: 'User Forty-Two',
  clientData: '{"type":"webauthn.create","challenge":"a2V5YmVuY2g","origin":"https://example.com"}',
  credProtect: 2,
} as const;

/** A child that has not finished by then is killed and the run fails with the frames seen so far. */
export const PEER_TIMEOUT_MS = 15_000;
/** Per-test limit for vitest: above PEER_TIMEOUT_MS so the harness reports first. */
export const PEER_TEST_TIMEOUT_MS = 20_000;

export type PeerName = 'python-fido2' | 'libfido2';

const PEERS: Readonly<Record<PeerName, { script: string; debianPackage: string; probe: string }>> = {
  'python-fido2': {
    script: fileURLToPath(new URL('./peer_pyfido2.py', import.meta.url)),
    debianPackage: 'python3-fido2',
    probe: "import fido2, sys; v = fido2.__version__; print(v); sys.exit(0 if v.startswith('0.9.') else 3)",
  },
  libfido2: {
    script: fileURLToPath(new URL('./peer_libfido2.py', import.meta.url)),
    debianPackage: 'libfido2-1',
    probe: "import ctypes; ctypes.CDLL('libfido2.so.1').fido_dev_set_io_functions; print('libfido2.so.1')",
  },
};

export interface PeerAvailability {
  readonly available: boolean;
  /** Skip only on a developer machine; in CI (`CI` set) a missing peer fails the suite. */
  readonly skip: boolean;
  readonly message: string;
}

export function checkPeer(peer: PeerName): PeerAvailability {
  const { debianPackage, probe } = PEERS[peer];
  const probed = spawnSync(PYTHON, ['-c', probe], { encoding: 'utf8', timeout: 10_000 });
  const available = probed.status === 0;
  let message = `${peer} ${probed.stdout.trim()}`;
  if (probed.status === 3) {
    message = `${peer} ${probed.stdout.trim()} is installed, but peer_pyfido2.py is written for 0.9.x (Debian 12's ${debianPackage} 0.9.1)`;
  } else if (!available) {
    const detail = probed.error?.message ?? probed.stderr.trim().split('\n').pop() ?? 'unknown reason';
    message = `${peer} is not usable from ${PYTHON} (${detail}). Install the Debian package: sudo apt-get install ${debianPackage}`;
  }
  return { available, skip: !available && !process.env.CI, message };
}

export type Direction = 'host→key' | 'key→host';

export interface RecordedFrame {
  readonly direction: Direction;
  readonly report: Uint8Array;
}

export class FrameLog {
  readonly frames: RecordedFrame[] = [];

  record(direction: Direction, report: Uint8Array): void {
    this.frames.push({ direction, report: Uint8Array.from(report) });
  }
}

/** The same device, with every report written to it or read from it recorded. */
export function recordingDevice(device: HidDevice, log: FrameLog): HidDevice {
  return {
    descriptor: device.descriptor,
    async write(report) {
      log.record('host→key', report);
      await device.write(report);
    },
    async read(timeoutMs) {
      const report = await device.read(timeoutMs);
      if (report) log.record('key→host', report);
      return report;
    },
    close: () => device.close(),
  };
}

/** Passes a record stream through unchanged, recording each complete 64-byte record. */
function recordingStream(direction: Direction, log: FrameLog): Transform {
  let pending = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      pending = Buffer.concat([pending, chunk]);
      for (; pending.length >= HID_REPORT_SIZE; pending = pending.subarray(HID_REPORT_SIZE)) log.record(direction, pending.subarray(0, HID_REPORT_SIZE));
      done(null, chunk);
    },
  });
}

export interface CborRequest {
  /** CTAP2 command byte (0x04 getInfo, 0x06 clientPIN, …). */
  readonly command: number;
  /** The decoded parameter map; undefined for a command without parameters. */
  readonly params: CborValue | undefined;
}

/** The CTAP2 requests a client sent, reassembled per channel from its frames and decoded with our CBOR decoder. */
export function cborRequests(frames: readonly RecordedFrame[]): CborRequest[] {
  const channels = new Map<number, MessageAssembler>();
  const requests: CborRequest[] = [];
  for (const { direction, report } of frames) {
    if (direction !== 'host→key') continue;
    const frame = parseFrame(report);
    let assembler = channels.get(frame.cid);
    if (!assembler) channels.set(frame.cid, (assembler = new MessageAssembler()));
    if (frame.kind === 'cont' && !assembler.inProgress) continue;
    const message = assembler.push(frame);
    if (!message || message.cmd !== CTAPHID.CBOR || message.payload.length === 0) continue;
    requests.push({ command: message.payload[0]!, params: message.payload.length > 1 ? decode(message.payload.subarray(1)) : undefined });
  }
  return requests;
}

/**
 * The structure of a CBOR value with what differs run to run taken out: byte strings become their length
 * (ephemeral keys, MACs and ciphertexts differ, their sizes must not), text becomes its type, integers and
 * booleans stay (subcommands, protocols, permissions, options), maps keep their keys in order.
 */
export function cborShape(value: CborValue | undefined): unknown {
  if (value instanceof Uint8Array) return `bytes(${value.length})`;
  if (typeof value === 'string') return 'text';
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(cborShape);
  if (value instanceof Map) return [...value].map(([k, v]) => [k, cborShape(v)]);
  if (value !== null && typeof value === 'object') return Object.entries(value).map(([k, v]) => [k, cborShape(v)]);
  return value;
}

const peerResultSchema = z.looseObject({
  ok: z.boolean(),
  peer: z.string(),
  scenario: z.string(),
  error: z.string().optional(),
  traceback: z.string().optional(),
});
export type PeerResult = z.infer<typeof peerResultSchema>;

export interface PeerRunOptions {
  readonly peer: PeerName;
  readonly scenario: string;
  /** Passed to the peer as one JSON argument (PINs, RP, protocol, …). */
  readonly params?: Readonly<Record<string, unknown>>;
  /** In-process bridge: the key's HidDevice, served to the peer with serveStdio. */
  readonly device?: HidDevice;
  /** Out-of-process bridge: a command that serves a key on its stdin/stdout (`keybench virtual-key --stdio`). */
  readonly keyCommand?: { readonly command: string; readonly args: readonly string[] };
  readonly timeoutMs?: number;
}

export interface PeerRun {
  readonly result: PeerResult;
  readonly frames: readonly RecordedFrame[];
  readonly stderr: string;
  readonly exitCode: number | null;
  /** Human-readable frames and stderr, for failure output. */
  report(): string;
}

/** The peer crashed, hung or produced no result; the message carries the frames and the child's stderr. */
export class PeerRunError extends Error {
  override readonly name = 'PeerRunError';
}

const MAX_CAPTURED_TEXT = 256 * 1024;

function collectText(stream: Readable | null | undefined): { text: () => string } {
  let text = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    if (text.length < MAX_CAPTURED_TEXT) text += chunk;
  });
  return { text: () => text };
}

function hexFrame(report: Uint8Array): string {
  let end = report.length;
  while (end > 0 && report[end - 1] === 0) end--;
  const shown = Buffer.from(report.subarray(0, end)).toString('hex');
  return end < report.length ? `${shown} (+${report.length - end} zero bytes)` : shown;
}

export function formatRun(title: string, frames: readonly RecordedFrame[], stderr: string, extra = ''): string {
  const lines = [`--- ${title}`, `frames (${frames.length}):`];
  frames.forEach((f, i) => lines.push(`  ${String(i).padStart(4, '0')} ${f.direction === 'host→key' ? '→' : '←'} ${hexFrame(f.report)}`));
  if (extra) lines.push(extra);
  lines.push('stderr:', stderr.trimEnd() || '  (empty)', '---');
  return lines.join('\n');
}

/** Prints the run's frames and stderr if the current test fails. Call inside a test. */
export function reportOnFailure(run: PeerRun): void {
  onTestFailed(() => {
    console.error(run.report());
  });
}

/** Resolves with the exit code once the process and its pipes are closed, or with null if it could not start. */
function exited(child: ChildProcess, errors: string[]): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
    child.once('close', (code) => resolve(code));
    child.once('error', (e) => {
      errors.push(`${child.spawnfile}: ${e.message}`);
      resolve(null);
    });
  });
}

function ignoreStreamErrors(stream: Writable | Readable | null | undefined, into: string[]): void {
  stream?.on('error', (e: Error) => into.push(e.message));
}

/** Runs one peer scenario to completion (or the timeout) and returns its JSON result and the frames. */
export async function runPeer(options: PeerRunOptions): Promise<PeerRun> {
  const { peer, scenario } = options;
  if (!options.device === !options.keyCommand) throw new TypeError('runPeer needs exactly one of device or keyCommand');
  const log = new FrameLog();
  const streamErrors: string[] = [];
  const args = ['-u', PEERS[peer].script, scenario, JSON.stringify(options.params ?? {})];
  const child = spawn(PYTHON, args, {
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    env: { ...process.env, FIDO_DEBUG: '1', PYTHONDONTWRITEBYTECODE: '1' },
  });
  const childStdin = child.stdin!;
  const childStdout = child.stdout!;
  ignoreStreamErrors(childStdin, streamErrors);
  const stderr = collectText(child.stderr);
  const resultStream = child.stdio[3];
  const resultText = collectText(resultStream instanceof Readable ? resultStream : undefined);
  const childDone = exited(child, streamErrors);

  let keyProcess: ChildProcess | undefined;
  let keyStderr = { text: () => '' };
  let bridge: Promise<unknown>;
  if (options.device) {
    bridge = serveStdio(recordingDevice(options.device, log), childStdout, childStdin);
  } else {
    const { command, args: keyArgs } = options.keyCommand!;
    keyProcess = spawn(command, [...keyArgs], { stdio: ['pipe', 'pipe', 'pipe'] });
    ignoreStreamErrors(keyProcess.stdin, streamErrors);
    keyStderr = collectText(keyProcess.stderr);
    childStdout.pipe(recordingStream('host→key', log)).pipe(keyProcess.stdin!);
    keyProcess.stdout!.pipe(recordingStream('key→host', log)).pipe(childStdin);
    bridge = exited(keyProcess, streamErrors);
  }
  const bridgeOutcome = bridge.then(
    () => '',
    (e: unknown) => `bridge stopped: ${e instanceof Error ? e.message : String(e)}`,
  );

  const allStderr = () => (keyProcess ? `${stderr.text()}\n[key process stderr]\n${keyStderr.text()}` : stderr.text());
  const title = `${peer} ${scenario}`;
  const timeoutMs = options.timeoutMs ?? PEER_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  const exitCode = await Promise.race([childDone, timedOut]);
  try {
    if (exitCode === 'timeout') {
      child.kill('SIGKILL');
      keyProcess?.kill('SIGKILL');
      await childDone;
      throw new PeerRunError(`${title}: no result within ${timeoutMs} ms, child killed\n${formatRun(title, log.frames, allStderr())}`);
    }
    if (keyProcess) {
      keyProcess.stdin?.end();
      const keyDone = await Promise.race([exited(keyProcess, streamErrors), timedOut]);
      if (keyDone === 'timeout') keyProcess.kill('SIGKILL');
    }
    const bridgeNote = await Promise.race([bridgeOutcome, timedOut.then(() => 'bridge did not stop')]);
    const notes = [`exit code ${exitCode}`, bridgeNote, ...streamErrors.map((e) => `stream or process error: ${e}`)];
    const report = () => formatRun(title, log.frames, allStderr(), notes.filter(Boolean).join('\n'));
    // fd 3 normally; a peer whose fd 3 was not open writes "PEER-RESULT {json}" to stderr instead.
    const fromStderr = /^PEER-RESULT (.*)$/m.exec(stderr.text())?.[1];
    const lastLine = resultText.text().trim().split('\n').pop() || fromStderr || '';
    let parsed: unknown;
    try {
      parsed = JSON.parse(lastLine);
    } catch {
      throw new PeerRunError(`${title}: the peer wrote no JSON result on fd 3\n${report()}`);
    }
    const result = peerResultSchema.safeParse(parsed);
    if (!result.success) throw new PeerRunError(`${title}: the peer's result is malformed (${result.error.message})\n${report()}`);
    if (!result.data.ok) notes.push(`peer error: ${result.data.error ?? '(none given)'}`, result.data.traceback ?? '');
    return { result: result.data, frames: log.frames, stderr: allStderr(), exitCode, report };
  } finally {
    clearTimeout(timer);
  }
}
