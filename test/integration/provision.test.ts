// The station end to end: the engine against the embedded Okta simulator with virtual keys.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WaitInfo } from '../../electron/core/okta/http.js';
import { startSimulator, type SimulatorHandle } from '../../electron/core/sim/index.js';
import type { StepName } from '../../electron/core/station/job-steps.js';
import type { TouchQueueState } from '../../electron/core/station/touch-queue.js';
import { TouchQueue } from '../../electron/core/station/touch-queue.js';
import { VirtualKeyBackend } from '../../electron/core/virtual-key/virtual-key.js';
import { MemorySecretStore } from '../../electron/core/secrets/secret-store.js';
import { StationKeyring } from '../../electron/core/wire/station-keys.js';
import { ALICE_ID, FAST_KEY, USERS, jobsEnded, mailedPin, openBench, pinOpensKey, until, usePin, startAndSettle } from '../unit/station/harness.js';

const HAPPY_STEPS: StepName[] = [
  'order-assigned',
  'key-checked',
  'enroll-started',
  'enrolled',
  'requests-opened',
  'pin-sealed',
  'pin-set',
  'credential-made',
  'key-configured',
  'verified',
  'activated',
  'pin-delivered',
  'done',
];

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keybench-station-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});


async function journalBytes(path: string): Promise<Buffer> {
  const files = (await readdir(dir)).filter((f) => f.startsWith(path.split('/').pop()!));
  return Buffer.concat(await Promise.all(files.map((f) => readFile(join(dir, f)))));
}

describe('one key end to end', () => {
  it('activates the factor, mails the PIN that opens the key, journals every step, and keeps the PIN and token out of the database', async () => {
    const journalPath = join(dir, 'journal.db');
    const bench = await openBench({ journalPath });
    try {
      bench.engine.addOrders([{ user: 'alice@example.com', orderId: 'order-1' }]);
      await startAndSettle(bench);

      const factors = bench.sim.state.enrollments(ALICE_ID);
      expect(factors.map((f) => f.status)).toEqual(['ACTIVE']);
      expect(factors[0]!.serial).toBe('KBVK00000001');
      expect(factors[0]!.version).toBe('5.4.3');
      const pin = await mailedPin(bench.sim, ALICE_ID);
      expect(pin).toMatch(/^\d{8,}$/);

      const [job] = bench.journal.jobsOfOrder('order-1');
      expect(job).toMatchObject({ outcome: 'done', serial: 'KBVK00000001', serialSource: 'usb', firmware: '5.4.3', model: 'keybench Virtual Key' });
      expect(bench.journal.steps(job!.id).map((s) => s.name)).toEqual(HAPPY_STEPS);
      expect(bench.journal.order('order-1')!.state).toBe('done');
      expect(bench.events.filter((e) => e.type === 'job-step').map((e) => e.type === 'job-step' && e.step)).toEqual(HAPPY_STEPS.slice(1));
      expect(bench.events.some((e) => e.type === 'touch-needed' && e.keyPath === 'virtual:1')).toBe(true);

      const key = bench.backend.keys[0]!;
      const rpId = factors[0]!.rpId;
      expect(key.snapshot()).toMatchObject({ pinSet: true, forcePinChange: true, minPinLength: 8, minPinLengthRpIds: [rpId] });
      expect(key.snapshot().credentials).toEqual([expect.objectContaining({ rpId, credProtect: 3, discoverable: true })]);
      expect(await pinOpensKey(key, pin)).toBe(true);

      const [record] = bench.journal.jobRecords();
      expect(record).toMatchObject({ orderId: 'order-1', user: 'alice@example.com', userId: ALICE_ID, outcome: 'done', enrollmentIds: [factors[0]!.id] });

      await bench.close();
      const bytes = await journalBytes(journalPath);
      expect(bytes.length).toBeGreaterThan(0);
      expect(bytes.includes(Buffer.from(pin))).toBe(false);
      expect(bytes.includes(Buffer.from(bench.sim.apiToken))).toBe(false);
    } finally {
      await bench.close();
    }
  });
});

describe('many keys', () => {
  it('provisions eight keys in parallel, one touch at a time', async () => {
    const touchQueue = new TouchQueue();
    const bench = await openBench({ keys: USERS.map(() => ({})), engine: { touchQueue } });
    const handovers: { from: string; to: string; fromHasCredential: boolean }[] = [];
    let active: string | undefined;
    touchQueue.onChange((state: TouchQueueState) => {
      if (state.active !== undefined && state.active !== active && active !== undefined) {
        handovers.push({ from: active, to: state.active, fromHasCredential: bench.backend.key(active)!.snapshot().credentials.length === 1 });
      }
      active = state.active ?? active;
    });
    try {
      bench.engine.addOrders(USERS.map((user) => ({ user })));
      await startAndSettle(bench, USERS.length);

      expect(bench.events.filter((e) => e.type === 'job-failed')).toEqual([]);
      for (const user of bench.sim.state.users().filter((u) => USERS.includes(u.login))) {
        expect(bench.sim.state.enrollments(user.id).map((f) => f.status)).toEqual(['ACTIVE']);
      }
      expect(bench.sim.state.outbox()).toHaveLength(USERS.length);
      // Each key's turn passed on only once its credential was made: the touches never overlapped.
      expect(handovers.length).toBeGreaterThan(0);
      expect(handovers.every((h) => h.fromHasCredential)).toBe(true);
      expect(new Set(bench.backend.keys.map((k) => k.snapshot().credentials.length))).toEqual(new Set([1]));
    } finally {
      await bench.close();
    }
  });
});

