import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dispatch, type KeyTile } from '../../../electron/contract/index.js';
import { createStationBackend, type StationService } from '../../../electron/core/station/service.js';
import { parseVirtualKeyFlags } from '../../../electron/core/virtual-key/options.js';

let dir: string | undefined;
let station: StationService | undefined;

async function open(options: { virtualKeys: number; knobs?: string[] }): Promise<StationService> {
  dir = await mkdtemp(join(tmpdir(), 'keybench-service-bench-'));
  const parsed = parseVirtualKeyFlags(options.knobs ?? []);
  if (!parsed.ok) throw new Error(parsed.error.message);
  station = await createStationBackend({ dataDir: dir, realKeys: false, virtualKeys: options.virtualKeys, virtualKnobs: parsed.overrides, probeIntervalMs: 60_000 });
  return station;
}

afterEach(async () => {
  await station?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  station = undefined;
  dir = undefined;
});

async function call(channel: string, args: unknown = {}) {
  return dispatch(station!.backend, channel, args, (_c, e) => {
    throw e;
  });
}

async function tilesNow(): Promise<KeyTile[]> {
  const result = await call('station.snapshot');
  if (!result.ok) throw new Error(result.error.message);
  return (result.data as { tiles: KeyTile[] }).tiles;
}

async function until(predicate: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('station service at the bench', () => {
  it('keeps the tile of a key pulled mid-job until Dismiss, and refuses to dismiss a key still plugged in', async () => {
    await open({ virtualKeys: 2, knobs: ['--unplug-during', 'makeCredential'] });
    await until(async () => (await tilesNow()).filter((t) => t.state === 'waiting-order').length === 2, 'two ready keys');
    expect(await call('orders.scan', { code: 'alice@example.com' })).toMatchObject({ ok: true });
    await until(async () => (await tilesNow()).some((t) => t.failure?.message === 'The key was removed in the middle of provisioning.'), 'the pulled-key tile');
    const pulled = (await tilesNow()).find((t) => t.state === 'failed')!;
    expect(pulled.order?.user).toBe('alice@example.com');
    const other = (await tilesNow()).find((t) => t.port !== pulled.port)!;
    expect(await call('jobs.dismiss', { port: other.port })).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect(await call('jobs.dismiss', { port: pulled.port })).toMatchObject({ ok: true });
    expect((await tilesNow()).map((t) => t.port)).toEqual([other.port]);
  });

  it('enrolls waiting orders ahead and counts them in the sync status', async () => {
    await open({ virtualKeys: 0 });
    for (const code of ['bob@example.com', 'carol@example.com']) expect(await call('orders.scan', { code })).toMatchObject({ ok: true });
    const result = await call('batch.enrollAhead', {});
    expect(result).toMatchObject({ ok: true, data: { enrolled: 2, failed: 0 } });
    const snapshot = await call('station.snapshot');
    expect(snapshot).toMatchObject({ ok: true, data: { status: { sync: { enrolledAhead: 2, pendingActivations: 0 } } } });
    expect(await call('batch.enrollAhead', {})).toMatchObject({ ok: true, data: { enrolled: 0, message: 'No waiting orders to enroll ahead.' } });
  });
});
