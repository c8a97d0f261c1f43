// The station requests about what happened and what goes out after a key is done: a job's full record,
// held PINs and their confirmation, PIN resends, key labels, printers and their sample mailer, the tenant
// preflight, the attestation trust store and the audit trail. Split from service.ts, which owns the runtime they use.
import { hostname } from 'node:os';
import { StationRequestError, type StationHandlers } from '../../contract/dispatch.js';
import type { HistoryEntry, TrustStatus } from '../../contract/models.js';
import type { OktaClient } from '../okta/client.js';
import { runPreflight } from '../okta/preflight.js';
import { MdsBlobError } from '../trust/mds-blob.js';
import { importMdsBlob, mdsStatus } from '../trust/mds-store.js';
import { normalizeAaguid } from '../trust/trust-store.js';
import { VENDOR_ROOTS } from '../trust/vendor-roots.js';
import { toBase64url } from '../wire/base64url.js';
import type { StationKeyring } from '../wire/station-keys.js';
import { exportAuditJsonl } from './audit/audit-export.js';
import { renderAuditSummaryPdf } from './audit/audit-summary-pdf.js';
import { verifyAuditChain } from './audit/audit-verify.js';
import { renderKeyLabel } from './documents/key-label.js';
import { renderSampleMailer } from './documents/pin-mailer.js';
import { jobDetail } from './job-detail.js';
import { enrollmentIdsOf, deriveJobState } from './job-state.js';
import type { Journal } from './journal.js';
import { PinDelivery, PinDeliveryError } from './pin-delivery.js';
import { PrintError, type Printer } from './printing/printer.js';
import type { StationSettings } from './settings-store.js';

export type RecordChannels =
  | 'history.record'
  | 'pins.held'
  | 'pins.confirmDelivery'
  | 'pins.confirmDeliveryFile'
  | 'pins.resend'
  | 'labels.print'
  | 'printers.list'
  | 'printers.sample'
  | 'preflight.run'
  | 'trust.status'
  | 'trust.importMds'
  | 'trust.update'
  | 'audit.verify'
  | 'audit.export';

export interface RecordContext {
  readonly dataDir: string;
  readonly keyring: StationKeyring;
  readonly printer: Printer;
  journal(): Journal;
  okta(): OktaClient;
  /** The org's name as PIN mailers print it. */
  orgName(): string;
  settings(): StationSettings;
  updateSettings(patch: Partial<StationSettings>, audit: Record<string, unknown>): void;
  /** A finished job as the history lists it. */
  historyEntry(jobId: string): HistoryEntry | undefined;
  notify(message: string): void;
}

