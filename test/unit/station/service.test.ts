import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dispatch, type StationEvent } from '../../../electron/contract/index.js';
import { createStationBackend, type StationService } from '../../../electron/core/station/service.js';

let dir: string;
let station: StationService;
let events: StationEvent[];

async function call(channel: string, args: unknown = {}) {
  return dispatch(station.backend, channel, args, (_c, e) => {
    throw e;
  });
}

async function until(predicate: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const tilesNow = async () => ((await call('station.snapshot')) as { ok: true; data: { tiles: Array<{ port: string; state: string; label: string; order?: { user: string } }> } }).data.tiles;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keybench-service-'));
  station = await createStationBackend({ dataDir: dir, realKeys: false, virtualKeys: 2, probeIntervalMs: 60_000 });
  events = [];
  station.backend.onEvent((e) => events.push(e));
});

afterEach(async () => {
  await station.close();
  await rm(dir, { recursive: true, force: true });
});

describe('station service on the embedded simulator', () => {
  it('shows two ready virtual keys on a simulated org', async () => {
    await until(async () => (await tilesNow()).filter((t) => t.state === 'waiting-order').length === 2, 'two ready tiles');
    const snapshot = (await call('station.snapshot')) as { ok: true; data: { status: { org: { simulated: boolean; url: string } }; tiles: unknown[] } };
    expect(snapshot.data.status.org.simulated).toBe(true);
    expect(snapshot.data.status.org.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await tilesNow()).map((t) => [t.label, t.state])).toEqual([
      ['Key 1', 'waiting-order'],
      ['Key 2', 'waiting-order'],
    ]);
  });

  it('provisions a key from a scanned login, then reports it in history and exports', async () => {
    await until(async () => (await tilesNow()).filter((t) => t.state === 'waiting-order').length === 2, 'ready tiles');
    expect(await call('orders.scan', { code: 'alice@example.com' })).toMatchObject({ ok: true, data: { kind: 'order' } });
    // The scanner firing twice does not order a second key for alice.
    expect(await call('orders.scan', { code: 'Alice@example.com' })).toMatchObject({ ok: false, error: { code: 'conflict' } });
    await until(() => events.some((e) => e.type === 'tile' && e.tile.state === 'done'), 'a done tile');
    const done = (await tilesNow()).find((t) => t.state === 'done');
    expect(done?.order?.user).toBe('alice@example.com');
    expect(events.some((e) => e.type === 'sound' && e.sound === 'success')).toBe(true);
    expect(events.some((e) => e.type === 'tile' && e.tile.state === 'touch')).toBe(true);
    const status = (await call('station.snapshot')) as { ok: true; data: { status: { doneToday: number } } };
    expect(status.data.status.doneToday).toBe(1);
    const history = (await call('history.list', {})) as { ok: true; data: { total: number; items: Array<{ user: string; outcome: string }> } };
    expect(history.data.items[0]).toMatchObject({ user: 'alice@example.com', outcome: 'done' });
    // Scanning the finished order again must not enroll alice a second time.
    const orderId = (history.data.items[0] as unknown as { orderId: string }).orderId;
    expect(await call('orders.scan', { code: orderId })).toMatchObject({ ok: false, error: { code: 'conflict' } });
    const csv = (await call('history.export', { format: 'csv' })) as { ok: true; data: { content: string } };
    expect(csv.data.content).toContain('alice@example.com');
    const chart = (await call('history.chart')) as { ok: true; data: { perHour: number[] } };
    expect(chart.data.perHour.reduce((a, b) => a + b, 0)).toBe(1);
    // Nothing the renderer received carries the simulator's token or a PIN-like secret field.
    expect(JSON.stringify(events)).not.toMatch(/"pin"|SSWS|apiToken/);
  });

  it('imports orders and reports bad rows by line', async () => {
    const result = await call('orders.import', { fileName: 'orders.csv', text: 'user,delivery\nbob@example.com,email\n,email\ncarol@example.com,pigeon\n' });
    expect(result).toMatchObject({ ok: true, data: { added: 1 } });
    const errors = (result as { ok: true; data: { errors: Array<{ line: number }> } }).data.errors.map((e) => e.line);
    expect(errors).toEqual([3, 4]);
  });

  it('keeps settings and credentials write-only, and refuses a bad org URL', async () => {
    expect(await call('settings.setCredentials', { kind: 'ssws', orgUrl: 'http://example.okta.com', token: 'abcdefghijklmnop' })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    const updated = (await call('settings.update', { delivery: 'hold', operator: 'Sam' })) as { ok: true; data: Record<string, unknown> };
    expect(updated.data).toMatchObject({ delivery: 'hold', operator: 'Sam', credentials: { configured: true } });
    expect(JSON.stringify(updated.data)).not.toContain('abcdefghijklmnop');
    expect(JSON.parse(await readFile(join(dir, 'settings.json'), 'utf8'))).toMatchObject({ delivery: 'hold', operator: 'Sam' });
  });

  it('lists and rotates the station keys with public halves only', async () => {
    const before = (await call('stationKeys.list')) as { ok: true; data: { keys: Array<{ kid: string; current: boolean }>; jwks: string } };
    expect(before.data.keys.filter((k) => k.current)).toHaveLength(2);
    expect(before.data.jwks).not.toContain('"d"');
    const after = (await call('stationKeys.rotate')) as { ok: true; data: { keys: unknown[] } };
    expect(after.data.keys).toHaveLength(4);
  });

  it('quarantines a key and says so on its tile', async () => {
    await until(async () => (await tilesNow()).some((t) => t.state === 'waiting-order'), 'a ready tile');
    const [tile] = await tilesNow();
    expect(await call('jobs.quarantine', { port: tile!.port })).toMatchObject({ ok: true });
    expect((await tilesNow()).find((t) => t.port === tile!.port)?.state).toBe('quarantined');
    expect(await call('jobs.quarantine', { port: 'nowhere' })).toMatchObject({ ok: false, error: { code: 'not-found' } });
  });
});

