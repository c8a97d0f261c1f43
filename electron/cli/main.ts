// The `keybench` command line: dispatches to one file per command.
import { auditCommand } from './commands/audit.js';
import { batchCommand } from './commands/batch.js';
import { benchCommand } from './commands/bench.js';
import { doctorCommand } from './commands/doctor.js';
import { keysCommand } from './commands/keys.js';
import { provisionCommand } from './commands/provision.js';
import { reportCommand } from './commands/report.js';
import { serveCommand } from './commands/serve.js';
import { simCommand } from './commands/sim.js';
import { startCommand } from './commands/start.js';
import { trustCommand } from './commands/trust.js';
import { virtualKeyCommand } from './commands/virtual-key.js';
import { EXIT, UsageError, processOutput, type Output } from './usage.js';

export const USAGE = `Usage: keybench <command> [options]
Commands:
  start         build and open the station (Electron, or browser mode where Electron is unavailable)
  serve         run the station and serve its UI to a browser   (keybench serve --help)
  keys          list FIDO keys; wink, reset or inspect one       (keybench keys --help)
  virtual-key   serve a virtual key over stdin/stdout            (keybench virtual-key --help)
  sim           run the embedded Okta preregistration simulator  (keybench sim --help)
  provision     provision one key for one user                   (keybench provision --help)
  batch         import, enroll ahead, run (online or offline), sync, status   (keybench batch --help)
  report        the journal's jobs as CSV or JSON                 (keybench report --help)
  audit         verify or export the tamper-evident audit trail  (keybench audit --help)
  doctor        check the Okta tenant and the orders' users      (keybench doctor --help)
  bench         measure throughput, CPU and memory               (keybench bench --help)
  trust         import FIDO metadata for the attestation check   (keybench trust --help)
  help          this text
Exit codes: 0 success, 1 the operation failed, 2 bad command line, 3 no such key or order (or no usable
key), 4 the Okta org does not answer.`;

const COMMANDS: Record<string, (argv: string[], io: Output) => Promise<number>> = {
  keys: keysCommand,
  'virtual-key': virtualKeyCommand,
  sim: simCommand,
  serve: serveCommand,
  start: startCommand,
  provision: provisionCommand,
  batch: batchCommand,
  report: reportCommand,
  audit: auditCommand,
  doctor: doctorCommand,
  bench: benchCommand,
  trust: trustCommand,
};

export async function main(argv: string[], io: Output = processOutput): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    io.out(USAGE);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  const run = COMMANDS[command];
  try {
    if (!run) throw new UsageError(`unknown command "${command}"`, USAGE);
    return await run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`keybench: ${e.message}`);
      io.err(e.usage);
      return EXIT.usage;
    }
    io.err(`keybench: ${e instanceof Error ? e.message : String(e)}`);
    return EXIT.failed;
  }
}
