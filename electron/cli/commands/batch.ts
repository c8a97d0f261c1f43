// `keybench batch`: a day's orders from a file, enrolled ahead while online, keys programmed (online or
// offline), and what was programmed offline synced with Okta once it is reachable again.
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { parseArgs } from 'node:util';
import type { StationEvent } from '../../core/station/engine.js';
import type { Journal } from '../../core/station/journal.js';
import { parseOrders } from '../../core/station/orders-import.js';
import { progressPrinter } from '../progress.js';
import { STATION_OPTION_SPEC, STATION_OPTIONS_USAGE, openJournal, openStation, orgReachable, refuseArgvSecrets, stationArgs, type CliStation, type StationArgs } from '../station-runtime.js';
import { EXIT, UsageError, type Output } from '../usage.js';

export const BATCH_USAGE = `Usage:
  keybench batch import <file> [--batch ID]   queue the orders of a CSV or JSON file (header: user, orderId,
                                              delivery, label, note); bad rows are listed by line and skipped
  keybench batch enroll [--batch ID] [--order ID]…
                                              enroll waiting orders in Okta ahead of any key (online); their
                                              encrypted requests and expiry wait in the journal
  keybench batch run [--offline]              give the waiting orders to the plugged-in keys until the queue is
                                              empty; --offline: no Okta call, only orders enrolled ahead, each
                                              key stops programmed, awaiting activation (remove it)
  keybench batch sync                         activate what was programmed offline and have the PINs sent,
                                              replace expired enrollments, settle interrupted jobs
  keybench batch status                       orders waiting, enrolled ahead, awaiting activation, done, failed
  --batch ID     import: the batch the orders join (default: the file's name); enroll: only that batch
  --order ID     enroll only these orders (repeatable)
${STATION_OPTIONS_USAGE}
import and status need only --db (and --json). With --sim the simulator dies with the command, so
enrollments made by \`batch enroll --sim\` cannot be synced later: run \`keybench sim\` instead.
Exit codes: 0 all done, 1 some failed (or bad rows), 2 bad command line, 3 no usable key or no such order,
4 Okta unreachable.`;

const ACTIONS = ['import', 'enroll', 'run', 'sync', 'status'] as const;
type Action = (typeof ACTIONS)[number];

function isAction(value: string): value is Action {
  return (ACTIONS as readonly string[]).includes(value);
}

export async function batchCommand(argv: string[], io: Output): Promise<number> {
  refuseArgvSecrets(argv, BATCH_USAGE);
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { ...STATION_OPTION_SPEC, batch: { type: 'string' }, order: { type: 'string', multiple: true }, offline: { type: 'boolean' } },
    });
  } catch (e) {
    throw new UsageError((e as Error).message, BATCH_USAGE);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(BATCH_USAGE);
    return EXIT.ok;
  }
  const [action, ...rest] = positionals;
  if (action === undefined) throw new UsageError('batch needs an action: import, enroll, run, sync or status', BATCH_USAGE);
  if (!isAction(action)) throw new UsageError(`unknown batch action "${action}"`, BATCH_USAGE);
  if (action === 'import' ? rest.length !== 1 : rest.length > 0) {
    throw new UsageError(action === 'import' ? 'batch import takes exactly one <file>' : `unexpected argument "${rest[0]}"`, BATCH_USAGE);
  }
  if (values.offline && action !== 'run') throw new UsageError('--offline belongs to batch run', BATCH_USAGE);
  if (values.order && action !== 'enroll') throw new UsageError('--order belongs to batch enroll', BATCH_USAGE);
  const args = stationArgs(values, BATCH_USAGE);
  switch (action) {
    case 'import':
      return importOrders(rest[0]!, values.batch, args, io);
    case 'status':
      return status(args, io);
    case 'enroll':
      return online(args, io, { autoAssign: false, keys: false }, (station) => enroll(station, values.order, values.batch, args, io));
    case 'sync':
      return online(args, io, { autoAssign: false, keys: true }, (station) => sync(station, args, io));
    case 'run':
      if (values.offline) return withStation(args, { autoAssign: true, keys: true, offline: true }, (station) => run(station, args, io));
      return online(args, io, { autoAssign: true, keys: true }, (station) => run(station, args, io));
  }
}

