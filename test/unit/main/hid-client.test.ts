import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeviceAccessError, DeviceGoneError, KeyTimeoutError, ProtocolError } from '../../../electron/core/ctap/errors.js';
import { toBase64url } from '../../../electron/core/wire/base64url.js';
import { HidHost } from '../../../electron/hid-host/host.js';
import { HidHostClient, type HidHostProcess } from '../../../electron/main/hid-client.js';
import { FakeBackend, KEY, report } from '../hid-host/fake-hid.js';

interface Sent {
  id: number;
  op: string;
  args: Record<string, unknown>;
}

/** A utility process stand-in: records what main posts, answers by hand, and can crash. */
class FakeChild extends EventEmitter implements HidHostProcess {
  readonly sent: Sent[] = [];
  killed = false;
  postMessage(message: unknown): void {
    this.sent.push(structuredClone(message) as Sent);
  }
  kill(): boolean {
    this.killed = true;
    return true;
  }
  reply(message: unknown): void {
    this.emit('message', structuredClone(message));
  }
  answer(op: string, data: unknown): void {
    const request = this.sent.findLast((m) => m.op === op)!;
    this.reply({ id: request.id, ok: true, data });
  }
  crash(code = 134): void {
    this.emit('exit', code);
  }
}

function setup(options: Partial<ConstructorParameters<typeof HidHostClient>[0]> = {}) {
  const children: FakeChild[] = [];
  const log = { warn: vi.fn() };
  const client = new HidHostClient({
    fork: () => {
      const child = new FakeChild();
      children.push(child);
      return child;
    },
    log,
    ...options,
  });
  const current = () => children.at(-1)!;
  return { client, children, current, log };
}

async function openKey(client: HidHostClient, current: () => FakeChild) {
  const opening = client.open(KEY.path);
  current().answer('open', { handle: 1, descriptor: KEY });
  return opening;
}