describe('keys the station refuses', () => {
  it('never provisions a virtual key against a real (non-loopback) org, and calls nothing', async () => {
    const bench = await openBench({ orgUrl: 'https://example.okta.com' });
    try {
      bench.engine.addOrders([{ user: 'alice@example.com', orderId: 'o-1' }]);
      await bench.engine.start();
      await bench.engine.idle();
      const [key] = bench.engine.keys();
      expect(key).toMatchObject({ status: 'refused', error: { code: 'virtual-key-real-org' } });
      expect(key!.error!.message).toContain('never provisioned against the real org https://example.okta.com');
      expect(() => bench.engine.assign('o-1', 'virtual:1')).toThrow(expect.objectContaining({ name: 'ProvisioningError', code: 'virtual-key-real-org' }));
      expect(bench.journal.order('o-1')!.state).toBe('waiting');
      expect(Object.values(bench.sim.state.calls()).every((n) => n === 0)).toBe(true);
      expect(bench.backend.keys[0]!.snapshot().pinSet).toBe(false);
    } finally {
      await bench.close();
    }
  });

  it('refuses a key that already has a PIN with the reset instruction, and provisions it after a reset', async () => {
    const bench = await openBench();
    await usePin(bench.backend.keys[0]!, '2468');
    try {
      bench.engine.addOrders([{ user: 'alice@example.com', orderId: 'o-1' }]);
      await bench.engine.start();
      await bench.engine.idle();
      const [key] = bench.engine.keys();
      expect(key).toMatchObject({ status: 'refused', error: { code: 'key-not-fresh', retryable: true } });
      expect(key!.error!.message).toBe('This key already has a PIN. Unplug it, plug it back in, and touch it within 10 seconds to reset.');
      expect(bench.journal.order('o-1')!.state).toBe('waiting');

      await bench.engine.resetKey('virtual:1');
      await until(bench.events, jobsEnded());
      await bench.engine.idle();
      expect(bench.sim.state.enrollments(ALICE_ID).map((f) => f.status)).toEqual(['ACTIVE']);
    } finally {
      await bench.close();
    }
  });
});

describe('failures after enroll', () => {
  it('marks the factor errored and fails the job with the CTAP status when makeCredential fails', async () => {
    const bench = await openBench({ keys: [{ faults: { failCommand: { command: 'makeCredential', status: 0x28, repeat: 'once' } } }] });
    try {
      bench.engine.addOrders([{ user: 'alice@example.com', orderId: 'o-1' }]);
      await startAndSettle(bench);
      const failed = bench.events.find((e) => e.type === 'job-failed');
      expect(failed).toMatchObject({ error: { code: 'key-error', ctapStatus: 'CTAP2_ERR_KEY_STORE_FULL' } });
      expect(failed?.type === 'job-failed' && failed.error.message).toMatch(/^The key failed while creating the credential for .+: CTAP2_ERR_KEY_STORE_FULL\. /);
      expect(bench.sim.state.enrollments(ALICE_ID).map((f) => f.status)).toEqual(['FULFILLMENT_ERRORED']);
      const [job] = bench.journal.jobsOfOrder('o-1');
      expect(job).toMatchObject({ outcome: 'failed', failureCode: 'key-error' });
      expect(bench.journal.steps(job!.id).at(-1)).toMatchObject({ name: 'marked-error', data: { ctapStatus: 'CTAP2_ERR_KEY_STORE_FULL' } });
      expect(bench.journal.order('o-1')!.state).toBe('failed');
      expect(bench.engine.keys()[0]).toMatchObject({ status: 'failed' });
    } finally {
      await bench.close();
    }
  });

  it('fails the job and marks the factor errored when the key is unplugged mid-job', async () => {
    const bench = await openBench({ keys: [{ faults: { unplugDuring: 'makeCredential' } }] });
    try {
      bench.engine.addOrders([{ user: 'alice@example.com', orderId: 'o-1' }]);
      await startAndSettle(bench);
      const failed = bench.events.find((e) => e.type === 'job-failed');
      expect(failed).toMatchObject({ error: { code: 'key-removed' } });
      expect(failed?.type === 'job-failed' && failed.error.message).toMatch(/^The key was removed/);
      expect(bench.sim.state.enrollments(ALICE_ID).map((f) => f.status)).toEqual(['FULFILLMENT_ERRORED']);
      expect(bench.journal.jobsOfOrder('o-1')[0]).toMatchObject({ outcome: 'failed', failureCode: 'key-removed' });
    } finally {
      await bench.close();
    }
  });
});

