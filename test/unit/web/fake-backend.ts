// A StationBackend for the bridge tests: a fixed snapshot, scripted handlers, every other request fails
// loudly, and events are pushed by hand (untyped on purpose: the bridge must cope with a broken core).
import { CHANNEL_NAMES, type Snapshot, type StationBackend, type StationEvent, type StationHandlers } from '../../../electron/contract/index.js';

export const SNAPSHOT: Snapshot = {
  status: {
    org: { url: 'https://sim.keybench.test', simulated: true },
    online: true,
    ordersWaiting: 2,
    doneToday: 0,
    failedToday: 0,
    sync: { enrolledAhead: 0, pendingActivations: 0 },
  },
  tiles: [{ port: 'virtual:1', label: 'Port 1', kind: 'virtual', state: 'ready', step: 'Ready', progress: 0, touch: 'none' }],
};

export interface FakeBackend extends StationBackend {
  emit(event: unknown): void;
  readonly listenerCount: number;
}

export function fakeBackend(overrides: Partial<StationHandlers> = {}): FakeBackend {
  const unscripted = async () => {
    throw new Error('not scripted');
  };
  const scripted: Partial<StationHandlers> = { 'station.snapshot': async () => SNAPSHOT, ...overrides };
  const handlers = Object.fromEntries(CHANNEL_NAMES.map((channel) => [channel, scripted[channel] ?? unscripted])) as unknown as StationHandlers;
  const listeners = new Set<(event: StationEvent) => void>();
  return {
    handlers,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(event) {
      for (const listener of listeners) listener(event as StationEvent);
    },
    get listenerCount() {
      return listeners.size;
    },
  };
}
