// `keybench sim`: the embedded Okta preregistration simulator as a standalone server.
import { parseArgs } from 'node:util';
import { startSimulator, type PreflightFaults, type SimulatorOptions } from '../../core/sim/index.js';
import { EXIT, UsageError, type Output } from '../usage.js';

export const SIM_USAGE = `Usage: keybench sim [options]
Runs a local Okta org that implements the WebAuthn Preregistration API (for demos, tests and benchmarks).
  --port N              port on 127.0.0.1 (default 0: pick a free one)
  --host ADDR           listen address (default 127.0.0.1; anything else exposes the simulator to your network)
  --token T             SSWS API token to accept (default: a generated demo token, printed)
  --users FILE          JSON file of seed users (default: twelve demo users); each has login, and optionally
                        id, email (null: none), secondEmail, firstName, lastName, status (ACTIVE, STAGED,
                        SUSPENDED, DEPROVISIONED, …) and pendingEnrollment (true: starts with a PENDING_ACTIVATION factor)
  --keys FILE           JWK file of P-384 response keys (deterministic runs)
  --record FILE         append every request and response as JSON lines (tokens and PINs masked)
  --outbox DIR          where send-pin mails are written (default: a temp folder)
  --org-name NAME       org name shown as the relying party name
  --domain HOST         org host name, the default RP ID (default keybench-demo.okta.com)
  --latency MS          delay added to every API call
  --rpm N               request budget per minute before 429 (default 600)
  --max-concurrent N    concurrent calls before 429 (default 75)
  --seed S              repeatable ids, challenges and tokens
  --fail-preflight LIST misconfigure the org for \`keybench doctor\`, comma-separated:
                        prereg-disabled (preregistration answers 401 E0000015, feature not enabled),
                        skew=SECONDS (Date header shifted; negative: Okta behind the station)`;

function number(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} takes a whole number, got "${value}"`, SIM_USAGE);
  return Number(value);
}

/** Preflight faults from e.g. `prereg-disabled,skew=600`. */
function preflightFaults(value: string | undefined): PreflightFaults | undefined {
  if (value === undefined) return undefined;
  let faults: PreflightFaults = {};
  for (const item of value.split(',').map((part) => part.trim()).filter(Boolean)) {
    const skew = /^skew=(-?\d+)$/.exec(item)?.[1];
    if (item === 'prereg-disabled') faults = { ...faults, preregistrationDisabled: true };
    else if (skew !== undefined) faults = { ...faults, clockSkewMs: Number(skew) * 1000 };
    else throw new UsageError(`--fail-preflight: unknown fault "${item}" (use prereg-disabled, skew=SECONDS)`, SIM_USAGE);
  }
  return faults;
}

export function simOptions(argv: string[]): SimulatorOptions & { help?: boolean } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' }, host: { type: 'string' }, token: { type: 'string' }, users: { type: 'string' }, keys: { type: 'string' },
        record: { type: 'string' }, outbox: { type: 'string' }, 'org-name': { type: 'string' }, domain: { type: 'string' },
        latency: { type: 'string' }, rpm: { type: 'string' }, 'max-concurrent': { type: 'string' }, seed: { type: 'string' }, 'fail-preflight': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message, SIM_USAGE);
  }
  const v = parsed.values;
  const port = number(v.port, '--port');
  if (port !== undefined && port > 65535) throw new UsageError('--port must be at most 65535', SIM_USAGE);
  return {
    help: v.help,
    port,
    host: v.host,
    apiToken: v.token,
    usersFile: v.users,
    keys: v.keys,
    record: v.record,
    outboxDir: v.outbox,
    orgName: v['org-name'],
    orgDomain: v.domain,
    latencyMs: number(v.latency, '--latency'),
    requestsPerMinute: number(v.rpm, '--rpm'),
    maxConcurrent: number(v['max-concurrent'], '--max-concurrent'),
    seed: v.seed,
    preflightFaults: preflightFaults(v['fail-preflight']),
  };
}

export async function simCommand(argv: string[], io: Output): Promise<number> {
  const { help, ...options } = simOptions(argv);
  if (help) {
    io.out(SIM_USAGE);
    return EXIT.ok;
  }
  if (options.host && !['127.0.0.1', 'localhost', '::1'].includes(options.host)) {
    io.err(`Warning: the simulator listens on ${options.host}; anyone who can reach it can use its demo token.`);
  }
  const sim = await startSimulator(options);
  io.out(`Okta simulator listening on ${sim.url}`);
  io.out(`API token (SSWS, demo only): ${sim.apiToken}`);
  io.out(`PIN mails: ${sim.outboxDir} (list: ${sim.url}/outbox)`);
  io.out('Press Ctrl+C to stop.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await sim.close();
  return EXIT.ok;
}
