// `keybench bench` (npm run bench): the speed and memory figures of the station, measured against the
// simulator and virtual keys with realistic latencies and one simulated technician. It prints figures;
// nothing in it passes or fails on a time.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchImport } from '../bench/import-bench.js';
import { benchJournal } from '../bench/journal-bench.js';
import { KeyFarm } from '../bench/key-farm.js';
import { REALISTIC, scaled, type LatencyModel } from '../bench/latency-model.js';
import { runScenario } from '../bench/scenario.js';
import { importLines, journalLines, perKeyLines, scenarioFigures, throughputTable, type ScenarioFigures } from '../bench/figures.js';
import { startSimProcess, writeBenchUsers, type SimProcess } from '../bench/sim-process.js';
import { EXIT, UsageError, type Output } from '../usage.js';

export const BENCH_USAGE = `Usage: keybench bench [options]
Measures provisioning throughput, CPU and memory against the simulator and virtual keys, with one simulated technician.
  --keys LIST            keys provisioned at once, one run each (default 1,2,4,8,16; 1 is always run: it is the baseline)
  --orders-per-key N     orders each port works through, a fresh key per order (default 3)
  --touch-ms MS          one touch: notice the prompt, reach the key, touch it (default 700)
  --okta-ms MS           Okta's answer time per call (default 120)
  --rpm N                Okta request budget per minute (default 300)
  --fast                 every duration ÷10, for a quick smoke run
  --import-rows N        rows of the order-import CSV (default 10000)
  --journal-ms MS        time spent appending journal steps (default 3000, 300 with --fast)
  --json                 machine-readable figures instead of the table`;

interface BenchArgs {
  readonly keys: readonly number[];
  readonly addedBaseline: boolean;
  readonly ordersPerKey: number;
  readonly model: LatencyModel;
  readonly fast: boolean;
  readonly importRows: number;
  readonly journalMs: number;
  readonly json: boolean;
}

const FAST_FACTOR = 0.1;
const MAX_KEYS = 64;

function whole(value: string | undefined, flag: string, fallback: number, min = 1, max = 1_000_000): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new UsageError(`${flag} takes a whole number from ${min} to ${max}, got "${value}"`, BENCH_USAGE);
  return Number(value);
}

function benchArgs(argv: string[]): BenchArgs | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        keys: { type: 'string' }, 'orders-per-key': { type: 'string' }, 'touch-ms': { type: 'string' }, 'okta-ms': { type: 'string' },
        rpm: { type: 'string' }, fast: { type: 'boolean' }, 'import-rows': { type: 'string' }, 'journal-ms': { type: 'string' },
        json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message, BENCH_USAGE);
  }
  if (values.help) return 'help';
  const list = (values.keys ?? '1,2,4,8,16').split(',').map((k) => k.trim());
  if (list.some((k) => !/^\d+$/.test(k) || Number(k) < 1 || Number(k) > MAX_KEYS)) {
    throw new UsageError(`--keys takes a list of key counts from 1 to ${MAX_KEYS} such as 1,2,4, got "${values.keys}"`, BENCH_USAGE);
  }
  const requested = [...new Set(list.map(Number))].sort((a, b) => a - b);
  const keys = requested[0] === 1 ? requested : [1, ...requested];
  const fast = values.fast ?? false;
  const model: LatencyModel = {
    ...REALISTIC,
    touchMs: whole(values['touch-ms'], '--touch-ms', REALISTIC.touchMs),
    oktaMs: whole(values['okta-ms'], '--okta-ms', REALISTIC.oktaMs, 0),
    rpm: whole(values.rpm, '--rpm', REALISTIC.rpm),
  };
  return {
    keys,
    addedBaseline: keys.length !== requested.length,
    ordersPerKey: whole(values['orders-per-key'], '--orders-per-key', 3, 1, 100),
    model: fast ? scaled(model, FAST_FACTOR) : model,
    fast,
    importRows: whole(values['import-rows'], '--import-rows', 10_000, 1, 1_000_000),
    journalMs: whole(values['journal-ms'], '--journal-ms', fast ? 300 : 3000, 1, 600_000),
    json: values.json ?? false,
  };
}

