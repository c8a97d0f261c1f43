// The attestation gate in the pipeline: a virtual key is genuine only for a loopback org; against any
// other org its chain is untrusted, so its factor is marked errored (never activated), the certificate and
// verdict are journaled, and its tile is quarantined.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProvisioningErrorView } from '../../../electron/core/station/provisioning-errors.js';
import { TileBoard } from '../../../electron/core/station/tile-board.js';
import { StationTrustGate, type TrustSettings } from '../../../electron/core/station/trust-gate.js';
import { ALICE_ID, openBench, startAndSettle } from './harness.js';

describe('the attestation gate', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'keybench-trust-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function gate(host: string, settings: TrustSettings = { policy: 'require', aaguidAllowList: [] }): StationTrustGate {
    return new StationTrustGate(dir, host, () => settings);
  }

  it('trusts the virtual key against the loopback simulator and journals the verdict with the credential', async () => {
    const bench = await openBench({ engine: { attestation: gate('127.0.0.1') } });
    try {
      bench.engine.addOrders([{ user: 'alice@example.com', orderId: 'o-1' }]);
      await startAndSettle(bench);
      expect(bench.sim.state.enrollments(ALICE_ID).map((f) => f.status)).toEqual(['ACTIVE']);
      const [job] = bench.journal.jobsOfOrder('o-1');
      const made = bench.journal.steps(job!.id).find((s) => s.name === 'credential-made');
      expect(made?.name === 'credential-made' && made.data.attestation).toMatchObject({ trusted: true, source: 'virtual' });
    } finally {
      await bench.close();
    }
  });

  it('never activates a key whose attestation does not chain to a trusted root', async () => {
    const bench = await openBench({ engine: { attestation: gate('acme.okta.com') } });
    try {
      bench.engine.addOrders([{ user: 'alice@example.com', orderId: 'o-1' }]);
      await startAndSettle(bench);
      expect(bench.sim.state.enrollments(ALICE_ID).map((f) => f.status)).toEqual(['FULFILLMENT_ERRORED']);
      const [job] = bench.journal.jobsOfOrder('o-1');
      expect(bench.journal.job(job!.id)).toMatchObject({ outcome: 'failed', failureCode: 'untrusted-key' });
      const rejected = bench.journal.steps(job!.id).find((s) => s.name === 'attestation-rejected');
      expect(rejected?.name === 'attestation-rejected' && rejected.data.verdict.trusted).toBe(false);
      expect(rejected?.name === 'attestation-rejected' && rejected.data.attestationCertDer).toMatch(/^[\w-]{100,}$/);
      expect(bench.journal.steps(job!.id).some((s) => s.name === 'credential-made' || s.name === 'activated')).toBe(false);
      const marked = bench.journal.steps(job!.id).find((s) => s.name === 'marked-error');
      expect(marked?.name === 'marked-error' && marked.data.code).toBe('untrusted-key');
    } finally {
      await bench.close();
    }
  });

  it('records an untrusted verdict and goes on when the policy is record-only', async () => {
    const bench = await openBench({ engine: { attestation: gate('acme.okta.com', { policy: 'record-only', aaguidAllowList: [] }) } });
    try {
      bench.engine.addOrders([{ user: 'alice@example.com', orderId: 'o-1' }]);
      await startAndSettle(bench);
      expect(bench.sim.state.enrollments(ALICE_ID).map((f) => f.status)).toEqual(['ACTIVE']);
      const [job] = bench.journal.jobsOfOrder('o-1');
      const made = bench.journal.steps(job!.id).find((s) => s.name === 'credential-made');
      expect(made?.name === 'credential-made' && made.data.attestation?.trusted).toBe(false);
    } finally {
      await bench.close();
    }
  });

  it('refuses a genuine key whose AAGUID is not on the allow-list', async () => {
    const bench = await openBench({ engine: { attestation: gate('127.0.0.1', { policy: 'require', aaguidAllowList: ['00000000-0000-0000-0000-000000000001'] }) } });
    try {
      bench.engine.addOrders([{ user: 'alice@example.com', orderId: 'o-1' }]);
      await startAndSettle(bench);
      const [job] = bench.journal.jobsOfOrder('o-1');
      expect(bench.journal.job(job!.id)).toMatchObject({ outcome: 'failed', failureCode: 'untrusted-key' });
    } finally {
      await bench.close();
    }
  });

  it('quarantines the tile of a key that may not be genuine, so it gets no other order', () => {
    const board = new TileBoard(() => ({ user: 'alice@example.com' }));
    board.apply({ type: 'key-added', key: { path: 'virtual:1', kind: 'virtual', status: 'ready' } as never });
    const error: ProvisioningErrorView = { code: 'untrusted-key', message: 'keybench cannot confirm this key is genuine.', retryable: false };
    const { changed } = board.apply({ type: 'job-failed', jobId: 'j-1', keyPath: 'virtual:1', error } as never);
    expect(changed[0]).toMatchObject({ state: 'quarantined', failure: { code: 'untrusted-key' } });
    expect(changed[0]!.finishedAt).toBeDefined();
    expect(board.apply({ type: 'key-updated', key: { path: 'virtual:1', kind: 'virtual', status: 'ready' } as never }).changed).toEqual([]);
  });
});
