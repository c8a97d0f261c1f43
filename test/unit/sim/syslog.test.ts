import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../../electron/core/sim/index.js';
import type { SimulatorHandle } from '../../../electron/core/sim/index.js';
import { ALICE, GRACE_STAGED, PREREG, call, expectOktaError } from './support.js';

const EVENT = 'system.mfa.preregister.initiate';
const FILTER = encodeURIComponent(`eventType eq "${EVENT}"`);

function nextLink(headers: Headers): string | undefined {
  return /<([^>]+)>;\s*rel="next"/.exec(headers.get('link') ?? '')?.[1];
}

describe('initiate-fulfillment-request and the system log', () => {
  let sim: SimulatorHandle;
  const since = new Date(Date.now() - 1000).toISOString();
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(async () => {
    await sim.close();
  });

  it('answers 204 and logs one event per order, targeting the user and carrying the fulfillment data', async () => {
    const fulfillmentData = [{ productId: '55', customizationId: 'RXJN83', inventoryProductId: '106' }];
    for (const userId of [ALICE, GRACE_STAGED, ALICE]) {
      const res = await call(sim, 'POST', `${PREREG}/initiate-fulfillment-request`, { userId, fulfillmentProvider: 'yubico', fulfillmentData });
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
    }
    const res = await call(sim, 'GET', `/api/v1/logs?filter=${FILTER}&since=${encodeURIComponent(since)}`);
    expect(res.status).toBe(200);
    const events = res.body as { eventType: string; target: { id: string; type: string; alternateId: string }[]; debugContext: { debugData: Record<string, unknown> } }[];
    expect(events).toHaveLength(3);
    expect(events[1]).toMatchObject({
      eventType: EVENT,
      published: expect.any(String),
      uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      target: [{ id: GRACE_STAGED, type: 'User', alternateId: 'grace@example.com', displayName: 'Grace Kim' }],
      debugContext: { debugData: { fulfillmentProvider: 'yubico', fulfillmentData } },
    });
  });

  it('rejects an unknown user with 404 and a bad body with the preregistration 400', async () => {
    expectOktaError(
      await call(sim, 'POST', `${PREREG}/initiate-fulfillment-request`, { userId: '00uNOSUCHUSER0000000', fulfillmentProvider: 'yubico', fulfillmentData: [] }),
      404, 'E0000007', 'Not found: Resource not found: 00uNOSUCHUSER0000000 (User)',
    );
    const bad = await call(sim, 'POST', `${PREREG}/initiate-fulfillment-request`, { userId: ALICE, fulfillmentProvider: 'yubico', fulfillmentData: { productId: '55' } });
    expectOktaError(bad, 400, 'E0000001', 'Api validation failed: fulfillmentRequest', { errorSummary: expect.stringContaining('fulfillmentData') });
  });

  it('pages with Link rel="next" and keeps a next link on polling queries', async () => {
    const seen: string[] = [];
    let url: string | undefined = `/api/v1/logs?filter=${FILTER}&since=${encodeURIComponent(since)}&limit=2`;
    for (let page = 0; page < 5 && url !== undefined; page += 1) {
      const res = await call(sim, 'GET', url);
      const events = res.body as { uuid: string; target: { id: string }[] }[];
      if (events.length === 0) break;
      seen.push(...events.map((e) => e.target[0]?.id ?? ''));
      const next = nextLink(res.headers);
      expect(next, 'a polling query always has a next link').toBeDefined();
      url = next?.replace(sim.url, '');
    }
    expect(seen).toEqual([ALICE, GRACE_STAGED, ALICE]);
  });

  it('ends a bounded query (with until) without a next link', async () => {
    const until = new Date(Date.now() + 60_000).toISOString();
    const first = await call(sim, 'GET', `/api/v1/logs?filter=${FILTER}&since=${encodeURIComponent(since)}&until=${encodeURIComponent(until)}&limit=2`);
    expect(first.body).toHaveLength(2);
    const next = nextLink(first.headers);
    expect(next).toBeDefined();
    const second = await call(sim, 'GET', next?.replace(sim.url, '') ?? '');
    expect(second.body).toHaveLength(1);
    expect(nextLink(second.headers)).toBeUndefined();
  });

  it('filters by target and rejects filters it does not understand', async () => {
    const byTarget = await call(sim, 'GET', `/api/v1/logs?filter=${encodeURIComponent(`eventType eq "${EVENT}" and target.id eq "${GRACE_STAGED}"`)}&since=${encodeURIComponent(since)}`);
    expect(byTarget.body).toHaveLength(1);
    const other = await call(sim, 'GET', `/api/v1/logs?filter=${encodeURIComponent('eventType eq "user.session.start"')}&since=${encodeURIComponent(since)}`);
    expect(other.body).toEqual([]);
    expectOktaError(await call(sim, 'GET', `/api/v1/logs?filter=${encodeURIComponent('eventType sw "system"')}`), 400, 'E0000031', 'Invalid search criteria.', [{ errorSummary: expect.any(String) }]);
  });
});
