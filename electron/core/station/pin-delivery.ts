// PIN delivery after a key is done: a held PIN goes out once its key's delivery is confirmed (one by one
// or from a file of delivered orders), and an active key's PIN can be sent again. Okta sends it — it
// holds the PIN sealed in `pinResponseJwe` — so no station ever needs the PIN again; a printed PIN can
// never be printed twice. Every send is journaled with Okta's request id.
import type { OktaClient } from '../okta/client.js';
import { normalizeColumnName, readCsvLines } from './csv-lines.js';
import { deriveJobState, enrollmentIdsOf } from './job-state.js';
import type { DeliveryLog, HeldPinRow } from './delivery-log.js';
import type { Journal } from './journal.js';
import { toProvisioningError } from './provisioning-errors.js';

export interface PinDeliveryDeps {
  readonly journal: Journal;
  readonly deliveries: DeliveryLog;
  readonly okta: OktaClient;
  readonly operator?: string;
  /** One send, retries and rate-limit waits included. */
  readonly timeoutMs?: number;
  /** After each send or failure (the audit trail). */
  readonly onSend?: (event: { jobId: string; kind: 'confirm' | 'resend'; requestId?: string; error?: string }) => void;
}

export class PinDeliveryError extends Error {
  override readonly name = 'PinDeliveryError';
}

export interface SendFailure {
  readonly jobId: string;
  readonly message: string;
}

export interface FileConfirmation {
  readonly sent: number;
  readonly failed: SendFailure[];
  readonly errors: { line: number; message: string }[];
}

/** Sends at once, as many as Okta's per-org limiter lets through. */
const PARALLEL_SENDS = 4;

export class PinDelivery {
  constructor(private readonly deps: PinDeliveryDeps) {}

  /** The keys arrived: each held PIN is sent now. A job whose PIN is not held is reported, not sent. */
  async confirm(jobIds: readonly string[], signal?: AbortSignal): Promise<{ sent: number; failed: SendFailure[] }> {
    const failed: SendFailure[] = [];
    let sent = 0;
    const queue = [...new Set(jobIds)];
    const worker = async (): Promise<void> => {
      for (let jobId = queue.shift(); jobId !== undefined; jobId = queue.shift()) {
        if (!this.deps.deliveries.isHeld(jobId)) {
          failed.push({ jobId, message: `${this.describe(jobId)} has no held PIN: it was sent already, printed, or the key never finished.` });
          continue;
        }
        try {
          await this.send(jobId, 'confirm', signal);
          sent++;
        } catch (error) {
          failed.push({ jobId, message: error instanceof Error ? error.message : String(error) });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_SENDS, queue.length) }, worker));
    return { sent, failed };
  }

  /**
   * A file of delivered orders (CSV with a header naming orderId, login/user/email or serial, or one value
   * per line): each line picks one held PIN. Lines that match none, or more than one, are reported.
   */
  async confirmFromFile(text: string, signal?: AbortSignal): Promise<FileConfirmation> {
    const { values, errors } = readDeliveredValues(text);
    const held = this.deps.deliveries.held({ limit: 1_000_000 }).items;
    const jobIds: string[] = [];
    for (const { line, value } of values) {
      const matches = matchHeld(held, value);
      if (matches.length === 1) jobIds.push(matches[0]!.jobId);
      else if (matches.length === 0) errors.push({ line, message: `"${value}" matches no held PIN (order id, login or key serial). Check the value, or whether its PIN was sent already.` });
      else errors.push({ line, message: `"${value}" matches ${matches.length} held PINs; use the order id instead.` });
    }
    const { sent, failed } = jobIds.length > 0 ? await this.confirm(jobIds, signal) : { sent: 0, failed: [] };
    return { sent, failed, errors: errors.sort((a, b) => a.line - b.line) };
  }

  /** Okta sends the PIN of an active factor again. */
  async resend(jobId: string, signal?: AbortSignal): Promise<{ requestId?: string }> {
    if (this.deps.deliveries.isHeld(jobId)) {
      throw new PinDeliveryError(`${this.describe(jobId)} has its PIN held until the key is delivered. Confirm the delivery instead; that sends the PIN.`);
    }
    return this.send(jobId, 'resend', signal);
  }

  private async send(jobId: string, kind: 'confirm' | 'resend', signal?: AbortSignal): Promise<{ requestId?: string }> {
    const job = this.deps.journal.job(jobId);
    if (!job) throw new PinDeliveryError(`There is no job ${jobId} in the journal.`);
    const state = deriveJobState(this.deps.journal.steps(jobId));
    const first = enrollmentIdsOf(state)[0];
    if (!state.activated || !state.userId || !first) {
      throw new PinDeliveryError(`${this.describe(jobId)} was never activated in Okta, so it has no PIN to send. Provision the order again.`);
    }
    const deadline = AbortSignal.timeout(this.deps.timeoutMs ?? 120_000);
    try {
      const { requestId } = await this.deps.okta.sendPin({ userId: state.userId, authenticatorEnrollmentId: first, signal: signal ? AbortSignal.any([signal, deadline]) : deadline });
      this.deps.deliveries.record({ jobId, method: 'email', outcome: 'sent', ...(requestId ? { oktaRequestId: requestId } : {}), ...this.operator() });
      this.deps.onSend?.({ jobId, kind, ...(requestId ? { requestId } : {}) });
      return requestId ? { requestId } : {};
    } catch (error) {
      const cause = toProvisioningError(error, 'having Okta send the PIN');
      this.deps.deliveries.record({ jobId, method: 'email', outcome: 'failed', cause: cause.message, ...(cause.oktaRequestId ? { oktaRequestId: cause.oktaRequestId } : {}), ...this.operator() });
      this.deps.onSend?.({ jobId, kind, error: cause.message });
      throw new PinDeliveryError(`${this.describe(jobId)}: ${cause.message}`);
    }
  }

  private operator(): { operator?: string } {
    return this.deps.operator ? { operator: this.deps.operator } : {};
  }

  private describe(jobId: string): string {
    const job = this.deps.journal.job(jobId);
    const order = job && this.deps.journal.order(job.orderId);
    return order ? `The key of ${order.user} (order ${order.id})` : `Job ${jobId}`;
  }
}

