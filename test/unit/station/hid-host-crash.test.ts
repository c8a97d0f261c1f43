// The HID host (node-hid's utility process in the desktop app) crashing mid-job, end to end: the engine
// reaches its key through HidHostClient, the host is a real HidHost over virtual keys that outlive it (as
// a real key outlives the process that talked to it), and the crash is the child's exit. Nothing is lost:
// a job whose key work was journaled finishes through Okta; one caught mid-programming ends with its
// factor marked errored, and once the host is back the same key provisions the order again by itself.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { HidBackend, HidDevice } from '../../../electron/core/hid/device.js';
import type { StepName } from '../../../electron/core/station/job-steps.js';
import { VirtualKeyBackend } from '../../../electron/core/virtual-key/virtual-key.js';
import { HidHost } from '../../../electron/hid-host/host.js';
import { HidHostClient, type HidHostProcess } from '../../../electron/main/hid-client.js';
import { ALICE_ID, FAST_KEY, jobsEnded, mailedPin, openBench, pinOpensKey, until } from './harness.js';

/** The virtual keys as the host's node-hid would show real ones: USB devices. */
function asUsbKeys(keys: VirtualKeyBackend): HidBackend {
  return {
    kind: 'usb',
    enumerate: async () => (await keys.enumerate()).map((d) => ({ ...d, kind: 'usb' })),
    open: async (path): Promise<HidDevice> => {
      const device = await keys.open(path);
      return { descriptor: { ...device.descriptor, kind: 'usb' }, write: (r) => device.write(r), read: (ms) => device.read(ms), close: () => device.close() };
    },
  };
}

/** A utility process stand-in that runs a real HidHost and can die like one. */
class HostChild extends EventEmitter implements HidHostProcess {
  readonly host: HidHost;
  dead = false;
  constructor(keys: VirtualKeyBackend) {
    super();
    this.host = new HidHost({ backend: asUsbKeys(keys), post: (message) => !this.dead && this.emit('message', structuredClone(message)) });
  }
  postMessage(message: unknown): void {
    if (!this.dead) void this.host.handle(structuredClone(message));
  }
  kill(): boolean {
    this.crash(0);
    return true;
  }
  crash(code = 134): void {
    if (this.dead) return;
    this.dead = true;
    this.emit('exit', code);
  }
}

function hostedKeys() {
  const keys = new VirtualKeyBackend([FAST_KEY]);
  const children: HostChild[] = [];
  const client = new HidHostClient({
    fork: () => {
      const child = new HostChild(keys);
      children.push(child);
      return child;
    },
    restartDelayMs: { initial: 20, max: 200 },
  });
  return { keys, client, children, crash: () => children.at(-1)!.crash() };
}

async function crashAfter(step: StepName) {
  const hosted = hostedKeys();
  let crashed = false;
  const bench = await openBench({
    backend: hosted.keys,
    engine: {
      backends: [hosted.client],
      afterCommit: (_jobId, committed) => {
        if (committed === step && !crashed) {
          crashed = true;
          hosted.crash();
        }
      },
    },
  });
  return { bench, hosted };
}

describe('a HID host crash mid-job', () => {
  it('finishes a job whose key work was journaled, through Okta alone', async () => {
    const { bench, hosted } = await crashAfter('verified');
    try {
      bench.engine.addOrders([{ user: 'alice@example.com', orderId: 'o-1' }]);
      await bench.engine.start();
      await until(bench.events, jobsEnded(1));
      await bench.engine.idle();
      expect(hosted.children.length).toBeGreaterThanOrEqual(2);
      expect(bench.sim.state.enrollments(ALICE_ID).map((f) => f.status)).toEqual(['ACTIVE']);
      expect(await pinOpensKey(hosted.keys.keys[0]!, await mailedPin(bench.sim, ALICE_ID))).toBe(true);
    } finally {
      await bench.close();
      hosted.client.dispose();
    }
  });

  it('marks the factor of a key caught mid-programming errored, then provisions the order again on the same key', async () => {
    const { bench, hosted } = await crashAfter('pin-sealed');
    try {
      bench.engine.addOrders([{ user: 'alice@example.com', orderId: 'o-1' }]);
      await bench.engine.start();
      // The first job fails as the key's connection dies; nobody pulled the key, so the order goes back in the queue.
      await until(bench.events, jobsEnded(2));
      await bench.engine.idle();
      const [first, second] = bench.journal.jobsOfOrder('o-1');
      expect(bench.journal.job(first!.id)).toMatchObject({ outcome: 'failed', failureCode: 'key-removed' });
      expect(bench.journal.job(second!.id)).toMatchObject({ outcome: 'done', keyPath: first!.keyPath });
      expect(hosted.children.length).toBeGreaterThanOrEqual(2);
      expect(bench.sim.state.enrollments(ALICE_ID).map((f) => f.status).sort()).toEqual(['ACTIVE', 'FULFILLMENT_ERRORED']);
      expect(await pinOpensKey(hosted.keys.keys[0]!, await mailedPin(bench.sim, ALICE_ID))).toBe(true);
    } finally {
      await bench.close();
      hosted.client.dispose();
    }
  });
});
