// A printable summary of the audit trail for a compliance review: the verification verdict, the batch
// seals, how many events of each type, and one row per job. Built from audit records only, which hold no
// secrets. Standard Helvetica needs no font files, and a fixed CreationDate (which also seeds pdfkit's file
// ID) makes the bytes depend on the input alone.
import PDFDocument from 'pdfkit';
import type { AuditRecord } from './audit-entry.js';
import type { AuditVerification } from './audit-verify.js';

export interface AuditSummaryInput {
  readonly station: string;
  readonly generatedAt: Date;
  readonly period: { readonly since?: string; readonly until?: string };
  readonly records: readonly AuditRecord[];
  readonly verification: AuditVerification;
  /** Said next to the verdict, e.g. which keys the seals were checked against. */
  readonly keysNote?: string;
}

export interface AuditJobRow {
  readonly jobId: string;
  readonly orderId: string;
  readonly user: string;
  readonly key: string;
  readonly outcome: string;
  readonly startedAt: string;
  readonly finishedAt: string;
}

const PAGE = { width: 595.28, height: 841.89, margin: 48 } as const;
const FONT = { regular: 'Helvetica', bold: 'Helvetica-Bold' } as const;

const OUTCOMES: Readonly<Record<string, string>> = { 'job-done': 'done', 'job-failed': 'failed', 'job-cancelled': 'cancelled' };

function text(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
}

/** One row per job, in the order jobs first appear in the trail. */
export function auditJobRows(records: readonly AuditRecord[]): AuditJobRow[] {
  const users = new Map<string, string>();
  const rows = new Map<string, { -readonly [K in keyof AuditJobRow]: AuditJobRow[K] } & { model: string; serial: string }>();
  for (const record of records) {
    if (record.type === 'order-taken' && record.orderId) users.set(record.orderId, text(record.data.user));
    if (!record.jobId) continue;
    let row = rows.get(record.jobId);
    if (!row) {
      row = { jobId: record.jobId, orderId: record.orderId ?? '', user: users.get(record.orderId ?? '') ?? '', key: '', model: '', serial: '', outcome: 'open', startedAt: record.at, finishedAt: '' };
      rows.set(record.jobId, row);
    }
    if (record.type === 'job-started' && record.data.user !== undefined) row.user = text(record.data.user);
    if (record.type === 'key-identified') {
      row.model = text(record.data.model);
      row.serial = text(record.data.serial) || row.serial;
    }
    if (record.type === 'serial-scanned') row.serial = text(record.data.serial);
    const outcome = OUTCOMES[record.type];
    if (outcome) {
      row.outcome = record.data.code === undefined ? outcome : `${outcome} (${text(record.data.code)})`;
      row.finishedAt = record.at;
    }
  }
  return [...rows.values()].map(({ model, serial, ...row }) => ({ ...row, key: [model, serial].filter(Boolean).join(' / ') }));
}

export function auditVerdict(verification: AuditVerification): string {
  const seals = verification.seals.length;
  if (verification.ok) {
    const tail = verification.unsealedTail > 0 ? `; ${verification.unsealedTail} entries after the last seal are not yet sealed` : '';
    return `INTACT: ${verification.entries} entries, ${seals} seal${seals === 1 ? '' : 's'} valid${tail}.`;
  }
  const bad = verification.firstBad!;
  return `TAMPERED: entry ${bad.seq} (${bad.problem}). ${bad.detail}`;
}

/** Standard fonts encode WinAnsi; anything else would print as unrelated glyphs, so it shows as '?'. */
function printable(value: string): string {
  return value.replace(/[^\x20-\x7e\xa0-\xff]/gu, '?');
}

export function renderAuditSummaryPdf(input: AuditSummaryInput): Promise<Uint8Array> {
  const doc = new PDFDocument({
    size: [PAGE.width, PAGE.height],
    margin: PAGE.margin,
    font: FONT.regular,
    info: { Title: 'keybench audit summary', Producer: 'keybench', Creator: 'keybench', CreationDate: input.generatedAt },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Uint8Array>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('error', reject);
    doc.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
  });
  drawSummary(doc, input);
  doc.end();
  return done;
}

