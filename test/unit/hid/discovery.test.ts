import { afterEach, describe, expect, it, vi } from 'vitest';
import { KeyDiscovery } from '../../../electron/core/hid/discovery.js';
import type { HidBackend, HidDescriptor, HidDevice, HidKind } from '../../../electron/core/hid/device.js';

class FakeBackend implements HidBackend {
  devices: HidDescriptor[] = [];
  failure: Error | undefined;
  calls = 0;
  active = 0;
  maxActive = 0;
  private gate: Promise<void> | undefined;
  private release: (() => void) | undefined;

  constructor(readonly kind: HidKind = 'usb') {}

  /** Makes enumerations wait until `letGo()`. */
  hold(): void {
    this.gate = new Promise((resolve) => (this.release = resolve));
  }

  letGo(): void {
    this.release?.();
    this.gate = undefined;
  }

  async enumerate(): Promise<HidDescriptor[]> {
    this.calls++;
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      await this.gate;
      if (this.failure) throw this.failure;
      return [...this.devices];
    } finally {
      this.active--;
    }
  }

  open(): Promise<HidDevice> {
    throw new Error('not used');
  }
}

function key(path: string, extra: Partial<HidDescriptor> = {}): HidDescriptor {
  return { path, kind: 'usb', vendorId: 0x1050, productId: 0x0407, ...extra };
}

