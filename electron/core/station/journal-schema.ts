// The journal's tables, as numbered migrations. `PRAGMA user_version` records how many have run; a
// database written by a newer keybench (higher version than known here) is refused, never guessed at.
// Append new migrations; never edit one that has shipped.
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE orders (
    id          TEXT PRIMARY KEY,
    seq         INTEGER NOT NULL UNIQUE,
    user        TEXT NOT NULL,
    source      TEXT NOT NULL,
    delivery    TEXT NOT NULL CHECK (delivery IN ('email', 'print', 'both', 'hold')),
    label       TEXT,
    note        TEXT,
    batch_id    TEXT,
    state       TEXT NOT NULL CHECK (state IN ('waiting', 'assigned', 'done', 'failed', 'cancelled')),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
  );
  CREATE INDEX orders_by_state ON orders (state, seq);

  CREATE TABLE jobs (
    id             TEXT PRIMARY KEY,
    order_id       TEXT NOT NULL REFERENCES orders (id),
    key_path       TEXT NOT NULL,
    user_id        TEXT,
    serial         TEXT,
    serial_source  TEXT CHECK (serial_source IN ('usb', 'scan', 'none')),
    aaguid         TEXT,
    model          TEXT,
    firmware       TEXT,
    state          TEXT NOT NULL,
    outcome        TEXT CHECK (outcome IN ('done', 'failed', 'cancelled')),
    failure_code   TEXT,
    failure_cause  TEXT,
    batch_id       TEXT,
    operator       TEXT,
    started_at     TEXT NOT NULL,
    finished_at    TEXT
  );
  CREATE INDEX jobs_unfinished ON jobs (outcome) WHERE outcome IS NULL;
  CREATE INDEX jobs_by_order ON jobs (order_id);

  CREATE TABLE steps (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id  TEXT NOT NULL REFERENCES jobs (id),
    name    TEXT NOT NULL,
    data    TEXT NOT NULL,
    at      TEXT NOT NULL
  );
  CREATE INDEX steps_by_job ON steps (job_id, id);

  CREATE TABLE attempts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id           TEXT NOT NULL REFERENCES jobs (id),
    step             TEXT NOT NULL,
    code             TEXT NOT NULL,
    cause            TEXT NOT NULL,
    ctap_status      TEXT,
    okta_request_id  TEXT,
    retryable        INTEGER NOT NULL,
    at               TEXT NOT NULL
  );
  CREATE INDEX attempts_by_job ON attempts (job_id);
  `,
  // 2: offline batches. `ahead` marks a job begun by enroll-ahead (no key yet: key_path is '' until a key
  // takes it); `expires_at` is when Okta's enrollment expires, copied from the requests-opened step so the
  // queue can be read without parsing every step.
  `
  ALTER TABLE jobs ADD COLUMN ahead INTEGER NOT NULL DEFAULT 0 CHECK (ahead IN (0, 1));
  ALTER TABLE jobs ADD COLUMN expires_at TEXT;
  CREATE INDEX jobs_parked ON jobs (state, ahead) WHERE outcome IS NULL;
  `,
  // 3: delivery, vendor serials and the audit trail. `jobs` is rebuilt (SQLite cannot alter a CHECK) so a
  // serial read from the key's vendor interface can say so. `deliveries` holds every PIN send or print,
  // first or later (confirmed hold, resend), with Okta's request id. `audit` is the hash-chained log; its
  // triggers make it append-only for anything that goes through SQLite.
  `
  CREATE TABLE jobs_v3 (
    id             TEXT PRIMARY KEY,
    order_id       TEXT NOT NULL REFERENCES orders (id),
    key_path       TEXT NOT NULL,
    user_id        TEXT,
    serial         TEXT,
    serial_source  TEXT CHECK (serial_source IN ('usb', 'vendor', 'scan', 'none')),
    aaguid         TEXT,
    model          TEXT,
    firmware       TEXT,
    state          TEXT NOT NULL,
    outcome        TEXT CHECK (outcome IN ('done', 'failed', 'cancelled')),
    failure_code   TEXT,
    failure_cause  TEXT,
    batch_id       TEXT,
    operator       TEXT,
    started_at     TEXT NOT NULL,
    finished_at    TEXT,
    ahead          INTEGER NOT NULL DEFAULT 0 CHECK (ahead IN (0, 1)),
    expires_at     TEXT
  );
  INSERT INTO jobs_v3 SELECT id, order_id, key_path, user_id, serial, serial_source, aaguid, model, firmware, state, outcome,
    failure_code, failure_cause, batch_id, operator, started_at, finished_at, ahead, expires_at FROM jobs;
  DROP TABLE jobs;
  ALTER TABLE jobs_v3 RENAME TO jobs;
  CREATE INDEX jobs_unfinished ON jobs (outcome) WHERE outcome IS NULL;
  CREATE INDEX jobs_by_order ON jobs (order_id);
  CREATE INDEX jobs_parked ON jobs (state, ahead) WHERE outcome IS NULL;

  CREATE TABLE deliveries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id           TEXT NOT NULL REFERENCES jobs (id),
    method           TEXT NOT NULL CHECK (method IN ('email', 'print', 'hold')),
    outcome          TEXT NOT NULL CHECK (outcome IN ('sent', 'printed', 'held', 'failed')),
    printer          TEXT,
    okta_request_id  TEXT,
    operator         TEXT,
    cause            TEXT,
    at               TEXT NOT NULL
  );
  CREATE INDEX deliveries_by_job ON deliveries (job_id, id);

  CREATE TABLE audit (
    seq        INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    type       TEXT NOT NULL,
    entry      TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL UNIQUE
  );
  CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
