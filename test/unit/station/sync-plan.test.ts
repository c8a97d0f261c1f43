// What sync makes of a key programmed offline (never activate twice, never late), and the batch ETA.
import { describe, expect, it } from 'vitest';
import type { PreregistrationFactor } from '../../../electron/core/okta/models.js';
import type { JournalStep } from '../../../electron/core/station/job-steps.js';
import { deriveJobState } from '../../../electron/core/station/job-state.js';
import { ProgressEta } from '../../../electron/core/station/progress-eta.js';
import { expiresWithin, planSync } from '../../../electron/core/station/sync-plan.js';

const AT = '2026-03-01T09:00:00.000Z';
const EXPIRES = '2026-03-31T09:00:00.000Z';
const NOW = Date.parse('2026-03-02T09:00:00.000Z');

function step(name: JournalStep['name'], data: unknown): JournalStep {
  return { name, data, at: AT } as JournalStep;
}

const PARKED = deriveJobState([
  step('order-assigned', { orderId: 'o-1', user: 'alice@example.com' }),
  step('enroll-started', { userId: '00us2hPODQncCkxef0g3', transportKid: 't' }),
  step('enrolled', {
    pinRequestJwe: 'p',
    credRequests: [
      { authenticatorEnrollmentId: 'fwfA', keyId: 'kA', credRequestJwe: 'cA' },
      { authenticatorEnrollmentId: 'fwfB', keyId: 'kB', credRequestJwe: 'cB' },
    ],
  }),
  step('requests-opened', { rpIds: ['a.example', 'b.example'], pinPolicy: { charset: 'numeric', length: 8, forceChangePin: true }, expiresAt: EXPIRES }),
  step('key-checked', { path: 'virtual:1', kind: 'virtual', aaguid: 'a', model: 'm', serial: 'S1', serialSource: 'usb', versions: ['FIDO_2_1'], pinSet: false }),
  step('pin-sealed', { pinResponseJwe: 'sealed', forceChangePin: true, serial: 'S1' }),
  step('pin-set', {}),
  step('credential-made', { authenticatorEnrollmentId: 'fwfA', rpId: 'a.example', credentialId: 'c', credResponseJwe: 'rA' }),
  step('credential-made', { authenticatorEnrollmentId: 'fwfB', rpId: 'b.example', credentialId: 'd', credResponseJwe: 'rB' }),
  step('key-configured', { minPinLength: 8, minPinLengthRpIds: [], forceChangePin: true, enterpriseAttestation: false }),
  step('verified', { credentialsPresent: ['a.example', 'b.example'], forcePinChange: true, minPinLength: 8 }),
  step('awaiting-activation', { expiresAt: EXPIRES }),
]);

const factors = (a: string, b?: string): PreregistrationFactor[] => [
  { id: 'fwfA', status: a },
  ...(b === undefined ? [] : [{ id: 'fwfB', status: b }]),
];

describe('planSync', () => {
  it('records factors Okta already lists ACTIVE instead of activating them again', () => {
    expect(planSync({ state: PARKED, factors: factors('ACTIVE', 'ACTIVE'), now: NOW })).toEqual({ kind: 'already-active' });
  });

  it('activates when every factor is pending and the enrollment has not expired', () => {
    expect(planSync({ state: PARKED, factors: factors('PENDING_ACTIVATION', 'PENDING_ACTIVATION'), now: NOW })).toEqual({ kind: 'activate' });
  });

  it('replaces, never activates, an enrollment past its journaled expiry even while Okta still lists it pending', () => {
    const late = Date.parse(EXPIRES) + 1;
    expect(planSync({ state: PARKED, factors: factors('PENDING_ACTIVATION', 'PENDING_ACTIVATION'), now: late })).toEqual({
      kind: 'replace',
      deleteIds: ['fwfA', 'fwfB'],
      statuses: ['PENDING_ACTIVATION', 'PENDING_ACTIVATION'],
    });
  });

  it('replaces an enrollment Okta lists EXPIRED, deleting only the factors it still lists', () => {
    expect(planSync({ state: PARKED, factors: factors('EXPIRED'), now: NOW })).toEqual({ kind: 'replace', deleteIds: ['fwfA'], statuses: ['EXPIRED', 'DELETED'] });
  });

  it('replaces a half-active or errored enrollment without deleting its ACTIVE factor', () => {
    expect(planSync({ state: PARKED, factors: factors('ACTIVE', 'FULFILLMENT_ERRORED'), now: NOW })).toEqual({
      kind: 'replace',
      deleteIds: ['fwfB'],
      statuses: ['ACTIVE', 'FULFILLMENT_ERRORED'],
    });
  });
});

describe('expiresWithin', () => {
  it('counts the margin, and treats an unreadable expiry as expired', () => {
    const at = Date.parse(EXPIRES);
    expect(expiresWithin(EXPIRES, at - 60_001, 60_000)).toBe(false);
    expect(expiresWithin(EXPIRES, at - 60_000, 60_000)).toBe(true);
    expect(expiresWithin('soon', NOW, 0)).toBe(true);
    expect(expiresWithin(undefined, NOW, 0)).toBe(true);
  });
});

describe('ProgressEta', () => {
  it('has no ETA before the first item, then estimates the rest at the pace observed', () => {
    let now = 1_000;
    const eta = new ProgressEta(4, () => now);
    expect(eta.etaMs()).toBeUndefined();
    now += 300;
    eta.complete();
    expect([eta.done, eta.remaining, eta.etaMs()]).toEqual([1, 3, 900]);
    now += 500;
    eta.complete();
    expect(eta.etaMs()).toBe(800);
    eta.complete();
    eta.complete();
    eta.complete();
    expect([eta.done, eta.remaining, eta.etaMs()]).toEqual([4, 0, 0]);
  });
});
