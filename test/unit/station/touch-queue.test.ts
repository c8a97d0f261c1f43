// The technician touches one key at a time: turns are first come, first served, exactly one key may ask
// for a touch, and a key that is cancelled or unplugged leaves the line without blocking the others.
import { describe, expect, it } from 'vitest';
import { TouchAbortError, TouchQueue, TouchQueueError, type TouchQueueState, type TouchTurn } from '../../../electron/core/station/touch-queue.js';
import { seededRandom } from '../../../electron/core/sim/random.js';

/** Lets pending promise callbacks and timers run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function recording(queue: TouchQueue): TouchQueueState[] {
  const states: TouchQueueState[] = [];
  queue.onChange((state) => states.push(state));
  return states;
}

/** The turn once granted, or undefined while still waiting. */
function track(promise: Promise<TouchTurn>): { turn?: TouchTurn; error?: unknown } {
  const box: { turn?: TouchTurn; error?: unknown } = {};
  promise.then(
    (turn) => (box.turn = turn),
    (error: unknown) => (box.error = error),
  );
  return box;
}

describe('TouchQueue: turns', () => {
  it('serves keys first come, first served, one at a time', async () => {
    const queue = new TouchQueue();
    const a = track(queue.acquire('key-a'));
    const b = track(queue.acquire('key-b'));
    const c = track(queue.acquire('key-c'));
    await settle();
    expect([a.turn?.keyPath, b.turn, c.turn]).toEqual(['key-a', undefined, undefined]);
    a.turn?.release();
    await settle();
    expect([b.turn?.keyPath, c.turn]).toEqual(['key-b', undefined]);
    b.turn?.release();
    await settle();
    expect(c.turn?.keyPath).toBe('key-c');
    c.turn?.release();
    expect(queue.snapshot()).toEqual({ waiting: [] });
  });

  it('tells listeners who is active and who waits, once per change', async () => {
    const queue = new TouchQueue();
    const states = recording(queue);
    const first = await queue.acquire('key-1');
    const second = queue.acquire('key-2');
    void queue.acquire('key-3');
    first.release();
    (await second).release();
    expect(states).toEqual([
      { active: 'key-1', waiting: [] },
      { active: 'key-1', waiting: ['key-2'] },
      { active: 'key-1', waiting: ['key-2', 'key-3'] },
      { active: 'key-2', waiting: ['key-3'] },
      { active: 'key-3', waiting: [] },
    ]);
  });

  it('release() is idempotent: a second call neither ends the next turn nor skips a waiter', async () => {
    const queue = new TouchQueue();
    const a = await queue.acquire('a');
    const b = track(queue.acquire('b'));
    const c = track(queue.acquire('c'));
    a.release();
    a.release();
    await settle();
    a.release();
    expect(queue.snapshot()).toEqual({ active: 'b', waiting: ['c'] });
    expect(c.turn).toBeUndefined();
    b.turn?.release();
    b.turn?.release();
    await settle();
    expect(queue.snapshot()).toEqual({ active: 'c', waiting: [] });
  });

  it('refuses a second turn for a key that already has or awaits one', async () => {
    const queue = new TouchQueue();
    await queue.acquire('a');
    void queue.acquire('b');
    await expect(queue.acquire('a')).rejects.toMatchObject({ name: 'TouchQueueError', code: 'already-queued' });
    await expect(queue.acquire('b')).rejects.toBeInstanceOf(TouchQueueError);
    expect(queue.snapshot()).toEqual({ active: 'a', waiting: ['b'] });
  });

  it('stops notifying a listener after it unsubscribes', async () => {
    const queue = new TouchQueue();
    const states: TouchQueueState[] = [];
    const stop = queue.onChange((s) => states.push(s));
    const turn = await queue.acquire('a');
    stop();
    turn.release();
    expect(states).toEqual([{ active: 'a', waiting: [] }]);
  });

  it('a throwing listener neither breaks the queue nor silences the other listeners', async () => {
    const thrown: unknown[] = [];
    const queue = new TouchQueue({ onListenerError: (e) => thrown.push(e) });
    queue.onChange(() => {
      throw new Error('renderer went away');
    });
    const states = recording(queue);
    const a = await queue.acquire('a');
    const b = queue.acquire('b');
    a.release();
    expect((await b).keyPath).toBe('b');
    expect(states.at(-1)).toEqual({ active: 'b', waiting: [] });
    expect(thrown).toHaveLength(3);
  });
});

