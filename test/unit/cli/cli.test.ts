import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { main } from '../../../electron/cli/main.js';
import type { Output } from '../../../electron/cli/usage.js';

function capture(): Output & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

describe('keybench keys', () => {
  it('lists two virtual keys as JSON with what it read from each', async () => {
    const io = capture();
    expect(await main(['keys', '--virtual', '2', '--json'], io)).toBe(0);
    const keys = JSON.parse(io.stdout.join('\n')) as Array<Record<string, unknown>>;
    const virtual = keys.filter((k) => k.kind === 'virtual');
    expect(virtual).toHaveLength(2);
    expect(virtual.map((k) => k.path)).toEqual(['virtual:1', 'virtual:2']);
    for (const k of virtual) {
      expect(k).toMatchObject({ pinSet: false, minPinLength: 4, forcePinChange: false, firmwareVersion: '5.4.3' });
      expect(k.versions).toContain('FIDO_2_1');
      expect(k.aaguid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(k.serial).toBeTruthy();
    }
    expect(new Set(virtual.map((k) => k.serial)).size).toBe(2);
  });

  it('selects a key by number, path or serial', async () => {
    const byPath = capture();
    expect(await main(['keys', 'info', 'virtual:2', '--virtual', '2', '--json'], byPath)).toBe(0);
    const key = JSON.parse(byPath.stdout.join('\n')) as { path: string; serial: string };
    expect(key.path).toBe('virtual:2');
    const bySerial = capture();
    expect(await main(['keys', 'info', key.serial, '--virtual', '2', '--json'], bySerial)).toBe(0);
    expect(JSON.parse(bySerial.stdout.join('\n')).path).toBe('virtual:2');
  });

  it('winks and resets a virtual key', async () => {
    const io = capture();
    expect(await main(['keys', 'wink', 'virtual:1', '--virtual', '1'], io)).toBe(0);
    expect(await main(['keys', 'reset', 'virtual:1', '--virtual', '1'], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/reset to factory state/);
  });

  it('exits 3 with a hint for a key that is not there', async () => {
    const io = capture();
    expect(await main(['keys', 'info', '7', '--virtual', '1'], io)).toBe(3);
    expect(io.stderr.join('\n')).toMatch(/keybench keys/);
  });

  it.each([
    [['keys', 'frob']],
    [['keys', '--virtual', 'two']],
    [['keys', 'wink']],
    [['keys', 'list', 'extra']],
    [['keys', '--bogus']],
    [['nonsense']],
    [['virtual-key', '--latency']],
    [['virtual-key', '--touch', 'sometimes', '--stdio']],
    [['virtual-key']],
    [['sim', '--port', 'abc']],
    [['sim', '--port', '70000']],
  ])('rejects %j with usage and exit code 2', async (argv) => {
    const io = capture();
    expect(await main(argv, io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/Usage/);
  });
});

describe('keybench sim', () => {
  it('starts, prints its URL and a demo token that the API accepts, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['electron/cli/keybench.mjs', 'sim', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const lines = createInterface({ input: child.stdout });
      let url = '';
      let token = '';
      for await (const line of lines) {
        url ||= /listening on (http:\/\/\S+)/.exec(line)?.[1] ?? '';
        token ||= /API token \(SSWS, demo only\): (\S+)/.exec(line)?.[1] ?? '';
        if (url && token) break;
      }
      const res = await fetch(`${url}/api/v1/users/alice%40example.com`, { headers: { Authorization: `SSWS ${token}`, Accept: 'application/json' } });
      expect(res.status).toBe(200);
      expect((await res.json()).profile.login).toBe('alice@example.com');
      const denied = await fetch(`${url}/api/v1/users/alice%40example.com`, { headers: { Authorization: 'SSWS wrong' } });
      expect(denied.status).toBe(401);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
