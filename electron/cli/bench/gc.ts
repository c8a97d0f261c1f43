// A full garbage collection on demand, so memory deltas measure what is kept rather than what is not yet
// collected. Node hides gc() unless started with --expose-gc; V8 lets a running process turn it on.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | undefined;

/** Runs a full GC; returns false when this runtime offers none (the deltas then include garbage). */
export function fullGc(): boolean {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    if (typeof gc === 'function') collect = () => void gc();
  }
  collect?.();
  return collect !== undefined;
}
