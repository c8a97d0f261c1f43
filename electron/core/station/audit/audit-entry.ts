// One entry of the tamper-evident audit trail and how it is hashed. Each entry's hash covers the previous
// entry's hash and this entry's canonical JSON, so changing, dropping or moving any entry breaks every
// hash after it; the station's signature over a batch's head (a 'batch-sealed' entry) pins the chain.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from './canonical-json.js';

/** The events the trail records. Append-only: a type once written stays known so old logs verify. */
export const AUDIT_TYPES = [
  'station-started',
  'operator-signed-in',
  'operator-signed-out',
  'order-taken',
  'order-cancelled',
  'order-requeued',
  'job-started',
  'enroll-requested',
  'enrolled',
  'requests-opened',
  'key-identified',
  'serial-scanned',
  'attestation-checked',
  'pin-sealed',
  'pin-set',
  'credential-made',
  'key-configured',
  'key-verified',
  'awaiting-activation',
  'activated',
  'mailer-printed',
  'pin-sent',
  'pin-printed',
  'pin-held',
  'delivery-confirmed',
  'label-printed',
  /** A sample mailer (no PIN) printed to check the printer against a window envelope. */
  'sample-printed',
  'marked-error',
  'orphans-deleted',
  'enrollment-expired',
  'job-resumed',
  'error-recorded',
  'job-failed',
  'job-done',
  'job-cancelled',
  'settings-changed',
  'keys-rotated',
  'batch-sealed',
] as const;

export const AuditTypeSchema = z.enum(AUDIT_TYPES);
export type AuditType = z.infer<typeof AuditTypeSchema>;

/** All 64 hex zeros: the previous hash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

export const HashSchema = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits (SHA-256)');

const AuditDataSchema = z.record(z.string(), z.json());
export type AuditData = z.infer<typeof AuditDataSchema>;

/**
 * An entry as it is hashed. `type` is any string when reading so a log written by a newer keybench (with
 * types this build does not know) still verifies; `append` accepts only AuditType.
 */
export const AuditEntrySchema = z.strictObject({
  seq: z.number().int().positive(),
  at: z.iso.datetime(),
  type: z.string().min(1),
  actor: z.string().optional(),
  jobId: z.string().optional(),
  orderId: z.string().optional(),
  batchId: z.string().optional(),
  data: AuditDataSchema,
});
export type AuditEntry = Omit<z.infer<typeof AuditEntrySchema>, 'type'> & { type: AuditType | (string & {}) };

/** An entry with its place in the chain. */
export const AuditRecordSchema = AuditEntrySchema.extend({ prevHash: HashSchema, hash: HashSchema });
export type AuditRecord = AuditEntry & { prevHash: string; hash: string };

/** The entry's own members, in the form that is hashed (a record minus prevHash and hash). */
export function entryOf(record: AuditEntry): AuditEntry {
  const { seq, at, type, actor, jobId, orderId, batchId, data } = record;
  return { seq, at, type, actor, jobId, orderId, batchId, data };
}

export function canonicalEntry(entry: AuditEntry): string {
  return canonicalJson(entryOf(entry));
}

export function sha256hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function hashEntry(prevHash: string, canonical: string): string {
  return sha256hex(`${prevHash}\n${canonical}`);
}
