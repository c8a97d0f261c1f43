import { describe, expect, it } from 'vitest';
import { CupsPrinter } from '../../../../electron/core/station/printing/cups-printer.js';
import { osPrinter } from '../../../../electron/core/station/printing/os-printer.js';
import { PrintError } from '../../../../electron/core/station/printing/printer.js';

describe('the printer of each operating system', () => {
  it('is CUPS on Linux and macOS', () => {
    expect(osPrinter('linux')).toBeInstanceOf(CupsPrinter);
    expect(osPrinter('darwin')).toBeInstanceOf(CupsPrinter);
  });

  it('in plain Node on Windows refuses to list or print, and points to the desktop app', async () => {
    const printer = osPrinter('win32');
    await expect(printer.list()).rejects.toThrow(PrintError);
    await expect(printer.print({ pdf: new Uint8Array([1]), title: 'label' })).rejects.toThrow(/desktop app only.*email or hold.*PDF/);
  });
});
