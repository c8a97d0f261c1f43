// The station behind `window.station`: builds the engine from settings and secrets (the embedded Okta
// simulator when no org is configured), answers every request of the contract, and turns engine events
// into tile and status events. The Electron main process and browser mode both serve this one backend.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { StationEvent as UiEvent } from '../../contract/channels.js';
import { StationRequestError, type StationBackend, type StationHandlers } from '../../contract/dispatch.js';
import type { HistoryEntry, Order, Settings, StationStatus } from '../../contract/models.js';
import type { HidBackend } from '../hid/device.js';
import { loadNodeHidBackend } from '../hid/node-hid.js';
import { OktaClient, type OktaCredentials } from '../okta/client.js';
import { OktaError } from '../okta/errors.js';
import { isLoopbackHost, parseOrgUrl } from '../okta/org.js';
import { PassphraseFileSecretStore } from '../secrets/passphrase-file.js';
import { MemorySecretStore, type SecretStore } from '../secrets/secret-store.js';
import { DEFAULT_ORG_DOMAIN, DEFAULT_ORG_NAME, startSimulator, type SimulatorHandle } from '../sim/index.js';
import type { VirtualKeyOverrides } from '../virtual-key/options.js';
import { VirtualKeyBackend } from '../virtual-key/virtual-key.js';
import { StationKeyring } from '../wire/station-keys.js';
import { EngineError, ProvisioningEngine, type SyncSummary } from './engine.js';
import { Journal, JournalError, type OrderRow } from './journal.js';
import { parseOrders } from './orders-import.js';
import { ProvisioningError } from './provisioning-errors.js';
import { summarize, toCsv, toJson, type JobRecord } from './report.js';
import { loadSettings, saveSettings, type StationSettings } from './settings-store.js';
import { StationMailerDesk, type PrintTarget } from './mailer-desk.js';
import { DownloadPrinter, OneTimeDocuments } from './printing/one-time-documents.js';
import { osPrinter, printingUnavailable } from './printing/os-printer.js';
import type { Printer } from './printing/printer.js';
import { createRecordHandlers } from './service-records.js';
import { TileBoard } from './tile-board.js';
import { StationTrustGate } from './trust-gate.js';

export interface StationServiceOptions {
  /** Folder for the journal, settings and (with a passphrase) the encrypted secrets. */
  readonly dataDir: string;
  /** Where secrets live; Electron passes its safeStorage store. Default: a passphrase file, or memory only. */
  readonly secretStore?: SecretStore;
  /** Unlocks `<dataDir>/secrets.json` when no secret store is given. */
  readonly passphrase?: string;
  /** Look for USB keys through node-hid in this process (default true); ignored when `usbBackend` is given. */
  readonly realKeys?: boolean;
  /** USB keys from elsewhere: Electron's hid-host utility process. */
  readonly usbBackend?: HidBackend;
  /** Overrides the number of virtual keys in the settings (tests, demos). */
  readonly virtualKeys?: number;
  /** Options for the embedded simulator (latency, seed, …) when no org is configured. */
  readonly simulator?: Parameters<typeof startSimulator>[0];
  readonly fetch?: typeof globalThis.fetch;
  readonly log?: (line: string) => void;
  /** How often the org's reachability is probed (default 15 s). */
  readonly probeIntervalMs?: number;
  /** Knobs for every virtual key (latency, unplug mid-command, …), as `keybench virtual-key` takes them. */
  readonly virtualKnobs?: VirtualKeyOverrides;
  /** An org and its credentials given at start (`serve --org`): stored as Settings would store them. */
  readonly org?: { readonly url: string; readonly credentials: OktaCredentials };
  /** The OS printers (CUPS on Linux and macOS). */
  readonly printer?: Printer;
  /** Browser mode: with no printer chosen, PIN mailers go to the page as one-time downloads (see `documents`). */
  readonly browserDownloads?: boolean;
}

export interface StationService {
  readonly backend: StationBackend;
  /** Browser mode's one-time documents, served by the web bridge at /documents/<token>. */
  readonly documents: OneTimeDocuments;
  /** The org the station talks to right now. */
  readonly orgUrl: string;
  close(): Promise<void>;
}

const SECRET = { ssws: 'okta.ssws-token', oauthJwk: 'okta.oauth-private-jwk' } as const;
const ORDER_SOURCE: Record<string, Order['source']> = { import: 'import', okta: 'okta', scan: 'scan', manual: 'scan', cli: 'cli' };

