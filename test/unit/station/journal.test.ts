import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Journal, JournalError } from '../../../electron/core/station/journal.js';
import { SCHEMA_VERSION } from '../../../electron/core/station/journal-schema.js';

let dir: string;
let path: string;
let clock: number;
const now = () => new Date(clock);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keybench-journal-'));
  path = join(dir, 'journal.db');
  clock = Date.parse('2026-03-01T09:00:00Z');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const KEY_CHECKED = {
  path: 'virtual:1',
  kind: 'virtual' as const,
  aaguid: '6b657962-656e-6368-7669-727475616c31',
  model: 'keybench Virtual Key',
  serial: 'KBVK00000001',
  serialSource: 'usb' as const,
  firmware: '5.4.3',
  versions: ['FIDO_2_1'],
  pinSet: false,
};

const ENROLLED = { pinRequestJwe: 'a.b.c.d.e', credRequests: [{ authenticatorEnrollmentId: 'fwf1', keyId: 'k1', credRequestJwe: 'f.g.h.i.j' }] };

describe('Journal storage', () => {
  it('runs durably: WAL, synchronous FULL, foreign keys, schema version from the migrations', () => {
    const journal = Journal.open(path);
    expect(journal.settings()).toEqual({ journalMode: 'wal', synchronous: 2, foreignKeys: true, schemaVersion: SCHEMA_VERSION });
    journal.close();
  });

  it('keeps committed steps across a reopen, without running the migrations twice', () => {
    const journal = Journal.open(path, { now });
    journal.addOrders([{ user: 'alice@example.com', orderId: 'o-1' }]);
    const job = journal.startJob({ orderId: 'o-1', keyPath: 'virtual:1' });
    journal.appendStep(job.id, 'key-checked', KEY_CHECKED);
    journal.close();

    const reopened = Journal.open(path);
    expect(reopened.steps(job.id).map((s) => s.name)).toEqual(['order-assigned', 'key-checked']);
    expect(reopened.unfinishedJobs().map((j) => j.id)).toEqual([job.id]);
    reopened.close();
  });

  it('refuses a journal written by a newer keybench', () => {
    Journal.open(path).close();
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => Journal.open(path)).toThrow(JournalError);
    expect(() => Journal.open(path)).toThrow(/newer keybench/);
  });

  it('refuses a step it does not know when reading back, instead of guessing', () => {
    const journal = Journal.open(path);
    journal.addOrders([{ user: 'alice@example.com', orderId: 'o-1' }]);
    const job = journal.startJob({ orderId: 'o-1', keyPath: 'virtual:1' });
    journal.close();
    const db = new Database(path);
    db.prepare("INSERT INTO steps (job_id, name, data, at) VALUES (?, 'from-the-future', '{}', '2030-01-01T00:00:00Z')").run(job.id);
    db.close();
    const again = Journal.open(path);
    expect(() => again.steps(job.id)).toThrow(/does not know; update keybench/);
    again.close();
  });
});

describe('Journal orders', () => {
  it('queues orders in sequence, defaults delivery to email and reports duplicate order ids', () => {
    const journal = Journal.open(':memory:');
    const first = journal.addOrders([{ user: ' alice@example.com ', orderId: 'o-1' }, { user: 'bob@example.com', delivery: 'hold', label: 'desk 4' }]);
    expect(first.added.map((o) => [o.user, o.delivery, o.state, o.seq])).toEqual([
      ['alice@example.com', 'email', 'waiting', 1],
      ['bob@example.com', 'hold', 'waiting', 2],
    ]);
    expect(first.added[1]!.label).toBe('desk 4');
    const second = journal.addOrders([{ user: 'carol@example.com', orderId: 'o-1' }]);
    expect(second).toEqual({ added: [], duplicates: ['o-1'] });
    expect(journal.nextWaitingOrder()!.id).toBe('o-1');
  });

  it('rejects an order without a user, and a whole import with one, atomically', () => {
    const journal = Journal.open(':memory:');
    expect(() => journal.addOrders([{ user: 'alice@example.com' }, { user: '  ' }])).toThrow(/no user/);
    expect(journal.orders()).toEqual([]);
  });

  it('moves orders only where the queue allows', () => {
    const journal = Journal.open(':memory:');
    journal.addOrders([{ user: 'alice@example.com', orderId: 'o-1' }]);
    expect(journal.moveOrder('o-1', 'cancelled').state).toBe('cancelled');
    expect(journal.moveOrder('o-1', 'waiting').state).toBe('waiting');
    journal.startJob({ orderId: 'o-1', keyPath: 'virtual:1' });
    expect(() => journal.moveOrder('o-1', 'cancelled')).toThrow(/assigned; it cannot be moved/);
  });
});

