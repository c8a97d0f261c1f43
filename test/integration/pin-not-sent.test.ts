// Okta activates the factor but will not send the PIN: the key is programmed and active, so the order is
// fulfilled and must not be provisioned again; the job says the PIN mail is missing and what to do.
import { describe, expect, it } from 'vitest';
import { ALICE_ID, openBench, startAndSettle } from '../unit/station/harness.js';

describe('PIN mail refused after activation', () => {
  it('ends the job pin-not-sent, keeps the factor ACTIVE and the order done, marks nothing errored', async () => {
    const bench = await openBench();
    bench.sim.faults.failNext('send-pin', 20, 503);
    try {
      bench.engine.addOrders([{ user: 'alice@example.com', delivery: 'email' }]);
      await startAndSettle(bench);
      const failed = bench.events.find((e) => e.type === 'job-failed');
      expect(failed).toMatchObject({ error: { code: 'pin-not-sent', retryable: false } });
      expect(failed && 'error' in failed ? failed.error.message : '').toMatch(/active in Okta.*resend|sent again/i);
      expect(bench.sim.state.enrollments(ALICE_ID).map((f) => f.status)).toEqual(['ACTIVE']);
      expect(bench.sim.state.outbox()).toHaveLength(0);
      expect(bench.journal.orders().map((o) => o.state)).toEqual(['done']);
      expect(bench.journal.steps(failed && 'jobId' in failed ? failed.jobId : '').map((s) => s.name)).not.toContain('marked-error');
    } finally {
      await bench.close();
    }
  });
});
