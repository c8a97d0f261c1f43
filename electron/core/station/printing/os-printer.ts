// The station's printer for this operating system when it runs in plain Node (browser mode, the CLI): CUPS
// where it exists (Linux, macOS). Windows has no CUPS; there the desktop app prints through Electron
// (electron/main/printing) and hands that printer in, so this one only says where printing works.
import { CupsPrinter } from './cups-printer.js';
import { PrintError, type Printer } from './printer.js';

const NO_WINDOWS_PRINTING =
  'On Windows keybench prints from the desktop app only. Start the keybench app to print, or here deliver PINs by email or hold, download mailers once from the browser, and save key labels as PDF.';

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
