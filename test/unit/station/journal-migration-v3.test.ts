import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Journal } from '../../../electron/core/station/journal.js';
import { MIGRATIONS } from '../../../electron/core/station/journal-schema.js';

describe('journal schema 3', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'keybench-journal-v3-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function schema2(path: string): void {
    const db = new Database(path);
    db.pragma('foreign_keys = ON');
    db.exec(MIGRATIONS[0]!);
    db.exec(MIGRATIONS[1]!);
    db.pragma('user_version = 2');
    db.prepare("INSERT INTO orders (id, seq, user, source, delivery, state, created_at, updated_at) VALUES ('o-1', 1, 'alice@example.com', 'import', 'hold', 'done', 'x', 'x')").run();
    db.prepare(
      "INSERT INTO jobs (id, order_id, key_path, serial, serial_source, state, outcome, started_at, ahead, expires_at) VALUES ('j-1', 'o-1', 'virtual:1', '123', 'usb', 'done', 'done', 'x', 1, '2026-12-01T00:00:00.000Z')",
    ).run();
    db.prepare("INSERT INTO steps (job_id, name, data, at) VALUES ('j-1', 'done', '{}', 'x')").run();
    db.prepare("INSERT INTO attempts (job_id, step, code, cause, retryable, at) VALUES ('j-1', 'enrolled', 'okta', 'Okta said no.', 1, 'x')").run();
    db.close();
  }

  it('keeps every job, step and attempt of a schema-2 journal, and its references', () => {
    const path = join(dir, 'v2.db');
    schema2(path);
    const journal = Journal.open(path);
    const job = journal.job('j-1')!;
    expect(job).toMatchObject({ serial: '123', serialSource: 'usb', ahead: true, expiresAt: '2026-12-01T00:00:00.000Z', outcome: 'done' });
    expect(journal.steps('j-1').map((s) => s.name)).toEqual(['done']);
    expect(journal.attempts('j-1')).toHaveLength(1);
    expect(journal.settings().foreignKeys).toBe(true);
    journal.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'jobs' AND sql IS NOT NULL ORDER BY name").pluck().all()).toEqual([
      'jobs_by_order',
      'jobs_parked',
      'jobs_unfinished',
    ]);
    db.close();
  });

  it('records a serial read from the key vendor interface as such', () => {
    const path = join(dir, 'v2.db');
    schema2(path);
    Journal.open(path).close();
    const db = new Database(path);
    db.prepare("UPDATE jobs SET serial_source = 'vendor' WHERE id = 'j-1'").run();
    expect(() => db.prepare("UPDATE jobs SET serial_source = 'guessed' WHERE id = 'j-1'").run()).toThrow(/CHECK/);
    db.close();
  });

  it('refuses to change or remove an audit entry through SQLite', () => {
    const path = join(dir, 'fresh.db');
    Journal.open(path).close();
    const db = new Database(path);
    db.prepare("INSERT INTO audit (seq, at, type, entry, prev_hash, hash) VALUES (1, 'x', 'order-taken', '{}', '00', 'aa')").run();
    expect(() => db.prepare("UPDATE audit SET entry = '{\"x\":1}'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit').run()).toThrow(/append-only/);
    db.close();
  });
});
