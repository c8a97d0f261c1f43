// Offline batches end to end: enroll ahead against the simulator, program keys while Okta is out of reach
// (the engine must not call it), then sync: activate each factor exactly once and mail its PIN, and replace
// an enrollment that expired instead of activating it late.
import { afterEach, describe, expect, it } from 'vitest';
import { OktaClient } from '../../electron/core/okta/client.js';
import { RateLimiter } from '../../electron/core/okta/rate-limiter.js';
import { MemorySecretStore } from '../../electron/core/secrets/secret-store.js';
import { startSimulator, type SimulatorHandle, type SimulatorOptions } from '../../electron/core/sim/index.js';
import { ProvisioningEngine, type StationEvent } from '../../electron/core/station/engine.js';
import { Journal } from '../../electron/core/station/journal.js';
import { VirtualKeyBackend } from '../../electron/core/virtual-key/virtual-key.js';
import { StationKeyring } from '../../electron/core/wire/station-keys.js';
import { FAST_KEY, mailedPin, pinOpensKey, until } from '../unit/station/harness.js';

interface OfflineBench {
  readonly sim: SimulatorHandle;
  readonly backend: VirtualKeyBackend;
  readonly journal: Journal;
  readonly engine: ProvisioningEngine;
  readonly events: StationEvent[];
  /** Okta calls the engine made while the network was down (each one failed). */
  readonly blockedCalls: string[];
  setReachable(reachable: boolean): void;
  userId(login: string): string;
  close(): Promise<void>;
}

const open: OfflineBench[] = [];
afterEach(async () => {
  for (const bench of open.splice(0)) await bench.close();
});

async function openOfflineBench(simOptions: SimulatorOptions = {}): Promise<OfflineBench> {
  const sim = await startSimulator({ latencyMs: 1, ...simOptions });
  // Keys are plugged in by the test, after the orders were enrolled ahead.
  const backend = new VirtualKeyBackend([]);
  const journal = Journal.open(':memory:');
  let reachable = true;
  const blockedCalls: string[] = [];
  const okta = new OktaClient({
    orgUrl: sim.url,
    credentials: { kind: 'ssws', token: sim.apiToken },
    limiter: new RateLimiter({ jitterMs: 0, maxHoldMs: 50 }),
    retryBaseMs: 5,
    maxRetries: 0,
    // The network cable pulled: every call fails before it reaches the simulator.
    fetch: (url, init) => {
      if (reachable) return globalThis.fetch(url, init);
      blockedCalls.push(String(url));
      return Promise.reject(new TypeError('fetch failed: network is unreachable'));
    },
  });
  const engine = new ProvisioningEngine({
    journal,
    okta,
    keyring: await StationKeyring.create(new MemorySecretStore()),
    backends: [backend],
    pollIntervalMs: 40,
    timeouts: { keyMs: 5_000, touchMs: 10_000, oktaMs: 10_000 },
  });
  const events: StationEvent[] = [];
  engine.on((event) => events.push(event));
  const bench: OfflineBench = {
    sim,
    backend,
    journal,
    engine,
    events,
    blockedCalls,
    setReachable: (value) => {
      reachable = value;
      engine.setOffline(!value);
    },
    userId: (login) => sim.state.findUser(login)!.id,
    close: async () => {
      await engine.close();
      journal.close();
      await sim.close();
    },
  };
  open.push(bench);
  return bench;
}

const count = (events: readonly StationEvent[], type: StationEvent['type']) => events.filter((e) => e.type === type).length;

