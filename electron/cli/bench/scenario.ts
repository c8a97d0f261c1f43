// One benchmark scenario: N keys provisioned at once by one technician against a fresh simulator, each
// port working through `ordersPerKey` orders (a fresh key is plugged into a port as soon as its key is done).
// It measures; figures.ts turns the measurements into rates and bounds.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { OktaClient } from '../../core/okta/client.js';
import type { FetchLike } from '../../core/okta/http.js';
import { RateLimiter } from '../../core/okta/rate-limiter.js';
import { MemorySecretStore } from '../../core/secrets/secret-store.js';
import { ProvisioningEngine, type StationEvent } from '../../core/station/engine.js';
import type { JournalStep } from '../../core/station/job-steps.js';
import { Journal } from '../../core/station/journal.js';
import { StationTrustGate } from '../../core/station/trust-gate.js';
import { COMMAND_NAMES, type CommandName } from '../../core/virtual-key/options.js';
import { StationKeyring } from '../../core/wire/station-keys.js';
import type { KeyFarm } from './key-farm.js';
import { benchKey, setPinSurchargeMs, type LatencyModel } from './latency-model.js';
import { MemorySampler, type MemoryPeaks } from './memory-sampler.js';
import { processCpuMs } from './process-cpu.js';
import { benchUserLogin, type SimProcess } from './sim-process.js';
import { Technician } from './technician.js';

export interface ScenarioOptions {
  /** Keys provisioned at once (ports on the hub). */
  readonly keys: number;
  readonly ordersPerKey: number;
  readonly model: LatencyModel;
  readonly farm: KeyFarm;
  /** A simulator nobody has called yet (a fresh rate-limit window), seeded with `benchUserLogin` users. */
  readonly sim: SimProcess;
  /** Scratch folder for the journal. */
  readonly dir: string;
  /** Gives up (and says which jobs were still running) after this long. */
  readonly deadlineMs?: number;
}

export interface ScenarioMeasurement {
  readonly keys: number;
  readonly orders: number;
  readonly done: number;
  readonly failed: number;
  /** The first few failures, as the station explained them. */
  readonly failures: readonly string[];
  /** From engine start to the last job's end. */
  readonly elapsedMs: number;
  /** Each finished job, from assignment to done. */
  readonly jobMs: readonly number[];
  readonly touches: number;
  /** Okta calls answered (429s not counted: they do not spend the budget). */
  readonly oktaCalls: number;
  readonly rateLimited: number;
  readonly commands: Readonly<Partial<Record<CommandName, number>>>;
  readonly setPins: number;
  readonly stationCpuMs: number;
  readonly keyFarmCpuMs: number | undefined;
  readonly simulatorCpuMs: number | undefined;
  readonly memory: MemoryPeaks;
  /** The steps of one finished job (after order-assigned), replayed by the journal benchmark. */
  readonly sampleSteps: readonly JournalStep[];
}

const DEFAULT_DEADLINE_MS = 10 * 60_000;
const TOO_MANY_REQUESTS = 429;

