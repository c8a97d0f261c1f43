// `keybench provision`: one key for one user, start to finish, from the command line. It resumes first:
// run again after a crash or a kill on the same journal, it finishes or cleans up the interrupted job and
// provisions that same order — never a second one for the user.
import { parseArgs } from 'node:util';
import type { StationEvent } from '../../core/station/engine.js';
import type { OrderRow } from '../../core/station/journal.js';
import { progressPrinter } from '../progress.js';
import { STATION_OPTION_SPEC, STATION_OPTIONS_USAGE, openStation, orgReachable, refuseArgvSecrets, stationArgs } from '../station-runtime.js';
import { EXIT, UsageError, type Output } from '../usage.js';

export const PROVISION_USAGE = `Usage: keybench provision --user <login|id> [--key <path>] [station options]
Provisions one key for one user: enrolls them in Okta, programs the key (a random PIN, sealed to Okta
before the key gets it), activates the factor and has Okta mail the PIN. Run it again on the same journal
after a crash: the interrupted job is finished, or cleaned up in Okta and its order provisioned.
  --user U        the user's Okta login, e-mail or user id
  --key PATH      the key's device path or virtual:N (default: the first ready key)
${STATION_OPTIONS_USAGE}
Exit codes: 0 provisioned, 1 it failed, 2 bad command line, 3 no usable key, 4 Okta unreachable.`;

/** The closing line: words on a terminal, one more JSON line with --json. */
function say(io: Output, json: boolean, result: Record<string, unknown>, text: string): void {
  io.out(json ? JSON.stringify({ type: 'result', ...result }) : text);
}

function sameUser(order: OrderRow, user: string): boolean {
  return order.user.toLowerCase() === user.toLowerCase();
}

export async function provisionCommand(argv: string[], io: Output): Promise<number> {
  refuseArgvSecrets(argv, PROVISION_USAGE);
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { ...STATION_OPTION_SPEC, user: { type: 'string' }, key: { type: 'string' } } }));
  } catch (e) {
    throw new UsageError((e as Error).message, PROVISION_USAGE);
  }
  if (values.help) {
    io.out(PROVISION_USAGE);
    return EXIT.ok;
  }
  const user = values.user?.trim();
  if (!user) throw new UsageError('provision needs --user <login|id>', PROVISION_USAGE);
  const args = stationArgs(values, PROVISION_USAGE);
  const station = await openStation(args, { autoAssign: false, keys: true }, PROVISION_USAGE);
  try {
    if (!(await orgReachable(station.orgUrl))) {
      io.err(`Okta at ${station.orgUrl} does not answer. Check the network and the org URL, then run this again.`);
      return EXIT.unreachable;
    }
    if (station.usbUnavailable && args.virtual === 0) io.err(station.usbUnavailable);
    const { journal, engine } = station;
    engine.on(progressPrinter(io, args.json));

    const interrupted = new Set(journal.unfinishedJobs().map((job) => job.orderId));
    await engine.start();
    await engine.idle();

    const earlier = [...interrupted].map((id) => journal.order(id)!).filter((order) => sameUser(order, user));
    const finished = earlier.find((order) => order.state === 'done');
    if (finished) {
      say(io, args.json, { outcome: 'done', orderId: finished.id, user, resumed: true }, `Order ${finished.id} for ${user} was finished from the journal; nothing more to do.`);
      return EXIT.ok;
    }
    const mine = (orderId: string) => sameUser(journal.order(orderId)!, user);
    const parked = journal.awaitingActivationJobs().find((job) => mine(job.orderId));
    if (parked) {
      io.err(`Order ${parked.orderId} for ${user} was programmed offline and waits for activation: run \`keybench batch sync\`.`);
      return EXIT.failed;
    }
    const ahead = journal.enrolledAheadJobs().find((job) => mine(job.orderId));
    const unsettled = earlier.find((order) => order.state === 'assigned' && order.id !== ahead?.orderId);
    if (unsettled) {
      io.err(`The interrupted order ${unsettled.id} for ${user} could not be settled with Okta yet; run this again once Okta answers.`);
      return EXIT.failed;
    }
    const retried = earlier.find((order) => order.state === 'failed');
    if (retried) engine.retryOrder(retried.id);
    const order =
      (ahead && journal.order(ahead.orderId)) ?? journal.orders('waiting').find((o) => sameUser(o, user)) ?? engine.addOrders([{ user, source: 'cli' }]).added[0]!;

    const keys = engine.keys();
    const key = values.key === undefined ? keys.find((k) => k.status === 'ready') : keys.find((k) => k.path === values.key);
    if (!key || key.status !== 'ready') {
      const why = key?.error?.message ?? (values.key === undefined ? 'No ready key is plugged in.' : `No key at ${values.key}.`);
      io.err(`${why} Order ${order.id} for ${user} waits in the journal; run this again with a fresh key${values.key === undefined ? '' : ' (see `keybench keys`)'}.`);
      return EXIT.notFound;
    }
    const jobId = engine.assign(order.id, key.path);
    // The job runs in the background: its end comes as an event, never before assign() returns.
    const outcome = await new Promise<Extract<StationEvent, { type: 'job-done' | 'job-failed' }>>((resolve) => {
      const off = engine.on((event) => {
        if ((event.type === 'job-done' || event.type === 'job-failed') && event.jobId === jobId) {
          off();
          resolve(event);
        }
      });
    });
    await engine.idle();
    if (outcome.type === 'job-done') {
      say(io, args.json, { outcome: 'done', orderId: order.id, user, keyPath: key.path, resumed: false }, `Provisioned ${user}: order ${order.id} done on ${key.path}.`);
      return EXIT.ok;
    }
    io.err(`Order ${order.id} for ${user} failed: ${outcome.error.message}`);
    return EXIT.failed;
  } finally {
    await station.close();
  }
}