interface Runtime {
  readonly journal: Journal;
  readonly orgUrl: string;
  /** What letters call the org: the simulator's own name, else the org's host. */
  readonly orgName: string;
  readonly simulated: boolean;
  readonly okta: OktaClient;
  readonly engine: ProvisioningEngine;
  readonly sim?: SimulatorHandle;
  readonly hardwareNotice?: string;
  readonly offEngine: () => void;
}

function startOfToday(): string {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d.toISOString();
}

function toOrder(row: OrderRow, expiresAt?: string): Order {
  return {
    orderId: row.id,
    user: row.user,
    state: row.state,
    source: ORDER_SOURCE[row.source] ?? 'import',
    delivery: row.delivery,
    createdAt: row.createdAt,
    ...(row.batchId ? { batchId: row.batchId } : {}),
    ...(expiresAt ? { expiresAt } : {}),
  };
}

function toHistory(r: JobRecord, pin: HistoryEntry['pin']): HistoryEntry | undefined {
  if (r.outcome === undefined) return undefined;
  return {
    jobId: r.jobId,
    orderId: r.orderId,
    user: r.user,
    port: r.keyPath,
    ...(r.model ? { model: r.model } : {}),
    ...(r.serial ? { serial: r.serial } : {}),
    outcome: r.outcome,
    ...(r.failureCause ? { failureCause: r.failureCause } : {}),
    startedAt: r.startedAt,
    ...(r.finishedAt ? { finishedAt: r.finishedAt } : {}),
    ...(r.durationMs !== undefined ? { durationMs: r.durationMs } : {}),
    enrollmentIds: r.enrollmentIds,
    pin,
  };
}

/** One line about a sync for the technician. */
function syncMessage(summary: SyncSummary): string {
  const c = summary.counts;
  const parts = [
    c.activated ? `${c.activated} activated` : '',
    c['already-active'] ? `${c['already-active']} already active` : '',
    c['re-enrolled'] ? `${c['re-enrolled']} expired and enrolled again (reset those keys)` : '',
    (c.failed ?? 0) + (c.expired ?? 0) ? `${(c.failed ?? 0) + (c.expired ?? 0)} failed` : '',
    summary.reconciled ? `${summary.reconciled} interrupted job${summary.reconciled === 1 ? '' : 's'} reconciled` : '',
  ].filter(Boolean);
  return parts.length === 0 ? 'Nothing is waiting for Okta.' : `Synced: ${parts.join(', ')}.`;
}

/** Engine, journal and Okta failures become request errors whose message the technician can act on. */
function asRequestError(error: unknown): never {
  if (error instanceof StationRequestError) throw error;
  if (error instanceof EngineError) throw new StationRequestError('conflict', error.message);
  if (error instanceof ProvisioningError) throw new StationRequestError('conflict', error.message);
  if (error instanceof JournalError) throw new StationRequestError('not-found', error.message);
  if (error instanceof OktaError) throw new StationRequestError('unavailable', `${error.message}${error.hint ? ` ${error.hint}` : ''}`);
  throw error;
}

