// `keybench audit verify [FILE]` and `keybench audit export`: checks the journal's hash-chained audit trail
// (or an export of it) for edited, removed, reordered or inserted entries and forged seals, and writes it as
// JSON lines plus a PDF summary for a compliance review. Reads the journal only.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { PassphraseFileSecretStore } from '../../core/secrets/passphrase-file.js';
import { AuditExportError, exportAuditJsonl, parseAuditJsonl } from '../../core/station/audit/audit-export.js';
import { auditVerdict, renderAuditSummaryPdf } from '../../core/station/audit/audit-summary-pdf.js';
import { verifyAuditChain, type AuditVerification } from '../../core/station/audit/audit-verify.js';
import { P384PublicJwkSchema, type P384PublicJwk } from '../../core/wire/jwk.js';
import { StationKeyring } from '../../core/wire/station-keys.js';
import { openJournal, stationArgs, type StationArgs } from '../station-runtime.js';
import { EXIT, UsageError, type Output } from '../usage.js';

export const AUDIT_USAGE = `Usage: keybench audit verify [FILE] [--jwks FILE] [--db FILE] [--sim] [--json]
       keybench audit export [--out DIR] [--since ISO] [--until ISO] [--db FILE] [--sim]
verify   checks every entry's hash, every link and every batch seal of the journal's audit trail, or of
         FILE (a JSONL export), and names the first entry that was edited, removed, reordered or inserted.
         Seals are checked against the station's keys (secrets.json beside the journal, unlocked by
         $KEYBENCH_PASSPHRASE), or the public keys in --jwks FILE, or else the keys in the export's header.
export   writes keybench-audit-<date>.jsonl (the trail, verifiable with \`audit verify FILE\`) and
         keybench-audit-<date>.pdf (verdict, seals, counts per event type, jobs) and prints their paths.
  --jwks FILE    trusted public signing keys: a JWKS ({"keys": [...]}) or an array of JWKs
  --out DIR      where to write the export (default: the current directory)
  --since ISO    only entries at or after this time;  --until ISO  only entries before it
  --db FILE      the journal (default $KEYBENCH_DATA/journal.db; with --sim journal-sim.db)
  --json         the verification result as JSON
Exit codes: 0 intact (verify) or written (export), 1 tampered or unreadable, 2 bad command line.`;

const JwksFileSchema = z.union([z.strictObject({ keys: z.array(P384PublicJwkSchema) }), z.array(P384PublicJwkSchema)]);

type Keys = { jwks: P384PublicJwk[]; source: string } | { unavailable: string };

export async function auditCommand(argv: string[], io: Output, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        jwks: { type: 'string' },
        db: { type: 'string' },
        sim: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message, AUDIT_USAGE);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(AUDIT_USAGE);
    return EXIT.ok;
  }
  const [action, ...rest] = positionals;
  const args = stationArgs({ db: values.db, sim: values.sim }, AUDIT_USAGE, env);
  if (action === 'verify') {
    if (rest.length > 1) throw new UsageError(`verify takes at most one FILE, got ${rest.length}`, AUDIT_USAGE);
    for (const option of ['out', 'since', 'until'] as const) if (values[option] !== undefined) throw new UsageError(`--${option} belongs to audit export`, AUDIT_USAGE);
    return verify(rest[0], values.jwks, values.json ?? false, args, io, env);
  }
  if (action === 'export') {
    if (rest.length > 0) throw new UsageError(`export takes no FILE (use --out DIR), got "${rest[0]}"`, AUDIT_USAGE);
    if (values.jwks !== undefined) throw new UsageError('--jwks belongs to audit verify', AUDIT_USAGE);
    return exportTrail({ out: values.out ?? '.', since: isoOption(values.since, '--since'), until: isoOption(values.until, '--until') }, args, io, env);
  }
  throw new UsageError(action === undefined ? 'say verify or export' : `unknown audit action "${action}"`, AUDIT_USAGE);
}

function isoOption(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  const time = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(time)) throw new UsageError(`${name} takes an ISO date or time (2025-03-01 or 2025-03-01T08:00:00Z), got "${value}"`, AUDIT_USAGE);
  return new Date(time).toISOString();
}

/** The station's public signing keys, when this command can unlock them. */
async function stationKeys(args: StationArgs, env: NodeJS.ProcessEnv): Promise<Keys> {
  if (args.sim) return { unavailable: 'with --sim the station keys live only as long as the command that made them' };
  const path = join(dirname(args.db), 'secrets.json');
  if (!existsSync(path)) return { unavailable: `there are no station keys at ${path}` };
  const passphrase = env.KEYBENCH_PASSPHRASE;
  if (!passphrase) return { unavailable: 'set $KEYBENCH_PASSPHRASE to unlock the station keys in secrets.json' };
  try {
    const keyring = await StationKeyring.load(new PassphraseFileSecretStore(path, passphrase));
    return { jwks: keyring.signingJwks(), source: "the station's signing keys" };
  } catch (e) {
    return { unavailable: `the station keys could not be opened (${e instanceof Error ? e.message : String(e)})` };
  }
}

function jwksFile(path: string): Keys {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`--jwks: cannot read ${path} as JSON (${e instanceof Error ? e.message : String(e)})`, AUDIT_USAGE);
  }
  const parsed = JwksFileSchema.safeParse(json);
  if (!parsed.success) throw new UsageError(`--jwks: ${path} is not a set of public P-384 JWKs ({"keys": [...]} or an array)`, AUDIT_USAGE);
  return { jwks: Array.isArray(parsed.data) ? parsed.data : parsed.data.keys, source: `the keys in ${path}` };
}

