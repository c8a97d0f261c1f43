// The station's journal: orders, jobs, their steps and failed attempts in one SQLite file. Every write is
// a synchronous transaction in WAL mode with synchronous=FULL, so once a method returns the row survives
// a crash or power loss — the engine relies on that before it takes the next step (architecture.md,
// "Journal"). Step data holds encrypted payloads and public facts only; secrets never reach this file.
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import type { AuditType } from './audit/audit-entry.js';
import { AuditLog } from './audit/audit-log.js';
import { DeliveryLog } from './delivery-log.js';
import { auditForStep } from './audit/step-audit.js';
import { STEP_SCHEMAS, isStepName, type JournalStep, type StepData, type StepName } from './job-steps.js';
import { MIGRATIONS, SCHEMA_VERSION } from './journal-schema.js';
import type { SerialSource } from './key-identity.js';
import type { ProvisioningErrorView } from './provisioning-errors.js';
import type { JobRecord } from './report.js';

export type OrderState = 'waiting' | 'assigned' | 'done' | 'failed' | 'cancelled';
export type Delivery = 'email' | 'print' | 'both' | 'hold';
export type JobOutcome = 'done' | 'failed' | 'cancelled';

export interface NewOrder {
  /** Login, e-mail or Okta user id. */
  readonly user: string;
  readonly orderId?: string;
  readonly delivery?: Delivery;
  readonly label?: string;
  readonly note?: string;
  /** Where the order came from: 'import', 'okta', 'manual'. */
  readonly source?: string;
  readonly batchId?: string;
}

