import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canonicalEntry, hashEntry, type AuditRecord } from '../../../../electron/core/station/audit/audit-entry.js';
import { AuditExportError, exportAuditJsonl, parseAuditJsonl } from '../../../../electron/core/station/audit/audit-export.js';
import { renderAuditSummaryPdf } from '../../../../electron/core/station/audit/audit-summary-pdf.js';
import { verifyAuditChain } from '../../../../electron/core/station/audit/audit-verify.js';
import { canonicalJson } from '../../../../electron/core/station/audit/canonical-json.js';
import { Journal } from '../../../../electron/core/station/journal.js';
import { buildTrail, tempPath, type Trail } from './trail.js';

const EXPORTED_AT = new Date('2025-03-01T12:00:00Z');

async function exported(): Promise<{ trail: Trail; records: AuditRecord[]; text: string }> {
  const trail = await buildTrail();
  const journal = Journal.open(trail.path);
  try {
    const records = journal.audit.entries();
    return { trail, records, text: exportAuditJsonl(records, { station: 'bench-1', exportedAt: EXPORTED_AT, signingJwks: trail.keyring.signingJwks() }) };
  } finally {
    journal.close();
  }
}

async function verifyText(text: string) {
  const { header, records } = parseAuditJsonl(text);
  return verifyAuditChain(records, { signingJwks: header.signingJwks, ...(header.startsAt ? { startsAt: header.startsAt } : {}) });
}

function editLines(text: string, edit: (lines: string[]) => string[]): string {
  return edit(text.trimEnd().split('\n')).join('\n') + '\n';
}

describe('JSONL export', () => {
  it('round-trips: a header with public keys only, then every record, and it verifies', async () => {
    const { text, records, trail } = await exported();
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(records.length + 1);
    const { header, records: parsed } = parseAuditJsonl(text);
    expect(header).toMatchObject({ format: 'keybench-audit/1', station: 'bench-1', exportedAt: EXPORTED_AT.toISOString() });
    expect(header.signingJwks).toEqual(trail.keyring.signingJwks());
    expect(text).not.toContain('"d":');
    expect(parsed).toEqual(records);
    expect(await verifyText(text)).toMatchObject({ ok: true, unsealedTail: trail.tail });
  });

  it('finds an entry edited as text', async () => {
    const { text } = await exported();
    const result = await verifyText(editLines(text, (lines) => lines.map((l, i) => (i === 3 ? l.replace('SN-o-1', 'SN-o-9') : l))));
    expect(result.firstBad).toMatchObject({ seq: 3, problem: 'edited' });
  });

  it('finds a removed line', async () => {
    const { text } = await exported();
    const result = await verifyText(editLines(text, (lines) => lines.filter((_, i) => i !== 7)));
    expect(result.firstBad).toMatchObject({ seq: 7, problem: 'removed' });
  });

  it('finds lines moved out of order', async () => {
    const { text } = await exported();
    const result = await verifyText(editLines(text, (lines) => [lines[0]!, lines[1]!, lines[2]!, lines[4]!, lines[3]!, ...lines.slice(5)]));
    expect(result.firstBad).toMatchObject({ seq: 3, problem: 'reordered' });
  });

  it('finds a forged line inserted with a valid hash of its own', async () => {
    const { text, records } = await exported();
    const fourth = records[3]!;
    const forged = { seq: 5, at: fourth.at, type: 'pin-held', orderId: fourth.orderId, data: { method: 'hold', sent: false } };
    const line = canonicalJson({ ...forged, prevHash: fourth.hash, hash: hashEntry(fourth.hash, canonicalEntry(forged)) });
    const result = await verifyText(editLines(text, (lines) => [...lines.slice(0, 5), line, ...lines.slice(5)]));
    expect(result.firstBad).toMatchObject({ seq: 5, problem: 'inserted', position: 5 });
  });

  it('finds a duplicated line', async () => {
    const { text } = await exported();
    const result = await verifyText(editLines(text, (lines) => [...lines.slice(0, 6), lines[5]!, ...lines.slice(6)]));
    expect(result.firstBad).toMatchObject({ seq: 5, problem: 'inserted' });
  });

  it('verifies a partial export from its first entry', async () => {
    const { records, trail } = await exported();
    const text = exportAuditJsonl(records.slice(10), { station: 'bench-1', exportedAt: EXPORTED_AT, signingJwks: trail.keyring.signingJwks(), since: records[10]!.at });
    expect(parseAuditJsonl(text).header.startsAt).toEqual({ seq: 11, prevHash: records[9]!.hash });
    expect(await verifyText(text)).toMatchObject({ ok: true, firstSeq: 11 });
  });

  it('names the line that does not parse', async () => {
    const { text } = await exported();
    expect(() => parseAuditJsonl(editLines(text, (lines) => lines.map((l, i) => (i === 4 ? l.slice(0, 20) : l))))).toThrow(/^line 5: is not JSON/);
    expect(() => parseAuditJsonl(editLines(text, (lines) => lines.map((l, i) => (i === 2 ? l.replace('"seq":2', '"seq":"2"') : l))))).toThrow(AuditExportError);
  });

  it('refuses a header that carries a private key', async () => {
    const { text, trail } = await exported();
    const header = JSON.parse(text.split('\n')[0]!) as { signingJwks: object[] };
    header.signingJwks = [trail.keyring.signingKey];
    expect(() => parseAuditJsonl(editLines(text, (lines) => [JSON.stringify(header), ...lines.slice(1)]))).toThrow(/^line 1: /);
  });
});

