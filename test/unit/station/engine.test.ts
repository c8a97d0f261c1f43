// The engine: assignment, key removal, resets, and resume() against a journal a crash left behind.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemorySecretStore } from '../../../electron/core/secrets/secret-store.js';
import { Journal } from '../../../electron/core/station/journal.js';
import { VirtualKeyBackend } from '../../../electron/core/virtual-key/virtual-key.js';
import { StationKeyring } from '../../../electron/core/wire/station-keys.js';
import { ALICE_ID, FAST_KEY, openBench, jobsEnded, until, usePin } from './harness.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keybench-engine-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});


describe('assignment', () => {
  it('runs an order on the key the technician picks, leaving the other key ready', async () => {
    const bench = await openBench({ keys: [{}, {}], engine: { autoAssign: false } });
    try {
      await bench.engine.start();
      await bench.engine.idle();
      bench.engine.addOrders([{ user: 'alice@example.com', orderId: 'o-1' }, { user: 'bob@example.com', orderId: 'o-2' }]);
      expect(bench.engine.keys().map((k) => k.status)).toEqual(['ready', 'ready']);
      const jobId = bench.engine.assign('o-2', 'virtual:2');
      expect(() => bench.engine.assign('o-2', 'virtual:1')).toThrow(/not waiting/);
      await until(bench.events, jobsEnded());
      await bench.engine.idle();
      expect(bench.journal.job(jobId)).toMatchObject({ outcome: 'done', keyPath: 'virtual:2' });
      expect(bench.engine.keys().map((k) => [k.path, k.status])).toEqual([
        ['virtual:1', 'ready'],
        ['virtual:2', 'done'],
      ]);
      expect(bench.journal.order('o-1')!.state).toBe('waiting');
      expect(bench.engine.cancelOrder('o-1').state).toBe('cancelled');
    } finally {
      await bench.close();
    }
  });

  it('gives each waiting order to the next ready key, in queue order', async () => {
    const bench = await openBench({ keys: [{}, {}] });
    try {
      bench.engine.addOrders([{ user: 'alice@example.com', orderId: 'o-1' }, { user: 'bob@example.com', orderId: 'o-2' }, { user: 'carol@example.com', orderId: 'o-3' }]);
      await bench.engine.start();
      await until(bench.events, (e) => e.filter((x) => x.type === 'job-done').length === 2);
      await bench.engine.idle();
      expect(bench.journal.jobsOfOrder('o-1')[0]!.keyPath).toBe('virtual:1');
      expect(bench.journal.jobsOfOrder('o-2')[0]!.keyPath).toBe('virtual:2');
      expect(bench.journal.order('o-3')!.state).toBe('waiting');
    } finally {
      await bench.close();
    }
  });
});

describe('keys coming and going', () => {
  it('fails the job of a key pulled while it waits for a touch, marks the factor errored and frees the touch queue', async () => {
    const bench = await openBench({ keys: [{ userPresence: { mode: 'manual', timeoutMs: 10_000 } }] });
    try {
      bench.engine.addOrders([{ user: 'alice@example.com', orderId: 'o-1' }]);
      await bench.engine.start();
      await until(bench.events, (e) => e.some((x) => x.type === 'touch-needed'));
      bench.backend.keys[0]!.unplug();
      await until(bench.events, jobsEnded());
      await bench.engine.idle();
      const failed = bench.events.find((e) => e.type === 'job-failed');
      expect(failed).toMatchObject({ error: { code: 'key-removed' } });
      expect(failed?.type === 'job-failed' && failed.error.message).toMatch(/^The key was removed/);
      expect(bench.sim.state.enrollments(ALICE_ID).map((f) => f.status)).toEqual(['FULFILLMENT_ERRORED']);
      await until(bench.events, (e) => e.some((x) => x.type === 'key-removed'));
      expect(bench.engine.keys()).toEqual([]);
      expect(bench.events.filter((e) => e.type === 'touch-queue').at(-1)).toEqual({ type: 'touch-queue', waiting: [] });
    } finally {
      await bench.close();
    }
  });

  it('explains a reset the key no longer accepts, and keeps the key refused', async () => {
    const bench = await openBench({ keys: [{ resetWindowMs: 0 }] });
    await usePin(bench.backend.keys[0]!, '2468');
    try {
      await bench.engine.start();
      await bench.engine.idle();
      await expect(bench.engine.resetKey('virtual:1')).rejects.toMatchObject({
        name: 'ProvisioningError',
        code: 'reset-not-allowed',
        ctapStatus: 'CTAP2_ERR_NOT_ALLOWED',
        message: expect.stringContaining('Unplug it, plug it back in, and touch it within 10 seconds to reset.'),
      });
      expect(bench.engine.keys()[0]).toMatchObject({ status: 'refused', error: { code: 'reset-not-allowed' } });
      expect(bench.backend.keys[0]!.snapshot().pinSet).toBe(true);
    } finally {
      await bench.close();
    }
  });
});

