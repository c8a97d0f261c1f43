// What a long-running CLI command shows while the engine works: a line of plain words per event a
// technician cares about, or, with --json, every event as one JSON line for scripts. Events carry no
// secrets (station-design.md), so printing them whole is safe.
import type { StationEvent } from '../core/station/engine.js';
import type { Output } from './usage.js';

function seconds(ms: number): string {
  return ms < 90_000 ? `${Math.ceil(ms / 1000)} s` : `${Math.ceil(ms / 60_000)} min`;
}

/** The text line for an event, or undefined for events a person need not read. */
export function describeEvent(event: StationEvent): string | undefined {
  switch (event.type) {
    case 'key-added':
      return `${event.key.path}: key plugged in`;
    case 'key-updated':
      if (event.key.status === 'ready') return `${event.key.path}: ready`;
      if (event.key.status === 'refused' && event.key.error) return `${event.key.path}: cannot be used — ${event.key.error.message}`;
      return undefined;
    case 'key-removed':
      return `${event.keyPath}: key removed`;
    case 'job-started':
      return `${event.keyPath}: order ${event.orderId} started`;
    case 'job-step':
      // A keyless (enroll-ahead) job reports through its batch-item line instead.
      return event.keyPath === '' ? undefined : `${event.keyPath}: ${event.step} (${event.percent}%)`;
    case 'touch-needed':
      return `${event.keyPath}: touch the key now`;
    case 'job-done':
      return `${event.keyPath}: order ${event.orderId} done — remove the key`;
    case 'job-failed':
      return `${event.keyPath || `order ${event.orderId}`}: failed — ${event.error.message}`;
    case 'job-awaiting-activation':
      return `${event.keyPath}: programmed — remove the key; it is activated by \`keybench batch sync\` (enrollment expires ${event.expiresAt})`;
    case 'job-resumed':
      return `job ${event.jobId}: picked up after an interruption (${event.plan})`;
    case 'batch-item': {
      const what = `order ${event.orderId} (${event.user})`;
      const until = event.expiresAt ? `, expires ${event.expiresAt}` : '';
      const why = event.error ? ` — ${event.error.message}` : '';
      return `${what}: ${event.outcome}${until}${why}`;
    }
    case 'batch-progress': {
      if (event.done === 0 && event.remaining === 0) return undefined;
      const total = event.done + event.remaining;
      const eta = event.etaMs !== undefined && event.remaining > 0 ? `, about ${seconds(event.etaMs)} left` : '';
      return `${event.phase === 'enroll' ? 'enrolled ahead' : 'synced'} ${event.done}/${total}${event.failed ? ` (${event.failed} failed)` : ''}${eta}`;
    }
    case 'discovery-error':
      return `warning: ${event.message}`;
    case 'touch-queue':
    case 'orders-changed':
    case 'offline-changed':
      return undefined;
  }
}

export function progressPrinter(io: Output, json: boolean): (event: StationEvent) => void {
  return (event) => {
    if (json) {
      io.out(JSON.stringify(event));
      return;
    }
    const line = describeEvent(event);
    if (line !== undefined) io.out(line);
  };
}
