// A stand-in for the real station behind `window.station`, for the dev page (`?fake`) and the e2e tests.
// It answers through the contract's own `dispatch`, so arguments the renderer sends are checked against
// the same schemas the real bridges use; a malformed request is logged as a console error, which fails
// the tests. Values cross by copy, as they do over contextBridge or a WebSocket.
import './lib/zod-without-eval.js';
import {
  dispatch,
  StationRequestError,
  type Channel,
  type ChannelArgs,
  type ChannelResult,
  type DeliveryRecord,
  type HistoryEntry,
  type JobDetail,
  type PinDeliveryState,
  type KeyTile,
  type Order,
  type Result,
  type Settings,
  type StationApi,
  type StationEvent,
  type StationHandlers,
  type StationStatus,
  type TrustStatus,
} from '../../electron/contract/index.js';

export interface FakeStationOptions {
  /** Tiles on the bench at start; the demo bench when omitted. */
  tiles?: KeyTile[];
  /** How many waiting orders the queue starts with. */
  orders?: number;
  /** How many finished jobs history starts with. */
  history?: number;
  simulated?: boolean;
  /** Moves the tiles along their life on timers, for the dev page. */
  animate?: boolean;
}

export interface FakeCall {
  channel: Channel;
  args: unknown;
}

export interface FakeStation extends StationApi {
  /** Every request made, with secret fields replaced by "[redacted]". */
  readonly calls: FakeCall[];
  emit(event: StationEvent): void;
  setTile(tile: KeyTile): void;
  removeTile(port: string): void;
  stop(): void;
}

const SIM_URL = 'http://127.0.0.1:8930';
const SECRET_FIELDS = new Set(['token', 'privateJwk']);
const JOB_STEPS: { state: KeyTile['state']; step: string; progress: number }[] = [
  { state: 'enrolling', step: 'Enrolling with Okta', progress: 0.15 },
  { state: 'setting-pin', step: 'Setting a random PIN', progress: 0.3 },
  { state: 'touch', step: 'Touch the key to create the credential', progress: 0.45 },
  { state: 'creating-credential', step: 'Creating credential 1 of 1', progress: 0.6 },
  { state: 'verifying', step: 'Verifying the attestation', progress: 0.72 },
  { state: 'activating', step: 'Activating the factor in Okta', progress: 0.85 },
  { state: 'delivering', step: 'Asking Okta to email the PIN', progress: 0.95 },
  { state: 'done', step: 'Finished', progress: 1 },
];

const copy = <T>(value: T): T => structuredClone(value);
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

function redact(args: unknown): unknown {
  if (!args || typeof args !== 'object') return args;
  return Object.fromEntries(Object.entries(args).map(([k, v]) => [k, SECRET_FIELDS.has(k) ? '[redacted]' : v]));
}

function demoTiles(): KeyTile[] {
  const base = { kind: 'usb' as const, model: 'YubiKey 5 NFC', touch: 'none' as const };
  return [
    { ...base, port: 'usb:1', label: 'Port 1', serial: '18273645', serialSource: 'usb', state: 'enrolling', step: 'Enrolling with Okta', progress: 0.15, order: { orderId: 'ORD-00001', user: 'alice@example.com', displayName: 'Alice Moreau' }, startedAt: ago(42_000) },
    { ...base, port: 'usb:2', label: 'Port 2', serial: '18273646', serialSource: 'usb', state: 'touch', touch: 'now', step: 'Touch the key to create the credential', progress: 0.45, order: { orderId: 'ORD-00002', user: 'bob@example.com' }, startedAt: ago(75_000) },
    { ...base, port: 'usb:3', label: 'Port 3', model: 'Feitian ePass K9', serialSource: 'none', state: 'touch', touch: 'waiting', step: 'Touch the key to create the credential', progress: 0.45, order: { orderId: 'ORD-00003', user: 'carol@example.com', displayName: 'Carol Ng' }, startedAt: ago(61_000) },
    {
      ...base,
      port: 'usb:4',
      label: 'Port 4',
      serial: '18273648',
      serialSource: 'usb',
      state: 'failed',
      step: 'Setting a random PIN',
      progress: 0.3,
      order: { orderId: 'ORD-00004', user: 'dan@example.com' },
      startedAt: ago(130_000),
      failure: { code: 'pin-already-set', message: 'This key already has a PIN.', action: 'Unplug it, plug it back in, and touch it within 10 seconds to reset.', retryable: true },
    },
    { ...base, port: 'usb:5', label: 'Port 5', serial: '18273649', serialSource: 'usb', state: 'done', step: 'Finished', progress: 1, order: { orderId: 'ORD-00005', user: 'erin@example.com', displayName: 'Erin Park' }, startedAt: ago(200_000) },
    { ...base, port: 'usb:6', label: 'Port 6', serial: '18273650', serialSource: 'usb', state: 'quarantined', step: 'Attestation did not verify', progress: 0.72, startedAt: ago(300_000) },
    { ...base, port: 'usb:7', label: 'Port 7', model: 'Token2 T2F2', serialSource: 'none', state: 'waiting-order', step: 'Ready for an order', progress: 0 },
    { ...base, port: 'usb:8', label: 'Port 8', model: undefined, serialSource: 'none', state: 'checking', step: 'Reading the key', progress: 0.05 },
  ];
}