describe('station service: delivery settings, held PINs and the audit trail', () => {
  it('holds the PIN of a scanned order when the station delivers by hold, records it, and sends it once confirmed', async () => {
    expect(await call('settings.update', { delivery: 'hold', pin: { minLength: 8, forceChangePin: true }, operator: 'tess' })).toMatchObject({ ok: true });
    await until(async () => (await tilesNow()).filter((t) => t.state === 'waiting-order').length === 2, 'ready tiles');
    expect(await call('orders.scan', { code: 'alice@example.com' })).toMatchObject({ ok: true });
    // The tile says when the key was done, so the technician reads "Done 2 min ago".
    await until(() => events.some((e) => e.type === 'tile' && e.tile.state === 'done' && e.tile.finishedAt !== undefined), 'a done tile with its time');

    const held = (await call('pins.held', {})) as { ok: true; data: { total: number; items: { jobId: string; user: string }[] } };
    expect(held.data.items.map((h) => h.user)).toEqual(['alice@example.com']);
    const jobId = held.data.items[0]!.jobId;
    const record = (await call('history.record', { jobId })) as { ok: true; data: { can: { confirmDelivery: boolean; resendPin: boolean }; entry: { pin: string }; attestation?: { trusted: boolean } } };
    expect(record.data.can).toMatchObject({ confirmDelivery: true, resendPin: false });
    expect(record.data.entry.pin).toBe('held');
    expect(record.data.attestation?.trusted).toBe(true);
    expect(await call('pins.resend', { jobId })).toMatchObject({ ok: false, error: { code: 'conflict' } });

    expect(await call('pins.confirmDelivery', { jobIds: [jobId] })).toMatchObject({ ok: true, data: { sent: 1, failed: [] } });
    const after = (await call('history.record', { jobId })) as { ok: true; data: { entry: { pin: string }; deliveries: { outcome: string; operator?: string; oktaRequestId?: string }[] } };
    expect(after.data.entry.pin).toBe('sent');
    expect(after.data.deliveries.at(-1)).toMatchObject({ outcome: 'sent', operator: 'tess' });

    const audit = (await call('audit.verify', {})) as { ok: true; data: { ok: boolean; entries: number } };
    expect(audit.data.ok).toBe(true);
    const exported = (await call('audit.export', { format: 'jsonl' })) as { ok: true; data: { content: string } };
    const types = exported.data.content.split('\n').slice(1).filter(Boolean).map((line) => (JSON.parse(line) as { type: string; data: Record<string, unknown> }));
    expect(types.map((t) => t.type)).toEqual(expect.arrayContaining(['station-started', 'settings-changed', 'operator-signed-in', 'order-taken', 'pin-held', 'delivery-confirmed', 'batch-sealed']));
    expect(types.find((t) => t.type === 'settings-changed')?.data).toMatchObject({ delivery: 'hold', pinPolicy: { minLength: 8, forceChangePin: true } });
  });
});
