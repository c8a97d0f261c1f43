import { describe, expect, it } from 'vitest';
import { startSimulator } from '../../../electron/core/sim/index.js';
import type { SimulatorHandle, SimulatorOptions } from '../../../electron/core/sim/index.js';
import { ALICE, PREREG, call, enrollFor, expectOktaError, newStation } from './support.js';

const RATE_SUMMARY = 'API call exceeded rate limit due to too many requests.';

async function withSim(options: SimulatorOptions, body: (sim: SimulatorHandle) => Promise<void>): Promise<void> {
  const sim = await startSimulator(options);
  try {
    await body(sim);
  } finally {
    await sim.close();
  }
}

describe('rate limits, concurrency and faults', () => {
  it('answers 429 E0000047 once the per-minute budget is spent, with a Reset in the future', async () => {
    await withSim({ requestsPerMinute: 3 }, async (sim) => {
      const remaining: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        const res = await call(sim, 'GET', `/api/v1/users/${ALICE}`);
        expect(res.status).toBe(200);
        remaining.push(res.headers.get('x-rate-limit-remaining') ?? '');
      }
      expect(remaining).toEqual(['2', '1', '0']);
      const limited = await call(sim, 'GET', `/api/v1/users/${ALICE}`);
      expectOktaError(limited, 429, 'E0000047', RATE_SUMMARY);
      expect(limited.headers.get('x-rate-limit-limit')).toBe('3');
      expect(limited.headers.get('x-rate-limit-remaining')).toBe('0');
      const reset = Number(limited.headers.get('x-rate-limit-reset'));
      expect(reset).toBeGreaterThan(Date.now() / 1000);
      expect(reset).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 60);
    });
  });

  it('opens a new window after a minute', async () => {
    let clock = Date.now();
    await withSim({ requestsPerMinute: 1, now: () => clock }, async (sim) => {
      expect((await call(sim, 'GET', `/api/v1/users/${ALICE}`)).status).toBe(200);
      expect((await call(sim, 'GET', `/api/v1/users/${ALICE}`)).status).toBe(429);
      clock += 60_000;
      expect((await call(sim, 'GET', `/api/v1/users/${ALICE}`)).status).toBe(200);
    });
  });

  it('answers 429 with Limit and Remaining 0 beyond the concurrency ceiling', async () => {
    await withSim({ maxConcurrent: 2, latencyMs: 800 }, async (sim) => {
      const results = await Promise.all([1, 2, 3, 4].map(() => call(sim, 'GET', `/api/v1/users/${ALICE}`)));
      const limited = results.filter((r) => r.status === 429);
      expect(results.filter((r) => r.status === 200)).toHaveLength(2);
      expect(limited).toHaveLength(2);
      for (const r of limited) {
        expectOktaError(r, 429, 'E0000047', RATE_SUMMARY);
        expect(r.headers.get('x-rate-limit-limit')).toBe('0');
        expect(r.headers.get('x-rate-limit-remaining')).toBe('0');
      }
      // The slots free up once the slow calls finish.
      expect((await call(sim, 'GET', `/api/v1/users/${ALICE}`)).status).toBe(200);
    });
  });

  it('injects 5xx on the next N calls of one endpoint', async () => {
    await withSim({ faults: { failNext: [{ endpoint: 'get-user', count: 2, status: 503 }] } }, async (sim) => {
      const statuses = [];
      for (let i = 0; i < 3; i += 1) statuses.push((await call(sim, 'GET', `/api/v1/users/${ALICE}`)).status);
      expect(statuses).toEqual([503, 503, 200]);
      sim.faults.failNext('list-enrollments', 1);
      const failed = await call(sim, 'GET', `${PREREG}/users/${ALICE}/enrollments`);
      expectOktaError(failed, 500, 'E0000009', 'Internal Server Error');
      expect((await call(sim, 'GET', `/api/v1/users/${ALICE}`)).status).toBe(200);
    });
  });

  it('draws probabilistic faults from the seed, so a run repeats', async () => {
    const run = async (): Promise<number[]> => {
      const statuses: number[] = [];
      await withSim({ seed: 'bench-1', faults: { errorRate: 0.5 } }, async (sim) => {
        for (let i = 0; i < 12; i += 1) statuses.push((await call(sim, 'GET', `/api/v1/users/${ALICE}`)).status);
      });
      return statuses;
    };
    const first = await run();
    expect(first).toContain(500);
    expect(first).toContain(200);
    expect(await run()).toEqual(first);
  });

  it('drops the connection before handling (no effect) or after (effect without answer)', async () => {
    await withSim({}, async (sim) => {
      const station = await newStation();
      sim.faults.dropNext('enroll', 1, 'before');
      await expect(enrollFor(sim, station)).rejects.toThrow();
      expect(sim.state.enrollments(ALICE)).toHaveLength(0);

      sim.faults.dropNext('enroll', 1, 'after');
      await expect(enrollFor(sim, station)).rejects.toThrow();
      expect(sim.state.enrollments(ALICE)).toHaveLength(1);

      await enrollFor(sim, station);
      expect(sim.state.enrollments(ALICE)).toHaveLength(2);
    });
  });
});