const COLUMN_NAMES = new Map([
  ['orderid', 'order'],
  ['order', 'order'],
  ['login', 'user'],
  ['user', 'user'],
  ['email', 'user'],
  ['serial', 'serial'],
  ['serialnumber', 'serial'],
]);

/** One value per data line: the first named column found (order, then user, then serial), else column 1. */
function readDeliveredValues(text: string): { values: { line: number; value: string }[]; errors: { line: number; message: string }[] } {
  const content = text.replace(/^\uFEFF/, '');
  if (content.trim() === '') return { values: [], errors: [{ line: 1, message: 'The file is empty. List one delivered order id, login or key serial per line.' }] };
  const { records, unreadable } = readCsvLines(content);
  const rows = records.map((record, index) => ({ record: record.map((v) => v.trim()), line: index + 1 })).filter((r) => r.record.some((v) => v !== ''));
  const header = rows[0]?.record.map((name) => COLUMN_NAMES.get(normalizeColumnName(name)));
  const named = header?.some((kind) => kind !== undefined) ?? false;
  const column = named ? (['order', 'user', 'serial'].map((kind) => header!.indexOf(kind)).find((i) => i >= 0) ?? 0) : 0;
  const values: { line: number; value: string }[] = [];
  const errors: { line: number; message: string }[] = unreadable ? [unreadable] : [];
  for (const { record, line } of named ? rows.slice(1) : rows) {
    const value = record[column]?.trim() ?? '';
    if (value === '') errors.push({ line, message: 'This line has no order id, login or serial in the expected column.' });
    else values.push({ line, value });
  }
  return { values, errors };
}

function matchHeld(held: readonly HeldPinRow[], value: string): HeldPinRow[] {
  const byOrder = held.filter((h) => h.orderId === value);
  if (byOrder.length > 0) return byOrder;
  const lower = value.toLowerCase();
  const byUser = held.filter((h) => h.user.toLowerCase() === lower);
  if (byUser.length > 0) return byUser;
  return held.filter((h) => h.serial === value);
}
