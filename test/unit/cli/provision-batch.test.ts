// `keybench provision`, `batch` and `report` in-process: exit codes, bad import rows by line, the offline
// batch flow against a running simulator, and the report's CSV.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../electron/cli/main.js';
import type { Output } from '../../../electron/cli/usage.js';
import { startSimulator, type SimulatorHandle } from '../../../electron/core/sim/index.js';

function capture(): Output & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(...l.split('\n')), err: (l) => stderr.push(...l.split('\n')) };
}

async function run(argv: string[]): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
  const io = capture();
  const code = await main(argv, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

let sim: SimulatorHandle;
let dir: string;
let db: string;
const savedEnv = { ...process.env };

beforeAll(async () => {
  sim = await startSimulator({ latencyMs: 1 });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keybench-cli-'));
  db = join(dir, 'journal.db');
  process.env.KEYBENCH_DATA = dir;
  process.env.KEYBENCH_OKTA_TOKEN = sim.apiToken;
  process.env.KEYBENCH_PASSPHRASE = 'cli test passphrase';
});
afterEach(async () => {
  for (const name of ['KEYBENCH_DATA', 'KEYBENCH_OKTA_TOKEN', 'KEYBENCH_PASSPHRASE']) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
  await rm(dir, { recursive: true, force: true });
});

describe('command-line mistakes exit 2 with the usage', () => {
  it.each([
    [['batch'], /batch needs an action/],
    [['batch', 'frobnicate'], /unknown batch action "frobnicate"/],
    [['batch', 'import'], /exactly one <file>/],
    [['batch', 'sync', '--offline'], /--offline belongs to batch run/],
    [['provision'], /provision needs --user/],
    [['provision', '--user', 'alice@example.com', '--sim', '--org', 'https://example.okta.com'], /--sim and --org exclude each other/],
    [['provision', '--user', 'alice@example.com', '--oauth-client-id', 'abc'], /--oauth-client-id and --oauth-key go together/],
    [['provision', '--user', 'alice@example.com', '--virtual-knobs=--latency soon'], /--virtual-knobs/],
    [['report', '--format', 'xml'], /--format takes csv or json/],
    [['report', '--day', '2024-02-30'], /--day takes a date/],
  ])('%j', async (argv, message) => {
    const result = await run(argv);
    expect(result.code).toBe(2);
    expect(result.stderr.join('\n')).toMatch(message);
    expect(result.stderr.join('\n')).toContain('Usage:');
  });

  it('refuses an API token on the command line, and never echoes it', async () => {
    const result = await run(['provision', '--user', 'alice@example.com', '--org', sim.url, '--token', 'secret-token-value']);
    expect(result.code).toBe(2);
    expect(result.stderr.join('\n')).toMatch(/never taken from the command line/);
    expect(result.stderr.join('\n')).not.toContain('secret-token-value');
  });

  it('asks for the token variable and the passphrase when a real org is named', async () => {
    delete process.env.KEYBENCH_OKTA_TOKEN;
    expect((await run(['batch', 'sync', '--org', sim.url, '--db', db])).stderr.join('\n')).toMatch(/set \$KEYBENCH_OKTA_TOKEN/);
    process.env.KEYBENCH_OKTA_TOKEN = sim.apiToken;
    delete process.env.KEYBENCH_PASSPHRASE;
    const result = await run(['batch', 'sync', '--org', sim.url, '--db', db]);
    expect(result.code).toBe(2);
    expect(result.stderr.join('\n')).toMatch(/KEYBENCH_PASSPHRASE/);
  });
});

describe('keybench batch import', () => {
  it('imports the good rows, lists the bad ones by line and exits 1', async () => {
    const file = join(dir, 'monday.csv');
    await writeFile(file, 'user,orderId,delivery\nalice@example.com,o-1,email\n,o-2,email\nbob@example.com,o-3,carrier-pigeon\ncarol@example.com,o-4,\n');
    const result = await run(['batch', 'import', file, '--db', db]);
    expect(result.code).toBe(1);
    expect(result.stderr).toEqual([expect.stringMatching(/^.*monday\.csv:3: .*user/i), expect.stringMatching(/^.*monday\.csv:4: .*carrier-pigeon/)]);
    expect(result.stdout.join('\n')).toMatch(/Imported 2 orders into batch monday; 2 bad rows skipped/);

    const status = await run(['batch', 'status', '--db', db, '--json']);
    expect(JSON.parse(status.stdout[0]!)).toMatchObject({ waiting: 2, done: 0 });
    // The same file again: every row is now a duplicate, reported by line.
    const again = await run(['batch', 'import', file, '--db', db]);
    expect(again.code).toBe(1);
    expect(again.stderr.filter((l) => /already in the journal/.test(l)).map((l) => l.replace(/^.*monday\.csv:/, ''))).toEqual([
      '2: order o-1 is already in the journal; skipped',
      '5: order o-4 is already in the journal; skipped',
    ]);
  });

  it('exits 0 for a clean file', async () => {
    const file = join(dir, 'clean.json');
    await writeFile(file, JSON.stringify([{ user: 'alice@example.com' }]));
    expect((await run(['batch', 'import', file, '--db', db, '--batch', 'b-7'])).code).toBe(0);
  });
});

describe('the offline batch from the command line', () => {
  it('enrolls ahead, programs keys offline, reports them awaiting activation, then syncs them', async () => {
    const file = join(dir, 'orders.csv');
    await writeFile(file, 'user,orderId\nalice@example.com,o-1\nbob@example.com,o-2\n');
    const org = ['--org', sim.url, '--db', db, '--no-usb'];
    expect((await run(['batch', 'import', file, '--db', db])).code).toBe(0);

    const unknown = await run(['batch', 'enroll', '--order', 'o-9', ...org]);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr.join('\n')).toMatch(/No order o-9/);

    const enroll = await run(['batch', 'enroll', ...org, '--json']);
    expect(enroll.code).toBe(0);
    const events = enroll.stdout.map((line) => JSON.parse(line) as { type: string; outcome?: string });
    expect(events.filter((e) => e.type === 'batch-item').map((e) => e.outcome)).toEqual(['enrolled-ahead', 'enrolled-ahead']);

    const offline = await run(['batch', 'run', '--offline', '--virtual', '2', '--virtual-knobs=--touch auto:10', ...org]);
    expect(offline.code, offline.stderr.join('\n')).toBe(0);
    expect(offline.stdout.filter((l) => /programmed — remove the key/.test(l))).toHaveLength(2);
    const parked = await run(['batch', 'status', '--db', db, '--json']);
    expect(JSON.parse(parked.stdout[0]!)).toMatchObject({ enrolledAhead: 0, awaitingActivation: 2, done: 0 });

    const sync = await run(['batch', 'sync', ...org]);
    expect(sync.code, sync.stderr.join('\n')).toBe(0);
    expect(sync.stdout.at(-1)).toMatch(/^Synced: 2 activated, 0 already active, 0 expired and enrolled again, 0 failed/);
    expect(JSON.parse((await run(['batch', 'status', '--db', db, '--json'])).stdout[0]!)).toMatchObject({ awaitingActivation: 0, done: 2 });

    const report = await run(['report', '--db', db, '--batch', 'orders']);
    expect(report.code).toBe(0);
    expect(report.stdout[0]!.replace(/^\uFEFF/, '')).toMatch(/^jobId,batchId,orderId,user,/);
    expect(report.stdout.slice(1).filter((l) => l.includes(',orders,'))).toHaveLength(2);
    expect(report.stdout.join('\n')).not.toContain(sim.apiToken);
  });
});