describe('HID host client', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('forks the host lazily and correlates answers by id', async () => {
    const { client, children, current } = setup();
    expect(children).toHaveLength(0);
    const first = client.enumerate();
    const second = client.enumerate();
    expect(children).toHaveLength(1);
    const [a, b] = current().sent;
    current().reply({ id: b!.id, ok: true, data: [] });
    current().reply({ id: a!.id, ok: true, data: [KEY] });
    expect(await first).toEqual([KEY]);
    expect(await second).toEqual([]);
  });

  it('revives typed errors from the host', async () => {
    const { client, current } = setup();
    const listing = client.enumerate();
    current().reply({ id: current().sent[0]!.id, ok: false, error: { name: 'DeviceAccessError', message: 'Install libusb-1.0-0.' } });
    await expect(listing).rejects.toThrow(DeviceAccessError);
  });

  it('rejects every pending call with DeviceGoneError when the host crashes', async () => {
    const { client, current } = setup();
    const device = await openKey(client, current);
    const listing = client.enumerate();
    const reading = device.read(1000);
    current().crash();
    await expect(listing).rejects.toThrow(DeviceGoneError);
    await expect(reading).rejects.toThrow(DeviceGoneError);
  });

  it('reports devices opened before a crash as gone, without asking the new host', async () => {
    const { client, current, children } = setup();
    const device = await openKey(client, current);
    current().crash();
    await vi.advanceTimersByTimeAsync(250);
    expect(children).toHaveLength(2);
    await expect(device.write(report(1))).rejects.toThrow(DeviceGoneError);
    await expect(device.read(10)).rejects.toThrow(DeviceGoneError);
    expect(current().sent).toEqual([]);
  });

  it('restarts the host after a backoff of 250 ms doubling up to 5 s', async () => {
    const { client, children } = setup();
    client.start();
    const delays: number[] = [];
    for (let crash = 0; crash < 7; crash++) {
      const before = children.length;
      children.at(-1)!.crash();
      let waited = 0;
      while (children.length === before) {
        await vi.advanceTimersByTimeAsync(50);
        waited += 50;
      }
      delays.push(waited);
    }
    expect(delays).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000]);
  });

  it('refuses calls while a restart is pending instead of queueing them', async () => {
    const { client, current, children } = setup();
    client.start();
    current().crash();
    await expect(client.enumerate()).rejects.toThrow(/restarting/);
    expect(children).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(250);
    const listing = client.enumerate();
    current().answer('enumerate', [KEY]);
    expect(await listing).toEqual([KEY]);
  });

  it('resets the backoff once a host has stayed up', async () => {
    const { client, children } = setup({ stableAfterMs: 10_000 });
    client.start();
    children.at(-1)!.crash();
    await vi.advanceTimersByTimeAsync(250);
    children.at(-1)!.crash();
    await vi.advanceTimersByTimeAsync(500);
    expect(children).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(10_000);
    children.at(-1)!.crash();
    await vi.advanceTimersByTimeAsync(250);
    expect(children).toHaveLength(4);
  });

  it('times out a call the host never answers, and ignores the late answer', async () => {
    const { client, current } = setup({ timeoutMs: { enumerate: 1_000 } });
    const listing = client.enumerate();
    const outcome = expect(listing).rejects.toThrow(KeyTimeoutError);
    await vi.advanceTimersByTimeAsync(1_000);
    await outcome;
    current().answer('enumerate', [KEY]);
  });

  it('gives a read its own timeout plus a grace period', async () => {
    const { client, current } = setup({ readGraceMs: 500 });
    const device = await openKey(client, current);
    const reading = device.read(2_000);
    expect(current().sent.at(-1)).toMatchObject({ op: 'read', args: { handle: 1, timeoutMs: 2_000 } });
    let settled = false;
    const outcome = expect(reading.finally(() => (settled = true))).rejects.toThrow(KeyTimeoutError);
    await vi.advanceTimersByTimeAsync(2_499);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await outcome;
  });

  it('rejects malformed answers and short reports', async () => {
    const { client, current, log } = setup();
    const listing = client.enumerate();
    current().answer('enumerate', [{ path: 42 }]);
    await expect(listing).rejects.toThrow(ProtocolError);
    const device = await openKey(client, current);
    const reading = device.read(10);
    current().answer('read', { report: toBase64url(new Uint8Array(10)) });
    await expect(reading).rejects.toThrow(ProtocolError);
    current().reply('garbage');
    expect(log.warn).toHaveBeenCalledWith(expect.stringContaining('malformed'));
  });

  it('checks report size before sending and stops using a closed device', async () => {
    const { client, current } = setup();
    const device = await openKey(client, current);
    await expect(device.write(new Uint8Array(65))).rejects.toThrow(RangeError);
    const closing = device.close();
    current().answer('close', null);
    await closing;
    await expect(device.read(10)).rejects.toThrow(/closed/);
  });

  it('forwards hotplug, reports present keys removed on a crash, and re-sends the watch to the new host', async () => {
    const { client, current } = setup();
    const changes: [string, string][] = [];
    const unsubscribe = client.onDeviceChange((change, descriptor) => changes.push([change, descriptor.path]), 500);
    expect(current().sent.at(-1)).toMatchObject({ op: 'watch', args: { intervalMs: 500 } });
    current().answer('watch', null);
    current().reply({ event: 'added', descriptor: KEY });
    current().crash();
    expect(changes).toEqual([
      ['added', KEY.path],
      ['removed', KEY.path],
    ]);
    await vi.advanceTimersByTimeAsync(250);
    expect(current().sent).toEqual([expect.objectContaining({ op: 'watch', args: { intervalMs: 500 } })]);
    current().answer('watch', null);
    unsubscribe();
    expect(current().sent.at(-1)).toMatchObject({ op: 'watch', args: { intervalMs: 0 } });
  });

  it('stops for good on dispose: kills the host, fails pending calls, never restarts', async () => {
    const { client, current, children } = setup();
    const listing = client.enumerate();
    const child = current();
    client.dispose();
    await expect(listing).rejects.toThrow(DeviceGoneError);
    expect(child.killed).toBe(true);
    child.crash(0);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(children).toHaveLength(1);
    await expect(client.enumerate()).rejects.toThrow(DeviceGoneError);
  });
});

describe('HID host client and host together', () => {
  it('runs enumerate, open, write, read and close through the real host', async () => {
    const backend = new FakeBackend();
    let host: HidHost | undefined;
    const client = new HidHostClient({
      fork: () => {
        const child = new FakeChild();
        host = new HidHost({ backend, post: (message) => child.reply(message) });
        child.postMessage = (message) => void host!.handle(structuredClone(message));
        return child;
      },
    });
    expect(await client.enumerate()).toEqual([KEY]);
    const device = await client.open(KEY.path);
    expect(device.descriptor).toEqual(KEY);
    await device.write(report(0x86));
    expect(await device.read(100)).toEqual(report(0x86));
    expect(await device.read(100)).toBeUndefined();
    await device.close();
    expect(backend.opened[0]!.closed).toBe(true);
    client.dispose();
  });
});
