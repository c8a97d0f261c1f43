import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CupsPrinter,
  parseLpRequestId,
  parseLpstatDefault,
  parseLpstatPrinters,
} from '../../../../electron/core/station/printing/cups-printer.js';
import { PrintError } from '../../../../electron/core/station/printing/printer.js';

// Output shapes of CUPS 2.x in the C locale (systemv/lpstat.c, systemv/lp.c; lpstat(1)).
const LPSTAT_E = ['Label_QL820', 'Office_Laser', 'Office_Laser/duplex', 'Old_Inkjet', ''].join('\n');
const LPSTAT_D = 'system default destination: Office_Laser\n';
const LONG_DETAILS = (description: string, ppd: string): string[] => [
  '\tForm mounted:',
  '\tContent types: any',
  '\tPrinter types: unknown',
  `\tDescription: ${description}`,
  '\tAlerts: none',
  '\tLocation: Bench 3',
  '\tConnection: direct',
  `\tInterface: /etc/cups/ppd/${ppd}.ppd`,
  '\tOn fault: no alert',
  '\tAfter fault: continue',
  '\tUsers allowed:',
  '\t\t(all)',
  '\tForms allowed:',
  '\t\t(none)',
  '\tBanner required',
  '\tCharset sets:',
  '\t\t(none)',
  '\tDefault pitch:',
  '\tDefault page size:',
  '\tDefault port settings:',
];
const LPSTAT_L_P = [
  'printer Label_QL820 now printing Label_QL820-17.  enabled since Tue 05 Mar 2024 09:12:44 AM CET',
  ...LONG_DETAILS('Brother QL-820NWB', 'Label_QL820'),
  'printer Office_Laser is idle.  enabled since Mon 04 Mar 2024 04:01:10 PM CET',
  ...LONG_DETAILS('HP LaserJet M404', 'Office_Laser'),
  'printer Old_Inkjet disabled since Mon 04 Mar 2024 11:30:02 AM CET -',
  '\tPaused',
  ...LONG_DETAILS('Old inkjet', 'Old_Inkjet'),
  '',
].join('\n');

interface Reply {
  stdout?: string;
  stderr?: string;
  exitCode?: number;
  hang?: boolean;
}

interface Call {
  argv: string[];
  stdinSha256: string;
  lcAll: string | undefined;
}

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'keybench-cups-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A stand-in for lp or lpstat (a shell script): replies by argv, and logs argv plus a digest of its stdin. */
function fakeCommand(name: string, replies: Record<string, Reply>, fallback: Reply = { stderr: `${name}: unexpected arguments\n`, exitCode: 2 }): string {
  const path = join(dir, name);
  const branch = (pattern: string, reply: Reply, index: number): string => {
    if (reply.hang) return `  ${pattern}) exec sleep 600 ;;`;
    const out = join(dir, `${name}.${index}.out`);
    const err = join(dir, `${name}.${index}.err`);
    writeFileSync(out, reply.stdout ?? '');
    writeFileSync(err, reply.stderr ?? '');
    return `  ${pattern}) cat ${quote(out)}; cat ${quote(err)} >&2; exit ${reply.exitCode ?? 0} ;;`;
  };
  const branches = Object.entries(replies).map(([argv, reply], index) => branch(quote(argv), reply, index));
  branches.push(branch('*', fallback, branches.length));
  writeFileSync(
    path,
    [
      '#!/bin/sh',
      'if command -v sha256sum >/dev/null 2>&1; then digest=$(sha256sum); else digest=$(shasum -a 256); fi',
      `{ for a in "$@"; do printf '%s\\037' "$a"; done; printf '\\036%s\\036%s\\n' "\${digest%% *}" "\${LC_ALL-}"; } >> ${quote(logOf(name))}`,
      'case "$*" in',
      ...branches,
      'esac',
      '',
    ].join('\n'),
  );
  chmodSync(path, 0o755);
  return path;
}

function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function logOf(name: string): string {
  return join(dir, `${name}.calls`);
}

function callsOf(name: string): Call[] {
  if (!existsSync(logOf(name))) return [];
  return readFileSync(logOf(name), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [args = '', stdinSha256 = '', lcAll = ''] = line.split('\x1e');
      return { argv: args.split('\x1f').slice(0, -1), stdinSha256, lcAll: lcAll || undefined };
    });
}

function standardLpstat(overrides: Record<string, Reply> = {}): string {
  return fakeCommand('lpstat', {
    '-e': { stdout: LPSTAT_E },
    '-d': { stdout: LPSTAT_D },
    '-l -p': { stdout: LPSTAT_L_P },
    ...overrides,
  });
}

function acceptingLp(jobId = 42): string {
  // lp prints the request id on stdout; from standard input it counts 0 files.
  return fakeCommand('lp', {}, { stdout: `request id is Office_Laser-${jobId} (0 file(s))\n` });
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function printError(promise: Promise<unknown>): Promise<PrintError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PrintError);
  return error as PrintError;
}