export interface OrderRow {
  readonly id: string;
  readonly seq: number;
  readonly user: string;
  readonly source: string;
  readonly delivery: Delivery;
  readonly label?: string;
  readonly note?: string;
  readonly batchId?: string;
  readonly state: OrderState;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface JobRow {
  readonly id: string;
  readonly orderId: string;
  readonly keyPath: string;
  readonly userId?: string;
  readonly serial?: string;
  readonly serialSource?: SerialSource;
  readonly aaguid?: string;
  readonly model?: string;
  readonly firmware?: string;
  /** The last step committed. */
  readonly state: string;
  readonly outcome?: JobOutcome;
  readonly failureCode?: string;
  readonly failureCause?: string;
  readonly batchId?: string;
  readonly operator?: string;
  readonly startedAt: string;
  readonly finishedAt?: string;
  /** Begun by enroll-ahead: enrolled while online before any key was plugged (keyPath '' until a key takes it). */
  readonly ahead: boolean;
  /** When Okta's enrollment expires (from requests-opened). */
  readonly expiresAt?: string;
}

/** An offline batch's queue as the status line shows it. */
export interface ParkedCounts {
  /** Orders enrolled ahead that no key has taken yet. */
  readonly enrolledAhead: number;
  /** Keys programmed offline whose activation waits for sync. */
  readonly pendingActivations: number;
  /** The earliest expiry among both. */
  readonly nextExpiry?: string;
}

/** No key has taken the job yet. */
export const NO_KEY = '';

/** Parked jobs wait for a key (enrolled ahead) or for Okta (awaiting activation); resume leaves them to sync. */
export function isParked(job: JobRow): boolean {
  return (job.ahead && job.keyPath === NO_KEY && job.state === 'requests-opened') || job.state === 'awaiting-activation';
}

export interface AttemptRow {
  readonly step: string;
  readonly code: string;
  readonly cause: string;
  readonly ctapStatus?: string;
  readonly oktaRequestId?: string;
  readonly retryable: boolean;
  readonly at: string;
}

export interface JournalOptions {
  readonly now?: () => Date;
}

/** A journal this build cannot use, or a state change the queue does not allow. */
export class JournalError extends Error {
  override readonly name = 'JournalError';
}

interface OrderDbRow {
  id: string;
  seq: number;
  user: string;
  source: string;
  delivery: Delivery;
  label: string | null;
  note: string | null;
  batch_id: string | null;
  state: OrderState;
  created_at: string;
  updated_at: string;
}

interface JobDbRow {
  id: string;
  order_id: string;
  key_path: string;
  user_id: string | null;
  serial: string | null;
  serial_source: SerialSource | null;
  aaguid: string | null;
  model: string | null;
  firmware: string | null;
  state: string;
  outcome: JobOutcome | null;
  failure_code: string | null;
  failure_cause: string | null;
  batch_id: string | null;
  operator: string | null;
  started_at: string;
  finished_at: string | null;
  ahead: number;
  expires_at: string | null;
}

const DELIVERIES: readonly Delivery[] = ['email', 'print', 'both', 'hold'];

/** Which order states a caller may move an order between (the engine's own moves go through startJob/finishJob). */
const MANUAL_MOVES: Readonly<Record<OrderState, readonly OrderState[]>> = {
  waiting: ['cancelled'],
  assigned: [],
  done: [],
  failed: ['waiting', 'cancelled'],
  cancelled: ['waiting'],
};

function toOrder(row: OrderDbRow): OrderRow {
  return {
    id: row.id,
    seq: row.seq,
    user: row.user,
    source: row.source,
    delivery: row.delivery,
    ...(row.label === null ? {} : { label: row.label }),
    ...(row.note === null ? {} : { note: row.note }),
    ...(row.batch_id === null ? {} : { batchId: row.batch_id }),
    state: row.state,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toJob(row: JobDbRow): JobRow {
  return {
    id: row.id,
    orderId: row.order_id,
    keyPath: row.key_path,
    state: row.state,
    startedAt: row.started_at,
    ahead: row.ahead === 1,
    ...(row.expires_at === null ? {} : { expiresAt: row.expires_at }),
    ...(row.user_id === null ? {} : { userId: row.user_id }),
    ...(row.serial === null ? {} : { serial: row.serial }),
    ...(row.serial_source === null ? {} : { serialSource: row.serial_source }),
    ...(row.aaguid === null ? {} : { aaguid: row.aaguid }),
    ...(row.model === null ? {} : { model: row.model }),
    ...(row.firmware === null ? {} : { firmware: row.firmware }),
    ...(row.outcome === null ? {} : { outcome: row.outcome }),
    ...(row.failure_code === null ? {} : { failureCode: row.failure_code }),
    ...(row.failure_cause === null ? {} : { failureCause: row.failure_cause }),
    ...(row.batch_id === null ? {} : { batchId: row.batch_id }),
    ...(row.operator === null ? {} : { operator: row.operator }),
    ...(row.finished_at === null ? {} : { finishedAt: row.finished_at }),
  };
}

export class Journal {
  readonly #db: Database.Database;
  readonly #now: () => Date;
  /** The hash-chained audit trail; the journal appends to it in the same transaction as each event. */
  readonly audit: AuditLog;
  /** PIN sends after a job's first delivery (confirmed holds, resends). */
  readonly deliveries: DeliveryLog;

  private constructor(db: Database.Database, now: () => Date) {
    this.#db = db;
    this.#now = now;
    this.audit = new AuditLog(db, { now });
    this.deliveries = new DeliveryLog(db, now);
  }

  /** Opens (creating when absent) the journal at `path` and brings its schema up to date. */
  static open(path: string, options: JournalOptions = {}): Journal {
    const db = new Database(path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      // A second process (the CLI's report) may read while the station writes.
      db.pragma('busy_timeout = 5000');
      migrate(db);
    } catch (error) {
      db.close();
      throw error;
    }
    return new Journal(db, options.now ?? (() => new Date()));
  }

  /** The durability settings in force on this connection, for diagnostics (and the tests that pin them). */
  settings(): { journalMode: string; synchronous: number; foreignKeys: boolean; schemaVersion: number } {
    return {
      journalMode: String(this.#db.pragma('journal_mode', { simple: true })),
      synchronous: Number(this.#db.pragma('synchronous', { simple: true })),
      foreignKeys: Number(this.#db.pragma('foreign_keys', { simple: true })) === 1,
      schemaVersion: Number(this.#db.pragma('user_version', { simple: true })),
    };
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  private stamp(): string {
    return this.#now().toISOString();
  }

  // Orders

  /** Queues orders in the given sequence. An orderId already in the journal is skipped and reported. */
  addOrders(orders: readonly NewOrder[]): { added: OrderRow[]; duplicates: string[] } {
    const insert = this.#db.prepare(
      `INSERT INTO orders (id, seq, user, source, delivery, label, note, batch_id, state, created_at, updated_at)
       VALUES (@id, @seq, @user, @source, @delivery, @label, @note, @batchId, 'waiting', @at, @at)`,
    );
    const exists = this.#db.prepare('SELECT 1 FROM orders WHERE id = ?');
    const run = this.#db.transaction((list: readonly NewOrder[]) => {
      const added: OrderRow[] = [];
      const duplicates: string[] = [];
      let seq = (this.#db.prepare('SELECT COALESCE(MAX(seq), 0) AS seq FROM orders').get() as { seq: number }).seq;
      const at = this.stamp();
      for (const order of list) {
        const user = order.user.trim();
        if (user === '') throw new JournalError('An order has no user; give a login, e-mail or Okta user id.');
        const delivery = order.delivery ?? 'email';
        if (!DELIVERIES.includes(delivery)) throw new JournalError(`Delivery "${String(delivery)}" is not one of ${DELIVERIES.join(', ')}.`);
        const id = order.orderId?.trim() || randomUUID();
        if (exists.get(id)) {
          duplicates.push(id);
          continue;
        }
        seq += 1;
        insert.run({ id, seq, user, source: order.source ?? 'manual', delivery, label: order.label ?? null, note: order.note ?? null, batchId: order.batchId ?? null, at });
        this.audit.append({ type: 'order-taken', orderId: id, batchId: order.batchId, data: { user, source: order.source ?? 'manual', delivery } });
        added.push(this.order(id)!);
      }
      return { added, duplicates };
    });
    return run(orders);
  }

  order(id: string): OrderRow | undefined {
    const row = this.#db.prepare('SELECT * FROM orders WHERE id = ?').get(id) as OrderDbRow | undefined;
    return row && toOrder(row);
  }

  orders(state?: OrderState): OrderRow[] {
    const rows = (state === undefined
      ? this.#db.prepare('SELECT * FROM orders ORDER BY seq').all()
      : this.#db.prepare('SELECT * FROM orders WHERE state = ? ORDER BY seq').all(state)) as OrderDbRow[];
    return rows.map(toOrder);
  }

  nextWaitingOrder(): OrderRow | undefined {
    const row = this.#db.prepare("SELECT * FROM orders WHERE state = 'waiting' ORDER BY seq LIMIT 1").get() as OrderDbRow | undefined;
    return row && toOrder(row);
  }

  /** Cancels a waiting order, or puts a failed or cancelled one back in the queue (at its old place). */
  moveOrder(id: string, to: OrderState): OrderRow {
    const order = this.order(id);
    if (!order) throw new JournalError(`There is no order ${id}.`);
    if (!MANUAL_MOVES[order.state].includes(to)) {
      throw new JournalError(`Order ${id} is ${order.state}; it cannot be moved to ${to}.`);
    }
    this.#db.transaction(() => {
      this.#db.prepare('UPDATE orders SET state = ?, updated_at = ? WHERE id = ?').run(to, this.stamp(), id);
      this.audit.append({ type: to === 'cancelled' ? 'order-cancelled' : 'order-requeued', orderId: id, batchId: order.batchId, data: { from: order.state } });
    })();
    return this.order(id)!;
  }

  // Jobs

  /** Assigns a waiting order to the key at `keyPath`: the order becomes assigned and the job's first step is committed. */
  startJob(input: { orderId: string; keyPath: string; batchId?: string; operator?: string }): JobRow {
    return this.beginJob(input, false);
  }

  /** Begins an enroll-ahead job for a waiting order: no key yet, the order becomes assigned. */
  startAheadJob(input: { orderId: string; batchId?: string; operator?: string }): JobRow {
    return this.beginJob({ ...input, keyPath: NO_KEY }, true);
  }

  /** Hands an enrolled-ahead job to the key at `keyPath`. */
  takeAheadJob(jobId: string, keyPath: string): JobRow {
    if (keyPath === NO_KEY) throw new JournalError('A job can only be handed to a key with a path.');
    const changed = this.#db.prepare('UPDATE jobs SET key_path = ? WHERE id = ? AND ahead = 1 AND key_path = ? AND outcome IS NULL').run(keyPath, jobId, NO_KEY).changes;
    if (changed !== 1) throw new JournalError(`Job ${jobId} is not an enrolled-ahead job waiting for a key.`);
    return this.job(jobId)!;
  }

  private beginJob(input: { orderId: string; keyPath: string; batchId?: string; operator?: string }, ahead: boolean): JobRow {
    const run = this.#db.transaction(() => {
      const order = this.order(input.orderId);
      if (!order) throw new JournalError(`There is no order ${input.orderId}.`);
      if (order.state !== 'waiting') throw new JournalError(`Order ${input.orderId} is ${order.state}, not waiting; it cannot be assigned.`);
      const id = randomUUID();
      const at = this.stamp();
      this.#db.prepare("UPDATE orders SET state = 'assigned', updated_at = ? WHERE id = ?").run(at, order.id);
      this.#db
        .prepare(
          `INSERT INTO jobs (id, order_id, key_path, state, batch_id, operator, started_at, ahead)
           VALUES (?, ?, ?, 'order-assigned', ?, ?, ?, ?)`,
        )
        .run(id, order.id, input.keyPath, input.batchId ?? order.batchId ?? null, input.operator ?? null, at, ahead ? 1 : 0);
      this.insertStep(id, 'order-assigned', { orderId: order.id, user: order.user }, at);
      this.auditStep(id, auditForStep('order-assigned', { orderId: order.id, user: order.user }));
      return this.job(id)!;
    });
    return run();
  }

  /** Commits one step durably; the job's state becomes the step's name. */
  appendStep<N extends StepName>(jobId: string, name: N, data: StepData<N>): void {
    const parsed = STEP_SCHEMAS[name].parse(data);
    const run = this.#db.transaction(() => {
      const at = this.stamp();
      const changed = this.#db.prepare('UPDATE jobs SET state = ? WHERE id = ? AND outcome IS NULL').run(name, jobId).changes;
      if (changed !== 1) throw new JournalError(`Job ${jobId} is finished or unknown; step ${name} was not recorded.`);
      if (name === 'key-checked') {
        const identity = STEP_SCHEMAS['key-checked'].parse(parsed);
        this.#db
          .prepare(
            `UPDATE jobs SET aaguid = ?, model = ?, firmware = ?,
               serial = CASE WHEN serial_source = 'scan' THEN serial ELSE ? END,
               serial_source = CASE WHEN serial_source = 'scan' THEN serial_source ELSE ? END
             WHERE id = ?`,
          )
          .run(identity.aaguid, identity.model, identity.firmware ?? null, identity.serial ?? null, identity.serialSource, jobId);
      }
      if (name === 'requests-opened') {
        this.#db.prepare('UPDATE jobs SET expires_at = ? WHERE id = ?').run(STEP_SCHEMAS['requests-opened'].parse(parsed).expiresAt, jobId);
      }
      if (name === 'enroll-started') {
        this.#db.prepare('UPDATE jobs SET user_id = ? WHERE id = ?').run(STEP_SCHEMAS['enroll-started'].parse(parsed).userId, jobId);
      }
      this.insertStep(jobId, name, parsed, at);
      // `data` passed the schema above; the summary copies named fields only.
      this.auditStep(jobId, auditForStep(name, data));
    });
    run();
  }

  private auditStep(jobId: string, summary: { type: AuditType; data: Record<string, unknown> } | undefined): void {
    if (!summary) return;
    const job = this.job(jobId)!;
    this.audit.append({ ...summary, jobId, orderId: job.orderId, batchId: job.batchId, actor: job.operator });
  }

  private insertStep(jobId: string, name: StepName, data: unknown, at: string): void {
    this.#db.prepare('INSERT INTO steps (job_id, name, data, at) VALUES (?, ?, ?, ?)').run(jobId, name, JSON.stringify(data), at);
  }

  /** The job's committed steps, oldest first, each parsed against its schema. */
  steps(jobId: string): JournalStep[] {
    const rows = this.#db.prepare('SELECT name, data, at FROM steps WHERE job_id = ? ORDER BY id').all(jobId) as { name: string; data: string; at: string }[];
    return rows.map((row) => {
      if (!isStepName(row.name)) throw new JournalError(`Job ${jobId} has a step "${row.name}" this station does not know; update keybench.`);
      const data: unknown = STEP_SCHEMAS[row.name].parse(JSON.parse(row.data));
      return { name: row.name, data, at: row.at } as JournalStep;
    });
  }

  job(id: string): JobRow | undefined {
    const row = this.#db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobDbRow | undefined;
    return row && toJob(row);
  }

  /** Jobs without an outcome: after a restart, these are the ones to reconcile. */
  unfinishedJobs(): JobRow[] {
    return (this.#db.prepare('SELECT * FROM jobs WHERE outcome IS NULL ORDER BY started_at, rowid').all() as JobDbRow[]).map(toJob);
  }

  /** Unfinished enroll-ahead jobs no key has taken yet, ready for one (requests opened), oldest order first. */
  enrolledAheadJobs(): JobRow[] {
    return (
      this.#db
        .prepare(
          `SELECT j.* FROM jobs j JOIN orders o ON o.id = j.order_id
           WHERE j.outcome IS NULL AND j.ahead = 1 AND j.key_path = ? AND j.state = 'requests-opened' ORDER BY o.seq`,
        )
        .all(NO_KEY) as JobDbRow[]
    ).map(toJob);
  }

  /** Unfinished jobs whose key was programmed offline and whose activation waits for sync. */
  awaitingActivationJobs(): JobRow[] {
    return (this.#db.prepare("SELECT * FROM jobs WHERE outcome IS NULL AND state = 'awaiting-activation' ORDER BY started_at, rowid").all() as JobDbRow[]).map(toJob);
  }

  parkedCounts(): ParkedCounts {
    const row = this.#db
      .prepare(
        `SELECT
           SUM(CASE WHEN ahead = 1 AND key_path = @none AND state = 'requests-opened' THEN 1 ELSE 0 END) AS ahead,
           SUM(CASE WHEN state = 'awaiting-activation' THEN 1 ELSE 0 END) AS awaiting,
           MIN(CASE WHEN (ahead = 1 AND key_path = @none AND state = 'requests-opened') OR state = 'awaiting-activation' THEN expires_at END) AS next
         FROM jobs WHERE outcome IS NULL`,
      )
      .get({ none: NO_KEY }) as { ahead: number | null; awaiting: number | null; next: string | null };
    return { enrolledAhead: row.ahead ?? 0, pendingActivations: row.awaiting ?? 0, ...(row.next === null ? {} : { nextExpiry: row.next }) };
  }

  jobsOfOrder(orderId: string): JobRow[] {
    return (this.#db.prepare('SELECT * FROM jobs WHERE order_id = ? ORDER BY started_at, rowid').all(orderId) as JobDbRow[]).map(toJob);
  }

  /** Records a serial scanned from the box; it replaces none but one the key reports itself. */
  attachSerial(jobId: string, serial: string): JobRow {
    const value = serial.trim();
    if (!/^[\x21-\x7e]{1,64}$/.test(value)) throw new JournalError('The scanned serial must be 1 to 64 printable characters without spaces; scan it again.');
    const job = this.job(jobId);
    if (!job) throw new JournalError(`There is no job ${jobId}.`);
    if ((job.serialSource === 'usb' || job.serialSource === 'vendor') && job.serial !== value) {
      throw new JournalError(`This key reports serial ${job.serial} itself; the scanned ${value} belongs to another key.`);
    }
    this.#db.transaction(() => {
      this.#db.prepare("UPDATE jobs SET serial = ?, serial_source = 'scan' WHERE id = ?").run(value, jobId);
      this.auditStep(jobId, { type: 'serial-scanned', data: { serial: value, ...(job.serial === undefined ? {} : { replaced: job.serial }) } });
    })();
    return this.job(jobId)!;
  }

  recordAttempt(jobId: string, step: string, error: ProvisioningErrorView): void {
    this.#db.transaction(() => {
      this.#db
        .prepare('INSERT INTO attempts (job_id, step, code, cause, ctap_status, okta_request_id, retryable, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(jobId, step, error.code, error.message, error.ctapStatus ?? null, error.oktaRequestId ?? null, error.retryable ? 1 : 0, this.stamp());
      this.auditStep(jobId, { type: 'error-recorded', data: { step, code: error.code, cause: error.message, ctapStatus: error.ctapStatus, oktaRequestId: error.oktaRequestId, retryable: error.retryable } });
    })();
  }

  attempts(jobId: string): AttemptRow[] {
    const rows = this.#db.prepare('SELECT * FROM attempts WHERE job_id = ? ORDER BY id').all(jobId) as {
      step: string;
      code: string;
      cause: string;
      ctap_status: string | null;
      okta_request_id: string | null;
      retryable: number;
      at: string;
    }[];
    return rows.map((r) => ({
      step: r.step,
      code: r.code,
      cause: r.cause,
      ...(r.ctap_status === null ? {} : { ctapStatus: r.ctap_status }),
      ...(r.okta_request_id === null ? {} : { oktaRequestId: r.okta_request_id }),
      retryable: r.retryable === 1,
      at: r.at,
    }));
  }