describe('exit codes of provision', () => {
  it('exits 0 with the key provisioned, and the report lists it under a CSV header', async () => {
    const result = await run(['provision', '--user', 'alice@example.com', '--sim', '--virtual', '1', '--virtual-knobs=--touch auto:10', '--no-usb', '--db', db]);
    expect(result.code, result.stderr.join('\n')).toBe(0);
    expect(result.stdout.at(-1)).toMatch(/^Provisioned alice@example.com: order .* done on virtual:1\.$/);
    const report = await run(['report', '--db', db]);
    expect(report.stdout[0]!.replace(/^\uFEFF/, '').split(',').slice(0, 4)).toEqual(['jobId', 'batchId', 'orderId', 'user']);
    expect(report.stdout[1]).toMatch(/,alice@example\.com,.*,done,done,/);
  });

  it('exits 3 when no key is plugged in, keeping the order for the next run', async () => {
    const result = await run(['provision', '--user', 'alice@example.com', '--org', sim.url, '--db', db, '--no-usb']);
    expect(result.code).toBe(3);
    expect(result.stderr.join('\n')).toMatch(/No ready key is plugged in\. Order .* waits in the journal/);
  });

  it('exits 4 when the org does not answer', async () => {
    const result = await run(['provision', '--user', 'alice@example.com', '--org', 'http://127.0.0.1:9', '--db', db, '--no-usb']);
    expect(result.code).toBe(4);
    expect(result.stderr.join('\n')).toMatch(/does not answer/);
  });
});
