// A StationBackend for bridge tests: scripted handlers, unscripted ones fail loudly, and events pushed by hand.
import { CHANNEL_NAMES, type StationBackend, type StationEvent, type StationHandlers } from '../../../electron/contract/index.js';

export interface FakeStation extends StationBackend {
  emit(event: unknown): void;
  readonly listenerCount: number;
}

export function fakeStation(overrides: Partial<StationHandlers> = {}): FakeStation {
  const unscripted = async () => {
    throw new Error('not scripted');
  };
  const handlers = Object.fromEntries(CHANNEL_NAMES.map((channel) => [channel, overrides[channel] ?? unscripted])) as unknown as StationHandlers;
  const listeners = new Set<(event: StationEvent) => void>();
  return {
    handlers,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    // Deliberately untyped: the router must cope with whatever the core emits.
    emit(event: unknown) {
      for (const listener of listeners) listener(event as StationEvent);
    },
    get listenerCount() {
      return listeners.size;
    },
  };
}
