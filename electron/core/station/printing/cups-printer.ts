// Printing on Linux and macOS through CUPS' own command-line tools. The PDF goes to `lp` on stdin, so
// keybench never writes it to a file; argv is fixed and no shell is involved, so neither a printer name
// nor a title can become a command. cupsd itself spools every job under /var/spool/cups (root only) and,
// with a stock cupsd.conf, keeps the document there for a day after printing (PreserveJobFiles 86400): a
// station must run with `PreserveJobFiles No`. For the same reason a stopped printer is refused up front
// rather than left holding a PIN mailer in its queue.
import { spawn } from 'node:child_process';
import { basename } from 'node:path';
import { PrintError, type Printer, type PrinterInfo, type PrinterState, type PrintMedia, type PrintReceipt, type PrintRequest } from './printer.js';

export interface CupsPrinterOptions {
  /** Path or name of `lp`; tests point it at a fake. */
  readonly lp?: string;
  /** Path or name of `lpstat`. */
  readonly lpstat?: string;
  /** Longest any one command may run before it is killed. */
  readonly timeoutMs?: number;
  /** Environment for the commands; the locale is always forced to C so their output can be parsed. */
  readonly env?: NodeJS.ProcessEnv;
}

/** PWG media names (PWG 5101.1); CUPS matches them to the driver's page sizes by dimensions. */
export const CUPS_MEDIA: Readonly<Record<PrintMedia, string>> = {
  '62mm': 'custom_62x100mm_62x100mm',
  '4x6in': 'na_index-4x6_4x6in',
  a4: 'iso_a4_210x297mm',
  letter: 'na_letter_8.5x11in',
};

const DEFAULT_TIMEOUT_MS = 30_000;
/** lpstat on a station lists a handful of queues; anything beyond this is not worth holding. */
const MAX_OUTPUT_BYTES = 1024 * 1024;
/** IPP job-name is at most 255 octets. */
const MAX_TITLE_LENGTH = 255;
const SCHEDULER_DOWN = /scheduler (?:is )?not (?:responding|running)|unable to connect|connection refused/i;

/** A queue as `lpstat -l -p` describes it; `reason` is the printer's state message when it is stopped. */
export interface QueueStatus {
  readonly name: string;
  readonly state: PrinterState;
  readonly description?: string;
  readonly reason?: string;
}

interface Survey {
  readonly printers: PrinterInfo[];
  readonly reasons: ReadonlyMap<string, string>;
}

interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export class CupsPrinter implements Printer {
  readonly #lp: string;
  readonly #lpstat: string;
  readonly #timeoutMs: number;
  readonly #env: NodeJS.ProcessEnv;

  constructor(options: CupsPrinterOptions = {}) {
    this.#lp = options.lp ?? 'lp';
    this.#lpstat = options.lpstat ?? 'lpstat';
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    // lpstat and lp translate their sentences; only the C locale has the ones parsed here.
    this.#env = { ...(options.env ?? process.env), LC_ALL: 'C', LANG: 'C' };
  }

  async list(signal?: AbortSignal): Promise<PrinterInfo[]> {
    return (await this.#survey(signal)).printers;
  }

  async print(request: PrintRequest, signal?: AbortSignal): Promise<PrintReceipt> {
    const { printers, reasons } = await this.#survey(signal);
    const name = request.printer ?? printers.find((p) => p.isDefault)?.name;
    if (name === undefined) throw printers.length === 0 ? PrintError.noPrinters() : PrintError.noDefaultPrinter();
    const target = printers.find((p) => p.name === name);
    if (!target) throw PrintError.unknownPrinter(name, printers.map((p) => p.name));
    if (target.state === 'stopped') throw PrintError.printerStopped(name, reasons.get(name));

    const args = ['-d', name, '-t', jobTitle(request.title), '-o', 'document-format=application/pdf'];
    if (request.media) args.push('-o', `media=${CUPS_MEDIA[request.media]}`);
    // A bare `-` must come last: lp stops reading its arguments there and prints standard input.
    args.push('-');
    const result = await this.#run(this.#lp, args, signal, request.pdf);
    if (result.code !== 0) {
      const detail = oneLine(result.stderr) || oneLine(result.stdout) || `exit status ${String(result.code)}`;
      throw new PrintError(
        'spooler-failed',
        `lp could not queue the document on printer ${name}: ${detail}. Check the printer in the system's printer settings, then retry.`,
      );
    }
    const jobRef = parseLpRequestId(`${result.stdout}\n${result.stderr}`);
    return jobRef === undefined ? { printer: name, via: 'cups' } : { printer: name, jobRef, via: 'cups' };
  }

  async #survey(signal?: AbortSignal): Promise<Survey> {
    const [destinations, fallback, status] = await Promise.all([
      this.#run(this.#lpstat, ['-e'], signal),
      this.#run(this.#lpstat, ['-d'], signal),
      this.#run(this.#lpstat, ['-l', '-p'], signal),
    ]);
    for (const result of [destinations, status]) {
      if (result.code !== 0 && SCHEDULER_DOWN.test(result.stderr)) {
        throw new PrintError(
          'unavailable',
          `The CUPS print service is not answering (${oneLine(result.stderr)}): start it (Linux: sudo systemctl start cups), then retry.`,
        );
      }
    }
    // `lpstat -p` exits 1 on a host with no queues at all; that is an empty list, not a failure.
    const queues = parseLpstatPrinters(status.stdout);
    const defaultName = parseLpstatDefault(fallback.stdout);
    const names = [...parseLpstatDestinations(destinations.stdout)];
    for (const queue of queues.values()) if (!names.includes(queue.name)) names.push(queue.name);

    const reasons = new Map<string, string>();
    const printers = names.map((name): PrinterInfo => {
      // An instance ("office/duplex") is a set of saved options on its queue and shares its status.
      const queue = queues.get(name) ?? queues.get(name.split('/', 1)[0] ?? name);
      if (queue?.reason) reasons.set(name, queue.reason);
      return {
        name,
        isDefault: name === defaultName,
        state: queue?.state ?? 'unknown',
        ...(queue?.description ? { description: queue.description } : {}),
      };
    });
    return { printers, reasons };
  }

  /** Runs one command without a shell; `stdin` is written from a private copy that is zeroed once it is done. */
  #run(command: string, args: readonly string[], signal: AbortSignal | undefined, stdin?: Uint8Array): Promise<CommandResult> {
    signal?.throwIfAborted();
    return new Promise<CommandResult>((resolve, reject) => {
      const input = stdin ? new Uint8Array(stdin) : undefined;
      const child = spawn(command, args, { env: this.#env, stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'], shell: false });
      const stdout = new OutputCollector();
      const stderr = new OutputCollector();
      let settled = false;

      const finish = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        input?.fill(0);
        outcome();
      };
      const onAbort = (): void => {
        child.kill('SIGKILL');
        finish(() => reject(signal?.reason));
      };
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        finish(() =>
          reject(
            new PrintError(
              'spooler-failed',
              `${basename(command)} did not finish within ${Math.round(this.#timeoutMs / 1000)} s: check that the CUPS service is running and look in the printer's queue before retrying (a job may have been queued).`,
            ),
          ),
        );
      }, this.#timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });

      child.stdout?.on('data', (chunk: Buffer) => stdout.add(chunk));
      child.stderr?.on('data', (chunk: Buffer) => stderr.add(chunk));
      child.once('error', (error: NodeJS.ErrnoException) => {
        finish(() => reject(spawnFailure(command, error)));
      });
      child.once('close', (code) => {
        finish(() => resolve({ code, stdout: stdout.text(), stderr: stderr.text() }));
      });
      if (child.stdin && input) {
        // lp may exit before reading everything (unknown option, no scheduler); its exit status says why.
        child.stdin.on('error', () => undefined);
        child.stdin.end(input);
      }
    });
  }
}

