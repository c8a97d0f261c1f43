// The audit trail as JSON lines for a compliance review: a header line (format, station, when, the
// station's public signing keys), then one record per line exactly as it was hashed. Anyone can re-run
// the chain and seal checks on it; `keybench audit verify FILE` does.
import { z } from 'zod';
import { P384PublicJwkSchema, type P384PublicJwk } from '../../wire/jwk.js';
import { AuditRecordSchema, HashSchema, type AuditRecord } from './audit-entry.js';
import { canonicalJson } from './canonical-json.js';

export const AUDIT_EXPORT_FORMAT = 'keybench-audit/1';

export const AuditExportHeaderSchema = z.strictObject({
  format: z.literal(AUDIT_EXPORT_FORMAT),
  station: z.string(),
  exportedAt: z.iso.datetime(),
  /** Public keys only: the strict JWK schema refuses a private scalar `d`. */
  signingJwks: z.array(P384PublicJwkSchema),
  /** The time range asked for; absent for a whole-log export. */
  since: z.iso.datetime().optional(),
  until: z.iso.datetime().optional(),
  /** A partial export's first entry and the hash it links to, so the rest can be checked from there. */
  startsAt: z.strictObject({ seq: z.number().int().positive(), prevHash: HashSchema }).optional(),
});
export type AuditExportHeader = z.infer<typeof AuditExportHeaderSchema>;

export interface AuditExportInput {
  readonly station: string;
  readonly exportedAt: Date;
  readonly signingJwks: readonly P384PublicJwk[];
  readonly since?: string;
  readonly until?: string;
}

export class AuditExportError extends Error {
  override readonly name = 'AuditExportError';
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

export function exportAuditJsonl(records: readonly AuditRecord[], input: AuditExportInput): string {
  const first = records[0];
  const partial = input.since !== undefined || input.until !== undefined;
  const header: AuditExportHeader = AuditExportHeaderSchema.parse({
    format: AUDIT_EXPORT_FORMAT,
    station: input.station,
    exportedAt: input.exportedAt.toISOString(),
    signingJwks: input.signingJwks,
    ...(input.since === undefined ? {} : { since: input.since }),
    ...(input.until === undefined ? {} : { until: input.until }),
    ...(partial && first ? { startsAt: { seq: first.seq, prevHash: first.prevHash } } : {}),
  });
  return [header, ...records].map((line) => canonicalJson(line)).join('\n') + '\n';
}

/** Reads an export; throws AuditExportError naming the line of the first thing that is not as written. */
export function parseAuditJsonl(text: string): { header: AuditExportHeader; records: AuditRecord[] } {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const parsed = lines.map((line, index) => {
    try {
      return JSON.parse(line) as unknown;
    } catch {
      throw new AuditExportError(index + 1, 'is not JSON; the export was cut or edited by hand.');
    }
  });
  if (parsed.length === 0) throw new AuditExportError(1, 'the file is empty; it is not a keybench audit export.');
  const header = AuditExportHeaderSchema.safeParse(parsed[0]);
  if (!header.success) throw new AuditExportError(1, `is not a ${AUDIT_EXPORT_FORMAT} header (${issueText(header.error)}).`);
  const records = parsed.slice(1).map((value, index) => {
    const record = AuditRecordSchema.safeParse(value);
    if (!record.success) throw new AuditExportError(index + 2, `is not an audit record (${issueText(record.error)}).`);
    return record.data as AuditRecord;
  });
  return { header: header.data, records };
}

function issueText(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'unreadable';
  return issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message;
}
