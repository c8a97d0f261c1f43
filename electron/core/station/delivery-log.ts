// Where each job's PIN went. The first delivery is a step of the job (`mailer-printed`, `pin-delivered`);
// every later one — a held PIN sent once its key arrived, a PIN sent again — is a row here with Okta's
// request id. Together they answer "which PINs are still held" and "what happened to this user's PIN".
import type Database from 'better-sqlite3';
import type { PinDeliveryState } from '../../contract/models.js';

export interface DeliveryRow {
  readonly jobId: string;
  readonly method: 'email' | 'print' | 'hold';
  readonly outcome: 'sent' | 'printed' | 'held' | 'failed';
  readonly at: string;
  readonly printer?: string;
  readonly oktaRequestId?: string;
  readonly operator?: string;
  readonly cause?: string;
}

export interface HeldPinRow {
  readonly jobId: string;
  readonly orderId: string;
  readonly user: string;
  readonly model?: string;
  readonly serial?: string;
  readonly batchId?: string;
  readonly heldSince: string;
}

interface DeliveryDbRow {
  job_id: string;
  method: DeliveryRow['method'];
  outcome: DeliveryRow['outcome'];
  at: string;
  printer: string | null;
  okta_request_id: string | null;
  operator: string | null;
  cause: string | null;
}

interface HeldDbRow {
  job_id: string;
  order_id: string;
  user: string;
  model: string | null;
  serial: string | null;
  batch_id: string | null;
  held_since: string;
}

/** Jobs whose first delivery was "hold" and that no later send has reached. */
const HELD_FROM = `
  FROM jobs j
  JOIN orders o ON o.id = j.order_id
  JOIN steps s ON s.job_id = j.id AND s.name = 'pin-delivered' AND json_extract(s.data, '$.method') = 'hold'
  WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.job_id = j.id AND d.outcome = 'sent')
    AND (@query IS NULL OR o.user LIKE @query ESCAPE '\\' OR o.id LIKE @query ESCAPE '\\' OR j.serial LIKE @query ESCAPE '\\')`;

function likePattern(query: string | undefined): string | null {
  const q = query?.trim();
  return q ? `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
}

function toDelivery(row: DeliveryDbRow): DeliveryRow {
  return {
    jobId: row.job_id,
    method: row.method,
    outcome: row.outcome,
    at: row.at,
    ...(row.printer === null ? {} : { printer: row.printer }),
    ...(row.okta_request_id === null ? {} : { oktaRequestId: row.okta_request_id }),
    ...(row.operator === null ? {} : { operator: row.operator }),
    ...(row.cause === null ? {} : { cause: row.cause }),
  };
}

export class DeliveryLog {
  readonly #db: Database.Database;
  readonly #now: () => Date;

  constructor(db: Database.Database, now: () => Date) {
    this.#db = db;
    this.#now = now;
  }

  record(row: Omit<DeliveryRow, 'at'>): DeliveryRow {
    const at = this.#now().toISOString();
    this.#db
      .prepare('INSERT INTO deliveries (job_id, method, outcome, printer, okta_request_id, operator, cause, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(row.jobId, row.method, row.outcome, row.printer ?? null, row.oktaRequestId ?? null, row.operator ?? null, row.cause ?? null, at);
    return { ...row, at };
  }

  /** The later sends of one job, oldest first. */
  of(jobId: string): DeliveryRow[] {
    return (this.#db.prepare('SELECT * FROM deliveries WHERE job_id = ? ORDER BY id').all(jobId) as DeliveryDbRow[]).map(toDelivery);
  }

  held(filter: { query?: string; offset?: number; limit?: number } = {}): { total: number; items: HeldPinRow[] } {
    const query = likePattern(filter.query);
    const total = Number(this.#db.prepare(`SELECT count(*) ${HELD_FROM}`).pluck().get({ query }));
    const rows = this.#db
      .prepare(
        `SELECT j.id AS job_id, j.order_id, o.user, j.model, j.serial, j.batch_id, s.at AS held_since ${HELD_FROM}
         ORDER BY s.id LIMIT @limit OFFSET @offset`,
      )
      .all({ query, limit: filter.limit ?? 100, offset: filter.offset ?? 0 }) as HeldDbRow[];
    return {
      total,
      items: rows.map((r) => ({
        jobId: r.job_id,
        orderId: r.order_id,
        user: r.user,
        heldSince: r.held_since,
        ...(r.model === null ? {} : { model: r.model }),
        ...(r.serial === null ? {} : { serial: r.serial }),
        ...(r.batch_id === null ? {} : { batchId: r.batch_id }),
      })),
    };
  }

  isHeld(jobId: string): boolean {
    return this.#db.prepare(`SELECT 1 ${HELD_FROM} AND j.id = @jobId`).get({ query: null, jobId }) !== undefined;
  }

  /** Each job's PIN as the history shows it: the latest later send, else the first delivery's step. */
  states(jobIds: readonly string[]): Map<string, PinDeliveryState> {
    const states = new Map<string, PinDeliveryState>();
    if (jobIds.length === 0) return states;
    const rows = this.#db
      .prepare(
        `SELECT j.value AS job_id,
           (SELECT d.outcome FROM deliveries d WHERE d.job_id = j.value ORDER BY d.id DESC LIMIT 1) AS later,
           (SELECT s.data FROM steps s WHERE s.job_id = j.value AND s.name = 'pin-delivered' ORDER BY s.id DESC LIMIT 1) AS delivered,
           EXISTS (SELECT 1 FROM steps s WHERE s.job_id = j.value AND s.name = 'mailer-printed') AS printed
         FROM json_each(?) j`,
      )
      .all(JSON.stringify(jobIds)) as { job_id: string; later: DeliveryRow['outcome'] | null; delivered: string | null; printed: number }[];
    for (const row of rows) states.set(row.job_id, pinState(row));
    return states;
  }
}

function pinState(row: { later: DeliveryRow['outcome'] | null; delivered: string | null; printed: number }): PinDeliveryState {
  if (row.later === 'sent') return 'sent';
  if (row.delivered !== null) {
    const first = JSON.parse(row.delivered) as { method?: string; sent?: boolean };
    if (first.sent) return 'sent';
    if (first.method === 'hold') return row.later === 'failed' ? 'failed' : 'held';
    if (row.printed) return 'printed';
  }
  if (row.later === 'failed') return 'failed';
  return row.printed ? 'printed' : 'none';
}
