// The key farm: a child process that plugs, touches and unplugs virtual keys for the bench and carries
// their HID reports over IPC. Started by KeyFarm (key-farm.ts) with tsx; exits when the bench disconnects.
import { setTimeout as sleep } from 'node:timers/promises';
import type { HidDevice } from '../../core/hid/device.js';
import { virtualRootCertificate } from '../../core/virtual-key/attestation.js';
import { VirtualKeyBackend } from '../../core/virtual-key/virtual-key.js';
import { startsSetPin } from './ctap-frames.js';
import type { FarmMessage, FarmRequest } from './key-farm-protocol.js';

const READ_SLICE_MS = 1000;

const backend = new VirtualKeyBackend([]);
const surcharge = new Map<string, number>();
const handles = new Map<number, { device: HidDevice; path: string; writes: Promise<void> }>();

function send(message: FarmMessage): void {
  process.send?.(message);
}

function pump(handle: number, device: HidDevice): void {
  void (async () => {
    try {
      for (;;) {
        const report = await device.read(READ_SLICE_MS);
        if (!handles.has(handle)) return;
        if (report) send({ type: 'report', handle, report });
      }
    } catch (error) {
      if (handles.delete(handle)) send({ type: 'gone', handle, message: error instanceof Error ? error.message : String(error) });
    }
  })();
}

function handle(request: FarmRequest): void {
  switch (request.type) {
    case 'plug': {
      const key = backend.add(request.overrides);
      surcharge.set(key.descriptor.path, request.setPinSurchargeMs);
      send({ type: 'done', id: request.id, descriptor: key.descriptor });
      return;
    }
    case 'unplug':
      backend.key(request.path)?.unplug();
      send({ type: 'done', id: request.id });
      return;
    case 'touch':
      backend.key(request.path)?.touch();
      send({ type: 'done', id: request.id });
      return;
    case 'open':
      backend.open(request.path).then(
        (device) => {
          handles.set(request.handle, { device, path: request.path, writes: Promise.resolve() });
          pump(request.handle, device);
          send({ type: 'done', id: request.id });
        },
        (error: unknown) => send({ type: 'done', id: request.id, error: error instanceof Error ? error.message : String(error) }),
      );
      return;
    case 'write': {
      const open = handles.get(request.handle);
      if (!open) return;
      const extra = startsSetPin(request.report) ? (surcharge.get(open.path) ?? 0) : 0;
      // In order, and the whole message held back together: the key drops a message whose frames stall.
      open.writes = open.writes
        .then(async () => {
          if (extra > 0) await sleep(extra);
          await open.device.write(request.report);
        })
        .catch(() => undefined);
      return;
    }
    case 'close': {
      const open = handles.get(request.handle);
      handles.delete(request.handle);
      void open?.device.close();
      return;
    }
  }
}

process.on('message', (message: FarmRequest) => handle(message));
process.on('disconnect', () => process.exit(0));
send({ type: 'ready', rootCertificate: await virtualRootCertificate() });
