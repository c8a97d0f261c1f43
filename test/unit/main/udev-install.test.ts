import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { KIOSK_RULE_TARGET, KIOSK_UDEV_RULE, offerUdevRuleInstall, PKEXEC, spawnRunner, udevInstallApplies } from '../../../electron/main/udev-install.js';
import type { UdevInstallDeps } from '../../../electron/main/udev-install.js';

const SHIPPED_RULE = readFileSync('build/linux/70-keybench-kiosk.rules', 'utf8');
const EACCES = 'cannot open device with path /dev/hidraw3: EACCES: permission denied';

function fakeDeps(overrides: Partial<UdevInstallDeps> & { exitCodes?: (number | null)[] } = {}) {
  const runs: { argv: readonly string[]; input: string | undefined }[] = [];
  const questions: string[] = [];
  const exitCodes = overrides.exitCodes ?? [0, 0];
  const deps: UdevInstallDeps = {
    platform: 'linux',
    appImage: '/home/bench/keybench.AppImage',
    ruleSource: '/tmp/.mount_keybenXYZ/resources/udev/70-keybench-kiosk.rules',
    readFile: async () => SHIPPED_RULE,
    exists: () => true,
    run: async (argv, input) => {
      runs.push({ argv, input });
      return exitCodes[runs.length - 1] ?? 0;
    },
    confirm: async (q) => {
      questions.push(q.detail);
      return true;
    },
    ...overrides,
  };
  return { deps, runs, questions };
}

describe('AppImage udev rule offer', () => {
  it('applies only to an AppImage on Linux whose key open failed for lack of permission', () => {
    expect(udevInstallApplies('linux', '/x.AppImage', EACCES)).toBe(true);
    expect(udevInstallApplies('linux', undefined, EACCES)).toBe(false);
    expect(udevInstallApplies('win32', '/x.AppImage', 'Access is denied')).toBe(false);
    expect(udevInstallApplies('linux', '/x.AppImage', 'ENODEV: no such device')).toBe(false);
  });

  it('writes the shipped rule through pkexec tee with fixed argv, then triggers udev for hidraw', async () => {
    const { deps, runs, questions } = fakeDeps();
    const outcome = await offerUdevRuleInstall(EACCES, deps);
    expect(outcome.kind).toBe('installed');
    expect(questions[0]).toContain(KIOSK_UDEV_RULE);
    expect(runs).toEqual([
      { argv: [PKEXEC, '/usr/bin/tee', KIOSK_RULE_TARGET], input: SHIPPED_RULE },
      { argv: [PKEXEC, '/bin/udevadm', 'trigger', '--subsystem-match=hidraw'], input: undefined },
    ]);
  });

  it('runs nothing when the technician declines', async () => {
    const { deps, runs } = fakeDeps({ confirm: async () => false });
    expect(await offerUdevRuleInstall(EACCES, deps)).toEqual({ kind: 'declined' });
    expect(runs).toEqual([]);
  });

  it('treats a dismissed password dialog as dismissed and does not go on to udevadm', async () => {
    const { deps, runs } = fakeDeps({ exitCodes: [126] });
    expect(await offerUdevRuleInstall(EACCES, deps)).toEqual({ kind: 'dismissed' });
    expect(runs).toHaveLength(1);
  });

  it('refuses a rule file that is not the one keybench ships, and says how to install by hand', async () => {
    const { deps, runs } = fakeDeps({ readFile: async () => 'KERNEL=="hidraw*", MODE="0666"\n' });
    const outcome = await offerUdevRuleInstall(EACCES, deps);
    expect(outcome.kind).toBe('manual');
    expect(outcome.kind === 'manual' && outcome.advice).toContain('sudo install -m0644');
    expect(runs).toEqual([]);
  });

  it('falls back to manual steps without pkexec, and when writing the rule fails', async () => {
    expect((await offerUdevRuleInstall(EACCES, fakeDeps({ exists: () => false }).deps)).kind).toBe('manual');
    expect((await offerUdevRuleInstall(EACCES, fakeDeps({ exitCodes: [1] }).deps)).kind).toBe('manual');
  });

  it('still reports the rule installed when only the trigger fails, asking for a replug', async () => {
    const outcome = await offerUdevRuleInstall(EACCES, fakeDeps({ exitCodes: [0, 1] }).deps);
    expect(outcome.kind === 'installed' && outcome.advice).toMatch(/replug/);
  });
});

describe('spawnRunner', () => {
  function fakeSpawn(exitCode: number | null, error?: Error) {
    const calls: { command: string; args: readonly string[]; shell: unknown; stdin: string }[] = [];
    const spawn = (command: string, args: readonly string[], options: { shell?: unknown }) => {
      const child = new EventEmitter() as ChildProcess;
      const stdin = new PassThrough();
      let written = '';
      stdin.on('data', (chunk: Buffer) => (written += chunk.toString()));
      stdin.on('finish', () => {
        calls.push({ command, args, shell: options.shell, stdin: written });
        setImmediate(() => (error ? child.emit('error', error) : child.emit('close', exitCode)));
      });
      Object.assign(child, { stdin });
      return child;
    };
    return { spawn, calls };
  }

  it('spawns without a shell, feeds stdin and resolves with the exit code', async () => {
    const { spawn, calls } = fakeSpawn(0);
    expect(await spawnRunner(spawn)(['/usr/bin/pkexec', '/usr/bin/tee', '/etc/x'], 'rule\n')).toBe(0);
    expect(calls).toEqual([{ command: '/usr/bin/pkexec', args: ['/usr/bin/tee', '/etc/x'], shell: false, stdin: 'rule\n' }]);
  });

  it('resolves null when the program cannot be started', async () => {
    const { spawn } = fakeSpawn(null, new Error('ENOENT'));
    expect(await spawnRunner(spawn)(['/usr/bin/pkexec'])).toBeNull();
  });
});