describe('CupsPrinter.list', () => {
  it('lists every destination with the default marked and each queue state from lpstat', async () => {
    const printer = new CupsPrinter({ lpstat: standardLpstat(), lp: acceptingLp(), env: { LC_ALL: 'de_DE.UTF-8', PATH: process.env.PATH } });
    const printers = await printer.list();
    expect(printers).toEqual([
      { name: 'Label_QL820', isDefault: false, state: 'printing', description: 'Brother QL-820NWB' },
      { name: 'Office_Laser', isDefault: true, state: 'idle', description: 'HP LaserJet M404' },
      { name: 'Office_Laser/duplex', isDefault: false, state: 'idle', description: 'HP LaserJet M404' },
      { name: 'Old_Inkjet', isDefault: false, state: 'stopped', description: 'Old inkjet' },
    ]);
    const calls = callsOf('lpstat');
    expect(calls.map((c) => c.argv).sort()).toEqual([['-d'], ['-e'], ['-l', '-p']]);
    // Translated sentences would not parse: the locale is forced whatever the caller's environment says.
    expect(calls.every((c) => c.lcAll === 'C')).toBe(true);
  });

  it('returns no printers on a host with CUPS and no queues (lpstat -p exits 1 there)', async () => {
    const lpstat = fakeCommand('lpstat', {
      '-e': { stdout: '' },
      '-d': { stdout: 'no system default destination\n' },
      '-l -p': { stderr: 'lpstat: No destinations added.\n', exitCode: 1 },
    });
    expect(await new CupsPrinter({ lpstat }).list()).toEqual([]);
  });

  it('says CUPS is not installed when lpstat does not exist', async () => {
    const error = await printError(new CupsPrinter({ lpstat: join(dir, 'missing', 'lpstat') }).list());
    expect(error.code).toBe('unavailable');
    expect(error.message).toContain('apt install cups-client');
  });

  it('says the print service is down when the scheduler does not answer', async () => {
    const down = { stderr: 'lpstat: error - scheduler not responding.\n', exitCode: 1 };
    const lpstat = fakeCommand('lpstat', { '-e': down, '-d': down, '-l -p': down });
    const error = await printError(new CupsPrinter({ lpstat }).list());
    expect(error.code).toBe('unavailable');
    expect(error.message).toContain('systemctl start cups');
  });
});

describe('lpstat and lp output parsing', () => {
  it('reads short lpstat -p output, including held queues and unknown reasons', () => {
    const queues = parseLpstatPrinters(
      [
        'printer Front_Desk is idle.  enabled since Wed Jan 10 08:00:00 2024',
        'printer Shipping is holding new jobs.  enabled since Wed Jan 10 08:00:00 2024',
        'printer Broken disabled since Wed Jan 10 08:00:00 2024 -',
        '\treason unknown',
        'printer Jammed disabled since Wed Jan 10 08:00:00 2024 -',
        '\tMedia jam in tray 2',
        '',
      ].join('\n'),
    );
    expect([...queues.values()]).toEqual([
      { name: 'Front_Desk', state: 'idle' },
      { name: 'Shipping', state: 'stopped' },
      { name: 'Broken', state: 'stopped' },
      { name: 'Jammed', state: 'stopped', reason: 'Media jam in tray 2' },
    ]);
  });

  it('reads the default destination and the request id', () => {
    expect(parseLpstatDefault('system default destination: Office_Laser/duplex\n')).toBe('Office_Laser/duplex');
    expect(parseLpstatDefault('no system default destination\n')).toBeUndefined();
    expect(parseLpRequestId('request id is Label_QL820-1234 (0 file(s))\n')).toBe('Label_QL820-1234');
    expect(parseLpRequestId('lp: Error - The printer or class does not exist.\n')).toBeUndefined();
  });
});

