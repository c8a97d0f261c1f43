// The journal's `audit` table as a hash chain: append an entry (inside the caller's transaction, so an
// event and its audit entry commit together), read a range back, and seal a batch with the station's
// signing key. The table's triggers refuse UPDATE and DELETE; the hashes and seals catch what bypasses them.
import type Database from 'better-sqlite3';
import { CompactSign, importJWK } from 'jose';
import { z } from 'zod';
import type { P384PrivateJwk } from '../../wire/jwk.js';
import { canonicalJson } from './canonical-json.js';
import { AuditRecordSchema, AuditTypeSchema, GENESIS_HASH, hashEntry, type AuditData, type AuditRecord, type AuditType } from './audit-entry.js';
import { assertNoSecrets } from './secret-guard.js';

export interface AuditEvent {
  readonly type: AuditType;
  readonly actor?: string;
  readonly jobId?: string;
  readonly orderId?: string;
  readonly batchId?: string;
  readonly data?: Record<string, unknown>;
}

export interface AuditRange {
  readonly fromSeq?: number;
  readonly toSeq?: number;
  /** ISO time, inclusive. */
  readonly since?: string;
  /** ISO time, exclusive. */
  readonly until?: string;
}

export interface AuditSigner {
  readonly privateJwk: P384PrivateJwk;
  readonly kid: string;
}

/** What a batch seal's JWS signs (its payload, as canonical JSON). */
export const SealPayloadSchema = z.strictObject({
  batchId: z.string(),
  firstSeq: z.number().int().positive(),
  headSeq: z.number().int().positive(),
  headHash: z.string(),
  at: z.string(),
});
export type SealPayload = z.infer<typeof SealPayloadSchema>;

/** The JWS `typ` of a batch seal, so a seal cannot be mistaken for (or replayed as) another signed object. */
export const SEAL_TYP = 'keybench-audit-seal';

export class AuditLogError extends Error {
  override readonly name = 'AuditLogError';
}

interface AuditDbRow {
  seq: number;
  at: string;
  type: string;
  entry: string;
  prev_hash: string;
  hash: string;
}

/** Tries to seal against a head that keeps moving (other appends between signing and writing). */
const SEAL_ATTEMPTS = 5;

export class AuditLog {
  readonly #db: Database.Database;
  readonly #now: () => Date;