/** `lpstat -e`: one destination per line, instances as `name/instance`. */
export function parseLpstatDestinations(output: string): string[] {
  return output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^\S+$/.test(line));
}

/** `lpstat -d`: "system default destination: NAME" (or NAME/INSTANCE), or "no system default destination". */
export function parseLpstatDefault(output: string): string | undefined {
  return /^system default destination: (\S+)\s*$/m.exec(output)?.[1];
}

/**
 * `lpstat -p` / `lpstat -l -p`, CUPS' sentences in the C locale:
 *   printer NAME is idle.  enabled since DATE
 *   printer NAME now printing NAME-42.  enabled since DATE
 *   printer NAME is holding new jobs.  enabled since DATE
 *   printer NAME disabled since DATE -
 *   <TAB>state message, or "reason unknown"
 *   <TAB>Description: TEXT            (with -l)
 */
export function parseLpstatPrinters(output: string): Map<string, QueueStatus> {
  const queues = new Map<string, QueueStatus>();
  let current: { name: string; state: PrinterState; description?: string; reason?: string; awaitingReason: boolean } | undefined;
  const flush = (): void => {
    if (!current) return;
    const { name, state, description, reason } = current;
    queues.set(name, { name, state, ...(description ? { description } : {}), ...(reason ? { reason } : {}) });
  };
  for (const line of output.split('\n')) {
    const header = /^printer (\S+) (.*)$/.exec(line);
    if (header) {
      flush();
      const [, name = '', rest = ''] = header;
      const state = queueState(rest);
      current = { name, state, awaitingReason: state === 'stopped' };
      continue;
    }
    if (!current || !/^\s/.test(line) || line.trim() === '') continue;
    const text = line.trim();
    if (current.awaitingReason) {
      // A stopped queue always has its reason on the next indented line.
      current.awaitingReason = false;
      if (text !== 'reason unknown') current.reason = text;
      continue;
    }
    const description = /^Description: ?(.*)$/.exec(text);
    if (description?.[1]) current.description = description[1].trim();
  }
  flush();
  return queues;
}

/** "request id is office-42 (0 file(s))" → "office-42" (0 files when printing standard input). */
export function parseLpRequestId(output: string): string | undefined {
  return /request id is (\S+-\d+) \(\d+ file\(s\)\)/.exec(output)?.[1];
}

function queueState(sentence: string): PrinterState {
  if (sentence.startsWith('is idle.')) return 'idle';
  if (sentence.startsWith('now printing')) return 'printing';
  if (sentence.startsWith('disabled since')) return 'stopped';
  // Held jobs wait in the spool until someone releases them: for a PIN mailer that is as bad as stopped.
  if (sentence.startsWith('is holding new jobs.')) return 'stopped';
  return 'unknown';
}

function jobTitle(title: string): string {
  const clean = title.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return (clean || 'keybench').slice(0, MAX_TITLE_LENGTH);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}

function spawnFailure(command: string, error: NodeJS.ErrnoException): PrintError {
  const tool = basename(command);
  if (error.code === 'ENOENT' || error.code === 'EACCES') {
    return new PrintError(
      'unavailable',
      `The CUPS printing tools are not installed (${tool} not found): install CUPS (Debian/Ubuntu: sudo apt install cups-client; macOS ships it), then retry.`,
      { cause: error },
    );
  }
  return new PrintError('unavailable', `${tool} could not be started (${error.code ?? error.message}): check the CUPS installation, then retry.`, { cause: error });
}

class OutputCollector {
  readonly #chunks: Buffer[] = [];
  #bytes = 0;

  add(chunk: Buffer): void {
    if (this.#bytes >= MAX_OUTPUT_BYTES) return;
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
  }

  text(): string {
    return Buffer.concat(this.#chunks).toString('utf8');
  }
}