describe('CupsPrinter.print', () => {
  it('sends the PDF to lp on standard input, byte for byte, with no file anywhere in its arguments', async () => {
    // Larger than a pipe buffer, with every byte value, so a partial or re-encoded write would show.
    const pdf = new Uint8Array(randomBytes(300 * 1024));
    const before = sha256(pdf);
    const printer = new CupsPrinter({ lpstat: standardLpstat(), lp: acceptingLp(42) });

    const receipt = await printer.print({ pdf, printer: 'Office_Laser', title: 'PIN mailer for alice@example.com', media: 'a4' });

    expect(receipt).toEqual({ printer: 'Office_Laser', jobRef: 'Office_Laser-42', via: 'cups' });
    const [call, ...more] = callsOf('lp');
    expect(more).toHaveLength(0);
    expect(call?.stdinSha256).toBe(before);
    expect(call?.argv).toEqual([
      '-d',
      'Office_Laser',
      '-t',
      'PIN mailer for alice@example.com',
      '-o',
      'document-format=application/pdf',
      '-o',
      'media=iso_a4_210x297mm',
      '-',
    ]);
    for (const argument of call?.argv ?? []) expect(existsSync(argument) && argument !== '-').toBe(false);
    // The caller's bytes are the caller's to wipe; lp got a private copy.
    expect(sha256(pdf)).toBe(before);
  });

  it('uses the system default printer when none is chosen, and keeps control characters out of the title', async () => {
    const printer = new CupsPrinter({ lpstat: standardLpstat(), lp: acceptingLp(7) });
    const receipt = await printer.print({ pdf: new Uint8Array([0x25, 0x50, 0x44, 0x46]), title: 'Key label\nline two\u0007' });
    expect(receipt.printer).toBe('Office_Laser');
    expect(receipt.jobRef).toBe('Office_Laser-7');
    const argv = callsOf('lp')[0]?.argv ?? [];
    expect(argv.slice(0, 4)).toEqual(['-d', 'Office_Laser', '-t', 'Key label line two']);
    expect(argv.some((a) => a.startsWith('media='))).toBe(false);
  });

  it('refuses a stopped printer before anything is sent, and says how to resume it', async () => {
    const printer = new CupsPrinter({ lpstat: standardLpstat(), lp: acceptingLp() });
    const error = await printError(printer.print({ pdf: new Uint8Array([1, 2, 3]), printer: 'Old_Inkjet', title: 'PIN mailer' }));
    expect(error.code).toBe('printer-stopped');
    expect(error.message).toContain('Printer Old_Inkjet is stopped (Paused)');
    expect(error.message).toContain('resume it');
    expect(callsOf('lp')).toHaveLength(0);
  });

  it('names the known printers when asked for one that does not exist', async () => {
    const printer = new CupsPrinter({ lpstat: standardLpstat(), lp: acceptingLp() });
    const error = await printError(printer.print({ pdf: new Uint8Array([1]), printer: 'Basement', title: 'Label' }));
    expect(error.code).toBe('unknown-printer');
    expect(error.message).toContain('Basement');
    expect(error.message).toContain('Label_QL820, Office_Laser, Office_Laser/duplex, Old_Inkjet');
    expect(callsOf('lp')).toHaveLength(0);
  });

  it('asks for a printer when none is chosen and the system has no default', async () => {
    const lpstat = standardLpstat({ '-d': { stdout: 'no system default destination\n' } });
    const error = await printError(new CupsPrinter({ lpstat, lp: acceptingLp() }).print({ pdf: new Uint8Array([1]), title: 'Label' }));
    expect(error.code).toBe('no-printer');
    expect(callsOf('lp')).toHaveLength(0);
  });

  it('reports lp failing as a spooler failure with its message on one line', async () => {
    const lp = fakeCommand('lp', {}, { stderr: 'lp: Destination "Office_Laser" is not accepting jobs.\n\n', exitCode: 1 });
    const printer = new CupsPrinter({ lpstat: standardLpstat(), lp });
    const error = await printError(printer.print({ pdf: new Uint8Array([1, 2]), printer: 'Office_Laser', title: 'PIN mailer' }));
    expect(error.code).toBe('spooler-failed');
    expect(error.message).toContain('lp: Destination "Office_Laser" is not accepting jobs.');
    expect(error.message).not.toMatch(/\n/);
  });

  it('says CUPS is not installed when lp does not exist', async () => {
    const printer = new CupsPrinter({ lpstat: standardLpstat(), lp: join(dir, 'nowhere', 'lp') });
    const error = await printError(printer.print({ pdf: new Uint8Array([1]), printer: 'Office_Laser', title: 'Label' }));
    expect(error.code).toBe('unavailable');
    expect(error.message).toContain('lp not found');
    expect(error.message).toContain('apt install cups-client');
  });

  it('kills an lp that never finishes and warns that a job may already be queued', async () => {
    const lp = fakeCommand('lp', {}, { hang: true });
    const printer = new CupsPrinter({ lpstat: standardLpstat(), lp, timeoutMs: 1_500 });
    const error = await printError(printer.print({ pdf: new Uint8Array([1]), printer: 'Office_Laser', title: 'Label' }));
    expect(error.code).toBe('spooler-failed');
    expect(error.message).toContain('lp did not finish');
    expect(error.message).toContain('a job may have been queued');
  });

  it('stops when the caller aborts', async () => {
    const lp = fakeCommand('lp', {}, { hang: true });
    const printer = new CupsPrinter({ lpstat: standardLpstat(), lp });
    const controller = new AbortController();
    const printing = printer.print({ pdf: new Uint8Array([1]), printer: 'Office_Laser', title: 'Label' }, controller.signal);
    setTimeout(() => controller.abort(new Error('technician cancelled')), 300);
    await expect(printing).rejects.toThrow('technician cancelled');
  });
});