describe('Journal jobs', () => {
  it('assigns a waiting order once: the order is assigned and the first step committed together', () => {
    const journal = Journal.open(':memory:', { now });
    journal.addOrders([{ user: 'alice@example.com', orderId: 'o-1' }]);
    const job = journal.startJob({ orderId: 'o-1', keyPath: 'virtual:1', operator: 'tech-7' });
    expect(job).toMatchObject({ orderId: 'o-1', keyPath: 'virtual:1', state: 'order-assigned', operator: 'tech-7', startedAt: '2026-03-01T09:00:00.000Z' });
    expect(journal.order('o-1')!.state).toBe('assigned');
    expect(journal.steps(job.id)).toEqual([{ name: 'order-assigned', data: { orderId: 'o-1', user: 'alice@example.com' }, at: '2026-03-01T09:00:00.000Z' }]);
    expect(() => journal.startJob({ orderId: 'o-1', keyPath: 'virtual:2' })).toThrow(/assigned, not waiting/);
  });

  it('validates step data against its schema and records the key identity and user on the job', () => {
    const journal = Journal.open(':memory:');
    journal.addOrders([{ user: 'alice@example.com', orderId: 'o-1' }]);
    const job = journal.startJob({ orderId: 'o-1', keyPath: 'virtual:1' });
    // @ts-expect-error: the schema wants credRequests
    expect(() => journal.appendStep(job.id, 'enrolled', { pinRequestJwe: 'x' })).toThrow();
    journal.appendStep(job.id, 'key-checked', KEY_CHECKED);
    journal.appendStep(job.id, 'enroll-started', { userId: '00us2hPODQncCkxef0g3', transportKid: 'kb-trans-1' });
    expect(journal.job(job.id)).toMatchObject({ serial: 'KBVK00000001', serialSource: 'usb', aaguid: KEY_CHECKED.aaguid, firmware: '5.4.3', userId: '00us2hPODQncCkxef0g3', state: 'enroll-started' });
  });

  it('keeps a scanned serial over a key that reports none, and refuses one that contradicts the key', () => {
    const journal = Journal.open(':memory:');
    journal.addOrders([{ user: 'a@example.com', orderId: 'o-1' }, { user: 'b@example.com', orderId: 'o-2' }]);
    const noSerial = journal.startJob({ orderId: 'o-1', keyPath: 'usb:1' });
    journal.attachSerial(noSerial.id, '3632071');
    journal.appendStep(noSerial.id, 'key-checked', { ...KEY_CHECKED, serial: undefined, serialSource: 'none' });
    expect(journal.job(noSerial.id)).toMatchObject({ serial: '3632071', serialSource: 'scan' });

    const withSerial = journal.startJob({ orderId: 'o-2', keyPath: 'usb:2' });
    journal.appendStep(withSerial.id, 'key-checked', KEY_CHECKED);
    expect(() => journal.attachSerial(withSerial.id, '999')).toThrow(/belongs to another key/);
    expect(() => journal.attachSerial(withSerial.id, 'has space')).toThrow(/scan it again/);
  });

  it('ends a job with its order, records the failure as an attempt, and accepts no step afterwards', () => {
    const journal = Journal.open(':memory:');
    journal.addOrders([{ user: 'alice@example.com', orderId: 'o-1' }]);
    const job = journal.startJob({ orderId: 'o-1', keyPath: 'virtual:1' });
    journal.finishJob(job.id, 'failed', 'failed', { code: 'key-error', message: 'The key failed.', retryable: false, ctapStatus: 'CTAP2_ERR_KEY_STORE_FULL' });
    expect(journal.job(job.id)).toMatchObject({ outcome: 'failed', failureCode: 'key-error', failureCause: 'The key failed.' });
    expect(journal.order('o-1')!.state).toBe('failed');
    expect(journal.attempts(job.id)).toEqual([expect.objectContaining({ step: 'order-assigned', code: 'key-error', ctapStatus: 'CTAP2_ERR_KEY_STORE_FULL', retryable: false })]);
    expect(() => journal.appendStep(job.id, 'done', {})).toThrow(/finished or unknown/);
    expect(() => journal.finishJob(job.id, 'done', 'done')).toThrow(/already ended/);
    expect(journal.unfinishedJobs()).toEqual([]);
  });

  it('lists the enrollment ids other jobs own', () => {
    const journal = Journal.open(':memory:');
    journal.addOrders([{ user: 'a@example.com', orderId: 'o-1' }, { user: 'b@example.com', orderId: 'o-2' }]);
    const a = journal.startJob({ orderId: 'o-1', keyPath: 'virtual:1' });
    const b = journal.startJob({ orderId: 'o-2', keyPath: 'virtual:2' });
    journal.appendStep(a.id, 'enrolled', ENROLLED);
    expect([...journal.enrollmentIdsOwned(b.id)]).toEqual(['fwf1']);
    expect([...journal.enrollmentIdsOwned(a.id)]).toEqual([]);
  });

  it('produces report records with user, identity, outcome, duration and enrollment ids', () => {
    const journal = Journal.open(':memory:', { now });
    journal.addOrders([{ user: 'alice@example.com', orderId: 'o-1', batchId: 'b-1' }]);
    const job = journal.startJob({ orderId: 'o-1', keyPath: 'virtual:1' });
    journal.appendStep(job.id, 'key-checked', KEY_CHECKED);
    journal.appendStep(job.id, 'enroll-started', { userId: '00us2hPODQncCkxef0g3', transportKid: 'kb-trans-1' });
    journal.appendStep(job.id, 'enrolled', ENROLLED);
    clock += 42_000;
    journal.appendStep(job.id, 'done', {});
    journal.finishJob(job.id, 'done', 'done');
    expect(journal.jobRecords({ batchId: 'b-1' })).toEqual([
      {
        jobId: job.id,
        orderId: 'o-1',
        user: 'alice@example.com',
        userId: '00us2hPODQncCkxef0g3',
        keyPath: 'virtual:1',
        serial: 'KBVK00000001',
        serialSource: 'usb',
        aaguid: KEY_CHECKED.aaguid,
        model: 'keybench Virtual Key',
        state: 'done',
        outcome: 'done',
        failureCause: undefined,
        failureCode: undefined,
        startedAt: '2026-03-01T09:00:00.000Z',
        finishedAt: '2026-03-01T09:00:42.000Z',
        durationMs: 42_000,
        batchId: 'b-1',
        enrollmentIds: ['fwf1'],
      },
    ]);
    expect(journal.jobRecords({ batchId: 'other' })).toEqual([]);
  });
});