function sameKeys(a: readonly P384PublicJwk[], b: readonly P384PublicJwk[]): boolean {
  const ids = (keys: readonly P384PublicJwk[]): string => keys.map((k) => `${k.kid}:${k.x}:${k.y}`).sort().join(',');
  return ids(a) === ids(b);
}

async function verify(file: string | undefined, jwksPath: string | undefined, json: boolean, args: StationArgs, io: Output, env: NodeJS.ProcessEnv): Promise<number> {
  const trusted = jwksPath === undefined ? await stationKeys(args, env) : jwksFile(jwksPath);
  const notes: string[] = [];
  let verification: AuditVerification;
  let source: string;
  let keysSource: string | undefined;
  if (file === undefined) {
    const journal = openJournal(args);
    try {
      source = args.db;
      keysSource = 'jwks' in trusted ? trusted.source : undefined;
      if (!('jwks' in trusted)) notes.push(`Seal signatures were NOT checked: ${trusted.unavailable}.`);
      verification = await verifyAuditChain(journal.audit.storedRecords(), 'jwks' in trusted ? { signingJwks: trusted.jwks } : {});
    } finally {
      journal.close();
    }
  } else {
    source = file;
    let exported;
    try {
      exported = parseAuditJsonl(readFileSync(file, 'utf8'));
    } catch (e) {
      if (!(e instanceof AuditExportError)) throw e;
      const verdict = `${file} ${e.message}`;
      if (json) io.out(JSON.stringify({ ok: false, source: file, malformed: { line: e.line, detail: e.message } }));
      else io.err(`TAMPERED or damaged: ${verdict}`);
      return EXIT.failed;
    }
    const { header, records } = exported;
    if ('jwks' in trusted) {
      keysSource = trusted.source;
      notes.push(sameKeys(header.signingJwks, trusted.jwks) ? "The export's signing keys match the trusted keys." : `The export's header lists signing keys that differ from ${trusted.source}; the seals were checked against the trusted keys.`);
    } else {
      keysSource = "the keys in the export's header (compare them with the station's published keys)";
      notes.push(`The station's own keys were not available (${trusted.unavailable}).`);
    }
    verification = await verifyAuditChain(records, {
      signingJwks: 'jwks' in trusted ? trusted.jwks : header.signingJwks,
      ...(header.startsAt ? { startsAt: header.startsAt } : {}),
    });
    if (header.startsAt) notes.push(`A partial export: it starts at entry ${header.startsAt.seq}; entries before it were not checked.`);
  }
  if (json) {
    io.out(JSON.stringify({ source, ...verification, ...(keysSource ? { sealsCheckedAgainst: keysSource } : {}), notes }, null, 2));
  } else {
    (verification.ok ? io.out : io.err)(`Audit trail ${source}: ${auditVerdict(verification)}`);
    for (const seal of verification.seals) {
      io.out(`  seal of batch ${seal.batchId} (entry ${seal.seq}, covers ${seal.firstSeq}-${seal.headSeq}${seal.kid ? `, key ${seal.kid}` : ''}): ${seal.valid ? (seal.signatureChecked ? 'valid' : 'consistent, signature not checked') : `INVALID: ${seal.detail ?? ''}`}`);
    }
    if (keysSource) io.out(`Seals checked against ${keysSource}.`);
    for (const note of notes) io.out(note);
  }
  return verification.ok ? EXIT.ok : EXIT.failed;
}

async function exportTrail(options: { out: string; since?: string; until?: string }, args: StationArgs, io: Output, env: NodeJS.ProcessEnv): Promise<number> {
  const keys = await stationKeys(args, env);
  const journal = openJournal(args);
  let records;
  try {
    records = journal.audit.entries({ ...(options.since ? { since: options.since } : {}), ...(options.until ? { until: options.until } : {}) });
  } finally {
    journal.close();
  }
  const exportedAt = new Date();
  const station = hostname();
  const signingJwks = 'jwks' in keys ? keys.jwks : [];
  const text = exportAuditJsonl(records, { station, exportedAt, signingJwks, ...(options.since ? { since: options.since } : {}), ...(options.until ? { until: options.until } : {}) });
  const partial = options.since !== undefined || options.until !== undefined;
  const first = records[0];
  const verification = await verifyAuditChain(records, {
    ...('jwks' in keys ? { signingJwks: keys.jwks } : {}),
    ...(partial && first ? { startsAt: { seq: first.seq, prevHash: first.prevHash } } : {}),
  });
  const pdf = await renderAuditSummaryPdf({
    station,
    generatedAt: exportedAt,
    period: { ...(options.since ? { since: options.since } : {}), ...(options.until ? { until: options.until } : {}) },
    records,
    verification,
    keysNote: 'jwks' in keys ? 'Seals were checked against the station signing keys.' : `Seal signatures were not checked: ${keys.unavailable}.`,
  });
  const dir = resolve(options.out);
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `keybench-audit-${exportedAt.toISOString().slice(0, 10)}`);
  writeFileSync(`${base}.jsonl`, text);
  writeFileSync(`${base}.pdf`, pdf);
  io.out(`${base}.jsonl`);
  io.out(`${base}.pdf`);
  if (!('jwks' in keys)) io.err(`The export carries no signing keys: ${keys.unavailable}. Its seals can be checked with --jwks.`);
  if (!verification.ok) {
    io.err(`The exported trail does not verify: ${auditVerdict(verification)}`);
    return EXIT.failed;
  }
  return EXIT.ok;
}
