// The knobs of a virtual key (after Chromium's VirtualCtap2Device::Config): what it supports, how it
// behaves, and which faults it injects. Defaults model a current USB security key; `parseVirtualKeyFlags`
// reads the same knobs from a command line (`keybench virtual-key --pin-protocols 1 --no-ep …`).
import type { PinProtocolVersion } from '../ctap/pin-protocol.js';

export const COMMAND_NAMES = [
  'makeCredential',
  'getAssertion',
  'getInfo',
  'clientPIN',
  'reset',
  'getNextAssertion',
  'credentialManagement',
  'selection',
  'config',
] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

const COMMAND_BY_BYTE: ReadonlyMap<number, CommandName> = new Map([
  [0x01, 'makeCredential'],
  [0x02, 'getAssertion'],
  [0x04, 'getInfo'],
  [0x06, 'clientPIN'],
  [0x07, 'reset'],
  [0x08, 'getNextAssertion'],
  [0x0a, 'credentialManagement'],
  [0x41, 'credentialManagement'],
  [0x0b, 'selection'],
  [0x0d, 'config'],
]);

/** The knob name of a CTAP2 command byte; undefined for commands the key does not implement. */
export function commandName(byte: number): CommandName | undefined {
  return COMMAND_BY_BYTE.get(byte);
}

function isCommandName(value: string): value is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(value);
}

/** `auto`: a touch arrives by itself after `delayMs`. `manual`: the key waits for `touch()` up to `timeoutMs`. */
export type UserPresenceMode = { readonly mode: 'auto'; readonly delayMs: number } | { readonly mode: 'manual'; readonly timeoutMs: number };

export interface FailCommandFault {
  readonly command: CommandName;
  /** The CTAP status byte the command ends with instead of running. */
  readonly status: number;
  readonly repeat: 'once' | 'always';
  /**
   * Only this sub-command fails (clientPIN's 0x02 member, credentialManagement's and config's 0x01), e.g.
   * 0x09 for getPinUvAuthTokenUsingPinWithPermissions; any sub-command when absent.
   */
  readonly subCommand?: number;
}

export interface VirtualKeyFaults {
  /** The key drops off the bus while replying to this command (once per key; the command's effect stays). */
  readonly unplugDuring?: CommandName;
  readonly failCommand?: FailCommandFault;
  /** Probability in [0, 1] that a CBOR reply has one of its frames corrupted. */
  readonly garble?: number;
}

export interface VirtualKeyOptions {
  /** PIN/UV auth protocols in getInfo order. */
  readonly pinProtocols: readonly PinProtocolVersion[];
  /** Enterprise attestation capability (getInfo option `ep`, enabled through authenticatorConfig). */
  readonly enterpriseAttestation: boolean;
  readonly credProtect: boolean;
  readonly minPinLengthExtension: boolean;
  readonly userPresence: UserPresenceMode;
  /** A `touch()` this long before the key starts waiting still counts. */
  readonly earlyTouchMs: number;
  /** Extra processing time per command. */
  readonly latencyMs: Readonly<Partial<Record<CommandName, number>>>;
  /** Discoverable credential slots. */
  readonly capacity: number;
  readonly serial: string;
  /** "major.minor.patch"; getInfo reports it as 0xMMmmpp. */
  readonly firmwareVersion: string;
  readonly productName: string;
  readonly aaguid: Uint8Array;
  /** Factory minimum PIN length, restored by reset. */
  readonly minPinLength: number;
  /** getPINRetries before any PIN is set: report the retries, or fail with PIN_NOT_SET (some firmware). */
  readonly pinRetriesBeforeSet: 'retries' | 'pin-not-set';
  /** authenticatorReset is allowed this long after power-up. */
  readonly resetWindowMs: number;
  readonly keepaliveIntervalMs: number;
  /** An incomplete CTAPHID message is dropped with ERROR MSG_TIMEOUT after this long without a frame. */
  readonly messageTimeoutMs: number;
  readonly faults: VirtualKeyFaults;
  /** Makes key material, credential ids and fault decisions reproducible. */
  readonly seed?: number;
}

export type VirtualKeyOverrides = Partial<VirtualKeyOptions>;

/** "keybenchvirtual1" in ASCII: recognisable in logs, never a real model's AAGUID. */
export const DEFAULT_AAGUID = Uint8Array.from(Buffer.from('6b657962656e63687669727475616c31', 'hex'));
export const DEFAULT_PRODUCT_NAME = 'keybench Virtual Key';

export const DEFAULT_OPTIONS: VirtualKeyOptions = {
  pinProtocols: [2, 1],
  enterpriseAttestation: true,
  credProtect: true,
  minPinLengthExtension: true,
  userPresence: { mode: 'auto', delayMs: 200 },
  earlyTouchMs: 2000,
  latencyMs: {},
  capacity: 25,
  serial: 'KBVK00000001',
  firmwareVersion: '5.4.3',
  productName: DEFAULT_PRODUCT_NAME,
  aaguid: DEFAULT_AAGUID,
  minPinLength: 4,
  pinRetriesBeforeSet: 'retries',
  resetWindowMs: 10_000,
  keepaliveIntervalMs: 100,
  messageTimeoutMs: 2000,
  faults: {},
};

