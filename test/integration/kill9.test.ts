// The real crash: `keybench provision` in a child process, killed with SIGKILL right after a journaled step
// (the test watches the journal file), then the same command again on the same journal. The virtual key
// lived in the killed process, so its state is gone — the key was unplugged across the crash, and another
// one is plugged in. Whatever the moment, the interrupted job ends ACTIVE exactly once (finished from the
// journal), or cleaned up (FULFILLMENT_ERRORED) with its order requeued and provisioned on the new key;
// never PENDING_ACTIVATION, never a second order. Neither the PIN nor the API token may reach the file.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimulatorHandle } from '../../electron/core/sim/index.js';
import { Journal } from '../../electron/core/station/journal.js';
import { mailedPin } from '../unit/station/harness.js';

const CLI = join(process.cwd(), 'electron/cli/keybench.mjs');
// Every key command takes a while, so the kill lands before the next step is journaled.
const SLOW_KEY = '--virtual-knobs=--latency 120 --touch auto:40';
const OTHER_KEY = '--virtual-knobs=--serial KBVK99999999 --touch auto:10';

interface Run {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exit: Promise<number | null>;
}

function cli(args: readonly string[], env: NodeJS.ProcessEnv): Run {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exit };
}

/** Polls the journal read-only (as a second process would) until `step` is committed. */
async function stepCommitted(path: string, step: string, run: Run, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let db: Database.Database | undefined;
  try {
    for (;;) {
      if (Date.now() > deadline) throw new Error(`step ${step} never appeared; the child said:\n${run.output()}`);
      try {
        db ??= new Database(path, { readonly: true, fileMustExist: true });
        if (db.prepare('SELECT 1 FROM steps WHERE name = ? LIMIT 1').get(step)) return;
      } catch {
        // Not created or not migrated yet: open it again on the next round.
        db?.close();
        db = undefined;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    db?.close();
  }
}

async function fileBytes(dir: string): Promise<Buffer> {
  const files = (await readdir(dir)).filter((f) => f.startsWith('journal.db'));
  return Buffer.concat(await Promise.all(files.map((f) => readFile(join(dir, f)))));
}

/** Kill points, and what a restart without the first key must make of them (reconcile.ts). */
const POINTS = [
  { step: 'enrolled', login: 'alice@example.com', expected: 'cleaned-up' }, // requests journaled, key not programmed yet
  { step: 'pin-set', login: 'bob@example.com', expected: 'cleaned-up' }, // the PIN died with the key
  { step: 'credential-made', login: 'carol@example.com', expected: 'cleaned-up' }, // forceChangePin promised, not applied
  { step: 'verified', login: 'dave@example.com', expected: 'active' }, // everything activate needs is journaled
] as const;

let sim: SimulatorHandle;
let root: string;
beforeAll(async () => {
  sim = await startSimulator({ latencyMs: 60 });
  root = await mkdtemp(join(tmpdir(), 'keybench-kill9-'));
});
afterAll(async () => {
  await sim?.close();
  await rm(root, { recursive: true, force: true });
});

describe('kill -9 mid-provisioning, then run again', () => {
  it('ends every kill point ACTIVE exactly once or cleaned up with the order requeued, and never leaks the PIN or token', async () => {
    await Promise.all(
      POINTS.map(async (point) => {
        const dir = await mkdtemp(join(root, `${point.step}-`));
        const db = join(dir, 'journal.db');
        const env = { ...process.env, KEYBENCH_DATA: dir, KEYBENCH_PASSPHRASE: 'kill9 test passphrase', KEYBENCH_OKTA_TOKEN: sim.apiToken };
        const station = ['--org', sim.url, '--db', db, '--no-usb', '--json'];
        const userId = sim.state.findUser(point.login)!.id;
        const context = `killed after ${point.step}`;

        const first = cli(['provision', '--user', point.login, '--virtual', '1', SLOW_KEY, ...station], env);
        await stepCommitted(db, point.step, first);
        first.child.kill('SIGKILL');
        expect(await first.exit, context).toBe(null);

        // Second run, same command and journal; the key the first run programmed is gone with it, and
        // another key (another serial) is plugged in.
        const second = cli(['provision', '--user', point.login, '--virtual', '1', OTHER_KEY, ...station], env);
        expect(await second.exit, `${context}: ${second.output()}`).toBe(0);
        const statuses = sim.state.enrollments(userId).map((f) => f.status);
        expect(statuses, context).not.toContain('PENDING_ACTIVATION');
        expect(statuses.filter((s) => s === 'ACTIVE'), context).toHaveLength(1);
        const journal = Journal.open(db);
        const orders = journal.orders();
        // Never a second order for the user: the interrupted one was finished, or requeued and provisioned.
        expect(orders.map((o) => o.state), context).toEqual(['done']);
        const jobs = journal.jobsOfOrder(orders[0]!.id);
        journal.close();
        if (point.expected === 'active') {
          expect(statuses, context).toEqual(['ACTIVE']);
          expect(jobs.map((j) => j.outcome), context).toEqual(['done']);
        } else {
          expect([...statuses].sort(), context).toEqual(['ACTIVE', 'FULFILLMENT_ERRORED']);
          expect(jobs.map((j) => [j.outcome, j.failureCode]), context).toEqual([
            ['failed', 'interrupted'],
            ['done', undefined],
          ]);
        }

        const pin = await mailedPin(sim, userId);
        const bytes = await fileBytes(dir);
        expect(bytes.length, context).toBeGreaterThan(0);
        expect(bytes.includes(Buffer.from(pin)), context).toBe(false);
        expect(bytes.includes(Buffer.from(sim.apiToken)), context).toBe(false);
      }),
    );
  }, 150_000);
});
