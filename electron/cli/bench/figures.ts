// From measurements to the figures the benchmark prints: keys per hour, the three bounds and the lowest,
// their ratio, the speed-up over one key at a time, CPU per key and peak memory; as a table or as JSON.
import { COMMAND_NAMES, type CommandName } from '../../core/virtual-key/options.js';
import type { ImportFigures } from './import-bench.js';
import type { JournalFigures } from './journal-bench.js';
import { deviceMs, type LatencyModel } from './latency-model.js';
import type { ScenarioMeasurement } from './scenario.js';

const HOUR_MS = 3_600_000;
const MB = 1024 * 1024;

const LIMITS = ['touch', 'slots', 'okta'] as const;
export type Limit = (typeof LIMITS)[number];

export interface ScenarioFigures {
  readonly keys: number;
  readonly orders: number;
  readonly done: number;
  readonly failed: number;
  readonly failures: readonly string[];
  readonly elapsedS: number;
  readonly keysPerHour: number;
  readonly perKey: {
    readonly touches: number;
    readonly ctapCommands: number;
    readonly commands: Readonly<Partial<Record<CommandName, number>>>;
    readonly deviceMs: number;
    readonly oktaCalls: number;
    /** What a port is busy with for one key when nothing queues: device time + its touches + its Okta calls. */
    readonly slotMs: number;
  };
  /** Keys per hour each resource allows on its own in this run (okta: the budget of the windows the run spanned). */
  readonly bounds: Readonly<Record<Limit, number>>;
  /** Keys per hour the Okta budget allows over many windows. */
  readonly oktaSustainedPerHour: number;
  readonly boundPerHour: number;
  readonly limitedBy: Limit;
  readonly ratio: number;
  /** Keys per hour over the N=1 run's. */
  readonly speedUp: number;
  readonly jobSeconds: { readonly p50: number; readonly p95: number };
  readonly cpuMsPerKey: { readonly station: number; readonly keyFarm?: number; readonly simulator?: number };
  readonly memoryMB: { readonly baselineRss: number; readonly peakRss: number; readonly peakHeapUsed: number; readonly peakHeapTotal: number; readonly samples: number };
  readonly rateLimited: number;
  /** Share of the run the technician spent on touches. */
  readonly technicianBusy: number;
}

export function scenarioFigures(m: ScenarioMeasurement, model: LatencyModel, baselineKeysPerHour: number | undefined): ScenarioFigures {
  const per = (n: number) => n / Math.max(1, m.done + m.failed);
  const commands: Partial<Record<CommandName, number>> = {};
  for (const name of COMMAND_NAMES) {
    const n = m.commands[name];
    if (n !== undefined) commands[name] = per(n);
  }
  const touches = per(m.touches);
  const oktaCalls = per(m.oktaCalls);
  const device = per(deviceMs(model, m.commands, m.setPins));
  const slotMs = device + touches * model.touchMs + oktaCalls * model.oktaMs;
  const keysPerHour = m.done / (m.elapsedMs / HOUR_MS);
  const bounds: Record<Limit, number> = {
    touch: touches > 0 ? HOUR_MS / (touches * model.touchMs) : Infinity,
    slots: (m.keys * HOUR_MS) / slotMs,
    okta: oktaCalls > 0 ? (model.rpm * windowsSpanned(m.elapsedMs) * HOUR_MS) / (oktaCalls * m.elapsedMs) : Infinity,
  };
  const oktaSustainedPerHour = oktaCalls > 0 ? (model.rpm * 60) / oktaCalls : Infinity;
  const limitedBy = LIMITS.reduce((a, b) => (bounds[b] < bounds[a] ? b : a));
  const baseline = baselineKeysPerHour ?? keysPerHour;
  return {
    keys: m.keys,
    orders: m.orders,
    done: m.done,
    failed: m.failed,
    failures: m.failures,
    elapsedS: m.elapsedMs / 1000,
    keysPerHour,
    perKey: { touches, ctapCommands: Object.values(commands).reduce((a, b) => a + b, 0), commands, deviceMs: device, oktaCalls, slotMs },
    bounds,
    oktaSustainedPerHour,
    boundPerHour: bounds[limitedBy],
    limitedBy,
    ratio: keysPerHour / bounds[limitedBy],
    speedUp: keysPerHour / baseline,
    jobSeconds: { p50: percentile(m.jobMs, 0.5) / 1000, p95: percentile(m.jobMs, 0.95) / 1000 },
    cpuMsPerKey: {
      station: per(m.stationCpuMs),
      ...(m.keyFarmCpuMs === undefined ? {} : { keyFarm: per(m.keyFarmCpuMs) }),
      ...(m.simulatorCpuMs === undefined ? {} : { simulator: per(m.simulatorCpuMs) }),
    },
    memoryMB: {
      baselineRss: m.memory.baselineRssBytes / MB,
      peakRss: m.memory.peakRssBytes / MB,
      peakHeapUsed: m.memory.peakHeapUsedBytes / MB,
      peakHeapTotal: m.memory.peakHeapTotalBytes / MB,
      samples: m.memory.samples,
    },
    rateLimited: m.rateLimited,
    technicianBusy: (m.touches * model.touchMs) / m.elapsedMs,
  };
}

