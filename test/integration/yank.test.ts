// A key pulled out of the hub at each step of its job, on a bench of two keys. While the job still needs the
// key it fails as key-removed, with every factor it enrolled marked errored; once everything activation needs
// is journaled it completes without the key. Either way nothing is left PENDING_ACTIVATION, the journal holds
// no PIN or token, and the other key's job is untouched.
import { describe, expect, it } from 'vitest';
import type { OktaClient } from '../../electron/core/okta/client.js';
import type { StationEvent } from '../../electron/core/station/engine.js';
import type { StepName } from '../../electron/core/station/job-steps.js';
import type { CommandName } from '../../electron/core/virtual-key/options.js';
import type { VirtualKey } from '../../electron/core/virtual-key/virtual-key.js';
import { mailedPin, openBench, type Bench, startAndSettle } from '../unit/station/harness.js';
import { journalText, pinPolicyOf, RecordingRandom, secretFieldNames } from './fault-checks.js';

const YANKED = 'virtual:1';
const OTHER = 'virtual:2';
const RP_IDS = ['login.acme.example', 'acme.okta.com'];

type Trigger =
  /** The key drops off the bus while replying to this command. */
  | { readonly during: CommandName }
  /** Pulled right after the job commits this step. */
  | { readonly after: StepName }
  /** Pulled when the job asks for its n-th touch (1-based): during that makeCredential's touch turn. */
  | { readonly atTouch: number }
  /** Pulled while this Okta call is on its way; the call itself goes through. */
  | { readonly duringOkta: 'activate' | 'sendPin' };

interface Case {
  readonly name: string;
  readonly trigger: Trigger;
  readonly outcome: 'failed' | 'done';
}

const CASES: readonly Case[] = [
  { name: 'after key-checked, before enroll', trigger: { after: 'key-checked' }, outcome: 'failed' },
  { name: 'between enroll and the PIN (key idle but plugged)', trigger: { after: 'requests-opened' }, outcome: 'failed' },
  { name: 'during setPIN', trigger: { during: 'clientPIN' }, outcome: 'failed' },
  { name: 'during the first makeCredential', trigger: { during: 'makeCredential' }, outcome: 'failed' },
  { name: 'during the second makeCredential (its touch turn)', trigger: { atTouch: 2 }, outcome: 'failed' },
  { name: 'during config (setMinPINLength)', trigger: { during: 'config' }, outcome: 'failed' },
  { name: 'during credential-management verification', trigger: { during: 'credentialManagement' }, outcome: 'failed' },
  { name: 'after the force-change config, before the final check', trigger: { after: 'key-configured' }, outcome: 'failed' },
  { name: 'after verified, before activate', trigger: { after: 'verified' }, outcome: 'done' },
  { name: 'during activate', trigger: { duringOkta: 'activate' }, outcome: 'done' },
  { name: 'during send-pin', trigger: { duringOkta: 'sendPin' }, outcome: 'done' },
];

/** Makes one Okta call for the yanked key's user pull the key first and give the engine time to notice, then go through. */
function yankDuringOkta(okta: OktaClient, call: 'activate' | 'sendPin', key: () => VirtualKey, isYankedUser: (userId: string) => boolean): void {
  const pullThenWait = async (userId: string) => {
    if (!key().plugged || !isYankedUser(userId)) return;
    key().unplug();
    // A few discovery polls (40 ms each): the engine has seen the key go before Okta answers.
    await new Promise((resolve) => setTimeout(resolve, 150));
  };
  if (call === 'activate') {
    const original = okta.activate.bind(okta);
    okta.activate = async (input) => {
      await pullThenWait(input.userId);
      return original(input);
    };
  } else {
    const original = okta.sendPin.bind(okta);
    okta.sendPin = async (input) => {
      await pullThenWait(input.userId);
      return original(input);
    };
  }
}

function arm(bench: Bench, trigger: Trigger): void {
  const key = () => bench.backend.key(YANKED)!;
  const yankedUsers = new Set<string>();
  let touches = 0;
  bench.engine.on((event: StationEvent) => {
    if (event.type !== 'job-step' && event.type !== 'touch-needed') return;
    if (event.keyPath !== YANKED) return;
    if (event.type === 'job-step' && event.step === 'enroll-started') {
      const step = bench.journal.steps(event.jobId).find((s) => s.name === 'enroll-started');
      if (step?.name === 'enroll-started') yankedUsers.add(step.data.userId);
    }
    if (event.type === 'job-step' && 'after' in trigger && event.step === trigger.after) key().unplug();
    if (event.type === 'touch-needed' && 'atTouch' in trigger && ++touches === trigger.atTouch) key().unplug();
  });
  if ('duringOkta' in trigger) yankDuringOkta(bench.okta, trigger.duringOkta, key, (userId) => yankedUsers.has(userId));
}

