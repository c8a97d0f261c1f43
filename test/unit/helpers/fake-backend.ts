// A StationBackend for router, bridge and dispatch tests: scripted handlers, unscripted ones fail loudly,
// and events pushed by hand (untyped on purpose: the bridges must cope with whatever the core emits).
import { CHANNEL_NAMES, type StationBackend, type StationEvent, type StationHandlers } from '../../../electron/contract/index.js';

export interface FakeBackend extends StationBackend {
  emit(event: unknown): void;
  readonly listenerCount: number;
}

export function fakeBackend(overrides: Partial<StationHandlers> = {}): FakeBackend {
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
    emit(event: unknown) {
      for (const listener of listeners) listener(event as StationEvent);
    },
    get listenerCount() {
      return listeners.size;
    },
  };
}
