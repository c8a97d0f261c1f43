import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../../electron/core/sim/index.js';
import type { SimulatorHandle } from '../../../electron/core/sim/index.js';
import { ALICE, ENROLL_SUMMARY, PREREG, call, expectOktaError } from './support.js';

describe('simulator HTTP basics', () => {
  let sim: SimulatorHandle;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(async () => {
    await sim.close();
  });

  it('listens on 127.0.0.1 and gives a generated SSWS token', () => {
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.apiToken).toMatch(/^00[0-9A-Za-z]{40}$/);
  });

  it('answers a missing or wrong token with 401 E0000011', async () => {
    const path = `${PREREG}/users/${ALICE}/enrollments`;
    for (const auth of [null, 'SSWS 00wrongtoken', 'Bearer not-a-token', 'Basic abc']) {
      expectOktaError(await call(sim, 'GET', path, undefined, auth), 401, 'E0000011', 'Invalid token provided');
    }
  });

  it('puts the Okta headers on every response, errors included', async () => {
    for (const res of [await call(sim, 'GET', `/api/v1/users/${ALICE}`), await call(sim, 'GET', `/api/v1/users/${ALICE}`, undefined, null)]) {
      expect(res.headers.get('x-okta-request-id')).toMatch(/^[0-9A-Za-z]{27}$/);
      expect(Number(res.headers.get('x-rate-limit-limit'))).toBe(600);
      expect(Number(res.headers.get('x-rate-limit-remaining'))).toBeLessThan(600);
      expect(Number(res.headers.get('x-rate-limit-reset'))).toBeGreaterThan(Date.now() / 1000);
    }
  });

  it('gives each error occurrence its own errorId', async () => {
    const a = await call(sim, 'GET', `${PREREG}/users/${ALICE}/enrollments`, undefined, null);
    const b = await call(sim, 'GET', `${PREREG}/users/${ALICE}/enrollments`, undefined, null);
    expect((a.body as { errorId: string }).errorId).not.toBe((b.body as { errorId: string }).errorId);
  });

  it('finds users by id, login or email and answers unknown ones with 404 E0000007', async () => {
    for (const key of [ALICE, 'alice@example.com', encodeURIComponent('ALICE@example.com')]) {
      const res = await call(sim, 'GET', `/api/v1/users/${key}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: ALICE, status: 'ACTIVE', profile: { login: 'alice@example.com', email: 'alice@example.com', firstName: 'Alice' } });
    }
    expectOktaError(await call(sim, 'GET', '/api/v1/users/00uNOSUCHUSER0000000'), 404, 'E0000007', 'Not found: Resource not found: 00uNOSUCHUSER0000000 (User)');
    expectOktaError(await call(sim, 'GET', `${PREREG}/users/00uNOSUCHUSER0000000/enrollments`), 404, 'E0000007', 'Not found: Resource not found: 00uNOSUCHUSER0000000 (User)');
  });

  it('seeds twelve demo users with Okta-shaped ids', () => {
    const users = sim.state.users();
    expect(users).toHaveLength(12);
    for (const u of users) expect(u.id).toMatch(/^00u[0-9A-Za-z]{17}$/);
    expect(users.map((u) => u.status)).toEqual(expect.arrayContaining(['ACTIVE', 'STAGED', 'SUSPENDED']));
  });

  it('answers malformed JSON with 400 E0000003', async () => {
    for (const body of ['{"userId": ', '']) {
      expectOktaError(await call(sim, 'POST', `${PREREG}/enroll`, body), 400, 'E0000003', 'The request body was not well-formed.');
    }
  });

  it('answers a wrong method with 405 E0000022 and an unknown path with 404', async () => {
    expectOktaError(await call(sim, 'GET', `${PREREG}/enroll`), 405, 'E0000022', 'The endpoint does not support the provided HTTP method');
    expect((await call(sim, 'GET', '/api/v1/nothing-here')).status).toBe(404);
  });

  it('validates before it trusts: a body error on enroll is the preregistration 400 with one cause object', async () => {
    const res = await call(sim, 'POST', `${PREREG}/enroll`, { fulfillmentProvider: 'acme', userId: ALICE, yubicoTransportKeyJWK: {} });
    expectOktaError(res, 400, 'E0000001', ENROLL_SUMMARY, { errorSummary: expect.stringContaining('fulfillmentProvider') });
  });

  it('counts calls per endpoint', async () => {
    const before = sim.state.calls()['get-user'];
    await call(sim, 'GET', `/api/v1/users/${ALICE}`);
    expect(sim.state.calls()['get-user']).toBe(before + 1);
  });
});