describe('a key pulled out at each step of its job', () => {
  it.each(CASES)('$name', async ({ trigger, outcome }) => {
    const recorder = new RecordingRandom();
    const faults = 'during' in trigger ? { unplugDuring: trigger.during } : {};
    const bench = await openBench({ keys: [{ faults }, { serial: 'KBVK00000002' }], enrollmentRpIds: RP_IDS, engine: { random: recorder.random } });
    arm(bench, trigger);
    try {
      bench.engine.addOrders([
        { user: 'alice@example.com', orderId: 'o-alice' },
        { user: 'bob@example.com', orderId: 'o-bob' },
      ]);
      await startAndSettle(bench, 2);

      const jobs = [...bench.journal.jobsOfOrder('o-alice'), ...bench.journal.jobsOfOrder('o-bob')];
      const yanked = jobs.find((j) => j.keyPath === YANKED)!;
      const other = jobs.find((j) => j.keyPath === OTHER)!;
      const user = (jobId: string) => {
        const step = bench.journal.steps(jobId).find((s) => s.name === 'enroll-started');
        return step?.name === 'enroll-started' ? step.data.userId : undefined;
      };
      const statuses = (jobId: string) => {
        const userId = user(jobId);
        return userId === undefined ? [] : bench.sim.state.enrollments(userId).map((f) => f.status);
      };

      expect(bench.backend.key(YANKED)!.plugged).toBe(false);
      expect(statuses(yanked.id)).not.toContain('PENDING_ACTIVATION');
      const removedAt = bench.events.findIndex((e) => e.type === 'key-removed' && e.keyPath === YANKED);
      expect(removedAt).toBeGreaterThanOrEqual(0);
      if (outcome === 'done') {
        // Pulled during an Okta call, the engine surely saw the key go while the job ran, and let it finish.
        if ('duringOkta' in trigger) expect(removedAt).toBeLessThan(bench.events.findIndex((e) => e.type === 'job-done' && e.keyPath === YANKED));
        expect(yanked).toMatchObject({ outcome: 'done' });
        expect(statuses(yanked.id)).toEqual(['ACTIVE', 'ACTIVE']);
        expect(bench.journal.order(yanked.orderId)!.state).toBe('done');
        expect(bench.sim.state.outbox().filter((m) => m.userId === user(yanked.id))).toHaveLength(1);
      } else {
        expect(yanked).toMatchObject({ outcome: 'failed', failureCode: 'key-removed' });
        const failed = bench.events.find((e) => e.type === 'job-failed' && e.keyPath === YANKED);
        expect(failed).toMatchObject({ error: { code: 'key-removed', retryable: true }, cleanupPending: false });
        expect(failed?.type === 'job-failed' && failed.error.message).toMatch(/^The key was removed before it was finished\. Retry its order/);
        // Whatever Okta enrolled for the job is marked errored (or nothing was enrolled yet).
        expect(statuses(yanked.id).every((s) => s === 'FULFILLMENT_ERRORED')).toBe(true);
        const marked = bench.journal.steps(yanked.id).find((s) => s.name === 'marked-error');
        if (statuses(yanked.id).length > 0) expect(marked).toMatchObject({ data: { code: 'key-removed' } });
        expect(bench.journal.order(yanked.orderId)!.state).toBe('failed');
      }

      expect(other).toMatchObject({ outcome: 'done' });
      expect(statuses(other.id)).toEqual(['ACTIVE', 'ACTIVE']);
      expect(bench.backend.key(OTHER)!.snapshot().credentials).toHaveLength(2);

      const policy = pinPolicyOf(bench.journal, other.id)!;
      const pins = recorder.pins(policy.policy, policy.keyMin);
      // The replay is right: the PIN mailed for the other key is among the PINs looked for.
      expect(pins).toContain(await mailedPin(bench.sim, user(other.id)!));
      const text = journalText(bench.journal, [yanked.id, other.id]);
      for (const pin of pins) expect(text.includes(pin)).toBe(false);
      expect(secretFieldNames(bench.journal, [yanked.id, other.id])).toEqual([]);
    } finally {
      await bench.close();
    }
  });
});
