// `keybench virtual-key --stdio`: one virtual key as 64-byte CTAPHID records on stdin/stdout, so any CTAP
// client in another process (python-fido2, libfido2, a vendor tool) can drive it.
import { parseVirtualKeyFlags } from '../../core/virtual-key/options.js';
import { serveStdio } from '../../core/virtual-key/stdio.js';
import { VirtualKey } from '../../core/virtual-key/virtual-key.js';
import { EXIT, UsageError, type Output } from '../usage.js';

export const VIRTUAL_KEY_USAGE = `Usage: keybench virtual-key --stdio [knobs…]
Serves one virtual key: each 64-byte record on stdin is a HID report to the key, each record on stdout a report from it.
Knobs:
  --pin-protocols 2,1        PIN/UV auth protocols offered, in preference order
  --ep | --no-ep             enterprise attestation supported or not
  --cred-protect | --no-cred-protect
  --min-pin-length-ext | --no-min-pin-length-ext
  --touch auto[:MS] | manual[:MS]   user presence arrives by itself after MS, or never (times out after MS)
  --latency MS | CMD:MS      delay before replies (all commands, or one, e.g. makeCredential:300)
  --capacity N               resident credential slots
  --serial S  --firmware X.Y.Z  --product NAME  --aaguid UUID
  --min-pin-length N         the key's minimum PIN length
  --pin-retries-before-set retries|pin-not-set
  --fail CMD:STATUS[:once|always]   answer CMD with a CTAP status (e.g. makeCredential:0x28)
  --unplug-during CMD        vanish in the middle of CMD's reply
  --garble P                 corrupt reply frames with probability P
  --seed S                   deterministic keys and faults
  --reset-window MS          how long after power-up a reset is allowed (default 10000)`;

export async function virtualKeyCommand(argv: string[], io: Output): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out(VIRTUAL_KEY_USAGE);
    return EXIT.ok;
  }
  const parsed = parseVirtualKeyFlags(argv);
  if (!parsed.ok) throw new UsageError(parsed.error.message, VIRTUAL_KEY_USAGE);
  const unknown = parsed.rest.filter((a) => a !== '--stdio');
  if (unknown.length > 0) throw new UsageError(`unknown argument "${unknown[0]}"`, VIRTUAL_KEY_USAGE);
  if (!parsed.rest.includes('--stdio')) throw new UsageError('virtual-key needs --stdio (the only transport it serves)', VIRTUAL_KEY_USAGE);
  const key = new VirtualKey(parsed.overrides);
  await serveStdio(key.open(), process.stdin, process.stdout);
  return EXIT.ok;
}
