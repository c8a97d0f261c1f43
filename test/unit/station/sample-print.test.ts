// The sample mailer from Settings → Printing through the station service: it reaches the chosen printer as a
// marked letter with no PIN, is refused without a printer, passes the printer's own failure on, and is audited.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../../electron/contract/index.js';
import { pinMailerLayout } from '../../../electron/core/station/documents/pin-mailer.js';
import { PrintError, type Printer, type PrintReceipt, type PrintRequest } from '../../../electron/core/station/printing/printer.js';
import { createStationBackend, type StationService } from '../../../electron/core/station/service.js';
import { pdfText, pdfWords, wordsInside } from '../helpers/pdf-peer.js';

/** A printer that keeps what it was given, or fails the way a stopped CUPS queue does. */
class PaperTray implements Printer {
  readonly jobs: PrintRequest[] = [];
  fail: PrintError | undefined;
  async list() {
    return [{ name: 'Office', isDefault: true }];
  }
  async print(request: PrintRequest): Promise<PrintReceipt> {
    if (this.fail) throw this.fail;
    this.jobs.push({ ...request, pdf: Uint8Array.from(request.pdf) });
    return { printer: request.printer ?? 'Office', via: 'cups', jobRef: `Office-${this.jobs.length}` };
  }
}

let dir: string;
let station: StationService;
let tray: PaperTray;

async function call(channel: string, args: unknown = {}) {
  return dispatch(station.backend, channel, args, (_c, e) => {
    throw e;
  });
}

async function auditEntries(): Promise<{ type: string; actor?: string; data: Record<string, unknown> }[]> {
  const exported = await call('audit.export', { format: 'jsonl' });
  if (!exported.ok) throw new Error(exported.error.message);
  return (exported.data as { content: string }).content
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => JSON.parse(line) as { type: string; actor?: string; data: Record<string, unknown> });
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keybench-sample-print-'));
  tray = new PaperTray();
  station = await createStationBackend({ dataDir: dir, realKeys: false, virtualKeys: 0, printer: tray, probeIntervalMs: 60_000 });
});

afterEach(async () => {
  await station.close();
  await rm(dir, { recursive: true, force: true });
});

describe('printers.sample', () => {
  it('prints a sample mailer with no PIN on the chosen printer and paper, and audits it', async () => {
    expect(await call('settings.update', { printer: 'Office', operator: 'tess' })).toMatchObject({ ok: true });
    const answer = await call('printers.sample');
    expect(answer).toEqual({ ok: true, data: { message: 'Sample mailer sent to Office: hold it behind a window envelope; the address must sit inside the dashed outline.' } });

    expect(tray.jobs).toHaveLength(1);
    const [job] = tray.jobs;
    expect(job).toMatchObject({ printer: 'Office', title: 'keybench sample mailer', media: 'a4' });
    const text = await pdfText(job!.pdf);
    expect(text).toContain('SAMPLE');
    expect(text).toContain('Keybench Demo');
    const [page] = await pdfWords(job!.pdf);
    const pinBox = wordsInside(page!, pinMailerLayout('a4').pinBox).map((word) => word.text);
    expect(pinBox).toEqual(['PIN', 'SAMPLE']);
    expect(pinBox.join(' ')).not.toMatch(/\d/);

    const audited = (await auditEntries()).filter((entry) => entry.type === 'sample-printed');
    expect(audited).toEqual([expect.objectContaining({ actor: 'tess', data: { printer: 'Office', paper: 'a4' } })]);
  });

  it('prints on the paper asked for, defaulting to the saved one', async () => {
    await call('settings.update', { printer: 'Office', paper: 'letter' });
    await call('printers.sample');
    await call('printers.sample', { paper: 'a4' });
    expect(tray.jobs.map((job) => job.media)).toEqual(['letter', 'a4']);
    const [letter] = await pdfWords(tray.jobs[0]!.pdf);
    expect(letter!.width).toBeCloseTo(612, 0);
    expect(wordsInside(letter!, pinMailerLayout('letter').window).map((word) => word.text).join(' ')).toBe('Sample Recipient 123 Sample Street Anytown, NY 12345 USA');
    expect((await auditEntries()).filter((entry) => entry.type === 'sample-printed').map((entry) => entry.data.paper)).toEqual(['letter', 'a4']);
  });

  it('is refused, saying to choose a printer, when none is chosen', async () => {
    const answer = await call('printers.sample', { paper: 'a4' });
    expect(answer).toMatchObject({ ok: false, error: { code: 'conflict', message: expect.stringMatching(/No printer is chosen/) } });
    expect(tray.jobs).toEqual([]);
    expect((await auditEntries()).some((entry) => entry.type === 'sample-printed')).toBe(false);
  });

  it("passes the printer's failure on in its own words and audits nothing", async () => {
    await call('settings.update', { printer: 'Office' });
    tray.fail = new PrintError('printer-stopped', 'Printer Office is stopped (out of paper): fix it, then retry.');
    expect(await call('printers.sample')).toEqual({ ok: false, error: { code: 'unavailable', message: 'Printer Office is stopped (out of paper): fix it, then retry.' } });
    expect((await auditEntries()).some((entry) => entry.type === 'sample-printed')).toBe(false);
  });

  it('refuses arguments outside the contract', async () => {
    await call('settings.update', { printer: 'Office' });
    expect(await call('printers.sample', { paper: 'a5' })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(await call('printers.sample', { printer: 'Elsewhere' })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(tray.jobs).toEqual([]);
  });
});