async function withStation(args: StationArgs, choices: Parameters<typeof openStation>[1], work: (station: CliStation) => Promise<number>): Promise<number> {
  const station = await openStation(args, choices, BATCH_USAGE);
  try {
    return await work(station);
  } finally {
    await station.close();
  }
}

/** A command that needs Okta: exit 4 when the org does not answer. */
async function online(args: StationArgs, io: Output, choices: Parameters<typeof openStation>[1], work: (station: CliStation) => Promise<number>): Promise<number> {
  return withStation(args, choices, async (station) => {
    if (!(await orgReachable(station.orgUrl))) {
      io.err(`Okta at ${station.orgUrl} does not answer. Check the network and the org URL${choices.keys ? ', or program keys for orders enrolled ahead with `keybench batch run --offline`' : ''}.`);
      return EXIT.unreachable;
    }
    return work(station);
  });
}

async function importOrders(file: string, batchOption: string | undefined, args: StationArgs, io: Output): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    io.err(`Cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
    return EXIT.failed;
  }
  const format = /\.json$/i.test(file) ? 'json' : /\.csv$/i.test(file) ? 'csv' : undefined;
  const batchId = batchOption ?? basename(file, extname(file));
  const parsed = parseOrders(text, format);
  const journal = openJournal(args);
  try {
    const { added, duplicates } = journal.addOrders(parsed.orders.map((o) => ({ user: o.user, orderId: o.orderId, delivery: o.delivery, label: o.label, note: o.note, source: 'import', batchId })));
    const errors = [...parsed.errors];
    for (const id of duplicates) errors.push({ line: parsed.orders.find((o) => o.orderId === id)?.line ?? 0, message: `order ${id} is already in the journal; skipped` });
    errors.sort((a, b) => a.line - b.line);
    for (const error of errors) io.err(`${file}:${error.line}: ${error.message}`);
    if (args.json) io.out(JSON.stringify({ batchId, added: added.length, errors }));
    else io.out(`Imported ${added.length} order${added.length === 1 ? '' : 's'} into batch ${batchId}${errors.length ? `; ${errors.length} bad row${errors.length === 1 ? '' : 's'} skipped` : ''}.`);
    return errors.length > 0 ? EXIT.failed : EXIT.ok;
  } finally {
    journal.close();
  }
}

function statusOf(journal: Journal) {
  const orders = journal.orders();
  const count = (state: string) => orders.filter((o) => o.state === state).length;
  const parked = journal.parkedCounts();
  return {
    waiting: count('waiting'),
    enrolledAhead: parked.enrolledAhead,
    awaitingActivation: parked.pendingActivations,
    inProgress: count('assigned') - parked.enrolledAhead - parked.pendingActivations,
    done: count('done'),
    failed: count('failed'),
    cancelled: count('cancelled'),
    ...(parked.nextExpiry ? { nextExpiry: parked.nextExpiry } : {}),
  };
}

async function status(args: StationArgs, io: Output): Promise<number> {
  const journal = openJournal(args);
  try {
    const s = statusOf(journal);
    if (args.json) {
      io.out(JSON.stringify(s));
      return EXIT.ok;
    }
    io.out(`waiting              ${s.waiting}`);
    io.out(`enrolled ahead       ${s.enrolledAhead}`);
    io.out(`awaiting activation  ${s.awaitingActivation}${s.awaitingActivation ? ' (run `keybench batch sync` when online)' : ''}`);
    if (s.nextExpiry) io.out(`next expiry          ${s.nextExpiry} (sync before it, or the enrollment is replaced)`);
    io.out(`in progress          ${s.inProgress}`);
    io.out(`done                 ${s.done}`);
    io.out(`failed               ${s.failed}`);
    io.out(`cancelled            ${s.cancelled}`);
    return EXIT.ok;
  } finally {
    journal.close();
  }
}

async function enroll(station: CliStation, orderIds: string[] | undefined, batchId: string | undefined, args: StationArgs, io: Output): Promise<number> {
  const unknown = (orderIds ?? []).filter((id) => !station.journal.order(id));
  if (unknown.length > 0) {
    io.err(`No order ${unknown.join(', ')} in the journal. Import the orders first (\`keybench batch import\`).`);
    return EXIT.notFound;
  }
  station.engine.on(progressPrinter(io, args.json));
  await station.engine.start();
  const summary = await station.engine.enrollAhead({ ...(orderIds ? { orderIds } : {}), ...(batchId ? { batchId } : {}) });
  const enrolled = summary.counts['enrolled-ahead'] ?? 0;
  const failed = summary.counts.failed ?? 0;
  if (!args.json) {
    io.out(summary.items.length === 0 ? 'No waiting order to enroll.' : `Enrolled ${enrolled} order${enrolled === 1 ? '' : 's'} ahead${failed ? `; ${failed} failed` : ''}.`);
    if (station.sim) io.err('Note: --sim enrollments end with this command; use `keybench sim` and --org to keep them for a later sync.');
  }
  return failed > 0 ? EXIT.failed : EXIT.ok;
}

