// The `keybench` command line: dispatches to one file per command.
import { keysCommand } from './commands/keys.js';
import { serveCommand } from './commands/serve.js';
import { simCommand } from './commands/sim.js';
import { startCommand } from './commands/start.js';
import { virtualKeyCommand } from './commands/virtual-key.js';
import { EXIT, UsageError, processOutput, type Output } from './usage.js';

export const USAGE = `Usage: keybench <command> [options]
Commands:
  start         build and open the station (Electron, or browser mode where Electron is unavailable)
  serve         run the station and serve its UI to a browser   (keybench serve --help)
  keys          list FIDO keys; wink, reset or inspect one       (keybench keys --help)
  virtual-key   serve a virtual key over stdin/stdout            (keybench virtual-key --help)
  sim           run the embedded Okta preregistration simulator  (keybench sim --help)
  help          this text
Exit codes: 0 success, 1 the operation failed, 2 bad command line, 3 no such key.`;

const COMMANDS: Record<string, (argv: string[], io: Output) => Promise<number>> = {
  keys: keysCommand,
  'virtual-key': virtualKeyCommand,
  sim: simCommand,
  serve: serveCommand,
  start: startCommand,
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