/** A knob value the virtual key cannot run with. */
export class VirtualKeyOptionsError extends Error {
  override readonly name = 'VirtualKeyOptionsError';
}

/** A command-line flag that is malformed or has a value out of range. */
export class VirtualKeyFlagError extends Error {
  override readonly name = 'VirtualKeyFlagError';
  constructor(
    readonly flag: string,
    reason: string,
  ) {
    super(`${flag}: ${reason}. Run \`keybench virtual-key --help\` for the accepted values.`);
  }
}

/** Parses "5.4.3" into getInfo's firmwareVersion integer 0x050403. */
export function firmwareVersionNumber(version: string): number {
  const parts = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(version);
  if (!parts) throw new VirtualKeyOptionsError(`firmware version "${version}" is not major.minor.patch`);
  const [major, minor, patch] = parts.slice(1).map(Number) as [number, number, number];
  if (major > 255 || minor > 255 || patch > 255) throw new VirtualKeyOptionsError(`firmware version "${version}" has a part above 255`);
  return (major << 16) | (minor << 8) | patch;
}

/** Completes and checks a set of knobs; throws VirtualKeyOptionsError naming the bad one. */
export function virtualKeyOptions(overrides: VirtualKeyOverrides = {}): VirtualKeyOptions {
  const o: VirtualKeyOptions = { ...DEFAULT_OPTIONS, ...overrides };
  if (o.pinProtocols.length === 0 || new Set(o.pinProtocols).size !== o.pinProtocols.length || o.pinProtocols.some((p) => p !== 1 && p !== 2)) {
    throw new VirtualKeyOptionsError('pinProtocols must list 1 and/or 2, each once');
  }
  if (!Number.isInteger(o.capacity) || o.capacity < 0) throw new VirtualKeyOptionsError('capacity must be a whole number ≥ 0');
  if (!Number.isInteger(o.minPinLength) || o.minPinLength < 4 || o.minPinLength > 63) throw new VirtualKeyOptionsError('minPinLength must be 4–63');
  if (o.aaguid.length !== 16) throw new VirtualKeyOptionsError('aaguid must be 16 bytes');
  firmwareVersionNumber(o.firmwareVersion);
  const garble = o.faults.garble;
  if (garble !== undefined && !(garble >= 0 && garble <= 1)) throw new VirtualKeyOptionsError('faults.garble must be a probability in [0, 1]');
  const status = o.faults.failCommand?.status;
  if (status !== undefined && (!Number.isInteger(status) || status < 1 || status > 0xff)) {
    throw new VirtualKeyOptionsError('faults.failCommand.status must be a CTAP error byte 0x01–0xFF');
  }
  return o;
}

type FlagResult = { ok: true; overrides: VirtualKeyOverrides; rest: string[] } | { ok: false; error: VirtualKeyFlagError };

const BOOLEAN_FLAGS: Readonly<Record<string, [keyof VirtualKeyOptions, boolean]>> = {
  '--ep': ['enterpriseAttestation', true],
  '--no-ep': ['enterpriseAttestation', false],
  '--cred-protect': ['credProtect', true],
  '--no-cred-protect': ['credProtect', false],
  '--min-pin-length-ext': ['minPinLengthExtension', true],
  '--no-min-pin-length-ext': ['minPinLengthExtension', false],
};

const VALUE_FLAGS = new Set([
  '--pin-protocols',
  '--touch',
  '--latency',
  '--capacity',
  '--serial',
  '--firmware',
  '--product',
  '--aaguid',
  '--min-pin-length',
  '--pin-retries-before-set',
  '--fail',
  '--unplug-during',
  '--garble',
  '--seed',
  '--reset-window',
]);

function wholeNumber(flag: string, text: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(text) || Number(text) > max) throw new VirtualKeyFlagError(flag, `"${text}" is not a whole number${max < Number.MAX_SAFE_INTEGER ? ` up to ${max}` : ''}`);
  return Number(text);
}

function commandArg(flag: string, text: string): CommandName {
  if (!isCommandName(text)) throw new VirtualKeyFlagError(flag, `"${text}" is not one of ${COMMAND_NAMES.join(', ')}`);
  return text;
}