describe('resume', () => {
  it('deletes the factor a crash left behind mid-enroll, requeues the order and provisions it', async () => {
    const journalPath = join(dir, 'journal.db');
    const keyring = await StationKeyring.create(new MemorySecretStore());
    const crashed = Journal.open(journalPath);
    crashed.addOrders([{ user: 'alice@example.com', orderId: 'o-1' }]);
    const job = crashed.startJob({ orderId: 'o-1', keyPath: 'virtual:1' });
    crashed.appendStep(job.id, 'enroll-started', { userId: ALICE_ID, transportKid: keyring.transportKey.kid });
    crashed.close();

    const bench = await openBench({ journalPath, keyring });
    // The enroll call the crash interrupted did reach Okta.
    const orphan = await bench.okta.enroll({ userId: ALICE_ID, transportKey: keyring.transportKey });
    try {
      await bench.engine.start();
      await until(bench.events, (e) => e.some((x) => x.type === 'job-done'));
      await bench.engine.idle();
      const factors = bench.sim.state.enrollments(ALICE_ID);
      expect(factors.map((f) => f.status)).toEqual(['ACTIVE']);
      expect(factors[0]!.id).not.toBe(orphan.credRequests[0]!.authenticatorEnrollmentId);
      expect(bench.journal.job(job.id)).toMatchObject({ outcome: 'failed', failureCode: 'interrupted' });
      expect(bench.journal.steps(job.id).map((s) => s.name)).toEqual(['order-assigned', 'enroll-started', 'resumed', 'orphans-deleted']);
      expect(bench.events.find((e) => e.type === 'job-resumed')).toEqual({ type: 'job-resumed', jobId: job.id, plan: 'requeue' });
      expect(bench.journal.order('o-1')!.state).toBe('done');
    } finally {
      await bench.close();
    }
  });

  it('leaves a job open when Okta cannot be asked, and settles it on the next start', async () => {
    const journalPath = join(dir, 'journal.db');
    const keyring = await StationKeyring.create(new MemorySecretStore());
    const crashed = Journal.open(journalPath);
    crashed.addOrders([{ user: 'alice@example.com', orderId: 'o-1' }]);
    const job = crashed.startJob({ orderId: 'o-1', keyPath: 'virtual:9' });
    crashed.appendStep(job.id, 'enroll-started', { userId: ALICE_ID, transportKid: keyring.transportKey.kid });
    crashed.close();

    const backend = new VirtualKeyBackend([FAST_KEY]);
    const first = await openBench({ journalPath, keyring, backend, engine: { autoAssign: false } });
    // The first try and the client's three retries all fail.
    first.sim.faults.failNext('list-enrollments', 4);
    await first.engine.start();
    await first.engine.idle();
    expect(first.journal.job(job.id)!.outcome).toBeUndefined();
    expect(first.journal.attempts(job.id)).toEqual([expect.objectContaining({ step: 'resumed', code: 'okta' })]);
    expect(first.journal.order('o-1')!.state).toBe('assigned');
    await first.engine.close();
    first.journal.close();

    const second = await openBench({ journalPath, keyring, backend, sim: first.sim, engine: { autoAssign: false } });
    try {
      await second.engine.start();
      await second.engine.idle();
      expect(second.journal.job(job.id)).toMatchObject({ outcome: 'failed', failureCode: 'interrupted' });
      expect(second.journal.order('o-1')!.state).toBe('waiting');
    } finally {
      await second.close();
      await first.sim.close();
    }
  });
});
