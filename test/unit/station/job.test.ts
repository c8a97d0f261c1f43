// One key's pipeline: the key-checked rules, and the paths of the pipeline a plain run does not take.
import { describe, expect, it } from 'vitest';
import type { AuthenticatorInfo } from '../../../electron/core/ctap/info.js';
import { startSimulator } from '../../../electron/core/sim/index.js';
import { assertKeyFit, assertKeyMayUseOrg } from '../../../electron/core/station/job.js';
import type { StationEvent } from '../../../electron/core/station/engine.js';
import { ProvisioningError } from '../../../electron/core/station/provisioning-errors.js';
import { ALICE_ID, mailedPin, openBench, pinOpensKey, startAndSettle } from './harness.js';

function info(versions: string[], options: Record<string, boolean>, pinUvAuthProtocols = [2, 1]): AuthenticatorInfo {
  return {
    versions,
    extensions: [],
    aaguid: new Uint8Array(16),
    aaguidString: '00000000-0000-0000-0000-000000000000',
    options: new Map(Object.entries(options)),
    pinUvAuthProtocols,
  };
}

function codeOf(run: () => void): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (error instanceof ProvisioningError) return error.code;
    throw error;
  }
}


describe('key-checked rules', () => {
  it('accepts a fresh FIDO 2.1 key, and a FIDO 2.0 key that supports a PIN', () => {
    expect(codeOf(() => assertKeyFit(info(['FIDO_2_0', 'FIDO_2_1'], { clientPin: false })))).toBeUndefined();
    expect(codeOf(() => assertKeyFit(info(['FIDO_2_0'], { clientPin: false }, [1])))).toBeUndefined();
  });

  it('refuses a FIDO 2.0 key without clientPin, a key with a PIN, and a key without a known PIN protocol', () => {
    expect(codeOf(() => assertKeyFit(info(['FIDO_2_0'], {})))).toBe('key-unsupported');
    expect(codeOf(() => assertKeyFit(info(['FIDO_2_1'], { clientPin: true })))).toBe('key-not-fresh');
    expect(codeOf(() => assertKeyFit(info(['FIDO_2_1'], { clientPin: false }, [3])))).toBe('key-unsupported');
  });

  it('lets a virtual key use only a loopback org', () => {
    const descriptor = { path: 'virtual:1', kind: 'virtual' as const, vendorId: 0x1209, productId: 1 };
    expect(codeOf(() => assertKeyMayUseOrg(descriptor, { origin: 'http://127.0.0.1:4000', hostname: '127.0.0.1' }))).toBeUndefined();
    expect(codeOf(() => assertKeyMayUseOrg(descriptor, { origin: 'https://acme.okta.com', hostname: 'acme.okta.com' }))).toBe('virtual-key-real-org');
    expect(codeOf(() => assertKeyMayUseOrg({ ...descriptor, kind: 'usb' }, { origin: 'https://acme.okta.com', hostname: 'acme.okta.com' }))).toBeUndefined();
  });
});