describe('an unsteady Okta', () => {
  it('still completes through 429s of a small request budget and injected 5xx answers', async () => {
    let shift = 0;
    let rateLimited = 0;
    const sim = await startSimulator({ latencyMs: 1, requestsPerMinute: 3, now: () => Date.now() + shift });
    // Each rate-limit wait moves the simulated clock to the next window, so the test does not wait a minute.
    const onOktaWait = (info: WaitInfo) => {
      if (info.reason !== 'rate-limit') return;
      rateLimited++;
      shift += 61_000;
    };
    const bench = await openBench({ sim, onOktaWait });
    sim.faults.failNext('enroll', 1);
    sim.faults.failNext('activate', 1);
    sim.faults.failNext('send-pin', 1);
    try {
      bench.engine.addOrders([{ user: 'alice@example.com' }]);
      await startAndSettle(bench);
      expect(bench.events.filter((e) => e.type === 'job-failed')).toEqual([]);
      expect(sim.state.enrollments(ALICE_ID).map((f) => f.status)).toEqual(['ACTIVE']);
      expect(sim.state.outbox()).toHaveLength(1);
      expect(rateLimited).toBeGreaterThan(0);
    } finally {
      await bench.close();
      await sim.close();
    }
  });
});

describe('crash and resume', () => {
  /** What a restart must make of a crash right after each step (see reconcile.ts for the rules). */
  const EXPECTED: Readonly<Record<string, 'active' | 'errored'>> = {
    'order-assigned': 'active', // nothing in Okta yet: the order is queued again and the fresh key takes it
    'key-checked': 'active',
    'enroll-started': 'active', // enroll never ran: no orphan, queued again
    enrolled: 'active', // the key is still fresh: the job continues with the journaled enrollment
    'requests-opened': 'active',
    'pin-sealed': 'active', // the PIN never reached the key: a new one is sealed, then set
    'pin-set': 'errored', // the PIN died with the process: factor marked errored, key needs a reset
    'credential-made': 'errored', // forceChangePin was promised but not yet applied
    'key-configured': 'active', // everything activate needs is journaled: finished without touching the key
    verified: 'active',
    activated: 'active', // Okta lists it ACTIVE: recorded, never activated twice
    'pin-delivered': 'active',
    done: 'active',
  };

  it('ends every crash in ACTIVE exactly once, or errored with the order back in the queue', async () => {
    const boundaries = HAPPY_STEPS;
    const users = boundaries.map((_, i) => ({ login: `crash${i}@example.com`, firstName: 'Crash', lastName: String(i) }));
    const sim: SimulatorHandle = await startSimulator({ latencyMs: 1, users });
    const keyring = await StationKeyring.create(new MemorySecretStore());
    try {
      for (const [i, boundary] of boundaries.entries()) {
        const login = users[i]!.login;
        const userId = sim.state.findUser(login)!.id;
        const journalPath = join(dir, `crash-${i}.db`);
        const backend = new VirtualKeyBackend([FAST_KEY]);
        const activateCallsBefore = sim.state.calls().activate;
        let crashed = false;
        const first = await openBench({
          sim,
          backend,
          keyring,
          journalPath,
          engine: {
            afterCommit: (_jobId, step) => {
              if (step === boundary && !crashed) {
                crashed = true;
                throw new Error('simulated crash');
              }
            },
          },
        });
        first.engine.addOrders([{ user: login, orderId: `order-${i}` }]);
        await first.engine.start();
        while (!crashed) await new Promise((resolve) => setTimeout(resolve, 5));
        await first.engine.idle();
        await first.close();

        const second = await openBench({ sim, backend, keyring, journalPath });
        await second.engine.start();
        await second.engine.idle();
        const statuses = sim.state.enrollments(userId).map((f) => f.status);
        const key = backend.keys[0]!;
        const context = `crash after ${boundary}: ${statuses.join(',')}`;
        expect(statuses, context).not.toContain('PENDING_ACTIVATION');
        if (EXPECTED[boundary] === 'active') {
          expect(statuses.filter((s) => s === 'ACTIVE'), context).toHaveLength(1);
          expect(sim.state.calls().activate - activateCallsBefore, context).toBe(1);
          expect(second.journal.order(`order-${i}`)!.state, context).toBe('done');
          expect(await pinOpensKey(key, await mailedPin(sim, userId)), context).toBe(true);
        } else {
          expect(statuses, context).toEqual(['FULFILLMENT_ERRORED']);
          expect(second.journal.order(`order-${i}`)!.state, context).toBe('waiting');
          expect(key.snapshot().pinSet, context).toBe(true);
          expect(second.engine.keys()[0], context).toMatchObject({ status: 'refused', error: { code: 'key-not-fresh' } });
          const failed = second.events.find((e) => e.type === 'job-failed');
          expect(failed?.type === 'job-failed' && failed.error.message, context).toContain('touch it within 10 seconds to reset');
        }
        await second.close();
      }
    } finally {
      await sim.close();
    }
  }, 60_000);
});
