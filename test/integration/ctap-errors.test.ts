// A key answering each command of the pipeline with a realistic CTAP error. The job fails with the status
// name and the technician's next step, every factor it enrolled is marked errored in Okta, and the journal
// holds no PIN or token — or the pipeline recovers where it documents a retry (a PIN the key's policy refuses).
import { describe, expect, it } from 'vitest';
import { statusInfo } from '../../electron/core/ctap/errors.js';
import type { FailCommandFault } from '../../electron/core/virtual-key/options.js';
import { ALICE_ID, jobsEnded, mailedPin, openBench, pinOpensKey, until, startAndSettle } from '../unit/station/harness.js';
import { journalText, pinPolicyOf, RecordingRandom, secretFieldNames } from './fault-checks.js';

const SET_PIN = 0x03;
const GET_KEY_AGREEMENT = 0x02;
const GET_PIN_TOKEN_WITH_PERMISSIONS = 0x09;

const PIN_POLICY_VIOLATION = 0x37;
const KEY_STORE_FULL = 0x28;
const OPERATION_DENIED = 0x27;
const INVALID_COMMAND = 0x01;
const PIN_AUTH_BLOCKED = 0x34;
const OTHER = 0x7f;

interface FailingCase {
  readonly name: string;
  readonly fault: FailCommandFault;
  /** The step the message names ("The key failed while …"). */
  readonly doing: string;
  /** The message, where the status's own advice does not fit the case. */
  readonly message?: string;
}

const FAILING: readonly FailingCase[] = [
  { name: 'getKeyAgreement answers CTAP1_ERR_OTHER', fault: { command: 'clientPIN', subCommand: GET_KEY_AGREEMENT, status: OTHER, repeat: 'once' }, doing: 'setting the PIN' },
  {
    name: 'setPIN refuses the new PIN too under the key\'s policy',
    fault: { command: 'clientPIN', subCommand: SET_PIN, status: PIN_POLICY_VIOLATION, repeat: 'always' },
    doing: 'setting the PIN',
    message: 'The key refused two PINs that meet the org\'s PIN policy (CTAP2_ERR_PIN_POLICY_VIOLATION): its own PIN rules are stricter. Set it aside and use another model.',
  },
  { name: 'getPinToken answers PIN_AUTH_BLOCKED', fault: { command: 'clientPIN', subCommand: GET_PIN_TOKEN_WITH_PERMISSIONS, status: PIN_AUTH_BLOCKED, repeat: 'once' }, doing: 'configuring the key' },
  { name: 'makeCredential answers KEY_STORE_FULL', fault: { command: 'makeCredential', status: KEY_STORE_FULL, repeat: 'once' }, doing: 'creating the credential for' },
  { name: 'config answers OPERATION_DENIED', fault: { command: 'config', status: OPERATION_DENIED, repeat: 'once' }, doing: 'configuring the key' },
  { name: 'credentialManagement answers INVALID_COMMAND', fault: { command: 'credentialManagement', status: INVALID_COMMAND, repeat: 'once' }, doing: 'verifying the key' },
];