/** Budget windows a run of `elapsedMs` can draw on: the simulator's window is a fixed minute from the first call. */
function windowsSpanned(elapsedMs: number): number {
  return Math.max(1, Math.ceil(elapsedMs / 60_000));
}

function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

/** The columns of the throughput table, in order (the test checks the printed header against these). */
export const TABLE_COLUMNS = [
  'N',
  'keys',
  'done',
  'keys/h',
  'touch≤/h',
  'slots≤/h',
  'okta≤/h',
  'bound/h',
  'ratio',
  'speed-up',
  'job p50 s',
  'CPU ms/key',
  'farm CPU',
  'sim CPU',
  'peak RSS MB',
  'peak heap MB',
  '429s',
] as const;

export function throughputTable(rows: readonly ScenarioFigures[]): string[] {
  const cells = rows.map((f) => [
    String(f.keys),
    String(f.orders),
    String(f.done),
    whole(f.keysPerHour),
    whole(f.bounds.touch),
    whole(f.bounds.slots),
    whole(f.bounds.okta),
    `${whole(f.boundPerHour)} ${f.limitedBy}`,
    f.ratio.toFixed(2),
    `${f.speedUp.toFixed(2)}×`,
    f.jobSeconds.p50.toFixed(2),
    f.cpuMsPerKey.station.toFixed(0),
    optional(f.cpuMsPerKey.keyFarm),
    optional(f.cpuMsPerKey.simulator),
    f.memoryMB.peakRss.toFixed(0),
    f.memoryMB.peakHeapUsed.toFixed(0),
    String(f.rateLimited),
  ]);
  const widths = TABLE_COLUMNS.map((title, i) => Math.max(title.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: readonly string[]) => row.map((cell, i) => cell.padStart(widths[i]!)).join('  ');
  return [line(TABLE_COLUMNS), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)];
}

export function perKeyLines(rows: readonly ScenarioFigures[]): string[] {
  return rows.map((f) => {
    const commands = Object.entries(f.perKey.commands)
      .map(([name, n]) => `${name} ${n.toFixed(1)}`)
      .join(', ');
    return `N=${f.keys}: per key ${f.perKey.ctapCommands.toFixed(1)} CTAP commands (${commands}) = ${f.perKey.deviceMs.toFixed(0)} ms on the key; ${f.perKey.touches.toFixed(1)} touch (technician busy ${(f.technicianBusy * 100).toFixed(0)}% of the run); ${f.perKey.oktaCalls.toFixed(1)} Okta calls; slot time ${(f.perKey.slotMs / 1000).toFixed(2)} s; job p95 ${f.jobSeconds.p95.toFixed(2)} s; ` +
      `Okta budget sustained ${whole(f.oktaSustainedPerHour)} keys/h; run ${f.elapsedS.toFixed(1)} s; RSS at start ${f.memoryMB.baselineRss.toFixed(0)} MB`;
  });
}

export function importLines(f: ImportFigures): string[] {
  return [
    `Order import: ${f.rows} CSV rows (${(f.csvBytes / 1024).toFixed(0)} KiB) parsed in ${f.parseMs.toFixed(0)} ms, ${f.parsedOrders} orders, ${f.parseErrors} errors; ` +
      `memory kept ${(f.parseHeapDeltaBytes / MB).toFixed(1)} MB heap, ${(f.parseRssDeltaBytes / MB).toFixed(1)} MB RSS${f.gcForced ? ' (after a full GC)' : ' (no GC available: includes garbage)'}`,
    `Queued into the journal in ${f.insertMs.toFixed(0)} ms: ${whole(f.insertRowsPerSecond)} rows/s (one transaction)`,
  ];
}

export function journalLines(f: JournalFigures): string[] {
  const sync = f.synchronous === 2 ? 'FULL' : String(f.synchronous);
  return [
    `Journal: ${f.steps} steps appended in ${(f.elapsedMs / 1000).toFixed(1)} s = ${whole(f.stepsPerSecond)} steps/s, one durable commit each ` +
      `(journal_mode ${f.journalMode.toUpperCase()}, synchronous ${sync}; steps of a real job, mean ${f.meanStepBytes.toFixed(0)} bytes)`,
  ];
}

function whole(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toString() : '∞';
}

function optional(n: number | undefined): string {
  return n === undefined ? 'n/a' : n.toFixed(0);
}