describe('TouchQueue: abort', () => {
  it('aborting a waiter removes it and rejects with an AbortError; the others keep their order', async () => {
    const queue = new TouchQueue();
    const states = recording(queue);
    const a = await queue.acquire('a');
    const controller = new AbortController();
    const b = queue.acquire('b', controller.signal);
    const c = track(queue.acquire('c'));
    controller.abort(new Error('job cancelled'));
    const error: unknown = await b.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TouchAbortError);
    expect(error).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: new Error('job cancelled') });
    expect(states.at(-1)).toEqual({ active: 'a', waiting: ['c'] });
    a.release();
    await settle();
    expect(c.turn?.keyPath).toBe('c');
  });

  it('an already aborted signal is refused at once and never joins the queue', async () => {
    const queue = new TouchQueue();
    const states = recording(queue);
    await expect(queue.acquire('a', AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
    expect(states).toEqual([]);
    expect((await queue.acquire('b')).keyPath).toBe('b');
  });

  it('aborting after the turn was granted leaves the turn to its holder (who releases it)', async () => {
    const queue = new TouchQueue();
    const a = await queue.acquire('a');
    const controller = new AbortController();
    const b = queue.acquire('b', controller.signal);
    a.release();
    const turn = await b;
    controller.abort();
    expect(queue.snapshot()).toEqual({ active: 'b', waiting: [] });
    expect(turn.signal.aborted).toBe(false);
  });
});

describe('TouchQueue: drop', () => {
  it('dropping the active key aborts its turn, serves the next key, and its late release is a no-op', async () => {
    const queue = new TouchQueue();
    const a = await queue.acquire('a');
    const b = track(queue.acquire('b'));
    void queue.acquire('c');
    queue.drop('a');
    expect(a.signal.aborted).toBe(true);
    expect(a.signal.reason).toMatchObject({ code: 'dropped' });
    await settle();
    expect(b.turn?.keyPath).toBe('b');
    a.release();
    expect(queue.snapshot()).toEqual({ active: 'b', waiting: ['c'] });
  });

  it("a stale turn of a replugged key does not end the new turn on the same path", async () => {
    const queue = new TouchQueue();
    const old = await queue.acquire('/dev/hidraw3');
    queue.drop('/dev/hidraw3');
    const fresh = await queue.acquire('/dev/hidraw3');
    const other = track(queue.acquire('/dev/hidraw4'));
    old.release();
    await settle();
    expect(queue.snapshot()).toEqual({ active: '/dev/hidraw3', waiting: ['/dev/hidraw4'] });
    expect(other.turn).toBeUndefined();
    fresh.release();
    await settle();
    expect(other.turn?.keyPath).toBe('/dev/hidraw4');
  });

  it('dropping a waiting key takes it out of line and rejects its request', async () => {
    const queue = new TouchQueue();
    const states = recording(queue);
    await queue.acquire('a');
    const b = queue.acquire('b');
    void queue.acquire('c');
    queue.drop('b');
    await expect(b).rejects.toMatchObject({ name: 'TouchQueueError', code: 'dropped' });
    expect(states.at(-1)).toEqual({ active: 'a', waiting: ['c'] });
  });

  it('dropping a key that is not in the queue changes nothing', async () => {
    const queue = new TouchQueue();
    await queue.acquire('a');
    const states = recording(queue);
    queue.drop('zzz');
    expect(states).toEqual([]);
    expect(queue.snapshot()).toEqual({ active: 'a', waiting: [] });
  });
});

describe('TouchQueue: 50 keys at once', () => {
  it('never has two live turns and serves waiters in request order, with random holds, aborts and drops', async () => {
    const rng = seededRandom('touch-queue-stress');
    const queue = new TouchQueue();
    const line: string[] = []; // who should be served next, modelled independently of the queue
    let live = 0;
    let maxLive = 0;
    let served = 0;
    let aborted = 0;
    let dropped = 0;

    queue.onChange((state) => {
      expect(new Set(state.waiting).size).toBe(state.waiting.length);
      if (state.active !== undefined) expect(state.waiting).not.toContain(state.active);
    });

    const yieldRandomly = async () => {
      for (let n = Math.floor(rng.float() * 4); n > 0; n--) await settle();
    };

    const worker = async (index: number) => {
      const keyPath = `/dev/hidraw${index}`;
      for (let round = 0; round < 6; round++) {
        await yieldRandomly();
        const controller = new AbortController();
        line.push(keyPath);
        const request = queue.acquire(keyPath, controller.signal);
        if (rng.float() < 0.15) {
          void settle().then(() => {
            const index = line.indexOf(keyPath);
            if (index > 0) {
              line.splice(index, 1);
              controller.abort();
            }
          });
        }
        let turn: TouchTurn;
        try {
          turn = await request;
        } catch (error) {
          expect(error).toMatchObject({ name: 'AbortError' });
          aborted++;
          continue;
        }
        expect(line[0]).toBe(keyPath);
        line.shift();
        served++;
        live++;
        maxLive = Math.max(maxLive, live);
        expect(queue.snapshot().active).toBe(keyPath);
        await yieldRandomly();
        live--;
        if (rng.float() < 0.1) {
          dropped++;
          queue.drop(keyPath);
          expect(turn.signal.aborted).toBe(true);
        } else {
          turn.release();
        }
        if (rng.float() < 0.5) turn.release();
      }
    };

    await Promise.all(Array.from({ length: 50 }, (_, i) => worker(i)));
    expect(maxLive).toBe(1);
    expect(served + aborted).toBe(300);
    expect(aborted).toBeGreaterThan(0);
    expect(dropped).toBeGreaterThan(0);
    expect(queue.snapshot()).toEqual({ waiting: [] });
  });
});
