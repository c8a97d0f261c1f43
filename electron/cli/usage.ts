// Command-line errors and exit codes shared by every `keybench` command.

export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  /** No such key or order, or no usable key. */
  notFound: 3,
  /** The Okta org did not answer. */
  unreachable: 4,
} as const;

/** A mistake in the command line: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message);
  }
}

export interface Output {
  out(line: string): void;
  err(line: string): void;
}

export const processOutput: Output = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
};
