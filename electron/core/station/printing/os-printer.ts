// The station's printer for this operating system: CUPS where it exists (Linux, macOS). Windows has no CUPS
// and keybench has no Windows spooler path yet, so there every print request says so and what to do instead.
import { CupsPrinter } from './cups-printer.js';
import { PrintError, type Printer } from './printer.js';

const NO_WINDOWS_PRINTING =
  'keybench cannot print on Windows yet. Deliver PINs by email or hold them until delivery is confirmed, and save key labels as PDF.';

/** Why this operating system cannot print from keybench, or undefined when it can. */
export function printingUnavailable(platform: NodeJS.Platform = process.platform): string | undefined {
  return platform === 'win32' ? NO_WINDOWS_PRINTING : undefined;
}

export function osPrinter(platform: NodeJS.Platform = process.platform): Printer {
  if (printingUnavailable(platform) === undefined) return new CupsPrinter();
  return {
    list: async () => {
      throw new PrintError('unavailable', NO_WINDOWS_PRINTING);
    },
    print: async () => {
      throw new PrintError('unavailable', NO_WINDOWS_PRINTING);
    },
  };
}