describe('PDF summary', () => {
  function pdfText(bytes: Uint8Array): string {
    const path = tempPath('summary.pdf');
    writeFileSync(path, bytes);
    return execFileSync('/usr/bin/pdftotext', ['-layout', path, '-'], { encoding: 'utf8' });
  }

  it('shows the verdict, the seal, counts per type and the jobs, byte-for-byte the same each time', async () => {
    const { records, trail } = await exported();
    const verification = await verifyAuditChain(records, { signingJwks: trail.keyring.signingJwks() });
    const input = { station: 'bench-1', generatedAt: EXPORTED_AT, period: {}, records, verification };
    const bytes = await renderAuditSummaryPdf(input);
    expect(Buffer.from(await renderAuditSummaryPdf(input)).equals(Buffer.from(bytes))).toBe(true);
    const text = pdfText(bytes);
    expect(text).toContain('keybench audit summary');
    expect(text).toContain('Station: bench-1');
    expect(text).toMatch(/INTACT: 26 entries, 1 seal valid; 1 entries after the last seal/);
    expect(text).toMatch(/Batch batch-1: entries 1 to 24, sealed in entry 25 by kb-sig-\S+: valid/);
    expect(text).toMatch(/order-taken: 3/);
    expect(text).toMatch(/job-done: 2/);
    expect(text).toMatch(/o-1\s+alice@example.com\s+keybench Virtual Key \/ SN-o-1\s+done/);
    expect(text).toMatch(/o-2\s+bob@example.com/);
  });

  it('says TAMPERED and which entry', async () => {
    const { records, trail } = await exported();
    const edited = records.map((r) => (r.seq === 6 ? { ...r, actor: 'mallory' } : r));
    const verification = await verifyAuditChain(edited, { signingJwks: trail.keyring.signingJwks() });
    const text = pdfText(await renderAuditSummaryPdf({ station: 'bench-1', generatedAt: EXPORTED_AT, period: { since: '2025-03-01T00:00:00.000Z' }, records: edited, verification }));
    expect(text).toMatch(/TAMPERED: entry 6 \(edited\)/);
    expect(text).toContain('Period: 2025-03-01T00:00:00.000Z to end of the log');
  });
});