function makeOrders(count: number): Order[] {
  return Array.from({ length: count }, (_, i) => {
    const n = String(i + 1).padStart(5, '0');
    return { orderId: `ORD-${n}`, user: `user${n}@example.com`, displayName: `User ${n}`, state: 'waiting', source: 'import', delivery: 'email', createdAt: ago((count - i) * 60_000) };
  });
}

function pinStateOf(index: number, failed: boolean): PinDeliveryState {
  if (failed) return 'none';
  if (index % 7 === 1) return 'held';
  if (index % 11 === 2) return 'printed';
  if (index % 13 === 3) return 'failed';
  return 'sent';
}

function makeHistory(count: number): HistoryEntry[] {
  const causes = ['PIN already set', 'Okta rate limit', 'Attestation rejected', 'Key removed too early'];
  return Array.from({ length: count }, (_, i) => {
    const failed = i % 9 === 4;
    const started = Date.now() - (i + 1) * 7 * 60_000;
    return {
      jobId: `job-${i + 1}`,
      orderId: `ORD-H${String(i + 1).padStart(4, '0')}`,
      user: `done${i + 1}@example.com`,
      port: `Port ${(i % 8) + 1}`,
      model: 'YubiKey 5 NFC',
      serial: failed ? undefined : String(20_000_000 + i),
      outcome: failed ? 'failed' : 'done',
      failureCause: failed ? causes[i % causes.length] : undefined,
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date(started + 95_000).toISOString(),
      durationMs: 95_000,
      enrollmentIds: failed ? [] : [`enr-${i + 1}`],
      pin: pinStateOf(i, failed),
    };
  });
}

const DELIVERY_OUTCOMES: Record<Exclude<PinDeliveryState, 'none'>, { method: DeliveryRecord['method']; outcome: DeliveryRecord['outcome'] }> = {
  sent: { method: 'email', outcome: 'sent' },
  printed: { method: 'print', outcome: 'printed' },
  held: { method: 'hold', outcome: 'held' },
  failed: { method: 'email', outcome: 'failed' },
};