export async function createStationBackend(options: StationServiceOptions): Promise<StationService> {
  mkdirSync(options.dataDir, { recursive: true });
  const log = options.log ?? (() => {});
  const settingsPath = join(options.dataDir, 'settings.json');
  let settings = loadSettings(settingsPath);
  const secrets: SecretStore =
    options.secretStore ?? (options.passphrase ? new PassphraseFileSecretStore(join(options.dataDir, 'secrets.json'), options.passphrase) : new MemorySecretStore());
  const secretsPersisted =
    options.secretStore !== undefined ? (options.secretStore as { persisted?: boolean }).persisted !== false : options.passphrase !== undefined;
  const keyring = await StationKeyring.loadOrCreate(secrets);
  const listeners = new Set<(event: UiEvent) => void>();
  const emit = (event: UiEvent) => {
    for (const listener of [...listeners]) listener(event);
  };
  const board = new TileBoard((orderId) => {
    const order = runtime.journal.order(orderId);
    return order ? { user: order.user } : undefined;
  });
  let online = true;
  let runtime: Runtime;
  const printer = options.printer ?? osPrinter();
  const documents = new OneTimeDocuments();
  const downloads = options.browserDownloads
    ? new DownloadPrinter({ documents, onOffer: (offer) => emit({ type: 'document', token: offer.token, fileName: offer.fileName, expiresAt: offer.expiresAt }) })
    : undefined;
  /** Where a PIN mailer goes now: the chosen printer, else (browser mode) a one-time download. */
  function mailerTarget(): PrintTarget {
    const unavailable = options.printer ? undefined : printingUnavailable();
    if (settings.printer && !unavailable) return { printer, name: settings.printer };
    if (downloads) return { printer: downloads };
    return { unavailable: unavailable ?? 'no printer is chosen' };
  }
  const mailer = new StationMailerDesk(mailerTarget, () => settings.paper);

  async function credentials(): Promise<OktaCredentials | undefined> {
    if (settings.credentialKind === 'ssws') {
      const token = await secrets.get(SECRET.ssws);
      return token ? { kind: 'ssws', token } : undefined;
    }
    if (settings.credentialKind === 'oauth' && settings.oauthClientId) {
      const jwk = await secrets.get(SECRET.oauthJwk);
      return jwk ? { kind: 'oauth', clientId: settings.oauthClientId, privateJwk: JSON.parse(jwk) } : undefined;
    }
    return undefined;
  }

  /** Stores an org and its credentials the way Settings does, so the next start finds them too. */
  async function adoptOrg(url: string, creds: OktaCredentials): Promise<void> {
    const org = parseOrgUrl(url);
    const virtualKeys = isLoopbackHost(org.hostname) ? settings.virtualKeys : 0;
    if (creds.kind === 'ssws') {
      await secrets.set(SECRET.ssws, creds.token);
      updateSettings({ orgUrl: org.origin, credentialKind: 'ssws', oauthClientId: undefined, virtualKeys });
    } else {
      await secrets.set(SECRET.oauthJwk, JSON.stringify(creds.privateJwk));
      updateSettings({ orgUrl: org.origin, credentialKind: 'oauth', oauthClientId: creds.clientId, virtualKeys });
    }
  }

  async function startRuntime(): Promise<Runtime> {
    let sim: SimulatorHandle | undefined;
    let orgUrl: string;
    let creds: OktaCredentials | undefined;
    let rpIds = settings.rpIds;
    let journalFile = 'journal.db';
    if (settings.orgUrl === undefined) {
      // The embedded org lives in memory and starts empty, so its jobs cannot outlive it: a fresh journal each start.
      journalFile = 'journal-simulator.db';
      for (const suffix of ['', '-wal', '-shm']) rmSync(join(options.dataDir, journalFile + suffix), { force: true });
      sim = await startSimulator({ outboxDir: join(options.dataDir, 'outbox'), ...options.simulator });
      orgUrl = sim.url;
      creds = { kind: 'ssws', token: sim.apiToken };
      if (rpIds.length === 0) rpIds = [options.simulator?.orgDomain ?? DEFAULT_ORG_DOMAIN];
    } else {
      orgUrl = settings.orgUrl;
      creds = await credentials();
    }
    const okta = new OktaClient({
      orgUrl,
      credentials: creds ?? { kind: 'ssws', token: 'not-configured' },
      ...(rpIds.length > 0 ? { enrollmentRpIds: rpIds } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      log,
    });
    const backends: HidBackend[] = [];
    let hardwareNotice: string | undefined;
    if (options.usbBackend) backends.push(options.usbBackend);
    else if (options.realKeys !== false) {
      const real = await loadNodeHidBackend();
      if ('unavailable' in real) hardwareNotice = real.unavailable;
      else backends.push(real);
    }
    const virtualCount = options.virtualKeys ?? settings.virtualKeys;
    if (virtualCount > 0) backends.push(new VirtualKeyBackend(Array.from({ length: virtualCount }, () => options.virtualKnobs ?? {})));
    const journal = Journal.open(join(options.dataDir, journalFile));
    const attestation = new StationTrustGate(
      options.dataDir,
      new URL(orgUrl).hostname,
      () => ({ policy: settings.attestationPolicy, aaguidAllowList: settings.aaguidAllowList }),
      (message) => emit({ type: 'notice', level: 'warning', message }),
    );
    const orgName = sim ? DEFAULT_ORG_NAME : new URL(orgUrl).hostname;
    const engine = new ProvisioningEngine({
      journal,
      okta,
      keyring,
      backends,
      operator: settings.operator,
      offline: !online,
      attestation,
      mailer,
      orgName,
    });
    const offEngine = engine.on((event) => {
      if (event.type === 'job-resumed' && (event.plan === 'continue-with-key' || event.plan === 'finish')) {
        const job = journal.job(event.jobId);
        const tile = job && board.resumed(job.keyPath, job.orderId);
        if (tile) emit({ type: 'tile', tile });
      }
      const { changed, removed } = board.apply(event);
      for (const tile of changed) emit({ type: 'tile', tile });
      for (const port of removed) emit({ type: 'tile-removed', port });
      if (event.type === 'job-done') emit({ type: 'sound', sound: 'success' });
      // The queue ran dry: the batch just worked is sealed.
      if ((event.type === 'job-done' || event.type === 'job-failed') && journal.orders('waiting').length === 0 && journal.orders('assigned').length === 0) {
        const batchId = journal.job(event.jobId)?.batchId;
        void sealAudit(journal, batchId ?? `queue-${new Date().toISOString()}`);
      }
      if (event.type === 'job-failed') emit({ type: 'sound', sound: 'failure' });
      // A key that may not be genuine is quarantined by its tile; its order goes to the next key.
      if (event.type === 'job-failed' && event.error.code === 'untrusted-key') {
        const job = journal.job(event.jobId);
        if (job && journal.order(job.orderId)?.state === 'failed') engine.retryOrder(job.orderId);
      }
      if (event.type === 'touch-needed') emit({ type: 'sound', sound: 'touch' });
      if (event.type === 'discovery-error') emit({ type: 'notice', level: 'warning', message: event.message });
      if (event.type === 'orders-changed') emit({ type: 'orders-changed' });
      if (['orders-changed', 'job-done', 'job-failed', 'job-awaiting-activation', 'batch-progress', 'offline-changed'].includes(event.type)) emit({ type: 'status', status: status() });
    });
    if (!creds && !sim) emit({ type: 'notice', level: 'warning', message: 'Okta credentials are not set. Enter an API token or an OAuth app in Settings.' });
    const rt: Runtime = { journal, orgUrl, orgName, simulated: sim !== undefined, okta, engine, sim, hardwareNotice, offEngine };
    runtime = rt;
    journal.audit.append({ type: 'station-started', ...(settings.operator ? { actor: settings.operator } : {}), data: { org: orgUrl, simulated: sim !== undefined } });
    await engine.start();
    return rt;
  }

  /** Closes what the station did since the last seal as one signed batch of the audit trail. */
  async function sealAudit(journal: Journal, batchId: string): Promise<void> {
    try {
      await journal.audit.sealIfOpen(batchId, { privateJwk: keyring.signingKey, kid: keyring.signingKey.kid });
    } catch (error) {
      log(`sealing the audit batch ${batchId} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async function stopRuntime(rt: Runtime): Promise<void> {
    await rt.engine.close();
    await sealAudit(rt.journal, `session-${new Date().toISOString()}`);
    rt.offEngine();
    for (const tile of board.tiles()) {
      board.forget(tile.port);
      emit({ type: 'tile-removed', port: tile.port });
    }
    await rt.sim?.close();
    rt.journal.close();
  }

  async function restart(): Promise<void> {
    await stopRuntime(runtime);
    await startRuntime();
    emit({ type: 'status', status: status() });
  }

  function status(): StationStatus {
    const today = runtime.journal.jobRecords({ since: startOfToday() });
    const sync = runtime.engine.syncStatus();
    return {
      org: { url: runtime.orgUrl, simulated: runtime.simulated, ...(runtime.simulated ? { name: 'Simulated Okta org' } : {}) },
      online,
      ...(settings.operator ? { operator: settings.operator } : {}),
      ordersWaiting: runtime.journal.orders('waiting').length,
      doneToday: today.filter((r) => r.outcome === 'done').length,
      failedToday: today.filter((r) => r.outcome === 'failed').length,
      sync: {
        enrolledAhead: sync.enrolledAhead,
        pendingActivations: sync.pendingActivations,
        ...(sync.etaSeconds === undefined ? {} : { etaSeconds: sync.etaSeconds }),
      },
      ...(runtime.hardwareNotice ? { hardwareNotice: runtime.hardwareNotice } : {}),
    };
  }

  function settingsView(): Settings {
    return {
      org: { url: runtime.orgUrl, simulated: runtime.simulated, rpIds: settings.rpIds },
      credentials: { kind: runtime.simulated ? 'none' : settings.credentialKind, configured: runtime.simulated || settings.credentialKind !== 'none', persisted: secretsPersisted },
      pin: settings.pin,
      delivery: settings.delivery,
      sounds: settings.sounds,
      ...(settings.printer ? { printer: settings.printer } : {}),
      paper: settings.paper,
      labelSize: settings.labelSize,
      virtualKeys: options.virtualKeys ?? settings.virtualKeys,
      ...(settings.operator ? { operator: settings.operator } : {}),
    };
  }

  function updateSettings(patch: Partial<StationSettings>): void {
    settings = { ...settings, ...patch };
    saveSettings(settingsPath, settings);
  }

  /** A change a technician made, in the audit trail (which setting, never a credential). */
  function auditSettings(changed: Record<string, unknown>): void {
    const keys = Object.keys(changed);
    if (keys.length === 0) return;
    // The PIN *policy* is not a PIN, but the audit log refuses any field named like one.
    if ('pin' in changed) {
      const { pin, ...rest } = changed;
      changed = { ...rest, pinPolicy: pin };
    }
    const actor = settings.operator ? { actor: settings.operator } : {};
    runtime.journal.audit.append({ type: 'settings-changed', ...actor, data: changed });
  }

  /** A new org: the change closes the journal left behind and opens the one taken up (one file for every real org). */
  async function switchOrg(changed: Record<string, unknown>): Promise<void> {
    const wasSimulated = runtime.simulated;
    auditSettings(changed);
    await restart();
    if (wasSimulated || runtime.simulated) auditSettings(changed);
  }

  function historyEntries(records: readonly JobRecord[]): HistoryEntry[] {
    const pins = runtime.journal.deliveries.states(records.map((r) => r.jobId));
    return records.map((r) => toHistory(r, pins.get(r.jobId) ?? 'none')).filter((h): h is HistoryEntry => h !== undefined);
  }

  function stationKeys() {
    const keys = keyring.list().map((k) => ({ kid: k.kid, use: k.use, createdAt: k.createdAt.toISOString(), current: k.current }));
    return { keys, jwks: JSON.stringify(keyring.publicJwks(), null, 2) };
  }

  function portTile(port: string) {
    const tile = board.tile(port);
    if (!tile) throw new StationRequestError('not-found', `No key is plugged in at ${port}.`);
    return tile;
  }

  /** Orders that name no delivery take the station's (Settings → Deliver the PIN by). */
  function addOrders(orders: Parameters<ProvisioningEngine['addOrders']>[0]) {
    return runtime.engine.addOrders(orders.map((order) => ({ ...order, delivery: order.delivery ?? settings.delivery })));
  }

  /** A scan is a box serial when a running job still lacks one and the code looks like a serial number. */
  function scan(code: string): { kind: 'order' | 'serial'; message: string } {
    const existing = runtime.journal.order(code);
    if (existing) {
      // Scanning an order again re-queues it only if it did not go through: a done order would enroll the user twice.
      if (existing.state === 'done') throw new StationRequestError('conflict', `Order ${existing.id} for ${existing.user} is already done. Scan the next order.`);
      if (existing.state === 'assigned') return { kind: 'order', message: `Order ${existing.id} for ${existing.user} is being provisioned now.` };
      if (existing.state !== 'waiting') runtime.engine.retryOrder(existing.id);
      return { kind: 'order', message: `Order ${existing.id} for ${existing.user} is in the queue.` };
    }
    if (/^(?:S\/?N[:\s]*)?\d{6,12}$/i.test(code)) {
      const serial = code.replace(/^S\/?N[:\s]*/i, '');
      const waiting = board.tiles().find((t) => t.order && !t.serial && !['done', 'failed', 'quarantined'].includes(t.state));
      const jobId = waiting && runtime.engine.keys().find((k) => k.path === waiting.port)?.jobId;
      if (waiting && jobId) {
        runtime.engine.attachSerial(jobId, serial);
        const tile = board.setSerial(waiting.port, serial);
        if (tile) emit({ type: 'tile', tile });
        return { kind: 'serial', message: `Serial ${serial} recorded for ${waiting.label}.` };
      }
    }
    // A scanner that fires twice must not order two keys for one person (a second key is an imported order with its own id).
    const open = [...runtime.journal.orders('waiting'), ...runtime.journal.orders('assigned')].find((o) => o.user.toLowerCase() === code.toLowerCase());
    if (open) throw new StationRequestError('conflict', `An order for ${code} is already ${open.state === 'waiting' ? 'waiting' : 'being provisioned'}.`);
    const { added } = addOrders([{ user: code, source: 'scan' }]);
    if (added.length === 0) throw new StationRequestError('conflict', `An order for ${code} is already in the queue.`);
    const ready = board.tiles().some((t) => t.state === 'waiting-order');
    return { kind: 'order', message: ready ? `Order for ${code} goes to the next ready key.` : `Order for ${code} is queued; plug in a key.` };
  }

  const handlers: StationHandlers = {
    'station.snapshot': async () => ({ status: status(), tiles: board.tiles() }),
    'orders.scan': async ({ code }) => {
      try {
        return scan(code);
      } catch (e) {
        return asRequestError(e);
      }
    },
    'orders.list': async ({ query, state, offset, limit }) => {
      const needle = query?.toLowerCase();
      const rows = runtime.journal.orders(state).filter((o) => !needle || o.user.toLowerCase().includes(needle) || o.id.toLowerCase().includes(needle));
      const expiry = new Map(runtime.journal.enrolledAheadJobs().map((job) => [job.orderId, job.expiresAt]));
      return { total: rows.length, items: rows.slice(offset, offset + limit).map((row) => toOrder(row, expiry.get(row.id))) };
    },
    'orders.import': async ({ fileName, text }) => {
      const format = /\.json$/i.test(fileName) ? 'json' : /\.csv$/i.test(fileName) ? 'csv' : undefined;
      const parsed = parseOrders(text, format);
      const { added, duplicates } = addOrders(parsed.orders.map((o) => ({ ...o, source: 'import' })));
      const errors = [...parsed.errors];
      for (const dup of duplicates) errors.push({ line: parsed.orders.find((o) => o.orderId === dup || o.user === dup)?.line ?? 0, message: `Order ${dup} is already in the queue; skipped.` });
      return { added: added.length, errors: errors.sort((a, b) => a.line - b.line) };
    },
    'orders.pull': async () => {
      try {
        const since = new Date(Date.now() - 7 * 24 * 3600 * 1000);
        const { orders, complete } = await runtime.okta.listPendingOrders({ since });
        const { added } = addOrders(orders.map((o) => ({ user: o.userLogin ?? o.userId, orderId: `okta-${o.eventId}`, source: 'okta' })));
        return { added: added.length, message: `${added.length} new order${added.length === 1 ? '' : 's'} from Okta${complete ? '' : ' (more are waiting; pull again)'}.` };
      } catch (e) {
        return asRequestError(e);
      }
    },
    'orders.cancel': async ({ orderId }) => {
      try {
        runtime.engine.cancelOrder(orderId);
        return { message: `Order ${orderId} is cancelled.` };
      } catch (e) {
        return asRequestError(e);
      }
    },
    'jobs.retry': async ({ port }) => {
      portTile(port);
      const orderId = board.orderOf(port);
      try {
        if (orderId && runtime.journal.order(orderId)?.state !== 'waiting') runtime.engine.retryOrder(orderId);
        if (board.isKeyGone(port)) {
          // No key in that port to check again: the order goes to the next ready key and the note goes away.
          board.dismiss(port);
          emit({ type: 'tile-removed', port });
          return { message: orderId ? `Order ${orderId} is back in the queue for the next ready key.` : 'Nothing to retry.' };
        }
        await runtime.engine.recheckKey(port);
        return { message: orderId ? `Order ${orderId} is back at the front of the queue.` : 'The key is checked again.' };
      } catch (e) {
        return asRequestError(e);
      }
    },
    'jobs.skip': async ({ port }) => {
      portTile(port);
      try {
        await runtime.engine.recheckKey(port);
        return { message: 'Skipped: the failed order stays in history; this key takes the next order.' };
      } catch (e) {
        return asRequestError(e);
      }
    },
    'jobs.quarantine': async ({ port }) => {
      const tile = portTile(port);
      const orderId = board.orderOf(port);
      try {
        if (orderId && !['waiting', 'done'].includes(runtime.journal.order(orderId)?.state ?? '')) runtime.engine.retryOrder(orderId);
      } catch (e) {
        return asRequestError(e);
      }
      const quarantined = board.quarantine(port);
      if (quarantined) emit({ type: 'tile', tile: quarantined });
      return { message: `${tile.label} is quarantined: set it aside.${orderId ? ' Its order goes to another key.' : ''}` };
    },
    'jobs.cancelStep': async ({ port }) => {
      portTile(port);
      try {
        runtime.engine.cancelJob(port);
        return { message: 'Cancelling this key\'s job…' };
      } catch (e) {
        return asRequestError(e);
      }
    },
    'jobs.dismiss': async ({ port }) => {
      const tile = portTile(port);
      if (!board.dismiss(port)) throw new StationRequestError('conflict', `${tile.label} still has a key in it; only a pulled key's tile can be dismissed.`);
      emit({ type: 'tile-removed', port });
      return { message: `${tile.label} is cleared.` };
    },
    'keys.reset': async ({ port }) => {
      portTile(port);
      try {
        await runtime.engine.resetKey(port);
        return { message: 'The key is reset.' };
      } catch (e) {
        return asRequestError(e);
      }
    },
    'keys.wink': async ({ port }) => {
      const tile = portTile(port);
      try {
        await runtime.engine.winkKey(port);
        return { message: `${tile.label} is blinking.` };
      } catch (e) {
        return asRequestError(e);
      }
    },
    'batch.enrollAhead': async ({ batchId, orderIds }) => {
      try {
        const summary = await runtime.engine.enrollAhead({ ...(batchId ? { batchId } : {}), ...(orderIds ? { orderIds } : {}) });
        const enrolled = summary.counts['enrolled-ahead'] ?? 0;
        const failed = summary.counts.failed ?? 0;
        const message =
          summary.items.length === 0
            ? 'No waiting orders to enroll ahead.'
            : `${enrolled} order${enrolled === 1 ? '' : 's'} enrolled ahead: keys can be programmed for them offline.${failed ? ` ${failed} failed; see History.` : ''}`;
        return { message, enrolled, failed };
      } catch (e) {
        return asRequestError(e);
      }
    },
    'batch.sync': async () => {
      try {
        return { message: syncMessage(await runtime.engine.sync()) };
      } catch (e) {
        return asRequestError(e);
      }
    },
    'history.list': async ({ query, offset, limit }) => {
      const needle = query?.toLowerCase();
      const entries = historyEntries(runtime.journal.jobRecords())
        .filter((h) => !needle || [h.user, h.orderId, h.serial ?? '', h.failureCause ?? ''].some((f) => f.toLowerCase().includes(needle)))
        .reverse();
      return { total: entries.length, items: entries.slice(offset, offset + limit) };
    },
    'history.chart': async () => {
      const perHour = new Array<number>(24).fill(0);
      const causes = new Map<string, number>();
      for (const r of runtime.journal.jobRecords({ since: startOfToday() })) {
        if (r.outcome === 'done' && r.finishedAt) perHour[new Date(r.finishedAt).getHours()]! += 1;
        if (r.outcome === 'failed') causes.set(r.failureCause ?? 'unknown', (causes.get(r.failureCause ?? 'unknown') ?? 0) + 1);
      }
      return { perHour, failuresByCause: [...causes].map(([cause, count]) => ({ cause, count })).sort((a, b) => b.count - a.count) };
    },
    'history.export': async ({ format }) => {
      const records = runtime.journal.jobRecords();
      const day = new Date().toISOString().slice(0, 10);
      return format === 'csv'
        ? { fileName: `keybench-${day}.csv`, mimeType: 'text/csv', content: toCsv(records) }
        : { fileName: `keybench-${day}.json`, mimeType: 'application/json', content: toJson(summarize(records), records) };
    },
    'settings.get': async () => settingsView(),
    'settings.update': async (patch) => {
      const restartNeeded = (patch.virtualKeys !== undefined && patch.virtualKeys !== settings.virtualKeys) || (patch.rpIds !== undefined && patch.rpIds.join() !== settings.rpIds.join());
      const signedIn = patch.operator !== undefined && patch.operator !== settings.operator;
      updateSettings(patch);
      auditSettings(patch);
      if (signedIn && patch.operator) runtime.journal.audit.append({ type: 'operator-signed-in', actor: patch.operator, data: {} });
      if (restartNeeded) await restart();
      return settingsView();
    },
    'settings.setCredentials': async (input) => {
      let org;
      try {
        org = parseOrgUrl(input.orgUrl);
      } catch (e) {
        throw new StationRequestError('bad-request', (e as Error).message);
      }
      if (input.kind === 'ssws') {
        await secrets.set(SECRET.ssws, input.token);
        updateSettings({ orgUrl: org.origin, credentialKind: 'ssws', oauthClientId: undefined, virtualKeys: isLoopbackHost(org.hostname) ? settings.virtualKeys : 0 });
      } else {
        let jwk: unknown;
        try {
          jwk = JSON.parse(input.privateJwk);
        } catch {
          throw new StationRequestError('bad-request', 'The private key must be a JWK in JSON, as the Okta admin console shows it.');
        }
        if (typeof jwk !== 'object' || jwk === null || !('d' in jwk)) throw new StationRequestError('bad-request', 'That JWK has no private part ("d"). Paste the private key of the API Services app.');
        await secrets.set(SECRET.oauthJwk, JSON.stringify(jwk));
        updateSettings({ orgUrl: org.origin, credentialKind: 'oauth', oauthClientId: input.clientId, virtualKeys: isLoopbackHost(org.hostname) ? settings.virtualKeys : 0 });
      }
      await switchOrg({ orgUrl: org.origin, credentialKind: input.kind, ...(input.kind === 'oauth' ? { oauthClientId: input.clientId } : {}) });
      return settingsView();
    },
    'settings.useSimulator': async () => {
      updateSettings({ orgUrl: undefined, credentialKind: 'none', oauthClientId: undefined, virtualKeys: settings.virtualKeys || 2 });
      await switchOrg({ orgUrl: 'simulator' });
      return settingsView();
    },
    'stationKeys.list': async () => stationKeys(),
    'stationKeys.rotate': async () => {
      await keyring.rotate();
      runtime.journal.audit.append({ type: 'keys-rotated', ...(settings.operator ? { actor: settings.operator } : {}), data: { kids: keyring.list().filter((k) => k.current).map((k) => k.kid) } });
      emit({ type: 'notice', level: 'info', message: 'Station keys rotated. Orders enrolled under the old keys still finish.' });
      return stationKeys();
    },
    ...createRecordHandlers({
      dataDir: options.dataDir,
      keyring,
      printer,
      journal: () => runtime.journal,
      okta: () => runtime.okta,
      orgName: () => runtime.orgName,
      settings: () => settings,
      updateSettings: (patch, changed) => {
        updateSettings(patch);
        auditSettings(changed);
      },
      historyEntry: (jobId) => historyEntries(runtime.journal.jobRecords({ jobId }))[0],
      notify: (message) => emit({ type: 'notice', level: 'warning', message }),
    }),
  };

  if (options.org) await adoptOrg(options.org.url, options.org.credentials);
  await startRuntime();

  const probeEveryMs = options.probeIntervalMs ?? 15_000;
  // A frozen org accepts the connection and never answers: the timeout decides, and one probe runs at a time.
  const probeTimeoutMs = Math.min(5000, Math.max(1000, probeEveryMs * 2));
  let probing = false;
  const probe = setInterval(() => {
    if (probing) return;
    probing = true;
    void (options.fetch ?? fetch)(runtime.orgUrl, { method: 'HEAD', signal: AbortSignal.timeout(probeTimeoutMs) })
      .then(() => true, () => false)
      .finally(() => {
        probing = false;
      })
      .then((reachable) => {
        if (reachable !== online) {
          online = reachable;
          // Unreachable: keys take only orders enrolled ahead. Reachable again: the parked activations flush.
          runtime.engine.setOffline(!reachable);
          if (reachable) {
            void runtime.engine.sync().then(
              (summary) => emit({ type: 'notice', level: 'info', message: syncMessage(summary) }),
              (e: unknown) => emit({ type: 'notice', level: 'warning', message: `Sync failed: ${e instanceof Error ? e.message : String(e)}` }),
            );
          }
          emit({ type: 'status', status: status() });
        }
      });
  }, probeEveryMs);
  probe.unref();

  return {
    backend: {
      handlers,
      onEvent(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    documents,
    get orgUrl() {
      return runtime.orgUrl;
    },
    async close() {
      clearInterval(probe);
      documents.close();
      await stopRuntime(runtime);
    },
  };
}
