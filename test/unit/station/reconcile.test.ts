import { describe, expect, it } from 'vitest';
import type { PreregistrationFactor } from '../../../electron/core/okta/models.js';
import type { JournalStep } from '../../../electron/core/station/job-steps.js';
import { deriveJobState, readyToActivate } from '../../../electron/core/station/job-state.js';
import { planResume, type KeyPresence } from '../../../electron/core/station/reconcile.js';

const AT = '2026-03-01T09:00:00.000Z';
const USER = '00us2hPODQncCkxef0g3';

function step(name: JournalStep['name'], data: unknown, at = AT): JournalStep {
  return { name, data, at } as JournalStep;
}

const ENROLLED = [
  step('order-assigned', { orderId: 'o-1', user: 'alice@example.com' }),
  step('key-checked', { path: 'virtual:1', kind: 'virtual', aaguid: 'a', model: 'm', serial: 'S1', serialSource: 'usb', versions: ['FIDO_2_1'], pinSet: false }),
  step('enroll-started', { userId: USER, transportKid: 't' }),
  step('enrolled', {
    pinRequestJwe: 'p',
    credRequests: [
      { authenticatorEnrollmentId: 'fwfA', keyId: 'kA', credRequestJwe: 'cA' },
      { authenticatorEnrollmentId: 'fwfB', keyId: 'kB', credRequestJwe: 'cB' },
    ],
  }),
];
const SEALED = (forceChangePin: boolean) => step('pin-sealed', { pinResponseJwe: 'sealed', forceChangePin, serial: 'S1' });
const MADE = (id: string) => step('credential-made', { authenticatorEnrollmentId: id, rpId: 'org.example', credentialId: 'c', credResponseJwe: `r-${id}` });
const CONFIGURED = step('key-configured', { minPinLength: 8, minPinLengthRpIds: [], forceChangePin: true, enterpriseAttestation: false });

const factor = (id: string, status: string, created = AT): PreregistrationFactor => ({ id, status, created });
const pending = [factor('fwfA', 'PENDING_ACTIVATION'), factor('fwfB', 'PENDING_ACTIVATION')];
const gone: KeyPresence = { plugged: false, sameKey: false };
const freshKey: KeyPresence = { plugged: true, sameKey: true, pinSet: false };
const keyWithPin: KeyPresence = { plugged: true, sameKey: true, pinSet: true };

function plan(steps: JournalStep[], factors: PreregistrationFactor[] | undefined, key: KeyPresence, owned: string[] = []) {
  return planResume({ state: deriveJobState(steps), factors, ownedElsewhere: new Set(owned), key });
}

describe('deriveJobState', () => {
  it('counts PIN, credentials and configuration only after the latest sealed PIN', () => {
    const state = deriveJobState([...ENROLLED, SEALED(true), step('pin-set', {}), MADE('fwfA'), SEALED(true)]);
    expect(state.pinSet).toBe(false);
    expect(state.credentials.size).toBe(0);
    expect(state.userId).toBe(USER);
    expect(state.enrollStartedAt).toBe(AT);
  });

  it('is ready to activate only when the sealed forceChangePin claim has been applied to the key', () => {
    const made = [...ENROLLED, SEALED(true), step('pin-set', {}), MADE('fwfA'), MADE('fwfB')];
    expect(readyToActivate(deriveJobState(made))).toBe(false);
    expect(readyToActivate(deriveJobState([...made, CONFIGURED]))).toBe(true);
    expect(readyToActivate(deriveJobState([...ENROLLED, SEALED(false), step('pin-set', {}), MADE('fwfA'), MADE('fwfB')]))).toBe(true);
    expect(readyToActivate(deriveJobState([...ENROLLED, SEALED(false), step('pin-set', {}), MADE('fwfA')]))).toBe(false);
  });
});