function header(args: BenchArgs, load: number): string[] {
  const m = args.model;
  return [
    'keybench benchmark: provisioning throughput with one simulated technician',
    `Model: makeCredential ${m.makeCredentialMs} ms, setPIN ${m.setPinMs} ms, every other CTAP command ${m.otherCtapMs} ms; one touch ${m.touchMs} ms; Okta ${m.oktaMs} ms per call, ${m.rpm} calls/min budget; hotplug poll ${m.pollMs} ms (the station polls every 750 ms by default). ` +
      'The virtual key\'s latency knob is per CTAP command, so the key farm holds each setPIN back by the difference to the other clientPIN subcommands.' +
      (args.fast ? ' Scaled: --fast divided every duration by 10 (the budget is a count and stays).' : ''),
    `Technician: one person, one touch at a time; each touch starts when the station prompts for that key (touch-needed) and lands ${m.touchMs} ms later (virtual keys in touch: manual mode).`,
    `Keys: each of the N ports works through ${args.ordersPerKey} order${args.ordersPerKey === 1 ? '' : 's'}; when a key's job ends it is unplugged and a fresh virtual key goes into its port at once. ` +
      'The swap costs the technician no time here (a real one takes a few seconds of theirs), so touch-limited rows are optimistic by that much.' +
      (args.addedBaseline ? ' N=1 was added: it is the baseline of the speed-up.' : ''),
    'Processes: the Okta simulator (keybench sim) and the virtual keys (a key farm) run in child processes. "CPU ms/key" is this process\'s process.cpuUsage() over the run ÷ keys: ' +
      'engine, journal, Okta client, CTAP client, JOSE crypto, plus the bench\'s own technician, swapper and memory sampler (small). "farm CPU" and "sim CPU" are the children\'s, per key, from /proc.',
    'Bounds (keys/h): touch≤ = 1 h ÷ (touches per key × touch); slots≤ = N × 1 h ÷ slot time, slot time = the key\'s CTAP command time + its touch + its Okta calls × Okta latency ' +
      '(what a port is busy with per key when nothing queues); okta≤ = the calls the budget allowed this run ÷ Okta calls per key ÷ run time. bound/h = the lowest (and which); ' +
      'ratio = keys/h ÷ bound; speed-up = keys/h ÷ keys/h at N=1 (keys one after another).',
    'Rate limit: Okta\'s budget is a fixed one-minute window, and the simulator starts fresh for each N, so a run of T seconds may spend budget × ⌈T/60⌉ calls; that is its okta≤. ' +
      'Over hours the budget allows budget × 60 ÷ calls per key keys/h (the "sustained" figure below): the ceiling for long runs. 429s = answers that said wait.',
    'Warm-up: one key is provisioned first and not counted, so compiling the code is not charged to N=1.',
    `Memory: peak RSS and heap of this process, sampled every 50 ms. Machine: ${cpus().length} cores, load average ${load.toFixed(2)} at start, Node ${process.version}; scratch files in ${tmpdir()}. ` +
      'Anything else running shares those cores: wall-clock figures move with it, CPU times less so.',
    '',
  ];
}

export async function benchCommand(argv: string[], io: Output): Promise<number> {
  const args = benchArgs(argv);
  if (args === 'help') {
    io.out(BENCH_USAGE);
    return EXIT.ok;
  }
  const load = loadavg()[0]!;
  const dir = await mkdtemp(join(tmpdir(), 'keybench-bench-'));
  let farm: KeyFarm | undefined;
  const sims: SimProcess[] = [];
  try {
    const usersFile = await writeBenchUsers(dir, Math.max(...args.keys) * args.ordersPerKey);
    // Every run gets its own simulator (a fresh rate-limit window); all start now, before anything is measured.
    const runs = [{ name: 'warmup', keys: 1, ordersPerKey: 1 }, ...args.keys.map((keys) => ({ name: `n${keys}`, keys, ordersPerKey: args.ordersPerKey }))];
    const starting = runs.map(async (run) => {
      const runDir = join(dir, run.name);
      await mkdir(runDir);
      const sim = await startSimProcess({ usersFile, outboxDir: runDir, latencyMs: args.model.oktaMs, rpm: args.model.rpm });
      sims.push(sim);
      return { ...run, dir: runDir, sim };
    });
    const farmStarting = KeyFarm.start();
    // Everything settles first, so that a failed start leaves no child process unknown to the cleanup below.
    await Promise.allSettled([farmStarting, ...starting]);
    farm = await farmStarting;
    const prepared = await Promise.all(starting);
    const scenarios: ScenarioFigures[] = [];
    let sampleSteps;
    for (const run of prepared) {
      const { keys, ordersPerKey } = run;
      io.err(run.name === 'warmup' ? 'bench: warming up with one key…' : `bench: ${keys} key${keys === 1 ? '' : 's'} at once, ${keys * ordersPerKey} order${keys * ordersPerKey === 1 ? '' : 's'}…`);
      const measured = await runScenario({ keys, ordersPerKey, model: args.model, farm, sim: run.sim, dir: run.dir });
      await run.sim.stop();
      if (run.name === 'warmup') continue;
      if (sampleSteps === undefined && measured.sampleSteps.length > 0) sampleSteps = measured.sampleSteps;
      scenarios.push(scenarioFigures(measured, args.model, scenarios[0]?.keysPerHour));
    }
    io.err(`bench: importing ${args.importRows} orders, then appending journal steps for ${args.journalMs} ms…`);
    const imported = benchImport(args.importRows, dir);
    const journal = benchJournal(sampleSteps ?? [], dir, args.journalMs);

    if (args.json) {
      io.out(JSON.stringify({ model: args.model, fast: args.fast, ordersPerKey: args.ordersPerKey, machine: { cores: cpus().length, loadAverage: load, node: process.version }, scenarios, import: imported, journal }, null, 2));
    } else {
      for (const line of [...header(args, load), ...throughputTable(scenarios), '', ...perKeyLines(scenarios), '', ...importLines(imported), ...journalLines(journal)]) io.out(line);
    }
    const failures = scenarios.flatMap((s) => s.failures);
    for (const failure of failures) io.err(`bench: a job failed: ${failure}`);
    return scenarios.every((s) => s.done === s.orders) ? EXIT.ok : EXIT.failed;
  } finally {
    await farm?.close();
    await Promise.all(sims.map((sim) => sim.stop()));
    await rm(dir, { recursive: true, force: true });
  }
}
