// The bridge tests' backend: the shared fake with a fixed snapshot scripted by default.
import type { Snapshot, StationHandlers } from '../../../electron/contract/index.js';
import { fakeBackend as scriptedBackend, type FakeBackend } from '../helpers/fake-backend.js';

export type { FakeBackend };

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

export function fakeBackend(overrides: Partial<StationHandlers> = {}): FakeBackend {
  return scriptedBackend({ 'station.snapshot': async () => SNAPSHOT, ...overrides });
}