function record(discovery: KeyDiscovery) {
  const events: string[] = [];
  discovery.on('added', (d) => events.push(`+${d.path}`));
  discovery.on('removed', (d) => events.push(`-${d.path}`));
  discovery.on('error', (kind, message) => events.push(`!${kind}:${message}`));
  return events;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('KeyDiscovery', () => {
  it('reports keys as they are plugged in and unplugged', async () => {
    const backend = new FakeBackend();
    const discovery = new KeyDiscovery([backend]);
    const events = record(discovery);

    backend.devices = [key('1-1.1')];
    await discovery.rescan();
    backend.devices = [key('1-1.1'), key('1-1.2')];
    await discovery.rescan();
    await discovery.rescan();
    backend.devices = [key('1-1.2')];
    await discovery.rescan();

    expect(events).toEqual(['+1-1.1', '+1-1.2', '-1-1.1']);
    expect(discovery.current().map((d) => d.path)).toEqual(['1-1.2']);
  });

  it('keeps two identical keys with empty serials apart by port', async () => {
    const backend = new FakeBackend();
    const discovery = new KeyDiscovery([backend]);
    const events = record(discovery);
    backend.devices = [key('1-1.1', { serialNumber: undefined }), key('1-1.2', { serialNumber: undefined })];
    await discovery.rescan();
    backend.devices = [key('1-1.2', { serialNumber: undefined })];
    await discovery.rescan();
    expect(events).toEqual(['+1-1.1', '+1-1.2', '-1-1.1']);
  });

  it('treats a key replugged into another port as a new key', async () => {
    const backend = new FakeBackend();
    const discovery = new KeyDiscovery([backend]);
    const events = record(discovery);
    backend.devices = [key('1-1.1', { serialNumber: 'A1' })];
    await discovery.rescan();
    backend.devices = [key('1-1.3', { serialNumber: 'A1' })];
    await discovery.rescan();
    expect(events).toEqual(['+1-1.1', '-1-1.1', '+1-1.3']);
  });

  it('sees a different key swapped into the same port between two polls', async () => {
    const backend = new FakeBackend();
    const discovery = new KeyDiscovery([backend]);
    const events = record(discovery);
    backend.devices = [key('/dev/hidraw3', { productId: 0x0407 })];
    await discovery.rescan();
    backend.devices = [key('/dev/hidraw3', { productId: 0x0120 })];
    await discovery.rescan();
    expect(events).toEqual(['+/dev/hidraw3', '-/dev/hidraw3', '+/dev/hidraw3']);
    expect(discovery.current()[0]!.productId).toBe(0x0120);
  });

  it('keeps the same path on different backends apart', async () => {
    const usb = new FakeBackend('usb');
    const virtual = new FakeBackend('virtual');
    usb.devices = [key('x')];
    virtual.devices = [{ ...key('x'), kind: 'virtual' }];
    const discovery = new KeyDiscovery([usb, virtual]);
    await discovery.rescan();
    expect(discovery.current().map((d) => d.kind)).toEqual(['usb', 'virtual']);
  });

  it('reports an enumeration failure once, keeps the listed keys, and reports a later failure again', async () => {
    const usb = new FakeBackend('usb');
    const virtual = new FakeBackend('virtual');
    const discovery = new KeyDiscovery([usb, virtual]);
    const events = record(discovery);
    usb.devices = [key('1-1.1')];
    await discovery.rescan();

    usb.failure = new Error('hidapi enumeration failed');
    virtual.devices = [{ ...key('virtual:0'), kind: 'virtual' }];
    await discovery.rescan();
    await discovery.rescan();
    await discovery.rescan();
    expect(discovery.current().map((d) => d.path)).toEqual(['1-1.1', 'virtual:0']);

    usb.failure = undefined;
    await discovery.rescan();
    usb.failure = new Error('hidapi enumeration failed');
    await discovery.rescan();

    expect(events).toEqual(['+1-1.1', '!usb:hidapi enumeration failed', '+virtual:0', '!usb:hidapi enumeration failed']);
  });

  it('skips interval ticks while a slow enumeration is still running', async () => {
    vi.useFakeTimers();
    const backend = new FakeBackend();
    const discovery = new KeyDiscovery([backend]);
    backend.hold();
    discovery.start(750);
    await vi.advanceTimersByTimeAsync(750 * 4);
    expect(backend.calls).toBe(1);
    backend.letGo();
    await vi.advanceTimersByTimeAsync(0);
    // The skipped ticks left nothing queued behind.
    expect(backend.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(750);
    expect(backend.calls).toBe(2);
    expect(backend.maxActive).toBe(1);
    discovery.stop();
  });

  it('queues one rescan behind a running poll instead of running beside it', async () => {
    const backend = new FakeBackend();
    const discovery = new KeyDiscovery([backend]);
    const events = record(discovery);
    backend.hold();
    const first = discovery.rescan();
    const second = discovery.rescan();
    const third = discovery.rescan();
    expect(backend.calls).toBe(1);

    backend.devices = [key('1-1.1')];
    backend.letGo();
    await Promise.all([first, second, third]);
    expect(backend.calls).toBe(2);
    expect(backend.maxActive).toBe(1);
    expect(events).toEqual(['+1-1.1']);
  });

  it('polls on its interval until stopped', async () => {
    vi.useFakeTimers();
    const backend = new FakeBackend();
    const discovery = new KeyDiscovery([backend]);
    const events = record(discovery);
    discovery.start(750);
    await vi.advanceTimersByTimeAsync(0);
    expect(backend.calls).toBe(1);

    backend.devices = [key('1-1.1')];
    await vi.advanceTimersByTimeAsync(750);
    expect(events).toEqual(['+1-1.1']);
    expect(backend.calls).toBe(2);

    discovery.stop();
    backend.devices = [];
    await vi.advanceTimersByTimeAsync(750 * 5);
    expect(backend.calls).toBe(2);
    expect(events).toEqual(['+1-1.1']);
  });

  it('stops calling a listener once it unsubscribes', async () => {
    const backend = new FakeBackend();
    const discovery = new KeyDiscovery([backend]);
    const seen: string[] = [];
    const unsubscribe = discovery.on('added', (d) => seen.push(d.path));
    backend.devices = [key('a')];
    await discovery.rescan();
    unsubscribe();
    backend.devices = [key('a'), key('b')];
    await discovery.rescan();
    expect(seen).toEqual(['a']);
  });
});
