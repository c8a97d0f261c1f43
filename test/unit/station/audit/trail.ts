// A small audit trail on a real journal file, and the tools an attacker with file access would use on it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { GENESIS_HASH, canonicalEntry, hashEntry, type AuditRecord } from '../../../../electron/core/station/audit/audit-entry.js';
import { Journal } from '../../../../electron/core/station/journal.js';
import { MemorySecretStore } from '../../../../electron/core/secrets/secret-store.js';
import { StationKeyring } from '../../../../electron/core/wire/station-keys.js';

/** A compact-JWE-shaped string: what sealed payloads look like in step data. */
export function fakeJwe(tag: string): string {
  const header = Buffer.from(JSON.stringify({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: 'kb-trans-x' })).toString('base64url');
  return `${header}.${Buffer.from(`key-${tag}`).toString('base64url')}.aXZpdml2aXZpdml2.${Buffer.from(`secret-${tag}`).toString('base64url')}.dGFndGFndGFn`;
}

/** A clock that moves one second per reading, so entries have distinct, ordered times. */
export function steppingClock(start = Date.parse('2025-03-01T08:00:00Z')): () => Date {
  let t = start;
  return () => new Date((t += 1000));
}

export function tempPath(name: string): string {
  return join(mkdtempSync(join(tmpdir(), 'kb-audit-')), name);
}

/** Runs one job through every step by hand (as the engine would journal it) and finishes it done. */
export function journalOneJob(journal: Journal, orderId: string, user: string, batchId = 'batch-1'): string {
  journal.addOrders([{ user, orderId, batchId, source: 'import', delivery: 'email', note: 'desk 4, the blue box' }]);
  const job = journal.startJob({ orderId, keyPath: `virtual:${orderId}`, operator: 'tech@example.com' });
  journal.appendStep(job.id, 'key-checked', { path: job.keyPath, kind: 'virtual', aaguid: '6b657962-656e-6368-7669-727475616c31', model: 'keybench Virtual Key', serial: `SN-${orderId}`, serialSource: 'usb', firmware: '5.4.3', versions: ['FIDO_2_1'], pinSet: false });
  journal.appendStep(job.id, 'enroll-started', { userId: `uid-${orderId}`, transportKid: 'kb-trans-x' });
  journal.appendStep(job.id, 'enrolled', { pinRequestJwe: fakeJwe('pinreq'), credRequests: [{ authenticatorEnrollmentId: `enr-${orderId}`, keyId: 'k1', credRequestJwe: fakeJwe('credreq') }] });
  journal.appendStep(job.id, 'requests-opened', { rpIds: ['example.okta.com'], pinPolicy: { charset: 'numeric', length: 6, forceChangePin: true }, expiresAt: '2025-03-08T08:00:00Z' });
  journal.appendStep(job.id, 'pin-sealed', { pinResponseJwe: fakeJwe('pin'), forceChangePin: true, serial: `SN-${orderId}` });
  journal.appendStep(job.id, 'pin-set', {});
  journal.appendStep(job.id, 'credential-made', { authenticatorEnrollmentId: `enr-${orderId}`, rpId: 'example.okta.com', credentialId: 'Y3JlZC1pZA', credResponseJwe: fakeJwe('cred'), attestationCertDer: 'MIIBszCCAVmgAwIBAgIU' });
  journal.appendStep(job.id, 'activated', { authenticatorEnrollmentIds: [`enr-${orderId}`] });
  journal.appendStep(job.id, 'pin-delivered', { method: 'email', sent: true });
  journal.appendStep(job.id, 'done', {});
  journal.finishJob(job.id, 'done', 'done');
  return job.id;
}

export interface Trail {
  readonly path: string;
  readonly keyring: StationKeyring;
  /** Seq of the batch seal. */
  readonly sealSeq: number;
  /** How many entries follow the seal. */
  readonly tail: number;
}

/** Two jobs, a seal of batch-1, then one more order taken after the seal. */
export async function buildTrail(path = tempPath('journal.db'), keyring?: StationKeyring): Promise<Trail> {
  const keys = keyring ?? (await StationKeyring.create(new MemorySecretStore()));
  const journal = Journal.open(path, { now: steppingClock() });
  try {
    journalOneJob(journal, 'o-1', 'alice@example.com');
    journalOneJob(journal, 'o-2', 'bob@example.com');
    const seal = await journal.audit.sealBatch('batch-1', { privateJwk: keys.signingKey, kid: keys.signingKey.kid });
    journal.addOrders([{ user: 'carol@example.com', orderId: 'o-3' }]);
    return { path, keyring: keys, sealSeq: seal.seq, tail: 1 };
  } finally {
    journal.close();
  }
}

/** Opens the journal file as plain SQLite with the append-only triggers dropped, as an attacker could. */
export function openAsAttacker(path: string): Database.Database {
  const db = new Database(path);
  db.exec('DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;');
  return db;
}

export function readRecords(db: Database.Database): AuditRecord[] {
  return (db.prepare('SELECT entry, prev_hash, hash FROM audit ORDER BY seq').all() as { entry: string; prev_hash: string; hash: string }[]).map((row) => ({
    ...(JSON.parse(row.entry) as AuditRecord),
    prevHash: row.prev_hash,
    hash: row.hash,
  }));
}

/** Rewrites the hashes from `fromSeq` on so the chain links again (the careful attacker). */
export function rechain(db: Database.Database, fromSeq: number, edit: (record: AuditRecord) => AuditRecord = (r) => r): void {
  const records = readRecords(db);
  let prev = records.find((r) => r.seq === fromSeq - 1)?.hash ?? GENESIS_HASH;
  const update = db.prepare('UPDATE audit SET entry = ?, prev_hash = ?, hash = ? WHERE seq = ?');
  for (const original of records.filter((r) => r.seq >= fromSeq)) {
    const record = edit(original);
    const canonical = canonicalEntry(record);
    const hash = hashEntry(prev, canonical);
    update.run(canonical, prev, hash, record.seq);
    prev = hash;
  }
}