describe('a CTAP error at each command of the pipeline', () => {
  it.each(FAILING)('$name: the job fails with the status and advice, the factor is marked errored', async ({ fault, doing, message: expected }) => {
    const recorder = new RecordingRandom();
    const bench = await openBench({ keys: [{ faults: { failCommand: fault } }], engine: { random: recorder.random } });
    try {
      bench.engine.addOrders([{ user: 'alice@example.com', orderId: 'o-1' }]);
      await startAndSettle(bench);

      const { name, advice } = statusInfo(fault.status);
      const failed = bench.events.find((e) => e.type === 'job-failed');
      expect(failed).toMatchObject({ error: { code: 'key-error', ctapStatus: name }, cleanupPending: false });
      const message = failed?.type === 'job-failed' ? failed.error.message : '';
      if (expected === undefined) {
        expect(message.startsWith(`The key failed while ${doing}`)).toBe(true);
        expect(message).toContain(`: ${name}. ${advice}`);
      } else {
        expect(message).toBe(expected);
      }

      const enrolled = bench.sim.state.enrollments(ALICE_ID);
      expect(enrolled.length).toBeGreaterThan(0);
      expect(enrolled.map((f) => f.status).every((s) => s === 'FULFILLMENT_ERRORED')).toBe(true);
      const [job] = bench.journal.jobsOfOrder('o-1');
      expect(job).toMatchObject({ outcome: 'failed', failureCode: 'key-error' });
      expect(bench.journal.steps(job!.id).at(-1)).toMatchObject({
        name: 'marked-error',
        data: { ctapStatus: name, authenticatorEnrollmentIds: enrolled.map((f) => f.id) },
      });
      expect(bench.journal.order('o-1')!.state).toBe('failed');

      const policy = pinPolicyOf(bench.journal, job!.id)!;
      const pins = recorder.pins(policy.policy, policy.keyMin);
      expect(pins.length).toBeGreaterThan(0);
      const text = journalText(bench.journal, [job!.id]);
      for (const pin of pins) expect(text.includes(pin)).toBe(false);
      expect(secretFieldNames(bench.journal, [job!.id])).toEqual([]);
    } finally {
      await bench.close();
    }
  });

  it('setPIN refused once under the key\'s policy: a new PIN is sealed and set, and the job completes', async () => {
    const fault: FailCommandFault = { command: 'clientPIN', subCommand: SET_PIN, status: PIN_POLICY_VIOLATION, repeat: 'once' };
    const recorder = new RecordingRandom();
    const bench = await openBench({ keys: [{ faults: { failCommand: fault } }], engine: { random: recorder.random } });
    try {
      bench.engine.addOrders([{ user: 'alice@example.com', orderId: 'o-1' }]);
      await startAndSettle(bench);

      expect(bench.events.filter((e) => e.type === 'job-failed')).toEqual([]);
      expect(bench.sim.state.enrollments(ALICE_ID).map((f) => f.status)).toEqual(['ACTIVE']);
      const [job] = bench.journal.jobsOfOrder('o-1');
      expect(bench.journal.steps(job!.id).filter((s) => s.name === 'pin-sealed')).toHaveLength(2);
      const pin = await mailedPin(bench.sim, ALICE_ID);
      expect(await pinOpensKey(bench.backend.keys[0]!, pin)).toBe(true);
      const policy = pinPolicyOf(bench.journal, job!.id)!;
      const pins = recorder.pins(policy.policy, policy.keyMin);
      // The refused PIN and the one set; the second is the one Okta mailed.
      expect(pins).toHaveLength(2);
      expect(pins[1]).toBe(pin);
      const text = journalText(bench.journal, [job!.id]);
      for (const p of pins) expect(text.includes(p)).toBe(false);
    } finally {
      await bench.close();
    }
  });

  it('getInfo fails at the key check: the key is refused with the status and advice, nothing is enrolled, and a recheck provisions it', async () => {
    const bench = await openBench({ keys: [{ faults: { failCommand: { command: 'getInfo', status: OTHER, repeat: 'once' } } }] });
    try {
      bench.engine.addOrders([{ user: 'alice@example.com', orderId: 'o-1' }]);
      await bench.engine.start();
      await bench.engine.idle();
      const { name, advice } = statusInfo(OTHER);
      const [key] = bench.engine.keys();
      expect(key).toMatchObject({ status: 'refused', error: { code: 'key-error', ctapStatus: name } });
      expect(key!.error!.message).toContain(`: ${name}. ${advice}`);
      expect(bench.journal.order('o-1')!.state).toBe('waiting');
      expect(bench.sim.state.calls().enroll).toBe(0);

      await bench.engine.recheckKey('virtual:1');
      await until(bench.events, jobsEnded());
      await bench.engine.idle();
      expect(bench.sim.state.enrollments(ALICE_ID).map((f) => f.status)).toEqual(['ACTIVE']);
    } finally {
      await bench.close();
    }
  });
});
