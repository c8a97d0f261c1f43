// `keybench doctor`: the tenant preflight from the command line — org reachable, credential accepted and
// scoped, WebAuthn Preregistration enabled, clock in step with Okta, and each ordered user ready for a key.
// It needs neither the journal nor the station keys: only the org and its credential.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { OktaClient, type OktaCredentials } from '../../core/okta/client.js';
import { OktaError } from '../../core/okta/errors.js';
import { parseOrgUrl } from '../../core/okta/org.js';
import { runPreflight, type PreflightCheck, type PreflightReport } from '../../core/okta/preflight.js';
import { startSimulator, type SimulatorHandle } from '../../core/sim/index.js';
import { parseOrders } from '../../core/station/orders-import.js';
import { DEFAULT_TOKEN_ENV, credentialsFor, refuseArgvSecrets, stationArgs } from '../station-runtime.js';
import { EXIT, UsageError, type Output } from '../usage.js';

export const DOCTOR_USAGE = `Usage: keybench doctor [--user LOGIN]... [--orders FILE] [--json] (--org URL | --sim) [credential options]
Checks the Okta tenant before a bench day: the org answers, the token (or OAuth service app) is accepted
and has okta.users.manage + okta.users.read, WebAuthn Preregistration is enabled, the station clock is
within a minute of Okta's; and for each order's user: exists, is ACTIVE or STAGED, has an email for the
PIN, and has no preregistration already in fulfillment. Each failure says how to fix it.
  --user LOGIN               check this user too (login, e-mail or Okta user id; repeatable)
  --orders FILE              check every user of an order file (CSV or JSON, as \`keybench batch import\` reads)
  --json                     the report as one JSON object
  --org URL                  the Okta org (https://…; http://127.0.0.1:PORT for a running \`keybench sim\`)
  --sim                      check the embedded simulator (a demo)
  --token-env NAME           environment variable holding the SSWS API token (default ${DEFAULT_TOKEN_ENV})
  --oauth-client-id ID --oauth-key FILE
                             an OAuth API service app instead of a token; FILE holds its private JWK
Output: ✓ passed, ! warning, ✗ failed (with the fix below it), - skipped.
Exit codes: 0 every check passed (warnings allowed), 1 a check failed, 2 bad command line, 4 Okta unreachable.`;

const OPTIONS = {
  org: { type: 'string' },
  'token-env': { type: 'string' },
  'oauth-client-id': { type: 'string' },
  'oauth-key': { type: 'string' },
  sim: { type: 'boolean' },
  user: { type: 'string', multiple: true },
  orders: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const MARK: Readonly<Record<PreflightCheck['status'], string>> = { pass: '✓', warn: '!', fail: '✗', skipped: '-' };

export async function doctorCommand(argv: string[], io: Output, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  refuseArgvSecrets(argv, DOCTOR_USAGE);
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS }));
  } catch (e) {
    throw new UsageError((e as Error).message, DOCTOR_USAGE);
  }
  if (values.help) {
    io.out(DOCTOR_USAGE);
    return EXIT.ok;
  }
  const args = stationArgs(values, DOCTOR_USAGE, env);
  if (!args.sim && args.org === undefined) throw new UsageError('say which Okta org: --org URL, or --sim for the embedded simulator', DOCTOR_USAGE);

  const users = [...(values.user ?? [])];
  let badRows = 0;
  if (values.orders !== undefined) {
    const fromFile = await orderUsers(values.orders, io);
    if (fromFile === undefined) return EXIT.failed;
    users.push(...fromFile.users);
    badRows = fromFile.badRows;
  }

  let sim: SimulatorHandle | undefined;
  let orgUrl: string;
  let credentials: OktaCredentials;
  if (args.sim) {
    sim = await startSimulator({});
    orgUrl = sim.url;
    credentials = { kind: 'ssws', token: sim.apiToken };
  } else {
    try {
      orgUrl = parseOrgUrl(args.org!).origin;
    } catch (e) {
      throw new UsageError(`--org: ${e instanceof OktaError ? e.message : String(e)}`, DOCTOR_USAGE);
    }
    credentials = await credentialsFor(args, env, DOCTOR_USAGE);
  }
  try {
    let okta: OktaClient;
    try {
      okta = new OktaClient({ orgUrl, credentials, timeoutMs: 10_000, maxRetries: 1 });
    } catch (e) {
      if (!(e instanceof OktaError)) throw e;
      io.err(e.message);
      return EXIT.failed;
    }
    const report = await runPreflight(okta, { users });
    if (args.json) io.out(JSON.stringify({ org: orgUrl, ...report }));
    else printReport(io, orgUrl, report);
    if (reachableFailed(report)) return EXIT.unreachable;
    return report.ok && badRows === 0 ? EXIT.ok : EXIT.failed;
  } finally {
    await sim?.close();
  }
}

function reachableFailed(report: PreflightReport): boolean {
  return report.checks.some((check) => check.id === 'reachable' && check.status === 'fail');
}

function printReport(io: Output, orgUrl: string, report: PreflightReport): void {
  io.out(`Preflight of ${orgUrl}`);
  for (const check of report.checks) {
    const name = check.subject === undefined ? check.id : `${check.id} ${check.subject}`;
    io.out(`${MARK[check.status]} ${name}: ${check.detail}`);
    if (check.fix !== undefined && (check.status === 'fail' || check.status === 'warn')) io.out(`    fix: ${check.fix}`);
  }
  const count = (status: PreflightCheck['status']) => report.checks.filter((check) => check.status === status).length;
  io.out(`${count('pass')} passed, ${count('warn')} warning(s), ${count('fail')} failed, ${count('skipped')} skipped.`);
}

/** The users of an order file; bad rows are reported by line and make the run fail, good rows are checked. */
async function orderUsers(file: string, io: Output): Promise<{ users: string[]; badRows: number } | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    io.err(`Cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
  const format = /\.json$/i.test(file) ? 'json' : /\.csv$/i.test(file) ? 'csv' : undefined;
  const parsed = parseOrders(text, format);
  for (const error of parsed.errors) io.err(`${file}:${error.line}: ${error.message}`);
  return { users: parsed.orders.map((order) => order.user), badRows: parsed.errors.length };
}
