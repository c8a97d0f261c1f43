// `keybench report`: the journal's jobs as CSV (one row per job) or JSON (summary and jobs), for a batch
// or a day. Reads the journal only; it may run while a station works on the same file.
import { parseArgs } from 'node:util';
import { summarize, toCsv, toJson } from '../../core/station/report.js';
import { openJournal, stationArgs } from '../station-runtime.js';
import { EXIT, UsageError, type Output } from '../usage.js';

export const REPORT_USAGE = `Usage: keybench report [--format csv|json] [--batch ID] [--day YYYY-MM-DD] [--db FILE] [--sim]
Prints the provisioning jobs of the journal: CSV (default; a header row, one row per job) or JSON (a
summary — counts, durations, failures by cause, keys per hour — and the jobs). No secret is in either.
  --format F     csv or json
  --batch ID     only the jobs of this batch (the import's batch id)
  --day DAY      only the jobs started on this day (local time)
  --db FILE      the journal (default $KEYBENCH_DATA/journal.db; with --sim journal-sim.db)
Exit codes: 0 printed, 2 bad command line.`;

export async function reportCommand(argv: string[], io: Output): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { format: { type: 'string' }, batch: { type: 'string' }, day: { type: 'string' }, db: { type: 'string' }, sim: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message, REPORT_USAGE);
  }
  if (values.help) {
    io.out(REPORT_USAGE);
    return EXIT.ok;
  }
  const format = values.format ?? 'csv';
  if (format !== 'csv' && format !== 'json') throw new UsageError(`--format takes csv or json, got "${format}"`, REPORT_USAGE);
  let day: { start: number; end: number } | undefined;
  if (values.day !== undefined) {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(values.day);
    const [year, month, date] = match ? [Number(match[1]), Number(match[2]) - 1, Number(match[3])] : [0, 0, 0];
    const start = new Date(year, month, date);
    // new Date() rolls 2024-02-30 over into March: a date that does not round-trip does not exist.
    if (!match || start.getFullYear() !== year || start.getMonth() !== month || start.getDate() !== date) {
      throw new UsageError(`--day takes a date as YYYY-MM-DD, got "${values.day}"`, REPORT_USAGE);
    }
    const end = new Date(start);
    end.setDate(end.getDate() + 1);
    day = { start: start.getTime(), end: end.getTime() };
  }
  const journal = openJournal(stationArgs({ db: values.db, sim: values.sim }, REPORT_USAGE));
  try {
    const records = journal
      .jobRecords(values.batch === undefined ? {} : { batchId: values.batch })
      .filter((r) => day === undefined || (Date.parse(r.startedAt) >= day.start && Date.parse(r.startedAt) < day.end));
    const text = format === 'csv' ? toCsv(records) : toJson(summarize(records, { by: values.batch === undefined ? 'day' : 'batch' }), records);
    io.out(text.replace(/\r?\n$/, ''));
    return EXIT.ok;
  } finally {
    journal.close();
  }
}
