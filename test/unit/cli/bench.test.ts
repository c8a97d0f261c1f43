// The benchmark's smallest scenario, reduced: it must print the whole table and finish every key.
// Figures are printed, never asserted: a benchmark that fails on a time would fail on a busy machine.
import { describe, expect, it } from 'vitest';
import { ClientPin } from '../../../electron/core/ctap/client-pin.js';
import { Ctap2 } from '../../../electron/core/ctap/ctap2.js';
import { CtapHidConnection } from '../../../electron/core/ctap/ctaphid.js';
import { pinProtocol } from '../../../electron/core/ctap/pin-protocol.js';
import type { HidDevice } from '../../../electron/core/hid/device.js';
import { VirtualKey } from '../../../electron/core/virtual-key/virtual-key.js';
import { cborCommandOf, startsSetPin } from '../../../electron/cli/bench/ctap-frames.js';
import { scenarioFigures } from '../../../electron/cli/bench/figures.js';
import { REALISTIC } from '../../../electron/cli/bench/latency-model.js';
import type { ScenarioMeasurement } from '../../../electron/cli/bench/scenario.js';
import { benchCommand } from '../../../electron/cli/commands/bench.js';
import type { Output } from '../../../electron/cli/usage.js';

function capture(): Output & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

const SMOKE = ['--keys', '1,2', '--orders-per-key', '1', '--fast', '--import-rows', '200', '--journal-ms', '30'];

const COLUMNS = ['N', 'keys', 'done', 'keys/h', 'touch≤/h', 'slots≤/h', 'okta≤/h', 'bound/h', 'ratio', 'speed-up', 'job p50 s', 'CPU ms/key', 'farm CPU', 'sim CPU', 'peak RSS MB', 'peak heap MB', '429s'];

describe('keybench bench', () => {
  it('prints the throughput table with every column, one row per N, every key done, then the import and journal figures', async () => {
    const io = capture();
    expect(await benchCommand(SMOKE, io), io.stderr.join('\n')).toBe(0);
    const headerIndex = io.stdout.findIndex((line) => line.trimStart().startsWith('N  '));
    expect(headerIndex).toBeGreaterThan(0);
    expect(io.stdout[headerIndex]!.trim().split(/\s{2,}/)).toEqual(COLUMNS);
    const rows = io.stdout.slice(headerIndex + 2, headerIndex + 4).map((line) => line.trim().split(/\s{2,}/));
    expect(rows.map((r) => r.length)).toEqual([COLUMNS.length, COLUMNS.length]);
    expect(rows.map((r) => [r[0], r[1], r[2]])).toEqual([
      ['1', '1', '1'],
      ['2', '2', '2'],
    ]);
    expect(rows[0]![COLUMNS.indexOf('speed-up')]).toBe('1.00×');
    expect(io.stdout.some((line) => /^Order import: 200 CSV rows .* 200 orders, 0 errors/.test(line))).toBe(true);
    expect(io.stdout.some((line) => /^Journal: \d+ steps .*journal_mode WAL, synchronous FULL/.test(line))).toBe(true);
  }, 60_000);

  it('rejects a key list it cannot run, with the usage', async () => {
    await expect(benchCommand(['--keys', '0,2'], capture())).rejects.toMatchObject({ name: 'UsageError', message: expect.stringContaining('--keys takes a list') });
  });
});

describe('the bench figures', () => {
  // Four keys, twelve orders in 12 s; per key: 14 CTAP commands (one setPIN), one touch, five Okta calls.
  const measured: ScenarioMeasurement = {
    keys: 4,
    orders: 12,
    done: 12,
    failed: 0,
    failures: [],
    elapsedMs: 12_000,
    jobMs: Array.from({ length: 12 }, (_, i) => 2000 + i * 100),
    touches: 12,
    oktaCalls: 60,
    rateLimited: 0,
    commands: { makeCredential: 12, getInfo: 36, clientPIN: 72, credentialManagement: 24, config: 24 },
    setPins: 12,
    stationCpuMs: 1200,
    keyFarmCpuMs: 600,
    simulatorCpuMs: undefined,
    memory: { baselineRssBytes: 100 * 2 ** 20, peakRssBytes: 150 * 2 ** 20, peakHeapUsedBytes: 40 * 2 ** 20, peakHeapTotalBytes: 60 * 2 ** 20, samples: 240 },
    sampleSteps: [],
  };

  it('bounds the rate by the lowest of touch, slots and the Okta budget, and compares against it and against N=1', () => {
    const f = scenarioFigures(measured, REALISTIC, 1800);
    expect(f.keysPerHour).toBeCloseTo(3600);
    expect(f.perKey).toMatchObject({ touches: 1, ctapCommands: 14, deviceMs: 300 + 13 * 20 + 130, oktaCalls: 5, slotMs: 690 + 700 + 5 * 120 });
    expect(f.bounds.touch).toBeCloseTo(3_600_000 / 700);
    expect(f.bounds.slots).toBeCloseTo((4 * 3_600_000) / 1990);
    // 12 s fit in one budget window of 300 calls: 60 keys' worth in 12 s.
    expect(f.bounds.okta).toBeCloseTo((300 / 5) * 300);
    expect(f.oktaSustainedPerHour).toBeCloseTo(3600);
    expect(f.limitedBy).toBe('touch');
    expect(f.ratio).toBeCloseTo(3600 / (3_600_000 / 700));
    expect(f.speedUp).toBeCloseTo(2);
    expect(f.cpuMsPerKey).toEqual({ station: 100, keyFarm: 50 });
    expect(f.memoryMB).toMatchObject({ peakRss: 150, peakHeapUsed: 40 });
  });

  it('holds the Okta bound to the sustained budget over a run of many windows', () => {
    const f = scenarioFigures({ ...measured, elapsedMs: 60 * 60_000 }, REALISTIC, undefined);
    expect(f.bounds.okta).toBeCloseTo(3600);
    expect(f.speedUp).toBe(1);
  });
});

describe('reading CTAP commands off HID reports', () => {
  it('finds each command a client sends, and tells setPIN from the other clientPIN subcommands', async () => {
    const key = new VirtualKey({ userPresence: { mode: 'auto', delayMs: 0 } });
    const device = key.open();
    const written: Uint8Array[] = [];
    const recording: HidDevice = { ...device, descriptor: device.descriptor, read: (ms) => device.read(ms), close: () => device.close(), write: (r) => (written.push(r), device.write(r)) };
    const connection = await CtapHidConnection.open(recording);
    try {
      const ctap = new Ctap2(connection);
      await ctap.getInfo();
      await new ClientPin(ctap, pinProtocol(2)).setPin('73915024');
    } finally {
      await connection.close();
    }
    const commands = written.map(cborCommandOf).filter((c) => c !== undefined);
    expect(commands).toEqual(['getInfo', 'clientPIN', 'clientPIN']);
    expect(written.filter(startsSetPin)).toHaveLength(1);
    expect(key.snapshot().pinSet).toBe(true);
  });
});