  constructor(db: Database.Database, options: { now?: () => Date } = {}) {
    this.#db = db;
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Appends one entry after the current head. Inside an open transaction it joins it (a savepoint), so the
   * entry commits or rolls back with the event it records; alone it takes the write lock first, so two
   * writers cannot both chain onto the same head. Throws AuditSecretError for secret-shaped data.
   */
  append(event: AuditEvent): AuditRecord {
    return this.insert(event);
  }

  /** `at` is given only by a seal, whose signature covers the time its entry carries. */
  private insert(event: AuditEvent, at?: string): AuditRecord {
    const type = AuditTypeSchema.parse(event.type);
    const data = event.data ?? {};
    assertNoSecrets(data);
    assertNoSecrets({ actor: event.actor, jobId: event.jobId, orderId: event.orderId, batchId: event.batchId }, 'entry');
    const run = this.#db.transaction(() => {
      const head = this.head();
      const entry = {
        seq: (head?.seq ?? 0) + 1,
        at: at ?? this.#now().toISOString(),
        type,
        ...(event.actor === undefined ? {} : { actor: event.actor }),
        ...(event.jobId === undefined ? {} : { jobId: event.jobId }),
        ...(event.orderId === undefined ? {} : { orderId: event.orderId }),
        ...(event.batchId === undefined ? {} : { batchId: event.batchId }),
        // Through canonical JSON and back: drops undefined members and refuses values JSON cannot hold.
        data: JSON.parse(canonicalJson(data)) as AuditData,
      };
      const canonical = canonicalJson(entry);
      const prevHash = head?.hash ?? GENESIS_HASH;
      const hash = hashEntry(prevHash, canonical);
      this.#db.prepare('INSERT INTO audit (seq, at, type, entry, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)').run(entry.seq, entry.at, type, canonical, prevHash, hash);
      return AuditRecordSchema.parse({ ...entry, prevHash, hash }) as AuditRecord;
    });
    return this.#db.inTransaction ? run() : run.immediate();
  }

  /** The entries in `range`, in chain order, each parsed; throws AuditLogError on a row that does not parse. */
  entries(range: AuditRange = {}): AuditRecord[] {
    return this.rows(range).map((row) => {
      const record = recordOfRow(row);
      const parsed = AuditRecordSchema.safeParse(record);
      if (!parsed.success) throw new AuditLogError(`Audit entry ${row.seq} is damaged (${parsed.error.issues[0]?.message ?? 'unreadable'}); run \`keybench audit verify\` to see what changed.`);
      return parsed.data as AuditRecord;
    });
  }

  /**
   * Every stored row as the verifier reads it: the hashed entry with the row's chain columns. A row whose
   * entry is not JSON comes back as it is, for the verifier to call malformed. A row whose `at` or `type`
   * column disagrees with its entry comes back with the column's value, so its hash fails: the row was edited.
   */
  storedRecords(range: AuditRange = {}): unknown[] {
    return this.rows(range).map(recordOfRow);
  }

  head(): { seq: number; hash: string } | undefined {
    return this.#db.prepare('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
  }

  /**
   * Appends a 'batch-sealed' entry whose JWS (ES384, by the station's signing key) covers the head before it
   * and the span since the previous seal. A reviewer holding the station's public keys can then prove that
   * nothing up to the head was changed, even by someone who recomputed every hash.
   */
  async sealBatch(batchId: string, signer: AuditSigner): Promise<AuditRecord> {
    const key = await importJWK(signer.privateJwk, 'ES384');
    for (let attempt = 0; attempt < SEAL_ATTEMPTS; attempt++) {
      const head = this.head();
      if (!head) throw new AuditLogError('The audit log is empty; there is nothing to seal.');
      const lastSeal = this.#db.prepare("SELECT MAX(seq) AS seq FROM audit WHERE type = 'batch-sealed'").get() as { seq: number | null };
      const payload: SealPayload = { batchId, firstSeq: (lastSeal.seq ?? 0) + 1, headSeq: head.seq, headHash: head.hash, at: this.#now().toISOString() };
      const jws = await new CompactSign(new TextEncoder().encode(canonicalJson(payload)))
        .setProtectedHeader({ alg: 'ES384', kid: signer.kid, typ: SEAL_TYP })
        .sign(key);
      const sealed = this.#db.transaction(() => {
        const now = this.head();
        if (now?.seq !== head.seq || now.hash !== head.hash) return undefined;
        return this.insert({ type: 'batch-sealed', batchId, data: { batchId, firstSeq: payload.firstSeq, headSeq: payload.headSeq, headHash: payload.headHash, jws } }, payload.at);
      });
      const record = this.#db.inTransaction ? sealed() : sealed.immediate();
      if (record) return record;
    }
    throw new AuditLogError(`The audit log kept growing while batch ${batchId} was being sealed; seal it again.`);
  }

  /** Seals what was appended since the last seal; nothing when the log is empty or already ends in a seal. */
  async sealIfOpen(batchId: string, signer: AuditSigner): Promise<AuditRecord | undefined> {
    const last = this.#db.prepare('SELECT type FROM audit ORDER BY seq DESC LIMIT 1').pluck().get() as string | undefined;
    if (last === undefined || last === 'batch-sealed') return undefined;
    return this.sealBatch(batchId, signer);
  }

  private rows(range: AuditRange): AuditDbRow[] {
    return this.#db
      .prepare(
        `SELECT seq, at, type, entry, prev_hash, hash FROM audit
         WHERE (@fromSeq IS NULL OR seq >= @fromSeq) AND (@toSeq IS NULL OR seq <= @toSeq)
           AND (@since IS NULL OR at >= @since) AND (@until IS NULL OR at < @until)
         ORDER BY seq`,
      )
      .all({ fromSeq: range.fromSeq ?? null, toSeq: range.toSeq ?? null, since: range.since ?? null, until: range.until ?? null }) as AuditDbRow[];
  }
}

function recordOfRow(row: AuditDbRow): unknown {
  let entry: unknown;
  try {
    entry = JSON.parse(row.entry);
  } catch {
    return { seq: row.seq, at: row.at, type: row.type, entry: row.entry, prevHash: row.prev_hash, hash: row.hash };
  }
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return { seq: row.seq, entry, prevHash: row.prev_hash, hash: row.hash };
  const columns = entry as Record<string, unknown>;
  return {
    ...columns,
    ...(columns.at === row.at ? {} : { at: row.at }),
    ...(columns.type === row.type ? {} : { type: row.type }),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
