// The journal's offline-batch part: enroll-ahead jobs without a key, handing one to a key, the parked
// counts, and the migration that adds them to a journal written before offline batches existed.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StepData } from '../../../electron/core/station/job-steps.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../../electron/core/station/journal-schema.js';
import { Journal, JournalError, NO_KEY, isParked } from '../../../electron/core/station/journal.js';

const OPENED: StepData<'requests-opened'> = { rpIds: ['org.example'], pinPolicy: { charset: 'numeric', length: 8, forceChangePin: true }, expiresAt: '2026-04-01T00:00:00.000Z' };
const ENROLLED = { pinRequestJwe: 'p', credRequests: [{ authenticatorEnrollmentId: 'fwfA', keyId: 'kA', credRequestJwe: 'cA' }] };

function enrolledAhead(journal: Journal, orderId: string, expiresAt: string = OPENED.expiresAt) {
  const job = journal.startAheadJob({ orderId });
  journal.appendStep(job.id, 'enroll-started', { userId: '00us2hPODQncCkxef0g3', transportKid: 't' });
  journal.appendStep(job.id, 'enrolled', ENROLLED);
  journal.appendStep(job.id, 'requests-opened', { ...OPENED, expiresAt });
  return journal.job(job.id)!;
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keybench-journal-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('enroll-ahead jobs in the journal', () => {
  it('holds an enrolled-ahead job without a key, with its expiry, until a key takes it', () => {
    const journal = Journal.open(':memory:');
    journal.addOrders([{ user: 'alice@example.com', orderId: 'o-1' }, { user: 'bob@example.com', orderId: 'o-2' }]);
    const ahead = enrolledAhead(journal, 'o-1');
    expect(ahead).toMatchObject({ ahead: true, keyPath: NO_KEY, state: 'requests-opened', expiresAt: OPENED.expiresAt });
    expect(journal.order('o-1')!.state).toBe('assigned');
    expect(isParked(ahead)).toBe(true);
    expect(journal.enrolledAheadJobs().map((j) => j.orderId)).toEqual(['o-1']);
    expect(journal.parkedCounts()).toEqual({ enrolledAhead: 1, pendingActivations: 0, nextExpiry: OPENED.expiresAt });

    const taken = journal.takeAheadJob(ahead.id, 'virtual:1');
    expect(taken).toMatchObject({ keyPath: 'virtual:1', ahead: true });
    expect(isParked(taken)).toBe(false);
    expect(journal.enrolledAheadJobs()).toEqual([]);
    // Taken once only.
    expect(() => journal.takeAheadJob(ahead.id, 'virtual:2')).toThrow(JournalError);
    journal.close();
  });

  it('counts keys awaiting activation, and the earliest expiry of everything parked', () => {
    const journal = Journal.open(':memory:');
    journal.addOrders([{ user: 'alice@example.com', orderId: 'o-1' }, { user: 'bob@example.com', orderId: 'o-2' }]);
    const first = enrolledAhead(journal, 'o-1', '2026-05-01T00:00:00.000Z');
    enrolledAhead(journal, 'o-2', '2026-04-15T00:00:00.000Z');
    journal.takeAheadJob(first.id, 'virtual:1');
    journal.appendStep(first.id, 'awaiting-activation', { expiresAt: '2026-05-01T00:00:00.000Z' });
    expect(journal.awaitingActivationJobs().map((j) => j.orderId)).toEqual(['o-1']);
    expect(isParked(journal.job(first.id)!)).toBe(true);
    expect(journal.parkedCounts()).toEqual({ enrolledAhead: 1, pendingActivations: 1, nextExpiry: '2026-04-15T00:00:00.000Z' });
    journal.finishJob(first.id, 'done', 'done');
    expect(journal.parkedCounts()).toEqual({ enrolledAhead: 1, pendingActivations: 0, nextExpiry: '2026-04-15T00:00:00.000Z' });
    journal.close();
  });

  it('brings a journal written before offline batches up to date, its jobs neither ahead nor parked', () => {
    const path = join(dir, 'old.db');
    const db = new Database(path);
    db.exec(MIGRATIONS[0]!);
    db.pragma('user_version = 1');
    db.prepare("INSERT INTO orders (id, seq, user, source, delivery, state, created_at, updated_at) VALUES ('o-1', 1, 'alice@example.com', 'import', 'email', 'assigned', 'x', 'x')").run();
    db.prepare("INSERT INTO jobs (id, order_id, key_path, state, started_at) VALUES ('j-1', 'o-1', 'virtual:1', 'requests-opened', 'x')").run();
    db.close();

    const journal = Journal.open(path);
    expect(journal.settings().schemaVersion).toBe(SCHEMA_VERSION);
    expect(SCHEMA_VERSION).toBe(3);
    const job = journal.job('j-1')!;
    expect(job.ahead).toBe(false);
    expect(job.expiresAt).toBeUndefined();
    expect(isParked(job)).toBe(false);
    expect(journal.unfinishedJobs().map((j) => j.id)).toEqual(['j-1']);
    journal.close();
  });
});