function drawSummary(doc: PDFKit.PDFDocument, input: AuditSummaryInput): void {
  const width = PAGE.width - 2 * PAGE.margin;
  const heading = (title: string): void => {
    doc.moveDown(0.8).font(FONT.bold).fontSize(12).text(title, PAGE.margin, undefined, { width }).moveDown(0.2);
  };
  const line = (value: string): void => {
    doc.font(FONT.regular).fontSize(9.5).text(printable(value), PAGE.margin, undefined, { width });
  };
  doc.font(FONT.bold).fontSize(18).text('keybench audit summary', PAGE.margin, PAGE.margin, { width });
  doc.moveDown(0.3);
  line(`Station: ${input.station}`);
  line(`Period: ${input.period.since ?? 'start of the log'} to ${input.period.until ?? 'end of the log'}`);
  line(`Generated: ${input.generatedAt.toISOString()}`);
  const v = input.verification;
  if (v.entries > 0) line(`Entries: ${v.entries} (seq ${v.firstSeq} to ${v.lastSeq})`);

  heading('Chain verification');
  doc.font(FONT.bold).fontSize(10.5).fillColor(v.ok ? '#1a5c1a' : '#9b1c1c').text(printable(auditVerdict(v)), PAGE.margin, undefined, { width }).fillColor('black');
  if (input.keysNote) line(input.keysNote);

  heading('Seals per batch');
  if (v.seals.length === 0) line('No batch has been sealed in this period.');
  for (const seal of v.seals) {
    line(`Batch ${seal.batchId}: entries ${seal.firstSeq} to ${seal.headSeq}, sealed in entry ${seal.seq}${seal.kid ? ` by ${seal.kid}` : ''}: ${seal.valid ? 'valid' : `INVALID (${seal.detail ?? ''})`}`);
  }

  heading('Events by type');
  const counts = new Map<string, number>();
  for (const record of input.records) counts.set(record.type, (counts.get(record.type) ?? 0) + 1);
  for (const [type, count] of [...counts].sort(([a], [b]) => (a < b ? -1 : 1))) line(`${type}: ${count}`);

  heading('Jobs');
  drawJobTable(doc, auditJobRows(input.records));
}

const COLUMNS: readonly { title: string; width: number; value: (row: AuditJobRow) => string }[] = [
  { title: 'Order', width: 70, value: (r) => r.orderId },
  { title: 'User', width: 110, value: (r) => r.user },
  { title: 'Key (model / serial)', width: 120, value: (r) => r.key },
  { title: 'Outcome', width: 75, value: (r) => r.outcome },
  { title: 'Started', width: 62, value: (r) => r.startedAt.replace('T', ' ').slice(0, 19) },
  { title: 'Finished', width: 62, value: (r) => r.finishedAt.replace('T', ' ').slice(0, 19) },
];

function drawJobTable(doc: PDFKit.PDFDocument, rows: readonly AuditJobRow[]): void {
  if (rows.length === 0) {
    doc.font(FONT.regular).fontSize(9.5).text('No jobs in this period.', PAGE.margin);
    return;
  }
  const rowHeight = 22;
  const drawRow = (cells: readonly string[], font: string): void => {
    if (doc.y + rowHeight > PAGE.height - PAGE.margin) doc.addPage();
    const y = doc.y;
    let x = PAGE.margin;
    doc.font(font).fontSize(7.5);
    cells.forEach((cell, index) => {
      const column = COLUMNS[index]!;
      doc.text(printable(cell), x, y, { width: column.width - 4, height: rowHeight, ellipsis: true });
      x += column.width;
    });
    doc.x = PAGE.margin;
    doc.y = y + rowHeight;
  };
  drawRow(COLUMNS.map((c) => c.title), FONT.bold);
  for (const row of rows) drawRow(COLUMNS.map((c) => c.value(row)), FONT.regular);
}
