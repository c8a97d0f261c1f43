// `keybench keys`: list keys, and wink, reset or inspect one.
import { parseArgs } from 'node:util';
import { Ctap2 } from '../../core/ctap/ctap2.js';
import { CtapHidConnection } from '../../core/ctap/ctaphid.js';
import { inspectKey, type KeySummary } from '../../core/ctap/key-summary.js';
import { keySources, listKeys, parseCount, selectKey, type ListedKey } from '../key-sources.js';
import { EXIT, UsageError, type Output } from '../usage.js';

export const KEYS_USAGE = `Usage:
  keybench keys [--virtual N] [--json]          list FIDO keys (plus N virtual keys)
  keybench keys info <key> [--virtual N] [--json]
  keybench keys wink <key> [--virtual N]        blink the key's light
  keybench keys reset <key> [--virtual N]       factory-reset: replug the key, run this within 10 s, touch the key
<key> is the number shown by \`keybench keys\`, a device path, or a serial number.`;

type Row = { index: number } & KeySummary;

function table(rows: readonly Row[]): string[] {
  const header = ['#', 'path', 'product', 'serial', 'AAGUID', 'firmware', 'versions', 'PIN', 'retries', 'minPIN', 'forceChange'];
  const cells = rows.map((r) => [
    String(r.index),
    r.path,
    r.product ?? '-',
    r.serial ?? 'no serial',
    r.aaguid,
    r.firmwareVersion ?? '-',
    r.versions.join(','),
    r.pinSet ? 'set' : 'not set',
    r.pinRetries === undefined ? '-' : String(r.pinRetries),
    String(r.minPinLength),
    r.forcePinChange ? 'yes' : 'no',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  return [header, ...cells].map((line) => line.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
}

function details(r: Row): string[] {
  const options = Object.entries(r.options).map(([k, v]) => `${k}=${v}`).join(' ');
  return [
    `Key ${r.index}: ${r.product ?? 'FIDO key'} (${r.kind === 'virtual' ? 'virtual' : 'USB'})`,
    `  path                 ${r.path}`,
    `  vendor / product id  ${r.vendorId} / ${r.productId}${r.manufacturer ? ` (${r.manufacturer})` : ''}`,
    `  serial               ${r.serial ?? 'none reported over USB'}`,
    `  AAGUID               ${r.aaguid}`,
    `  firmware             ${r.firmwareVersion ?? 'not reported'}`,
    `  CTAP versions        ${r.versions.join(', ')}`,
    `  extensions           ${r.extensions.join(', ') || 'none'}`,
    `  PIN protocols        ${r.pinUvAuthProtocols.join(', ') || 'none'}`,
    `  PIN                  ${r.pinSet ? `set, ${r.pinRetries ?? '?'} retries left` : 'not set'}`,
    `  minPINLength         ${r.minPinLength}`,
    `  forcePINChange       ${r.forcePinChange ? 'yes' : 'no'}`,
    `  resident key slots   ${r.remainingDiscoverableCredentials ?? 'not reported'}`,
    `  options              ${options}`,
  ];
}

async function withKey<T>(key: ListedKey, fn: (connection: CtapHidConnection) => Promise<T>): Promise<T> {
  const device = await key.backend.open(key.descriptor.path);
  try {
    const connection = await CtapHidConnection.open(device);
    try {
      return await fn(connection);
    } finally {
      await connection.close();
    }
  } finally {
    await device.close();
  }
}

async function summarize(key: ListedKey): Promise<Row> {
  const device = await key.backend.open(key.descriptor.path);
  try {
    return { index: key.index, ...(await inspectKey(device)) };
  } finally {
    await device.close();
  }
}

export async function keysCommand(argv: string[], io: Output): Promise<number> {
  const { values, positionals } = (() => {
    try {
      return parseArgs({ args: argv, allowPositionals: true, options: { virtual: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
    } catch (e) {
      throw new UsageError((e as Error).message, KEYS_USAGE);
    }
  })();
  if (values.help) {
    io.out(KEYS_USAGE);
    return EXIT.ok;
  }
  const [action = 'list', selector, ...extra] = positionals;
  if (!['list', 'info', 'wink', 'reset'].includes(action)) throw new UsageError(`unknown keys action "${action}"`, KEYS_USAGE);
  if (action === 'list' ? selector !== undefined : selector === undefined || extra.length > 0) {
    throw new UsageError(action === 'list' ? `unexpected argument "${selector}"` : `keys ${action} takes exactly one <key>`, KEYS_USAGE);
  }
  const sources = await keySources(parseCount(values.virtual, '--virtual', KEYS_USAGE));
  if (sources.realKeysUnavailable) io.err(sources.realKeysUnavailable);
  const keys = await listKeys(sources);

  if (action === 'list') {
    const rows: Row[] = [];
    for (const key of keys) rows.push(await summarize(key));
    if (values.json) io.out(JSON.stringify(rows, null, 2));
    else if (rows.length === 0) io.out('No FIDO keys found. Plug a key in, or add virtual keys with --virtual N.');
    else for (const line of table(rows)) io.out(line);
    return EXIT.ok;
  }

  const key = selectKey(keys, selector!);
  if (!key) {
    io.err(`No key "${selector}". Run \`keybench keys\` to see the keys and their numbers.`);
    return EXIT.notFound;
  }
  if (action === 'info') {
    const row = await summarize(key);
    if (values.json) io.out(JSON.stringify(row, null, 2));
    else for (const line of details(row)) io.out(line);
  } else if (action === 'wink') {
    await withKey(key, (c) => c.wink());
    io.out(`Key ${key.index} (${key.descriptor.path}) is blinking.`);
  } else {
    io.out(`Touch key ${key.index} now to confirm the reset (everything on it is erased)…`);
    await withKey(key, (c) => new Ctap2(c).reset({ timeoutMs: 30_000, onKeepalive: (s) => s === 'upneeded' && io.err('Waiting for a touch…') }));
    io.out(`Key ${key.index} is reset to factory state: no PIN, no credentials.`);
  }
  return EXIT.ok;
}