describe('planResume', () => {
  it('closes a job whose last step was done, and never activates one already activated', () => {
    expect(plan([...ENROLLED, step('done', {})], pending, gone)).toEqual({ kind: 'close-done' });
    expect(plan([...ENROLLED, step('activated', { authenticatorEnrollmentIds: ['fwfA', 'fwfB'] })], pending, gone)).toEqual({ kind: 'finish', alreadyActive: true });
  });

  it('records an activation whose answer was lost when Okta lists every factor ACTIVE', () => {
    const steps = [...ENROLLED, SEALED(true), step('pin-set', {}), MADE('fwfA'), MADE('fwfB'), CONFIGURED];
    expect(plan(steps, [factor('fwfA', 'ACTIVE'), factor('fwfB', 'ACTIVE')], gone)).toEqual({ kind: 'finish', alreadyActive: true });
  });

  it('activates from the journal without the key once everything is journaled', () => {
    const steps = [...ENROLLED, SEALED(true), step('pin-set', {}), MADE('fwfA'), MADE('fwfB'), CONFIGURED];
    expect(plan(steps, pending, gone)).toEqual({ kind: 'finish', alreadyActive: false });
  });

  it('requeues a job that never reached enroll, with nothing to clean', () => {
    expect(plan(ENROLLED.slice(0, 2), undefined, freshKey)).toEqual({ kind: 'requeue', deleteIds: [], markErrorIds: [], needsReset: false });
  });

  it('deletes the orphans of a lost enroll: pending, owned by no other job, created after the call started', () => {
    const steps = ENROLLED.slice(0, 3);
    const factors = [
      factor('fwfNew', 'PENDING_ACTIVATION', '2026-03-01T09:00:01.000Z'),
      factor('fwfOther', 'PENDING_ACTIVATION', '2026-03-01T09:00:02.000Z'),
      factor('fwfOld', 'PENDING_ACTIVATION', '2026-02-01T09:00:00.000Z'),
      factor('fwfDone', 'ACTIVE', '2026-03-01T09:00:03.000Z'),
    ];
    expect(plan(steps, factors, freshKey, ['fwfOther'])).toEqual({ kind: 'requeue', deleteIds: ['fwfNew'], markErrorIds: [], needsReset: false });
  });

  it('continues with a plugged-in key that has no PIN yet', () => {
    expect(plan([...ENROLLED, SEALED(true)], pending, freshKey)).toEqual({ kind: 'continue-with-key' });
    expect(plan(ENROLLED, pending, freshKey)).toEqual({ kind: 'continue-with-key' });
  });

  it('marks the factors errored and asks for a reset when the PIN is lost on the key', () => {
    const steps = [...ENROLLED, SEALED(true), step('pin-set', {}), MADE('fwfA')];
    expect(plan(steps, pending, keyWithPin)).toEqual({ kind: 'requeue', deleteIds: [], markErrorIds: ['fwfA', 'fwfB'], needsReset: true });
    expect(plan(steps, pending, gone)).toEqual({ kind: 'requeue', deleteIds: [], markErrorIds: ['fwfA', 'fwfB'], needsReset: true });
  });

  it('does not continue on another key plugged into the same port', () => {
    const other: KeyPresence = { plugged: true, sameKey: false, pinSet: false };
    expect(plan([...ENROLLED, SEALED(true)], pending, other)).toEqual({ kind: 'requeue', deleteIds: [], markErrorIds: ['fwfA', 'fwfB'], needsReset: false });
  });

  it('marks only the still pending factors when Okta already errored, expired or deleted some', () => {
    const factors = [factor('fwfA', 'FULFILLMENT_ERRORED'), factor('fwfB', 'PENDING_ACTIVATION')];
    expect(plan([...ENROLLED, SEALED(false)], factors, freshKey)).toEqual({ kind: 'requeue', deleteIds: [], markErrorIds: ['fwfB'], needsReset: false });
    expect(plan([...ENROLLED, SEALED(false)], [factor('fwfB', 'EXPIRED')], gone)).toEqual({ kind: 'requeue', deleteIds: [], markErrorIds: [], needsReset: true });
  });
});
