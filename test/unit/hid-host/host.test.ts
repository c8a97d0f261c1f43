import { describe, expect, it, vi } from 'vitest';
import type { HidDescriptor } from '../../../electron/core/hid/device.js';
import { toBase64url } from '../../../electron/core/wire/base64url.js';
import { HidHost, type HostDiscovery } from '../../../electron/hid-host/host.js';
import { parentPortOf } from '../../../electron/hid-host/parent-port.js';
import type { HidHostMessage } from '../../../electron/hid-host/protocol.js';
import { FakeBackend, KEY, report } from './fake-hid.js';

function host(backend: ConstructorParameters<typeof HidHost>[0]['backend'] = new FakeBackend(), discovery?: HostDiscovery) {
  const posted: HidHostMessage[] = [];
  const instance = new HidHost({ backend, post: (message) => posted.push(structuredClone(message)), ...(discovery ? { createDiscovery: () => discovery } : {}) });
  const ask = async (message: unknown) => {
    await instance.handle(message);
    return posted.at(-1);
  };
  return { posted, ask };
}

describe('HID host protocol', () => {
  it('answers enumerate with plain descriptors', async () => {
    const { ask } = host();
    expect(await ask({ id: 1, op: 'enumerate', args: {} })).toEqual({ id: 1, ok: true, data: [KEY] });
  });

  it('opens a key, writes and reads 64-byte reports as base64url, and closes it', async () => {
    const backend = new FakeBackend();
    const { ask } = host(backend);
    const opened = await ask({ id: 1, op: 'open', args: { path: KEY.path } });
    expect(opened).toEqual({ id: 1, ok: true, data: { handle: 1, descriptor: KEY } });
    expect(await ask({ id: 2, op: 'write', args: { handle: 1, report: toBase64url(report(0xab)) } })).toEqual({ id: 2, ok: true, data: null });
    expect(backend.opened[0]!.written).toEqual([report(0xab)]);
    expect(await ask({ id: 3, op: 'read', args: { handle: 1, timeoutMs: 100 } })).toEqual({ id: 3, ok: true, data: { report: toBase64url(report(0xab)) } });
    expect(await ask({ id: 4, op: 'read', args: { handle: 1, timeoutMs: 100 } })).toEqual({ id: 4, ok: true, data: { report: null } });
    expect(await ask({ id: 5, op: 'close', args: { handle: 1 } })).toEqual({ id: 5, ok: true, data: null });
    expect(backend.opened[0]!.closed).toBe(true);
    expect(await ask({ id: 6, op: 'read', args: { handle: 1, timeoutMs: 100 } })).toMatchObject({ id: 6, ok: false, error: { name: 'DeviceGoneError' } });
  });

  it('refuses reports that are not 64 bytes', async () => {
    const { ask } = host();
    await ask({ id: 1, op: 'open', args: { path: KEY.path } });
    expect(await ask({ id: 2, op: 'write', args: { handle: 1, report: toBase64url(new Uint8Array(65)) } })).toMatchObject({ ok: false, error: { name: 'RangeError' } });
  });

  it('passes typed key errors back by name', async () => {
    const backend = new FakeBackend();
    const { ask } = host(backend);
    expect(await ask({ id: 1, op: 'open', args: { path: '/dev/hidraw9' } })).toMatchObject({ ok: false, error: { name: 'DeviceGoneError' } });
    await ask({ id: 2, op: 'open', args: { path: KEY.path } });
    backend.opened[0]!.gone = true;
    expect(await ask({ id: 3, op: 'write', args: { handle: 1, report: toBase64url(report(1)) } })).toMatchObject({ ok: false, error: { name: 'DeviceGoneError' } });
  });

  it('answers every request with the reason when node-hid could not load', async () => {
    const { ask } = host({ unavailable: 'Real keys are unavailable: libusb-1.0-0 missing.' });
    expect(await ask({ id: 1, op: 'enumerate', args: {} })).toEqual({
      id: 1,
      ok: false,
      error: { name: 'DeviceAccessError', message: 'Real keys are unavailable: libusb-1.0-0 missing.' },
    });
  });

  it('answers a malformed request that has an id, and ignores one without', async () => {
    const { ask, posted } = host();
    expect(await ask({ id: 9, op: 'format-disk', args: {} })).toMatchObject({ id: 9, ok: false, error: { name: 'Error' } });
    expect(await ask({ id: 10, op: 'open', args: { path: '' } })).toMatchObject({ id: 10, ok: false });
    expect(await ask({ id: 11, op: 'enumerate', args: {}, extra: { evil: true } })).toMatchObject({ id: 11, ok: true });
    const before = posted.length;
    await ask({ op: 'enumerate' });
    await ask('garbage');
    expect(posted.length).toBe(before);
  });

  it('pushes hotplug events while watched and stops when asked', async () => {
    const listeners = new Map<string, (d: HidDescriptor) => void>();
    const discovery: HostDiscovery = {
      start: vi.fn(),
      stop: vi.fn(),
      on: (event, listener) => {
        listeners.set(event, listener);
        return () => listeners.delete(event);
      },
    };
    const { ask, posted } = host(new FakeBackend(), discovery);
    expect(await ask({ id: 1, op: 'watch', args: { intervalMs: 500 } })).toEqual({ id: 1, ok: true, data: null });
    expect(discovery.start).toHaveBeenCalledWith(500);
    listeners.get('added')!({ ...KEY, extra: 'x' } as HidDescriptor);
    listeners.get('removed')!(KEY);
    expect(posted.slice(1)).toEqual([
      { event: 'added', descriptor: KEY },
      { event: 'removed', descriptor: KEY },
    ]);
    await ask({ id: 2, op: 'watch', args: { intervalMs: 0 } });
    expect(discovery.stop).toHaveBeenCalled();
  });
});

describe('utility process parent port', () => {
  it('is found only where Electron provides one, and unwraps message events', () => {
    expect(parentPortOf({})).toBeUndefined();
    expect(parentPortOf({ parentPort: { on: 1, postMessage: () => {} } })).toBeUndefined();
    const on = vi.fn();
    const postMessage = vi.fn();
    const port = parentPortOf({ parentPort: { on, postMessage } })!;
    const received = vi.fn();
    port.onMessage(received);
    const [eventName, listener] = on.mock.calls[0]!;
    expect(eventName).toBe('message');
    listener({ data: { id: 1 }, ports: [] });
    expect(received).toHaveBeenCalledWith({ id: 1 });
    port.postMessage({ id: 1, ok: true, data: null });
    expect(postMessage).toHaveBeenCalledWith({ id: 1, ok: true, data: null });
  });
});