describe('the pipeline', () => {
  it('seals a new PIN before the one retry when the key refuses the first under its own policy', async () => {
    const bench = await openBench({ keys: [{ faults: { failCommand: { command: 'clientPIN', status: 0x37, repeat: 'once' } } }] });
    try {
      bench.engine.addOrders([{ user: 'alice@example.com', orderId: 'o-1' }]);
      await startAndSettle(bench);
      const [job] = bench.journal.jobsOfOrder('o-1');
      const names = bench.journal.steps(job!.id).map((s) => s.name);
      expect(names.filter((n) => n === 'pin-sealed')).toHaveLength(2);
      expect(names.indexOf('pin-set')).toBeGreaterThan(names.lastIndexOf('pin-sealed'));
      expect(job!.outcome).toBe('done');
      expect(await pinOpensKey(bench.backend.keys[0]!, await mailedPin(bench.sim, ALICE_ID))).toBe(true);
    } finally {
      await bench.close();
    }
  });

  it('makes one credential per RP, with a fresh PIN token for each', async () => {
    const bench = await openBench({ enrollmentRpIds: ['login.acme.example', 'acme.okta.com'] });
    try {
      bench.engine.addOrders([{ user: 'alice@example.com' }]);
      await startAndSettle(bench);
      expect(bench.sim.state.enrollments(ALICE_ID).map((f) => [f.rpId, f.status])).toEqual([
        ['login.acme.example', 'ACTIVE'],
        ['acme.okta.com', 'ACTIVE'],
      ]);
      expect(bench.backend.keys[0]!.snapshot().credentials.map((c) => c.rpId).sort()).toEqual(['acme.okta.com', 'login.acme.example']);
      expect(bench.sim.state.outbox()).toHaveLength(1);
    } finally {
      await bench.close();
    }
  });

  it('enables enterprise attestation on the key when Okta asks for it', async () => {
    const sim = await startSimulator({ latencyMs: 1, attestation: 'enterprise' });
    const bench = await openBench({ sim });
    try {
      bench.engine.addOrders([{ user: 'alice@example.com' }]);
      await startAndSettle(bench);
      expect(sim.state.enrollments(ALICE_ID).map((f) => f.status)).toEqual(['ACTIVE']);
      expect(bench.backend.keys[0]!.snapshot().epEnabled).toBe(true);
    } finally {
      await bench.close();
      await sim.close();
    }
  });

  it('fails a key that cannot give enterprise attestation, and marks the factor errored', async () => {
    const sim = await startSimulator({ latencyMs: 1, attestation: 'enterprise' });
    const bench = await openBench({ sim, keys: [{ enterpriseAttestation: false }] });
    try {
      bench.engine.addOrders([{ user: 'alice@example.com' }]);
      await startAndSettle(bench);
      expect(bench.events.find((e) => e.type === 'job-failed')).toMatchObject({ error: { code: 'key-unsupported' } });
      expect(sim.state.enrollments(ALICE_ID).map((f) => f.status)).toEqual(['FULFILLMENT_ERRORED']);
    } finally {
      await bench.close();
      await sim.close();
    }
  });

  it('deletes the factor of an enroll whose answer was lost, then enrolls again', async () => {
    const bench = await openBench();
    bench.sim.faults.dropNext('enroll', 1, 'after');
    try {
      bench.engine.addOrders([{ user: 'alice@example.com', orderId: 'o-1' }]);
      await startAndSettle(bench);
      expect(bench.sim.state.enrollments(ALICE_ID).map((f) => f.status)).toEqual(['ACTIVE']);
      expect(bench.sim.state.calls().enroll).toBe(2);
      const [job] = bench.journal.jobsOfOrder('o-1');
      expect(bench.journal.steps(job!.id).map((s) => s.name)).toContain('orphans-deleted');
    } finally {
      await bench.close();
    }
  });

  it('seals and activates with a serial scanned from the box when the key reports none', async () => {
    const bench = await openBench({ keys: [{ serial: '' }] });
    bench.engine.on((event) => {
      if (event.type === 'job-started') bench.engine.attachSerial(event.jobId, 'BOX-3632071');
    });
    try {
      bench.engine.addOrders([{ user: 'alice@example.com', orderId: 'o-1' }]);
      await startAndSettle(bench);
      expect(bench.sim.state.enrollments(ALICE_ID)[0]).toMatchObject({ status: 'ACTIVE', serial: 'BOX-3632071' });
      expect(bench.journal.jobsOfOrder('o-1')[0]).toMatchObject({ serial: 'BOX-3632071', serialSource: 'scan' });
    } finally {
      await bench.close();
    }
  });

  it('holds the PIN when the order says so, and journals that nothing was sent', async () => {
    const bench = await openBench();
    try {
      bench.engine.addOrders([{ user: 'alice@example.com', orderId: 'o-1', delivery: 'hold' }]);
      await startAndSettle(bench);
      expect(bench.sim.state.enrollments(ALICE_ID).map((f) => f.status)).toEqual(['ACTIVE']);
      expect(bench.sim.state.outbox()).toEqual([]);
      const [job] = bench.journal.jobsOfOrder('o-1');
      expect(bench.journal.steps(job!.id).find((s) => s.name === 'pin-delivered')?.data).toEqual({ method: 'hold', sent: false });
    } finally {
      await bench.close();
    }
  });
});

describe('touch prompts', () => {
  /** A key that keeps the technician waiting: makeCredential works a while (PROCESSING keepalives) before it asks for the touch. */
  const MANUAL_SLOW_KEY = { userPresence: { mode: 'manual', timeoutMs: 5_000 }, latencyMs: { makeCredential: 250, clientPIN: 2 }, keepaliveIntervalMs: 50 } as const;

  function promptsAndTurns(events: readonly StationEvent[], keyPath: string): { prompts: number; turns: number } {
    let active: string | undefined;
    let turns = 0;
    for (const event of events) {
      if (event.type !== 'touch-queue') continue;
      if (event.active === keyPath && active !== keyPath) turns++;
      active = event.active;
    }
    return { prompts: events.filter((e) => e.type === 'touch-needed' && e.keyPath === keyPath).length, turns };
  }

  it('asks at most once when the technician touches the key as soon as it is asked, and counts that touch', async () => {
    const bench = await openBench({ keys: [MANUAL_SLOW_KEY] });
    bench.engine.on((event) => {
      if (event.type === 'touch-needed') bench.backend.key(event.keyPath)!.touch();
    });
    try {
      bench.engine.addOrders([{ user: 'alice@example.com' }]);
      await startAndSettle(bench);
      expect(bench.events.filter((e) => e.type === 'job-failed')).toEqual([]);
      const { prompts, turns } = promptsAndTurns(bench.events, 'virtual:1');
      expect(prompts).toBeLessThanOrEqual(1);
      expect(turns).toBe(1);
      expect(bench.sim.state.enrollments(ALICE_ID).map((f) => f.status)).toEqual(['ACTIVE']);
    } finally {
      await bench.close();
    }
  });

  it('asks exactly once while the key goes from PROCESSING to UPNEEDED before the touch', async () => {
    const bench = await openBench({ keys: [MANUAL_SLOW_KEY] });
    bench.engine.on((event) => {
      // Well after the key started waiting (250 ms of work, keepalives every 50 ms): its keepalives said PROCESSING, then UPNEEDED.
      if (event.type === 'touch-needed') setTimeout(() => bench.backend.key(event.keyPath)!.touch(), 500);
    });
    try {
      bench.engine.addOrders([{ user: 'alice@example.com' }]);
      await startAndSettle(bench);
      expect(bench.events.filter((e) => e.type === 'job-failed')).toEqual([]);
      expect(promptsAndTurns(bench.events, 'virtual:1')).toEqual({ prompts: 1, turns: 1 });
    } finally {
      await bench.close();
    }
  });
});