export async function runScenario(options: ScenarioOptions): Promise<ScenarioMeasurement> {
  const { keys, ordersPerKey, model, farm, sim } = options;
  const orders = keys * ordersPerKey;
  const keyring = await StationKeyring.create(new MemorySecretStore());
  const journal = Journal.open(join(options.dir, `journal-${keys}.db`));
  let oktaCalls = 0;
  let rateLimited = 0;
  const countingFetch: FetchLike = async (url, init) => {
    const response = await fetch(url, init);
    if (response.status === TOO_MANY_REQUESTS) rateLimited++;
    else oktaCalls++;
    return response;
  };
  const okta = new OktaClient({ orgUrl: sim.url, credentials: { kind: 'ssws', token: sim.apiToken }, fetch: countingFetch, limiter: new RateLimiter() });
  // The gate the station runs: every key's attestation is checked before activation, as in production.
  const attestation = new StationTrustGate(options.dir, new URL(sim.url).hostname, () => ({ policy: 'require', aaguidAllowList: [] }), undefined, farm.rootCertificate);
  const engine = new ProvisioningEngine({ journal, okta, keyring, backends: [farm], pollIntervalMs: model.pollMs, attestation });
  const plugged: string[] = [];
  try {
    const plug = async () => {
      const path = await farm.plug(benchKey(model), setPinSurchargeMs(model));
      plugged.push(path);
      return path;
    };
    const portUses = new Map<string, number>();
    for (let port = 0; port < keys; port++) portUses.set(await plug(), 1);
    engine.addOrders(Array.from({ length: orders }, (_, i) => ({ user: benchUserLogin(i), orderId: `bench-${keys}-${i + 1}`, source: 'bench' })));

    const technician = new Technician((keyPath) => farm.touch(keyPath), model.touchMs);
    const started = new Map<string, number>();
    const jobMs: number[] = [];
    const failures: string[] = [];
    let done = 0;
    let failed = 0;
    let lastEnd = 0;
    let swapFailure: unknown;
    let allEnded!: () => void;
    const ended = new Promise<void>((resolve) => (allEnded = resolve));
    // The technician's other hand: a finished key comes out and a fresh one goes into its port.
    const swap = async (keyPath: string) => {
      const uses = portUses.get(keyPath) ?? ordersPerKey;
      portUses.delete(keyPath);
      await farm.unplug(keyPath);
      if (uses < ordersPerKey) portUses.set(await plug(), uses + 1);
    };
    const onEvent = (event: StationEvent) => {
      technician.observe(event);
      if (event.type === 'job-started') started.set(event.jobId, performance.now());
      if (event.type !== 'job-done' && event.type !== 'job-failed') return;
      lastEnd = performance.now();
      if (event.type === 'job-done') {
        done++;
        jobMs.push(lastEnd - (started.get(event.jobId) ?? lastEnd));
      } else {
        failed++;
        if (failures.length < 5) failures.push(`${event.keyPath}: ${event.error.code}: ${event.error.message}`);
      }
      swap(event.keyPath).catch((error: unknown) => (swapFailure ??= error));
      if (done + failed === orders) allEnded();
    };
    const off = engine.on(onEvent);

    const simCpu0 = processCpuMs(sim.pid);
    const farmCpu0 = processCpuMs(farm.pid);
    const sampler = new MemorySampler();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await engine.start();
    await deadline(ended, options.deadlineMs ?? DEFAULT_DEADLINE_MS, () => {
      const open = [...started.keys()].filter((id) => journal.job(id)?.outcome === undefined);
      return `The ${keys}-key run did not finish: ${done + failed} of ${orders} jobs ended; still open: ${open.join(', ') || 'none started'}.`;
    });
    const cpu = process.cpuUsage(cpu0);
    const memory = sampler.stop();
    const simCpu1 = processCpuMs(sim.pid);
    const farmCpu1 = processCpuMs(farm.pid);
    off();
    if (technician.failure !== undefined) throw technician.failure;
    if (swapFailure !== undefined) throw swapFailure;

    const counts = aggregate(farm, plugged);
    const doneJob = journal.jobRecords().find((r) => r.outcome === 'done');
    return {
      keys,
      orders,
      done,
      failed,
      failures,
      elapsedMs: lastEnd - t0,
      jobMs,
      touches: technician.touches,
      oktaCalls,
      rateLimited,
      commands: counts.commands,
      setPins: counts.setPins,
      stationCpuMs: (cpu.user + cpu.system) / 1000,
      keyFarmCpuMs: difference(farmCpu0, farmCpu1),
      simulatorCpuMs: difference(simCpu0, simCpu1),
      memory,
      sampleSteps: doneJob ? journal.steps(doneJob.jobId).filter((s) => s.name !== 'order-assigned') : [],
    };
  } finally {
    await engine.close();
    journal.close();
    for (const path of plugged) await farm.unplug(path);
  }
}

function aggregate(farm: KeyFarm, paths: readonly string[]): { commands: Partial<Record<CommandName, number>>; setPins: number } {
  const commands: Partial<Record<CommandName, number>> = {};
  let setPins = 0;
  for (const path of paths) {
    const count = farm.commandCounts().get(path);
    if (!count) continue;
    setPins += count.setPins;
    for (const name of COMMAND_NAMES) {
      const n = count.commands[name];
      if (n !== undefined) commands[name] = (commands[name] ?? 0) + n;
    }
  }
  return { commands, setPins };
}

function difference(before: number | undefined, after: number | undefined): number | undefined {
  return before === undefined || after === undefined ? undefined : after - before;
}

async function deadline(work: Promise<void>, ms: number, explain: () => string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${explain()} Look at the simulator's and the station's messages above.`)), ms);
  });
  try {
    await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
