// Checks an audit trail, from the journal or from an export: every entry's hash, every link to the entry
// before it, and every batch seal against the station's public signing keys. It names the first entry that
// is wrong and how — edited, removed, reordered, inserted — so a reviewer knows where to look.
import { compactVerify, importJWK, decodeProtectedHeader, type JWK } from 'jose';
import { z } from 'zod';
import { AuditRecordSchema, GENESIS_HASH, canonicalEntry, hashEntry, type AuditRecord } from './audit-entry.js';
import { canonicalJson } from './canonical-json.js';
import { SEAL_TYP, SealPayloadSchema } from './audit-log.js';

export type AuditProblem = 'edited' | 'removed' | 'reordered' | 'inserted' | 'bad-hash' | 'bad-seal' | 'malformed';

export interface AuditFinding {
  /** The entry the problem is about (for 'removed', the first missing one). */
  readonly seq: number;
  /** Where it is in the input, counting from 1 (a JSONL export's line is this plus its header line). */
  readonly position: number;
  readonly problem: AuditProblem;
  readonly detail: string;
}

export interface SealCheck {
  readonly batchId: string;
  /** The seal entry's own seq. */
  readonly seq: number;
  readonly firstSeq: number;
  readonly headSeq: number;
  readonly kid?: string;
  /** False when no keys were given: the seal was checked against the chain, not its signature. */
  readonly signatureChecked: boolean;
  readonly valid: boolean;
  /** Why it is not valid. */
  readonly detail?: string;
}

export interface AuditVerification {
  readonly ok: boolean;
  readonly entries: number;
  readonly firstSeq?: number;
  readonly lastSeq?: number;
  readonly firstBad?: AuditFinding;
  readonly seals: SealCheck[];
  /** Entries after the last valid seal: their truncation (or an appended forgery) cannot be proven. */
  readonly unsealedTail: number;
}

export interface VerifyOptions {
  /**
   * The station's public signing keys; a seal by any other key is bad. Without them the seals are checked
   * against the chain only, which someone who recomputed every hash could also satisfy.
   */
  readonly signingJwks?: readonly JWK[];
  /**
   * Where a partial export starts: its first entry's seq and previous hash, taken on trust. Without it the
   * trail must start at entry 1 on the genesis hash, and a missing start is reported as removed.
   */
  readonly startsAt?: { readonly seq: number; readonly prevHash: string };
}

const SealDataSchema = z.looseObject({ batchId: z.string(), firstSeq: z.number().int(), headSeq: z.number().int(), headHash: z.string(), jws: z.string() });

export async function verifyAuditChain(input: Iterable<unknown>, options: VerifyOptions): Promise<AuditVerification> {
  const raw = [...input];
  const records: AuditRecord[] = [];
  for (const [index, item] of raw.entries()) {
    const parsed = AuditRecordSchema.safeParse(item);
    if (!parsed.success) {
      const seq = seqOf(item) ?? (records.at(-1)?.seq ?? 0) + 1;
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? ` (${issue.path.join('.')}: ${issue.message})` : issue ? ` (${issue.message})` : '';
      return { ok: false, entries: raw.length, firstBad: { seq, position: index + 1, problem: 'malformed', detail: `Entry ${seq} is not an audit record${where}.` }, seals: [], unsealedTail: raw.length };
    }
    records.push(parsed.data as AuditRecord);
  }
  const chainProblem = walkChain(records, options.startsAt ?? { seq: 1, prevHash: GENESIS_HASH });
  const seals = await checkSeals(records, options.signingJwks);
  const badSeal = seals.find((s) => !s.valid);
  const firstBad =
    chainProblem ??
    (badSeal && {
      seq: badSeal.seq,
      position: records.findIndex((r) => r.seq === badSeal.seq) + 1,
      problem: 'bad-seal' as const,
      detail: `The seal of batch ${badSeal.batchId} (entry ${badSeal.seq}) ${badSeal.detail}.`,
    });
  const lastGoodSeal = seals.findLast((s) => s.valid);
  const sealIndex = lastGoodSeal === undefined ? -1 : records.findIndex((r) => r.seq === lastGoodSeal.seq);
  return {
    ok: firstBad === undefined,
    entries: records.length,
    ...(records.length > 0 ? { firstSeq: records[0]!.seq, lastSeq: records.at(-1)!.seq } : {}),
    ...(firstBad ? { firstBad } : {}),
    seals,
    unsealedTail: records.length - (sealIndex + 1),
  };
}