function parseAaguid(flag: string, text: string): Uint8Array {
  const hex = text.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new VirtualKeyFlagError(flag, `"${text}" is not a UUID or 32 hex digits`);
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

function applyValueFlag(flag: string, value: string, o: { -readonly [K in keyof VirtualKeyOptions]?: VirtualKeyOptions[K] }): void {
  switch (flag) {
    case '--pin-protocols': {
      const list = value.split(',').map((p) => p.trim());
      if (list.some((p) => p !== '1' && p !== '2') || new Set(list).size !== list.length) {
        throw new VirtualKeyFlagError(flag, `"${value}" is not a list of 1 and/or 2 such as "2,1"`);
      }
      o.pinProtocols = list.map((p) => (p === '1' ? 1 : 2));
      return;
    }
    case '--touch': {
      const [mode, ms] = value.split(':');
      if (mode === 'auto') o.userPresence = { mode: 'auto', delayMs: ms === undefined ? 200 : wholeNumber(flag, ms) };
      else if (mode === 'manual') o.userPresence = { mode: 'manual', timeoutMs: ms === undefined ? 30_000 : wholeNumber(flag, ms) };
      else throw new VirtualKeyFlagError(flag, `"${value}" is not auto[:delayMs] or manual[:timeoutMs]`);
      return;
    }
    case '--latency': {
      const [first, second] = value.split(':');
      const latency = { ...o.latencyMs };
      if (second === undefined) for (const name of COMMAND_NAMES) latency[name] = wholeNumber(flag, first ?? '');
      else latency[commandArg(flag, first ?? '')] = wholeNumber(flag, second);
      o.latencyMs = latency;
      return;
    }
    case '--capacity':
      o.capacity = wholeNumber(flag, value, 10_000);
      return;
    case '--serial':
      if (!/^[\x20-\x7e]{1,64}$/.test(value)) throw new VirtualKeyFlagError(flag, 'expected 1–64 printable ASCII characters');
      o.serial = value;
      return;
    case '--firmware':
      try {
        firmwareVersionNumber(value);
      } catch (e) {
        if (e instanceof VirtualKeyOptionsError) throw new VirtualKeyFlagError(flag, e.message);
        throw e;
      }
      o.firmwareVersion = value;
      return;
    case '--product':
      o.productName = value;
      return;
    case '--aaguid':
      o.aaguid = parseAaguid(flag, value);
      return;
    case '--min-pin-length': {
      const n = wholeNumber(flag, value, 63);
      if (n < 4) throw new VirtualKeyFlagError(flag, 'the minimum PIN length is at least 4');
      o.minPinLength = n;
      return;
    }
    case '--pin-retries-before-set':
      if (value !== 'retries' && value !== 'pin-not-set') throw new VirtualKeyFlagError(flag, `"${value}" is not retries or pin-not-set`);
      o.pinRetriesBeforeSet = value;
      return;
    case '--fail': {
      const [command, status, repeat = 'once'] = value.split(':');
      const code = status !== undefined && /^(0x[0-9a-fA-F]{1,2}|\d{1,3})$/.test(status) ? Number(status) : NaN;
      if (!(code >= 1 && code <= 0xff)) throw new VirtualKeyFlagError(flag, `expected command:status such as makeCredential:0x28, got "${value}"`);
      if (repeat !== 'once' && repeat !== 'always') throw new VirtualKeyFlagError(flag, `"${repeat}" is not once or always`);
      o.faults = { ...o.faults, failCommand: { command: commandArg(flag, command ?? ''), status: code, repeat } };
      return;
    }
    case '--unplug-during':
      o.faults = { ...o.faults, unplugDuring: commandArg(flag, value) };
      return;
    case '--garble': {
      const p = /^(0(\.\d+)?|1(\.0+)?)$/.test(value) ? Number(value) : NaN;
      if (Number.isNaN(p)) throw new VirtualKeyFlagError(flag, `"${value}" is not a probability between 0 and 1`);
      o.faults = { ...o.faults, garble: p };
      return;
    }
    case '--seed':
      o.seed = wholeNumber(flag, value);
      return;
    case '--reset-window':
      o.resetWindowMs = wholeNumber(flag, value);
      return;
  }
}

/**
 * Reads virtual-key knobs from command-line arguments (`--flag value` or `--flag=value`). Arguments that
 * are not virtual-key flags come back in `rest` for the caller to handle or reject.
 */
export function parseVirtualKeyFlags(argv: readonly string[]): FlagResult {
  const overrides: { -readonly [K in keyof VirtualKeyOptions]?: VirtualKeyOptions[K] } = {};
  const rest: string[] = [];
  try {
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i]!;
      const eq = arg.indexOf('=');
      const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
      const boolean = BOOLEAN_FLAGS[flag];
      if (boolean) {
        if (flag !== arg) throw new VirtualKeyFlagError(flag, 'takes no value');
        Object.assign(overrides, { [boolean[0]]: boolean[1] });
      } else if (VALUE_FLAGS.has(flag)) {
        const value = flag !== arg ? arg.slice(eq + 1) : argv[++i];
        if (value === undefined || (flag === arg && value.startsWith('--'))) throw new VirtualKeyFlagError(flag, 'needs a value');
        applyValueFlag(flag, value, overrides);
      } else {
        rest.push(arg);
      }
    }
    virtualKeyOptions(overrides);
  } catch (e) {
    if (e instanceof VirtualKeyFlagError) return { ok: false, error: e };
    if (e instanceof VirtualKeyOptionsError) return { ok: false, error: new VirtualKeyFlagError('options', e.message) };
    throw e;
  }
  return { ok: true, overrides, rest };
}
