// The Okta simulator in its own process (`keybench sim`), so its CPU time is not the station's. The bench
// seeds it with enough users for every order and reads its URL and API token from its first lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { SeedUser } from '../../core/sim/index.js';

export interface SimProcess {
  readonly url: string;
  readonly apiToken: string;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

export function benchUserLogin(index: number): string {
  return `bench${String(index + 1).padStart(5, '0')}@example.com`;
}

/** Writes a seed file of `count` active users named by `benchUserLogin`. */
export async function writeBenchUsers(dir: string, count: number): Promise<string> {
  const users: SeedUser[] = Array.from({ length: count }, (_, i) => ({ login: benchUserLogin(i), firstName: 'Bench', lastName: `User ${i + 1}` }));
  const path = join(dir, 'bench-users.json');
  await writeFile(path, JSON.stringify(users));
  return path;
}

const STARTUP_MS = 30_000;

export async function startSimProcess(options: { usersFile: string; outboxDir: string; latencyMs: number; rpm: number }): Promise<SimProcess> {
  const cli = fileURLToPath(new URL('../keybench.mjs', import.meta.url));
  const args = [cli, 'sim', '--users', options.usersFile, '--outbox', options.outboxDir, '--latency', String(options.latencyMs), '--rpm', String(options.rpm)];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  let url: string | undefined;
  let apiToken: string | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`The simulator did not start within ${STARTUP_MS / 1000} s.`)), STARTUP_MS);
      child.once('exit', (code) => reject(new Error(`The simulator exited before it was ready (exit code ${code}).`)));
      lines.on('line', (line) => {
        url ??= /^Okta simulator listening on (\S+)/.exec(line)?.[1];
        apiToken ??= /^API token \(SSWS, demo only\): (\S+)/.exec(line)?.[1];
        if (url !== undefined && apiToken !== undefined) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } catch (error) {
    child.kill();
    throw error;
  }
  return { url: url!, apiToken: apiToken!, pid: child.pid, stop: () => stop(child) };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