/** A plausible record of one fake job: its steps a few seconds apart, a retry now and then, where the PIN went. */
function recordOf(entry: HistoryEntry, deliveries: DeliveryRecord[], operator: string | undefined): JobDetail {
  const start = Date.parse(entry.startedAt);
  const at = (seconds: number) => new Date(start + seconds * 1000).toISOString();
  const names = ['Enrolled', 'PIN set', 'Credential created', 'Attestation verified', 'Activated', 'PIN delivery'];
  const steps = names
    .slice(0, entry.outcome === 'done' ? names.length : 2)
    .map((name, i) => ({ name, at: at(i * 15 + 3), summary: i === 0 ? `Okta enrollment ${entry.enrollmentIds[0] ?? 'not made'}` : `${name} on ${entry.port}` }));
  const failed = entry.outcome === 'failed';
  const index = Number(entry.jobId.replace(/\D/g, '')) || 0;
  return {
    entry,
    key: { aaguid: 'cb69481e-8ff7-4039-93ec-0a2729a154a8', model: entry.model, serial: entry.serial, serialSource: entry.serial ? 'usb' : 'none', firmware: '5.4.3' },
    userId: `00u${String(index).padStart(17, '0')}`,
    operator,
    delivery: entry.pin === 'printed' ? 'print' : entry.pin === 'held' ? 'hold' : 'email',
    steps,
    attempts:
      failed || index % 5 === 0
        ? [{ step: failed ? 'PIN set' : 'Enrolled', at: at(20), code: failed ? 'ctap-pin-auth-blocked' : 'okta-rate-limited', cause: entry.failureCause ?? 'Okta asked the station to slow down; retried after 2 s.', oktaRequestId: failed ? undefined : `req-${index}-rl`, ctapStatus: failed ? 'CTAP2_ERR_PIN_AUTH_BLOCKED (0x34)' : undefined }]
        : [],
    attestation: failed
      ? undefined
      : { trusted: true, reason: 'The attestation chains to the Yubico root and the MDS lists this model as FIDO_CERTIFIED_L1.', source: 'mds', rootSubject: 'CN=Yubico U2F Root CA Serial 457200631', leafSubject: 'CN=Yubico U2F EE Serial 1234567', mdsStatus: 'FIDO_CERTIFIED_L1' },
    deliveries,
    can: { confirmDelivery: entry.pin === 'held', resendPin: entry.pin === 'sent' || entry.pin === 'failed', printLabel: entry.outcome === 'done' },
  };
}