export function createRecordHandlers(ctx: RecordContext): Pick<StationHandlers, RecordChannels> {
  const station = hostname();

  function delivery(): PinDelivery {
    const journal = ctx.journal();
    const operator = ctx.settings().operator;
    return new PinDelivery({
      journal,
      deliveries: journal.deliveries,
      okta: ctx.okta(),
      ...(operator ? { operator } : {}),
      onSend: ({ jobId, kind, requestId, error }) => {
        const job = journal.job(jobId);
        journal.audit.append({
          type: kind === 'confirm' ? 'delivery-confirmed' : 'pin-sent',
          ...(operator ? { actor: operator } : {}),
          jobId,
          ...(job ? { orderId: job.orderId } : {}),
          data: { method: 'email', ...(requestId ? { oktaRequestId: requestId } : {}), ...(error ? { error } : {}) },
        });
      },
    });
  }

  async function trustStatus(): Promise<TrustStatus> {
    const settings = ctx.settings();
    const mds = await mdsStatus(ctx.dataDir);
    return {
      policy: settings.attestationPolicy,
      aaguidAllowList: settings.aaguidAllowList,
      mds: {
        present: mds.present,
        ...(mds.serial === undefined ? {} : { serial: mds.serial }),
        ...(mds.nextUpdate === undefined ? {} : { nextUpdate: mds.nextUpdate }),
        ...(mds.stale === undefined ? {} : { stale: mds.stale }),
        ...(mds.entries === undefined ? {} : { entries: mds.entries }),
        ...(mds.problem === undefined ? {} : { problem: mds.problem }),
      },
      vendorRoots: VENDOR_ROOTS.map((root) => ({ subject: root.name, sha256: root.sha256 })),
    };
  }

  function requireEntry(jobId: string): HistoryEntry {
    const entry = ctx.historyEntry(jobId);
    if (!entry) throw new StationRequestError('not-found', `There is no finished job ${jobId}. Reload History.`);
    return entry;
  }

  async function verifyAudit() {
    return verifyAuditChain(ctx.journal().audit.storedRecords(), { signingJwks: ctx.keyring.signingJwks() });
  }

  return {
    'history.record': async ({ jobId }) => jobDetail(ctx.journal(), ctx.journal().deliveries, requireEntry(jobId)),
    'pins.held': async ({ query, offset, limit }) => {
      return ctx.journal().deliveries.held({ ...(query ? { query } : {}), offset, limit });
    },
    'pins.confirmDelivery': async ({ jobIds }) => {
      const { sent, failed } = await delivery().confirm(jobIds);
      return { sent, failed, message: `${sent} PIN${sent === 1 ? '' : 's'} sent by Okta.${failed.length ? ` ${failed.length} could not be sent; see the list.` : ''}` };
    },
    'pins.confirmDeliveryFile': async ({ text }) => {
      const { sent, failed, errors } = await delivery().confirmFromFile(text);
      return {
        sent,
        failed,
        errors,
        message: `${sent} PIN${sent === 1 ? '' : 's'} sent by Okta.${failed.length + errors.length ? ` ${failed.length + errors.length} line${failed.length + errors.length === 1 ? '' : 's'} need attention.` : ''}`,
      };
    },
    'pins.resend': async ({ jobId }) => {
      requireEntry(jobId);
      try {
        const { requestId } = await delivery().resend(jobId);
        return { message: `Okta sends the PIN again${requestId ? ` (request ${requestId})` : ''}.` };
      } catch (error) {
        if (error instanceof PinDeliveryError) throw new StationRequestError('conflict', error.message);
        throw error;
      }
    },
    'labels.print': async ({ jobId, size, output }) => {
      const entry = requireEntry(jobId);
      const journal = ctx.journal();
      const enrollmentId = enrollmentIdsOf(deriveJobState(journal.steps(jobId)))[0];
      const settings = ctx.settings();
      const labelSize = size ?? settings.labelSize;
      const pdf = await renderKeyLabel(
        {
          model: entry.model ?? 'Security key',
          ...(entry.serial ? { serial: entry.serial } : {}),
          user: entry.user,
          ...(enrollmentId ? { enrollmentId } : {}),
          orderId: entry.orderId,
          ...(journal.job(jobId)?.batchId ? { batchId: journal.job(jobId)!.batchId! } : {}),
          issuedAt: new Date(),
        },
        labelSize,
      );
      const fileName = `keybench-label-${entry.orderId.replace(/[^\w.-]+/g, '_')}.pdf`;
      if (output === 'pdf') return { message: 'Label ready.', pdf: { fileName, base64url: toBase64url(pdf) } };
      if (!settings.printer) throw new StationRequestError('conflict', 'No printer is chosen. Pick the label printer in Settings, or save the label as a PDF.');
      try {
        const receipt = await ctx.printer.print({ pdf, printer: settings.printer, title: `keybench label ${entry.orderId}`, media: labelSize });
        journal.audit.append({ type: 'label-printed', ...(settings.operator ? { actor: settings.operator } : {}), jobId, orderId: entry.orderId, data: { printer: receipt.printer, size: labelSize } });
        return { message: `Label sent to ${receipt.printer}.` };
      } catch (error) {
        if (error instanceof PrintError) throw new StationRequestError('unavailable', error.message);
        throw error;
      }
    },
    'printers.list': async () => {
      try {
        return { printers: await ctx.printer.list() };
      } catch (error) {
        if (error instanceof PrintError) return { printers: [], problem: error.message };
        throw error;
      }
    },
    'printers.sample': async ({ paper }) => {
      const settings = ctx.settings();
      if (!settings.printer) throw new StationRequestError('conflict', 'No printer is chosen. Choose the printer for PIN mailers in Settings and save, then print the sample.');
      const media = paper ?? settings.paper;
      const org = ctx.okta().org;
      const pdf = await renderSampleMailer({
        paper: media,
        org: { name: ctx.orgName(), signInUrl: org.origin },
        minPinLength: settings.pin.minLength,
        forceChangePin: settings.pin.forceChangePin,
        issuedAt: new Date(),
        station,
      });
      try {
        const receipt = await ctx.printer.print({ pdf, printer: settings.printer, title: 'keybench sample mailer', media });
        ctx.journal().audit.append({ type: 'sample-printed', ...(settings.operator ? { actor: settings.operator } : {}), data: { printer: receipt.printer, paper: media } });
        return { message: `Sample mailer sent to ${receipt.printer}: hold it behind a window envelope; the address must sit inside the dashed outline.` };
      } catch (error) {
        if (error instanceof PrintError) throw new StationRequestError('unavailable', error.message);
        throw error;
      }
    },
    'preflight.run': async ({ users }) => {
      const report = await runPreflight(ctx.okta(), { ...(users ? { users } : {}) });
      return { ...report, ranAt: new Date().toISOString() };
    },
    'trust.status': async () => trustStatus(),
    'trust.importMds': async ({ text }) => {
      try {
        const blob = await importMdsBlob(ctx.dataDir, text.trim());
        ctx.journal().audit.append({ type: 'settings-changed', data: { mdsImported: blob.serial, entries: blob.entries.size } });
      } catch (error) {
        if (error instanceof MdsBlobError) throw new StationRequestError('bad-request', error.message);
        throw error;
      }
      return trustStatus();
    },
    'trust.update': async ({ policy, aaguidAllowList }) => {
      const allowList = aaguidAllowList?.map(normalizeAaguid);
      ctx.updateSettings(
        { ...(policy ? { attestationPolicy: policy } : {}), ...(allowList ? { aaguidAllowList: allowList } : {}) },
        { ...(policy ? { attestationPolicy: policy } : {}), ...(allowList ? { aaguidAllowList: allowList } : {}) },
      );
      if (policy === 'record-only') ctx.notify('Attestation is recorded only: keys that cannot be shown genuine are activated too.');
      return trustStatus();
    },
    'audit.verify': async () => {
      const result = await verifyAudit();
      return {
        ok: result.ok,
        entries: result.entries,
        ...(result.firstBad ? { firstBad: { seq: result.firstBad.seq, problem: result.firstBad.problem, detail: result.firstBad.detail } } : {}),
        seals: result.seals.map((s) => ({ batchId: s.batchId, headSeq: s.headSeq, valid: s.valid })),
        unsealedTail: result.unsealedTail,
      };
    },
    'audit.export': async ({ format }) => {
      const journal = ctx.journal();
      const records = journal.audit.entries();
      const day = new Date().toISOString().slice(0, 10);
      if (format === 'jsonl') {
        const content = exportAuditJsonl(records, { station, exportedAt: new Date(), signingJwks: ctx.keyring.signingJwks() });
        return { fileName: `keybench-audit-${day}.jsonl`, mimeType: 'application/x-ndjson', content, encoding: 'utf8' as const };
      }
      const pdf = await renderAuditSummaryPdf({ station, generatedAt: new Date(), period: {}, records, verification: await verifyAudit() });
      return { fileName: `keybench-audit-${day}.pdf`, mimeType: 'application/pdf', content: toBase64url(pdf), encoding: 'base64url' as const };
    },
  };
}