describe('an offline batch', () => {
  it('enrolls ahead, programs keys without calling Okta, and activates each exactly once on sync', async () => {
    const bench = await openOfflineBench();
    const { sim, engine, journal } = bench;
    const logins = ['alice@example.com', 'bob@example.com', 'carol@example.com'];
    engine.addOrders([...logins.map((user, i) => ({ user, orderId: `o-${i + 1}` })), { user: 'dave@example.com', orderId: 'o-4' }]);
    await engine.start();

    const enrolled = await engine.enrollAhead({ orderIds: ['o-1', 'o-2', 'o-3'] });
    expect(enrolled.counts).toEqual({ 'enrolled-ahead': 3 });
    expect(enrolled.items.every((item) => item.expiresAt !== undefined && Date.parse(item.expiresAt) > Date.now())).toBe(true);
    expect(engine.syncStatus()).toMatchObject({ enrolledAhead: 3, pendingActivations: 0 });
    for (const login of logins) expect(sim.state.enrollments(bench.userId(login)).map((f) => f.status)).toEqual(['PENDING_ACTIVATION']);
    expect(journal.order('o-4')!.state).toBe('waiting');

    bench.setReachable(false);
    const callsOffline = sim.state.calls();
    const keys = logins.map(() => bench.backend.add(FAST_KEY));
    await until(bench.events, (events) => count(events, 'job-awaiting-activation') === 3);
    await engine.idle();

    // Nothing reached Okta, not even an attempt.
    expect(sim.state.calls()).toEqual(callsOffline);
    expect(bench.blockedCalls).toEqual([]);
    expect(count(bench.events, 'job-failed')).toBe(0);
    for (const key of keys) expect(key.snapshot()).toMatchObject({ pinSet: true, forcePinChange: true, credentials: [expect.anything()] });
    for (const login of logins) expect(sim.state.enrollments(bench.userId(login)).map((f) => f.status)).toEqual(['PENDING_ACTIVATION']);
    expect(engine.syncStatus()).toMatchObject({ enrolledAhead: 0, pendingActivations: 3 });
    const parked = journal.awaitingActivationJobs();
    expect(parked).toHaveLength(3);
    expect(parked.map((job) => journal.steps(job.id).at(-1)!.name)).toEqual(['awaiting-activation', 'awaiting-activation', 'awaiting-activation']);
    // An order that was not enrolled ahead cannot be programmed offline: it waits.
    expect(journal.order('o-4')!.state).toBe('waiting');
    await expect(engine.enrollAhead({ orderIds: ['o-4'] })).rejects.toThrow(/offline/);

    // The keys leave the bench: everything activation needs is in the journal.
    for (const key of keys) key.unplug();
    await until(bench.events, (events) => count(events, 'key-removed') === 3);
    expect(engine.keys()).toEqual([]);

    bench.setReachable(true);
    const activateBefore = sim.state.calls().activate;
    const summary = await engine.sync();
    expect(summary.counts).toEqual({ activated: 3 });
    expect(sim.state.calls().activate - activateBefore).toBe(3);
    for (const [i, login] of logins.entries()) {
      const userId = bench.userId(login);
      expect(sim.state.enrollments(userId).map((f) => f.status)).toEqual(['ACTIVE']);
      keys[i]!.replug();
      expect(await pinOpensKey(keys[i]!, await mailedPin(sim, userId))).toBe(true);
      expect(journal.order(`o-${i + 1}`)!.state).toBe('done');
    }
    expect(engine.syncStatus()).toMatchObject({ enrolledAhead: 0, pendingActivations: 0 });

    const progress = bench.events.filter((e) => e.type === 'batch-progress' && e.phase === 'sync');
    expect(progress.at(0)).toMatchObject({ done: 0, remaining: 3 });
    expect(progress.at(-1)).toMatchObject({ done: 3, remaining: 0, failed: 0 });
    expect(progress.some((e) => e.type === 'batch-progress' && e.remaining > 0 && typeof e.etaMs === 'number')).toBe(true);

    // Never twice: a second sync finds nothing to activate.
    expect((await engine.sync()).counts).toEqual({});
    expect(sim.state.calls().activate - activateBefore).toBe(3);
    expect(sim.state.outbox()).toHaveLength(3);
  });

  it('deletes an enrollment that expired before sync and enrolls its order again, never activating it late', async () => {
    let shift = 0;
    const bench = await openOfflineBench({ enrollmentTtlMs: 30 * 60_000, now: () => Date.now() + shift });
    const { sim, engine, journal } = bench;
    const alice = bench.userId('alice@example.com');
    const bob = bench.userId('bob@example.com');
    engine.addOrders([
      { user: 'alice@example.com', orderId: 'early' },
      { user: 'bob@example.com', orderId: 'late' },
    ]);
    await engine.start();
    await engine.enrollAhead({ orderIds: ['early'] });
    shift = 20 * 60_000;
    await engine.enrollAhead({ orderIds: ['late'] });
    const [expiring] = sim.state.enrollments(alice);

    bench.setReachable(false);
    const keys = [bench.backend.add(FAST_KEY), bench.backend.add(FAST_KEY)];
    await until(bench.events, (events) => count(events, 'job-awaiting-activation') === 2);
    await engine.idle();
    for (const key of keys) key.unplug();

    // Okta's clock passes the first enrollment's expiry; the station's clock is none the wiser.
    shift = 31 * 60_000;
    expect(sim.state.enrollments(alice).map((f) => f.status)).toEqual(['EXPIRED']);
    bench.setReachable(true);
    const activateBefore = sim.state.calls().activate;
    const summary = await engine.sync();

    expect(summary.counts).toEqual({ activated: 1, 're-enrolled': 1 });
    expect(sim.state.calls().activate - activateBefore).toBe(1);
    expect(sim.state.enrollments(bob).map((f) => f.status)).toEqual(['ACTIVE']);
    // The expired factor is gone, never activated; a fresh enrollment waits for the next key.
    const aliceNow = sim.state.enrollments(alice);
    expect(aliceNow.map((f) => f.status)).toEqual(['PENDING_ACTIVATION']);
    expect(aliceNow[0]!.id).not.toBe(expiring!.id);
    expect(sim.state.outbox().map((m) => m.userId)).toEqual([bob]);

    const [expiredJob, renewed] = journal.jobsOfOrder('early');
    expect(expiredJob).toMatchObject({ outcome: 'failed', failureCode: 'enrollment-expired' });
    expect(expiredJob!.failureCause).toMatch(/never activated.*reset it before reuse/);
    expect(journal.steps(expiredJob!.id).map((s) => s.name)).toContain('enrollment-expired');
    expect(journal.steps(expiredJob!.id).map((s) => s.name)).not.toContain('activated');
    expect(renewed).toMatchObject({ ahead: true, keyPath: '', state: 'requests-opened' });
    expect(engine.syncStatus()).toMatchObject({ enrolledAhead: 1, pendingActivations: 0 });
    expect(journal.order('early')!.state).toBe('assigned');
    const failed = bench.events.find((e) => e.type === 'job-failed');
    expect(failed).toMatchObject({ orderId: 'early', error: { code: 'enrollment-expired' } });
  });

  it('enrolls again, on sync, an order enrolled ahead whose enrollment is about to expire, and gives it to no key', async () => {
    const bench = await openOfflineBench({ enrollmentTtlMs: 5 * 60_000 });
    const { sim, engine, journal } = bench;
    const alice = bench.userId('alice@example.com');
    engine.addOrders([{ user: 'alice@example.com', orderId: 'o-1' }]);
    await engine.start();
    await engine.enrollAhead();
    const [first] = sim.state.enrollments(alice);

    // Within the 10-minute margin: a key plugged in now is not given an enrollment that could lapse mid-way.
    const key = bench.backend.add(FAST_KEY);
    await until(bench.events, (events) => events.some((e) => e.type === 'key-updated' && e.key.status === 'ready'));
    await engine.idle();
    expect(engine.keys()[0]).toMatchObject({ status: 'ready' });
    expect(key.snapshot().pinSet).toBe(false);
    key.unplug();

    const summary = await engine.sync();
    expect(summary.counts).toEqual({ 're-enrolled': 1 });
    const [cancelled] = journal.jobsOfOrder('o-1');
    expect(cancelled).toMatchObject({ outcome: 'cancelled', failureCode: 'enrollment-expired' });
    expect(sim.state.enrollments(alice).map((f) => f.id)).not.toContain(first!.id);
    expect(sim.state.calls().activate).toBe(0);
  });
});