async function sync(station: CliStation, args: StationArgs, io: Output): Promise<number> {
  station.engine.on(progressPrinter(io, args.json));
  await station.engine.start();
  const summary = await station.engine.sync();
  await station.engine.idle();
  const c = summary.counts;
  const bad = (c.failed ?? 0) + (c.expired ?? 0) + (c['re-enrolled'] ?? 0);
  if (!args.json) {
    io.out(
      `Synced: ${c.activated ?? 0} activated, ${c['already-active'] ?? 0} already active, ${c['re-enrolled'] ?? 0} expired and enrolled again, ` +
        `${(c.failed ?? 0) + (c.expired ?? 0)} failed; ${summary.reconciled} interrupted job${summary.reconciled === 1 ? '' : 's'} settled.`,
    );
    if (c['re-enrolled']) io.err('Keys programmed for expired enrollments hold a PIN nobody can learn: reset them before reuse.');
  }
  return bad > 0 ? EXIT.failed : EXIT.ok;
}

/** Orders a key could still take: enrolled ahead, and (online) waiting ones. */
function assignable(station: CliStation): number {
  const s = statusOf(station.journal);
  return s.enrolledAhead + (station.engine.offline ? 0 : s.waiting);
}

async function run(station: CliStation, args: StationArgs, io: Output): Promise<number> {
  const { engine } = station;
  let failed = 0;
  let finished = 0;
  let wake: (() => void) | undefined;
  engine.on(progressPrinter(io, args.json));
  engine.on((event: StationEvent) => {
    if (event.type === 'job-failed') failed += 1;
    if (event.type === 'job-done' || event.type === 'job-awaiting-activation') finished += 1;
    wake?.();
  });
  let stopped = false;
  const stop = () => {
    stopped = true;
    wake?.();
  };
  process.once('SIGINT', stop);
  try {
    if (station.usbUnavailable && args.virtual === 0) io.err(station.usbUnavailable);
    await engine.start();
    let told = false;
    for (;;) {
      await engine.idle();
      const left = assignable(station);
      // Virtual keys never come back fresh: without USB, nothing more can happen once the engine is idle.
      if (left === 0 || !station.usb || stopped) break;
      if (!told && !args.json) io.out(`${left} order${left === 1 ? '' : 's'} left: plug in the next key (Ctrl+C stops).`);
      told = true;
      // Anything the engine does (a key plugged in above all) is worth another look.
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  } finally {
    process.off('SIGINT', stop);
  }
  const left = assignable(station);
  if (!args.json) {
    io.out(`${finished} key${finished === 1 ? '' : 's'} ${engine.offline ? 'programmed (awaiting activation)' : 'provisioned'}, ${failed} failed, ${left} order${left === 1 ? '' : 's'} left.`);
  }
  if (failed > 0) return EXIT.failed;
  if (left > 0) {
    if (!args.json) io.err(`No usable key for the ${left} remaining order${left === 1 ? '' : 's'}.`);
    return EXIT.notFound;
  }
  return EXIT.ok;
}