function seqOf(item: unknown): number | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const seq: unknown = Reflect.get(item, 'seq');
  return typeof seq === 'number' && Number.isInteger(seq) ? seq : undefined;
}

/** The first break in the chain, in input order; undefined when every entry links to the one before. */
function walkChain(records: readonly AuditRecord[], start: { seq: number; prevHash: string }): AuditFinding | undefined {
  let prev = { seq: start.seq - 1, hash: start.prevHash };
  const seen = new Map<number, number>();
  for (const [index, record] of records.entries()) {
    const at = (problem: AuditFinding['problem'], seq: number, detail: string): AuditFinding => ({ seq, position: index + 1, problem, detail });
    const computed = hashEntry(record.prevHash, canonicalEntry(record));
    if (computed !== record.hash) {
      // The content is what the next entry linked to: only the stored hash was changed.
      if (records[index + 1]?.prevHash === computed) return at('bad-hash', record.seq, `Entry ${record.seq}'s stored hash was changed; its content still matches the chain.`);
      return at('edited', record.seq, `Entry ${record.seq} (${record.type}) was changed after it was written: its content no longer matches its hash.`);
    }
    const expected = prev.seq + 1;
    const laterIndex = (seq: number, prevHash?: string): number =>
      records.findIndex((r, i) => i > index && r.seq === seq && (prevHash === undefined || r.prevHash === prevHash));
    if (record.seq === expected && record.prevHash !== prev.hash) {
      if (laterIndex(expected, prev.hash) >= 0) return at('inserted', record.seq, `Entry ${record.seq} at position ${index + 1} does not belong to the chain; the real entry ${expected} comes later.`);
      if (index === 0) return at('inserted', record.seq, `Entry ${record.seq} does not link to the start of the log; it was forged or the log's start was replaced.`);
      if (index === records.length - 1) return at('inserted', record.seq, `The last entry, ${record.seq}, does not link to entry ${prev.seq}: it was added by hand, or entry ${prev.seq} was rewritten.`);
      return at('edited', prev.seq, `Entry ${prev.seq} was changed and its hash recomputed: entry ${record.seq} still links to the original.`);
    }
    if (record.seq > expected) {
      const later = laterIndex(expected);
      if (later >= 0) return at('reordered', expected, `Entry ${expected} is out of place: it should follow entry ${prev.seq} but comes after entry ${record.seq} (position ${later + 1}).`);
      const missing = record.seq - expected === 1 ? `Entry ${expected} is` : `Entries ${expected} to ${record.seq - 1} are`;
      return at('removed', expected, `${missing} missing: entry ${record.seq} follows entry ${prev.seq}${record.prevHash === prev.hash ? '' : ' and does not link to it'}.`);
    }
    if (record.seq < expected) {
      const earlier = seen.get(record.seq);
      if (earlier !== undefined) {
        if (records[earlier]!.hash === record.hash) return at('inserted', record.seq, `Entry ${record.seq} appears twice (positions ${earlier + 1} and ${index + 1}).`);
        // Two entries claim the same place: the one the following entry links to is the real one.
        const forged = records[index + 1]?.prevHash === record.hash ? earlier : index;
        return { seq: record.seq, position: forged + 1, problem: 'inserted', detail: `Two different entries claim seq ${record.seq}; the one at position ${forged + 1} does not belong to the chain.` };
      }
      return at('reordered', record.seq, `Entry ${record.seq} is out of place: it comes after entry ${prev.seq}.`);
    }
    seen.set(record.seq, index);
    prev = { seq: record.seq, hash: record.hash };
  }
  return undefined;
}