  /** Ends a job and moves its order in one transaction: done, failed, or back to the queue ('waiting'). */
  finishJob(jobId: string, outcome: JobOutcome, orderState: 'done' | 'failed' | 'waiting' | 'cancelled', failure?: ProvisioningErrorView): JobRow {
    const run = this.#db.transaction(() => {
      const job = this.job(jobId);
      if (!job) throw new JournalError(`There is no job ${jobId}.`);
      if (job.outcome) throw new JournalError(`Job ${jobId} already ended ${job.outcome}.`);
      const at = this.stamp();
      this.#db
        .prepare('UPDATE jobs SET outcome = ?, failure_code = ?, failure_cause = ?, finished_at = ? WHERE id = ?')
        .run(outcome, failure?.code ?? null, failure?.message ?? null, at, jobId);
      if (failure) this.recordAttempt(jobId, job.state, failure);
      this.#db.prepare('UPDATE orders SET state = ?, updated_at = ? WHERE id = ?').run(orderState, at, job.orderId);
      this.auditStep(jobId, { type: outcome === 'done' ? 'job-done' : outcome === 'failed' ? 'job-failed' : 'job-cancelled', data: { orderState, code: failure?.code, cause: failure?.message } });
      return this.job(jobId)!;
    });
    return run();
  }

  /** Enrollment ids named by `enrolled` steps of jobs other than `exceptJobId`: factors this station owns. */
  enrollmentIdsOwned(exceptJobId?: string): Set<string> {
    const rows = this.#db.prepare("SELECT job_id, data FROM steps WHERE name = 'enrolled'").all() as { job_id: string; data: string }[];
    const ids = new Set<string>();
    for (const row of rows) {
      if (row.job_id === exceptJobId) continue;
      for (const request of STEP_SCHEMAS.enrolled.parse(JSON.parse(row.data)).credRequests) ids.add(request.authenticatorEnrollmentId);
    }
    return ids;
  }

  // Reports

  /** Jobs as report.ts reads them, oldest first; optionally one batch or those started since a time. */
  jobRecords(filter: { batchId?: string; since?: string; jobId?: string } = {}): JobRecord[] {
    const rows = this.#db
      .prepare(
        `SELECT j.*, o.user AS order_user,
           (SELECT data FROM steps s WHERE s.job_id = j.id AND s.name = 'enrolled' ORDER BY s.id DESC LIMIT 1) AS enrolled
         FROM jobs j JOIN orders o ON o.id = j.order_id
         WHERE (@batchId IS NULL OR j.batch_id = @batchId) AND (@since IS NULL OR j.started_at >= @since) AND (@jobId IS NULL OR j.id = @jobId)
         ORDER BY j.started_at, j.rowid`,
      )
      .all({ batchId: filter.batchId ?? null, since: filter.since ?? null, jobId: filter.jobId ?? null }) as (JobDbRow & { order_user: string; enrolled: string | null })[];
    return rows.map((row) => {
      const job = toJob(row);
      const enrollmentIds = row.enrolled === null ? [] : STEP_SCHEMAS.enrolled.parse(JSON.parse(row.enrolled)).credRequests.map((c) => c.authenticatorEnrollmentId);
      const durationMs = job.finishedAt === undefined ? undefined : Date.parse(job.finishedAt) - Date.parse(job.startedAt);
      const record: JobRecord = {
        jobId: job.id,
        orderId: job.orderId,
        user: row.order_user,
        keyPath: job.keyPath,
        state: job.state,
        startedAt: job.startedAt,
        enrollmentIds,
        userId: job.userId,
        serial: job.serial,
        serialSource: job.serialSource,
        aaguid: job.aaguid,
        model: job.model,
        outcome: job.outcome,
        failureCause: job.failureCause,
        failureCode: job.failureCode,
        finishedAt: job.finishedAt,
        durationMs,
        batchId: job.batchId,
      };
      return record;
    });
  }
}

function migrate(db: Database.Database): void {
  const version = Number(db.pragma('user_version', { simple: true }));
  if (version > SCHEMA_VERSION) {
    throw new JournalError(`The journal was written by a newer keybench (schema ${version}; this one knows ${SCHEMA_VERSION}). Update keybench before opening it.`);
  }
  if (version === SCHEMA_VERSION) return;
  // SQLite's documented way to rebuild a table: foreign keys off outside the transaction, checked before commit.
  const foreignKeys = Number(db.pragma('foreign_keys', { simple: true })) === 1;
  db.pragma('foreign_keys = OFF');
  try {
    for (let next = version; next < SCHEMA_VERSION; next++) {
      db.transaction(() => {
        db.exec(MIGRATIONS[next]!);
        const broken = db.pragma('foreign_key_check') as unknown[];
        if (broken.length > 0) throw new JournalError(`Migrating the journal to schema ${next + 1} broke ${broken.length} references; it was left at schema ${next}. Report this with the journal file.`);
        db.pragma(`user_version = ${next + 1}`);
      })();
    }
  } finally {
    if (foreignKeys) db.pragma('foreign_keys = ON');
  }
}