/** The smallest PDF a viewer opens: what a "label" download carries in the fake. */
const TINY_PDF_BASE64URL = btoa('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n')
  .replace(/\+/g, '-')
  .replace(/\//g, '_')
  .replace(/=+$/, '');

/** Parses the fake's import format: a header line, then `user,delivery` rows (CSV) or a JSON array. */
function parseImport(fileName: string, text: string, firstId: number): { orders: Order[]; errors: { line: number; message: string }[] } {
  const orders: Order[] = [];
  const errors: { line: number; message: string }[] = [];
  const add = (user: unknown, line: number) => {
    if (typeof user !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(user.trim())) {
      errors.push({ line, message: `"${String(user ?? '').slice(0, 60)}" is not a login or email address.` });
      return;
    }
    const id = `ORD-I${String(firstId + orders.length).padStart(5, '0')}`;
    orders.push({ orderId: id, user: user.trim(), state: 'waiting', source: 'import', delivery: 'email', createdAt: new Date().toISOString() });
  };
  if (fileName.toLowerCase().endsWith('.json')) {
    let rows: unknown;
    try {
      rows = JSON.parse(text);
    } catch {
      throw new StationRequestError('bad-request', `${fileName} is not valid JSON.`);
    }
    if (!Array.isArray(rows)) throw new StationRequestError('bad-request', `${fileName} must hold a JSON array of orders.`);
    rows.forEach((row: unknown, i) => add(row && typeof row === 'object' ? (row as { user?: unknown }).user : undefined, i + 1));
  } else {
    text.split(/\r?\n/).forEach((raw, i) => {
      if (i === 0 || raw.trim() === '') return;
      add(raw.split(',')[0], i + 1);
    });
  }
  return { orders, errors };
}

export function createFakeStation(options: FakeStationOptions = {}): FakeStation {
  const listeners = new Set<(event: StationEvent) => void>();
  const calls: FakeCall[] = [];
  const timers = new Set<ReturnType<typeof setInterval>>();
  let tiles = options.tiles ? copy(options.tiles) : demoTiles();
  let orders = makeOrders(options.orders ?? 40);
  const history = makeHistory(options.history ?? 300);
  let importCount = 0;
  let rotations = 0;

  const status: StationStatus = {
    org: options.simulated === false ? { url: 'https://acme.okta.com', name: 'Acme Corp', simulated: false } : { url: SIM_URL, name: 'Simulated org', simulated: true },
    online: true,
    operator: 'Sam (bench 2)',
    ordersWaiting: 0,
    doneToday: 37,
    failedToday: 3,
    sync: { enrolledAhead: 0, pendingActivations: 0 },
  };
  const settings: Settings = {
    org: { url: status.org.url, simulated: status.org.simulated, rpIds: ['example.okta.com'] },
    credentials: { kind: 'none', configured: false, persisted: false },
    pin: { minLength: 8, forceChangePin: true },
    delivery: 'email',
    sounds: true,
    virtualKeys: 2,
    operator: status.operator,
    paper: 'a4',
    labelSize: '62mm',
  };
  const trust: TrustStatus = {
    policy: 'require',
    aaguidAllowList: [],
    mds: { present: true, serial: 84, nextUpdate: new Date(Date.now() + 20 * 86_400_000).toISOString(), stale: false, entries: 1_287 },
    vendorRoots: [
      { subject: 'CN=Yubico U2F Root CA Serial 457200631', sha256: '7b1f5e0c3a0e5a4c5d0f2e1b9c8a7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c' },
      { subject: 'CN=Feitian FIDO Root CA', sha256: '0c1b2a3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d0c1b' },
    ],
  };
  /** Where each job's PIN went, newest last. */
  const deliveries = new Map<string, DeliveryRecord[]>(
    history.filter((h) => h.pin !== 'none').map((h) => [h.jobId, [{ ...DELIVERY_OUTCOMES[h.pin as Exclude<PinDeliveryState, 'none'>], at: h.finishedAt ?? h.startedAt, operator: status.operator, oktaRequestId: h.pin === 'sent' ? `req-${h.jobId}` : undefined }]]),
  );
  const jobAt = (jobId: string) => {
    const entry = history.find((h) => h.jobId === jobId);
    if (!entry) throw new StationRequestError('not-found', `There is no job ${jobId}.`);
    return entry;
  };
  const sendHeld = (entry: HistoryEntry): string | undefined => {
    if (entry.pin !== 'held') return `The PIN of ${entry.user} is not held (it is ${entry.pin}).`;
    entry.pin = 'sent';
    deliveries.set(entry.jobId, [...(deliveries.get(entry.jobId) ?? []), { method: 'email', outcome: 'sent', at: new Date().toISOString(), operator: status.operator, oktaRequestId: `req-${entry.jobId}-confirm` }]);
    return undefined;
  };
  const heldPins = (query: string | undefined) => {
    const q = query?.toLowerCase();
    return history
      .filter((h) => h.pin === 'held' && (!q || [h.user, h.orderId, h.serial ?? ''].some((v) => v.toLowerCase().includes(q))))
      .map((h) => ({ jobId: h.jobId, orderId: h.orderId, user: h.user, model: h.model, serial: h.serial, heldSince: h.finishedAt ?? h.startedAt }));
  };

  const emit = (event: StationEvent) => {
    const sent = copy(event);
    setTimeout(() => listeners.forEach((listener) => listener(copy(sent))), 0);
  };
  const countWaiting = () => orders.filter((o) => o.state === 'waiting').length;
  const pushStatus = () => {
    status.ordersWaiting = countWaiting();
    emit({ type: 'status', status: copy(status) });
  };
  const putTile = (tile: KeyTile) => {
    tiles = tiles.some((t) => t.port === tile.port) ? tiles.map((t) => (t.port === tile.port ? tile : t)) : [...tiles, tile];
    emit({ type: 'tile', tile });
  };
  const tileAt = (port: string) => {
    const tile = tiles.find((t) => t.port === port);
    if (!tile) throw new StationRequestError('not-found', 'That key is no longer plugged in.');
    return tile;
  };
  const ordersChanged = () => {
    emit({ type: 'orders-changed' });
    pushStatus();
  };
  status.ordersWaiting = countWaiting();

  const assign = (order: Order): string => {
    const tile = tiles.find((t) => (t.state === 'ready' || t.state === 'waiting-order') && !t.order);
    if (!tile) throw new StationRequestError('conflict', 'No key is ready for an order. Plug in a factory-fresh key, or wait for one to finish.');
    order.state = 'assigned';
    putTile({ ...tile, ...JOB_STEPS[0]!, touch: 'none', order: { orderId: order.orderId, user: order.user, displayName: order.displayName }, startedAt: new Date().toISOString() });
    ordersChanged();
    return `Order ${order.orderId} (${order.user}) is on ${tile.label}.`;
  };

  const handlers: StationHandlers = {
    'station.snapshot': async () => ({ status: copy(status), tiles: copy(tiles) }),
    'orders.scan': async ({ code }) => {
      if (/^(SN|BOX)[-:]/i.test(code)) {
        const tile = tiles.find((t) => t.order && !t.serial);
        if (!tile) throw new StationRequestError('conflict', 'No key is waiting for a box serial.');
        const serial = code.replace(/^(SN|BOX)[-:]/i, '');
        putTile({ ...tile, serial, serialSource: 'scan' });
        return { kind: 'serial' as const, message: `Serial ${serial} attached to ${tile.label}.` };
      }
      const needle = code.toLowerCase();
      let order = orders.find((o) => o.state === 'waiting' && (o.orderId.toLowerCase() === needle || o.user.toLowerCase() === needle));
      if (!order && code.includes('@')) {
        order = { orderId: `ORD-S${Date.now()}`, user: code, state: 'waiting', source: 'scan', delivery: settings.delivery, createdAt: new Date().toISOString() };
        orders = [...orders, order];
      }
      if (!order) throw new StationRequestError('not-found', `No waiting order matches "${code}". Check the barcode, or import the order first.`);
      return { kind: 'order' as const, message: assign(order) };
    },
    'orders.list': async ({ query, state, offset, limit }) => {
      const q = query?.toLowerCase();
      const matching = orders.filter((o) => (!state || o.state === state) && (!q || o.orderId.toLowerCase().includes(q) || o.user.toLowerCase().includes(q) || (o.displayName ?? '').toLowerCase().includes(q)));
      return { total: matching.length, items: copy(matching.slice(offset, offset + limit)) };
    },
    'orders.import': async ({ fileName, text }) => {
      const parsed = parseImport(fileName, text, importCount + 1);
      importCount += parsed.orders.length;
      orders = [...orders, ...parsed.orders];
      if (parsed.orders.length > 0) ordersChanged();
      return { added: parsed.orders.length, errors: parsed.errors };
    },
    'orders.pull': async () => {
      const pulled = makeOrders(3).map((o, i) => ({ ...o, orderId: `ORD-OKTA-${orders.length + i + 1}`, source: 'okta' as const, user: `okta${orders.length + i + 1}@example.com` }));
      orders = [...orders, ...pulled];
      ordersChanged();
      return { added: pulled.length, message: `Pulled ${pulled.length} pending orders from Okta.` };
    },
    'orders.cancel': async ({ orderId }) => {
      const order = orders.find((o) => o.orderId === orderId);
      if (!order) throw new StationRequestError('not-found', `There is no order ${orderId}.`);
      if (order.state !== 'waiting') throw new StationRequestError('conflict', `Order ${orderId} is already ${order.state}.`);
      order.state = 'cancelled';
      ordersChanged();
      return { message: `Order ${orderId} cancelled.` };
    },
    'jobs.retry': async ({ port }) => {
      const tile = tileAt(port);
      if (tile.state !== 'failed') throw new StationRequestError('conflict', `${tile.label} has nothing to retry.`);
      putTile({ ...tile, ...JOB_STEPS[0]!, step: 'Retrying: enrolling with Okta', failure: undefined, startedAt: new Date().toISOString() });
      return { message: `Retrying ${tile.label}.` };
    },
    'jobs.skip': async ({ port }) => {
      const tile = tileAt(port);
      putTile({ ...tile, state: 'waiting-order', step: 'Ready for an order', progress: 0, order: undefined, failure: undefined, startedAt: undefined, touch: 'none' });
      return { message: `Skipped the job on ${tile.label}; its order is back in the queue.` };
    },
    'jobs.quarantine': async ({ port }) => {
      const tile = tileAt(port);
      putTile({ ...tile, state: 'quarantined', touch: 'none', failure: undefined });
      status.failedToday++;
      pushStatus();
      return { message: `${tile.label} is quarantined. Set the key aside.` };
    },
    'jobs.cancelStep': async ({ port }) => {
      const tile = tileAt(port);
      if (!tile.order || ['done', 'failed', 'quarantined'].includes(tile.state)) throw new StationRequestError('conflict', `${tile.label} has no step running to cancel.`);
      putTile({
        ...tile,
        state: 'failed',
        touch: 'none',
        failure: { code: 'cancelled', message: 'The step was cancelled at the bench.', action: 'Retry to run it again, or Skip to free the key.', retryable: true },
      });
      return { message: `Cancelled the next step on ${tile.label}.` };
    },
    'keys.reset': async ({ port }) => {
      const tile = tileAt(port);
      putTile({ ...tile, state: 'checking', step: 'Resetting: touch the key when it blinks', progress: 0.05 });
      return { message: `Resetting ${tile.label}.` };
    },
    'keys.wink': async ({ port }) => ({ message: `${tileAt(port).label} is blinking.` }),
    'jobs.dismiss': async ({ port }) => {
      const tile = tileAt(port);
      if (tile.failure?.code !== 'key-removed') throw new StationRequestError('conflict', `${tile.label} still has a key in it; only a pulled key's tile can be dismissed.`);
      tiles = tiles.filter((t) => t.port !== port);
      emit({ type: 'tile-removed', port });
      return { message: `${tile.label} is cleared.` };
    },
    'batch.enrollAhead': async () => ({ message: 'No waiting orders to enroll ahead.', enrolled: 0, failed: 0 }),
    'batch.sync': async () => ({ message: 'Nothing waiting to sync.' }),
    'history.list': async ({ query, offset, limit }) => {
      const q = query?.toLowerCase();
      const matching = history.filter((h) => !q || [h.user, h.orderId, h.port, h.serial ?? ''].some((v) => v.toLowerCase().includes(q)));
      return { total: matching.length, items: copy(matching.slice(offset, offset + limit)) };
    },
    'history.chart': async () => ({
      perHour: Array.from({ length: 24 }, (_, h) => (h >= 8 && h <= 17 ? 3 + ((h * 7) % 9) : 0)),
      failuresByCause: [
        { cause: 'PIN already set', count: 4 },
        { cause: 'Okta rate limit', count: 2 },
        { cause: 'Attestation rejected', count: 1 },
      ],
    }),
    'history.export': async ({ format }) =>
      format === 'json'
        ? { fileName: 'keybench-history.json', mimeType: 'application/json', content: JSON.stringify(history, null, 2) }
        : { fileName: 'keybench-history.csv', mimeType: 'text/csv', content: ['jobId,orderId,user,outcome', ...history.map((h) => `${h.jobId},${h.orderId},${h.user},${h.outcome}`)].join('\n') },
    'history.record': async ({ jobId }) => copy(recordOf(jobAt(jobId), deliveries.get(jobId) ?? [], status.operator)),
    'pins.held': async ({ query, offset, limit }) => {
      const matching = heldPins(query);
      return { total: matching.length, items: matching.slice(offset, offset + limit) };
    },
    'pins.confirmDelivery': async ({ jobIds }) => {
      const failed = jobIds.flatMap((jobId) => {
        const message = sendHeld(jobAt(jobId));
        return message ? [{ jobId, message }] : [];
      });
      const sent = jobIds.length - failed.length;
      return { sent, failed, message: `Okta is sending ${sent} PIN${sent === 1 ? '' : 's'}.` };
    },
    'pins.confirmDeliveryFile': async ({ text }) => {
      const errors: { line: number; message: string }[] = [];
      let sent = 0;
      text.split(/\r?\n/).forEach((raw, i) => {
        const code = (raw.split(',')[0] ?? '').trim();
        if (code === '' || (i === 0 && /order|login|serial/i.test(code))) return;
        const entry = history.find((h) => h.pin === 'held' && [h.orderId, h.user, h.serial].includes(code));
        if (!entry) errors.push({ line: i + 1, message: `"${code.slice(0, 60)}" matches no held PIN.` });
        else if (!sendHeld(entry)) sent++;
      });
      return { sent, failed: [], errors, message: `Okta is sending ${sent} PIN${sent === 1 ? '' : 's'}.` };
    },
    'pins.resend': async ({ jobId }) => {
      const entry = jobAt(jobId);
      if (entry.pin !== 'sent' && entry.pin !== 'failed') throw new StationRequestError('conflict', `The PIN of ${entry.user} cannot be sent again (it is ${entry.pin}).`);
      entry.pin = 'sent';
      deliveries.set(jobId, [...(deliveries.get(jobId) ?? []), { method: 'email', outcome: 'sent', at: new Date().toISOString(), operator: status.operator, oktaRequestId: `req-${jobId}-again` }]);
      return { message: `Okta is sending the PIN to ${entry.user} again.` };
    },
    'labels.print': async ({ jobId, output }) => {
      const entry = jobAt(jobId);
      if (output === 'pdf') return { message: 'Label ready.', pdf: { fileName: `label-${entry.orderId}.pdf`, base64url: TINY_PDF_BASE64URL } };
      return { message: `Label for ${entry.orderId} sent to ${settings.printer || 'the default printer'}.` };
    },
    'printers.list': async () => ({
      printers: [
        { name: 'Brother_QL_820NWB', isDefault: true, description: 'Label printer', state: 'idle' as const },
        { name: 'HP_LaserJet_M404', isDefault: false, description: 'Office laser', state: 'stopped' as const },
      ],
    }),
    'printers.sample': async () => {
      if (!settings.printer) throw new StationRequestError('conflict', 'No printer is chosen. Choose the printer for PIN mailers in Settings and save, then print the sample.');
      return { message: `Sample mailer sent to ${settings.printer}: hold it behind a window envelope; the address must sit inside the dashed outline.` };
    },
    'preflight.run': async ({ users }) => ({
      ok: (users ?? []).every((u) => u.endsWith('@example.com')),
      ranAt: new Date().toISOString(),
      checks: [
        { id: 'token', status: 'pass' as const, detail: 'The API token is valid and belongs to a super admin.' },
        { id: 'scopes', status: 'pass' as const, detail: 'The token may call the WebAuthn preregistration API.' },
        { id: 'preregistration', status: 'pass' as const, detail: 'WebAuthn preregistration is enabled in this org.' },
        { id: 'clock', status: 'warn' as const, detail: "This computer's clock is 40 s ahead of Okta's.", fix: 'Turn on network time (timedatectl set-ntp true).' },
        ...(users ?? []).map((user) =>
          user.endsWith('@example.com')
            ? { id: 'user', subject: user, status: 'pass' as const, detail: 'The user exists and is active.' }
            : { id: 'user', subject: user, status: 'fail' as const, detail: 'No such user in the org.', fix: 'Check the login, or create the user in Okta first.' },
        ),
      ],
    }),
    'trust.status': async () => copy(trust),
    'trust.importMds': async ({ text }) => {
      if (text.split('.').length !== 3) throw new StationRequestError('conflict', 'This file is not an MDS blob (a signed JWT). Download blob.jwt from mds3.fidoalliance.org and import that file.');
      trust.mds = { present: true, serial: (trust.mds.serial ?? 0) + 1, nextUpdate: new Date(Date.now() + 30 * 86_400_000).toISOString(), stale: false, entries: 1_301 };
      return copy(trust);
    },
    'trust.update': async ({ policy, aaguidAllowList }) => {
      if (policy) trust.policy = policy;
      if (aaguidAllowList) trust.aaguidAllowList = aaguidAllowList.map((a) => a.toLowerCase());
      return copy(trust);
    },
    'audit.verify': async () => ({ ok: true, entries: history.length * 8, seals: [{ batchId: 'batch-1', headSeq: history.length * 8 - 12, valid: true }], unsealedTail: 12 }),
    'audit.export': async ({ format }) =>
      format === 'jsonl'
        ? { fileName: 'keybench-audit.jsonl', mimeType: 'application/x-ndjson', encoding: 'utf8' as const, content: history.map((h, i) => JSON.stringify({ seq: i + 1, jobId: h.jobId, outcome: h.outcome })).join('\n') }
        : { fileName: 'keybench-audit.pdf', mimeType: 'application/pdf', encoding: 'base64url' as const, content: TINY_PDF_BASE64URL },
    'settings.get': async () => copy(settings),
    'settings.update': async (changes) => {
      Object.assign(settings, Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)));
      if (changes.operator !== undefined) {
        status.operator = changes.operator || undefined;
        pushStatus();
      }
      return copy(settings);
    },
    'settings.setCredentials': async (credentials) => {
      // The fake keeps no secret: it notes only that one was given.
      settings.org = { url: credentials.orgUrl, simulated: false, rpIds: [new URL(credentials.orgUrl).hostname] };
      settings.credentials = { kind: credentials.kind, configured: true, persisted: true };
      status.org = { url: credentials.orgUrl, simulated: false };
      pushStatus();
      return copy(settings);
    },
    'settings.useSimulator': async () => {
      settings.org = { url: SIM_URL, simulated: true, rpIds: ['example.okta.com'] };
      settings.credentials = { kind: 'none', configured: false, persisted: false };
      status.org = { url: SIM_URL, name: 'Simulated org', simulated: true };
      pushStatus();
      return copy(settings);
    },
    'stationKeys.list': async () => stationKeys(rotations),
    'stationKeys.rotate': async () => stationKeys(++rotations),
  };

  const backend = { handlers, onEvent: () => () => undefined };

  async function call<C extends Channel>(channel: C, args: ChannelArgs<C>): Promise<Result<ChannelResult<C>>> {
    calls.push({ channel, args: redact(copy(args)) });
    const result = await dispatch(backend, channel, copy(args), (name, error) => console.error(`fake station: ${name} threw`, error));
    if (!result.ok && (result.error.code === 'bad-request' || result.error.code === 'unknown-channel')) {
      console.error(`fake station: the renderer sent a malformed ${channel} request: ${result.error.message}`);
    }
    return copy(result) as Result<ChannelResult<C>>;
  }

  if (options.animate) timers.add(setInterval(() => animate(), 2500));

  function animate() {
    for (const tile of tiles) {
      if (tile.state === 'checking') {
        putTile({ ...tile, state: 'waiting-order', step: 'Ready for an order', progress: 0, model: tile.model ?? 'YubiKey 5C' });
        continue;
      }
      if (tile.state === 'touch' && tile.touch === 'now') {
        emit({ type: 'sound', sound: 'success' });
        putTile({ ...tile, ...JOB_STEPS[3]!, touch: 'none' });
        continue;
      }
      const at = JOB_STEPS.findIndex((s) => s.state === tile.state);
      if (at < 0 || tile.state === 'done' || tile.state === 'touch') continue;
      const next = JOB_STEPS[at + 1]!;
      if (next.state === 'touch') {
        const someoneTouching = tiles.some((t) => t.touch === 'now');
        if (!someoneTouching) emit({ type: 'sound', sound: 'touch' });
        putTile({ ...tile, ...next, touch: someoneTouching ? 'waiting' : 'now' });
      } else {
        putTile({ ...tile, ...next });
        if (next.state === 'done') {
          status.doneToday++;
          emit({ type: 'sound', sound: 'success' });
          pushStatus();
        }
      }
    }
    // A waiting touch moves up once nobody is being asked.
    if (!tiles.some((t) => t.touch === 'now')) {
      const waiting = tiles.find((t) => t.touch === 'waiting');
      if (waiting) putTile({ ...waiting, touch: 'now' });
    }
  }

  return {
    calls,
    call,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit,
    setTile: putTile,
    removeTile(port) {
      tiles = tiles.filter((t) => t.port !== port);
      emit({ type: 'tile-removed', port });
    },
    stop() {
      timers.forEach((timer) => clearInterval(timer));
      timers.clear();
    },
  };
}

function stationKeys(generation: number): ChannelResult<'stationKeys.list'> {
  const created = new Date(Date.UTC(2026, 0, 1 + generation)).toISOString();
  const keys = [
    { kid: `station-enc-${generation + 1}`, use: 'enc' as const, createdAt: created, current: true },
    { kid: `station-sig-${generation + 1}`, use: 'sig' as const, createdAt: created, current: true },
  ];
  const jwks = { keys: keys.map((k) => ({ kty: 'EC', crv: 'P-256', kid: k.kid, use: k.use, x: `x${k.kid}`, y: `y${k.kid}` })) };
  return { keys, jwks: JSON.stringify(jwks, null, 2) };
}