async function checkSeals(records: readonly AuditRecord[], jwks: readonly JWK[] | undefined): Promise<SealCheck[]> {
  const hashBySeq = new Map(records.map((r) => [r.seq, r.hash]));
  const checks: SealCheck[] = [];
  for (const record of records) {
    if (record.type !== 'batch-sealed') continue;
    const data = SealDataSchema.safeParse(record.data);
    if (!data.success) {
      checks.push({ batchId: record.batchId ?? '', seq: record.seq, firstSeq: 0, headSeq: 0, signatureChecked: false, valid: false, detail: 'lacks its batch id, span, head or signature' });
      continue;
    }
    const seal = data.data;
    const base = { batchId: seal.batchId, seq: record.seq, firstSeq: seal.firstSeq, headSeq: seal.headSeq, signatureChecked: jwks !== undefined };
    const result = jwks === undefined ? readUnverified(seal.jws) : await checkSignature(seal.jws, jwks);
    if ('problem' in result) {
      checks.push({ ...base, ...(result.kid ? { kid: result.kid } : {}), valid: false, detail: result.problem });
      continue;
    }
    const signed = { batchId: seal.batchId, firstSeq: seal.firstSeq, headSeq: seal.headSeq, headHash: seal.headHash, at: record.at };
    const problem =
      canonicalJson(result.payload) !== canonicalJson(signed)
        ? `says ${describe(signed)} but its signature covers ${describe(result.payload)}`
        : !hashBySeq.has(seal.headSeq)
          ? `covers entry ${seal.headSeq}, which is not in this log`
          : hashBySeq.get(seal.headSeq) !== seal.headHash
            ? `was signed over entry ${seal.headSeq} with a different hash: entries up to ${seal.headSeq} were changed after sealing`
            : seal.headSeq >= record.seq
              ? `covers entry ${seal.headSeq}, which is not before it`
              : undefined;
    checks.push({ ...base, kid: result.kid, valid: problem === undefined, ...(problem ? { detail: problem } : {}) });
  }
  return checks;
}

function describe(payload: { batchId: string; firstSeq: number; headSeq: number; headHash: string; at: string }): string {
  return `batch ${payload.batchId}, entries ${payload.firstSeq}–${payload.headSeq} (head ${payload.headHash.slice(0, 12)}…) at ${payload.at}`;
}

/** The seal's payload without checking who signed it (no keys to check with). */
function readUnverified(jws: string): SignatureResult {
  try {
    const header = decodeProtectedHeader(jws);
    const kid = typeof header.kid === 'string' ? header.kid : '';
    const parsed = SealPayloadSchema.safeParse(JSON.parse(Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString('utf8')));
    return parsed.success ? { kid, payload: parsed.data } : { kid, problem: 'signs something that is not a seal' };
  } catch {
    return { problem: 'has a signature that is not a compact JWS' };
  }
}

type SignatureResult = { kid: string; payload: z.infer<typeof SealPayloadSchema> } | { kid?: string; problem: string };

async function checkSignature(jws: string, jwks: readonly JWK[]): Promise<SignatureResult> {
  let header;
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    return { problem: 'has a signature that is not a compact JWS' };
  }
  const kid = typeof header.kid === 'string' ? header.kid : undefined;
  if (header.alg !== 'ES384' || header.typ !== SEAL_TYP) return { ...(kid ? { kid } : {}), problem: `is not a keybench seal (alg ${String(header.alg)}, typ ${String(header.typ)})` };
  const jwk = jwks.find((k) => k.kid === kid);
  if (!kid || !jwk) return { ...(kid ? { kid } : {}), problem: `is signed by key ${kid ?? '(no kid)'}, which is not one of the station's signing keys` };
  try {
    const { payload } = await compactVerify(jws, await importJWK(jwk, 'ES384'), { algorithms: ['ES384'] });
    const parsed = SealPayloadSchema.safeParse(JSON.parse(new TextDecoder().decode(payload)));
    if (!parsed.success) return { kid, problem: 'signs something that is not a seal' };
    return { kid, payload: parsed.data };
  } catch {
    return { kid, problem: `has a signature that key ${kid} did not make` };
  }
}
