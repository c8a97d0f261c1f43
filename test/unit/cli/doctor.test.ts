// `keybench doctor` in-process against running simulators: one line per check, the fix under failures,
// exit 0 / 1 / 4, JSON output, users from an order file, and the `keybench sim --fail-preflight` knob.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctorCommand } from '../../../electron/cli/commands/doctor.js';
import { simOptions } from '../../../electron/cli/commands/sim.js';
import { main } from '../../../electron/cli/main.js';
import { UsageError, type Output } from '../../../electron/cli/usage.js';
import { startSimulator, type SimulatorHandle } from '../../../electron/core/sim/index.js';

interface Run {
  readonly code: number;
  readonly stdout: string[];
  readonly stderr: string[];
}

async function doctor(argv: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io: Output = { out: (l) => stdout.push(...l.split('\n')), err: (l) => stderr.push(...l.split('\n')) };
  const code = await doctorCommand(argv, io, env);
  return { code, stdout, stderr };
}

let healthy: SimulatorHandle;
let disabled: SimulatorHandle;
let dir: string;

beforeAll(async () => {
  healthy = await startSimulator();
  disabled = await startSimulator({ preflightFaults: { preregistrationDisabled: true } });
  dir = await mkdtemp(join(tmpdir(), 'keybench-doctor-'));
});
afterAll(async () => {
  await Promise.all([healthy.close(), disabled.close()]);
  await rm(dir, { recursive: true, force: true });
});

const envFor = (sim: SimulatorHandle): NodeJS.ProcessEnv => ({ KEYBENCH_OKTA_TOKEN: sim.apiToken, KEYBENCH_DATA: dir });

describe('keybench doctor', () => {
  it('exits 0 on a healthy org, one marked line per check, the SSWS warning with its fix', async () => {
    const { code, stdout, stderr } = await doctor(['--org', healthy.url, '--user', 'alice@example.com'], envFor(healthy));
    expect(code).toBe(0);
    expect(stdout[0]).toBe(`Preflight of ${healthy.url}`);
    expect(stdout).toContain(`✓ reachable: Okta at ${healthy.url} answered (HTTP 404)`);
    expect(stdout.some((l) => l.startsWith('! scopes: SSWS tokens carry no scopes'))).toBe(true);
    expect(stdout.some((l) => l.startsWith('    fix: Admin Console → Security → Administrators'))).toBe(true);
    for (const id of ['token', 'preregistration', 'clock', 'user-exists alice@example.com', 'user-no-pending alice@example.com']) {
      expect(stdout.some((l) => l.startsWith(`✓ ${id}: `))).toBe(true);
    }
    expect(stdout.at(-1)).toBe('8 passed, 1 warning(s), 0 failed, 0 skipped.');
    expect([...stdout, ...stderr].join('\n')).not.toContain(healthy.apiToken);
  });

  it('exits 1 when a check fails and prints the fix under it', async () => {
    const { code, stdout } = await doctor(['--org', healthy.url, '--user', 'nobody@example.com', '--user', 'mallory@example.com'], envFor(healthy));
    expect(code).toBe(1);
    const missing = stdout.findIndex((l) => l.startsWith('✗ user-exists nobody@example.com: '));
    expect(missing).toBeGreaterThan(0);
    expect(stdout[missing + 1]).toMatch(/^ {4}fix: Admin Console → Directory → People/);
    expect(stdout).toContain('- user-status nobody@example.com: skipped: no such user');
    expect(stdout.some((l) => l.startsWith('✗ user-status mallory@example.com: mallory@example.com is SUSPENDED'))).toBe(true);
  });

  it('exits 1 on an org without WebAuthn Preregistration', async () => {
    const { code, stdout } = await doctor(['--org', disabled.url], envFor(disabled));
    expect(code).toBe(1);
    expect(stdout.some((l) => l.startsWith('✗ preregistration: WebAuthn Preregistration is not enabled'))).toBe(true);
  });

  it('exits 4 when the org does not answer', async () => {
    const gone = await startSimulator();
    const { url } = gone;
    await gone.close();
    const { code, stdout } = await doctor(['--org', url], { KEYBENCH_OKTA_TOKEN: gone.apiToken });
    expect(code).toBe(4);
    expect(stdout.some((l) => l.startsWith(`✗ reachable: Okta at ${url} does not answer`))).toBe(true);
    expect(stdout.filter((l) => l.startsWith('- '))).toHaveLength(4);
  });

  it('--json prints the report as one object', async () => {
    const { code, stdout } = await doctor(['--org', healthy.url, '--user', 'grace@example.com', '--json'], envFor(healthy));
    expect(code).toBe(0);
    expect(stdout).toHaveLength(1);
    const report = JSON.parse(stdout[0]!) as { org: string; ok: boolean; checks: { id: string; subject?: string; status: string }[] };
    expect(report.org).toBe(healthy.url);
    expect(report.ok).toBe(true);
    expect(report.checks.filter((c) => c.subject === 'grace@example.com').map((c) => c.status)).toEqual(['pass', 'pass', 'pass', 'pass']);
  });

  it('--orders checks every user of the file and reports its bad rows by line', async () => {
    const file = join(dir, 'orders.csv');
    await writeFile(file, 'user,orderId\nalice@example.com,A-1\nnobody@example.com,A-2\n,A-3\n');
    const { code, stdout, stderr } = await doctor(['--org', healthy.url, '--orders', file, '--json'], envFor(healthy));
    expect(code).toBe(1);
    const report = JSON.parse(stdout[0]!) as { checks: { id: string; subject?: string; status: string }[] };
    expect(report.checks.find((c) => c.id === 'user-exists' && c.subject === 'alice@example.com')?.status).toBe('pass');
    expect(report.checks.find((c) => c.id === 'user-exists' && c.subject === 'nobody@example.com')?.status).toBe('fail');
    expect(stderr.some((l) => l.startsWith(`${file}:4: `))).toBe(true);
  });

  it('--sim checks the embedded simulator', async () => {
    const { code, stdout } = await doctor(['--sim', '--user', 'bob@example.com'], {});
    expect(code).toBe(0);
    expect(stdout.some((l) => l.startsWith('✓ user-status bob@example.com: bob@example.com is ACTIVE'))).toBe(true);
  });

  it('refuses a token on the command line and a missing org (exit 2 through main)', async () => {
    const lines: string[] = [];
    const io: Output = { out: (l) => lines.push(l), err: (l) => lines.push(l) };
    expect(await main(['doctor', '--org', healthy.url, `--token=${healthy.apiToken}`], io)).toBe(2);
    expect(lines.join('\n')).not.toContain(healthy.apiToken);
    expect(await main(['doctor'], io)).toBe(2);
    expect(await main(['doctor', '--help'], io)).toBe(0);
  });
});

describe('keybench sim --fail-preflight', () => {
  it('parses prereg-disabled and skew in seconds', () => {
    expect(simOptions(['--fail-preflight', 'prereg-disabled,skew=-90']).preflightFaults).toEqual({ preregistrationDisabled: true, clockSkewMs: -90_000 });
    expect(simOptions([]).preflightFaults).toBeUndefined();
  });

  it('refuses an unknown fault', () => {
    expect(() => simOptions(['--fail-preflight', 'no-dns'])).toThrow(UsageError);
  });
});
