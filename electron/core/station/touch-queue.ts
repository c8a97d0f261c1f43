// One technician, one finger: only one key may ask for a touch at a time (bench-ux "One thing to do at a
// time"). Keys take turns first come, first served; the UI follows the queue through onChange to show
// "Touch key 3" on one tile and "waiting its turn" on the others. Work that needs no touch runs outside turns.

export interface TouchQueueState {
  /** The key whose turn it is. */
  active?: string;
  /** Keys waiting, in the order they will be served. */
  waiting: string[];
}

export interface TouchTurn {
  readonly keyPath: string;
  /** Aborted when the queue takes the turn back because the key was removed (`drop`): stop the touch command. */
  readonly signal: AbortSignal;
  /** Ends the turn and serves the next key. Calling it again, or after a drop, does nothing. */
  release(): void;
}

export type TouchQueueErrorCode = 'already-queued' | 'dropped';

export class TouchQueueError extends Error {
  override readonly name = 'TouchQueueError';

  constructor(
    readonly code: TouchQueueErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Shaped like Node's own AbortError (name 'AbortError', code 'ABORT_ERR', the signal's reason as cause). */
export class TouchAbortError extends Error {
  override readonly name = 'AbortError';
  readonly code = 'ABORT_ERR';

  constructor(keyPath: string, reason: unknown) {
    super(`Key ${keyPath} stopped waiting for its touch turn because its work was cancelled.`, { cause: reason });
  }
}

export interface TouchQueueOptions {
  /** Where an exception thrown by an onChange listener goes; by default it is rethrown on its own tick. */
  onListenerError?: (error: unknown) => void;
}

type Listener = (state: TouchQueueState) => void;

interface Waiter {
  keyPath: string;
  grant(turn: TouchTurn): void;
  refuse(error: Error): void;
  /** Stops listening to the waiter's abort signal. */
  detach(): void;
}

interface Holder {
  turn: TouchTurn;
  controller: AbortController;
}

export class TouchQueue {
  #active: Holder | undefined;
  readonly #waiting: Waiter[] = [];
  readonly #listeners = new Set<Listener>();
  readonly #onListenerError: (error: unknown) => void;

  constructor(options: TouchQueueOptions = {}) {
    this.#onListenerError =
      options.onListenerError ??
      ((error) =>
        queueMicrotask(() => {
          throw error;
        }));
  }

  /**
   * Resolves when it is this key's turn. The signal only matters while waiting: aborting then removes the key
   * from the queue and rejects with a TouchAbortError. A granted turn is ended by `release()` or `drop()`.
   */
  acquire(keyPath: string, signal?: AbortSignal): Promise<TouchTurn> {
    if (signal?.aborted) return Promise.reject(new TouchAbortError(keyPath, signal.reason));
    if (this.#active?.turn.keyPath === keyPath || this.#waiting.some((w) => w.keyPath === keyPath)) {
      return Promise.reject(
        new TouchQueueError('already-queued', `Key ${keyPath} already has or awaits a touch turn; release that turn before asking for another.`),
      );
    }
    // Nobody waits while no turn is active: every release or drop hands the turn straight to the next key.
    if (this.#active === undefined) {
      const turn = this.#start(keyPath);
      this.#notify();
      return Promise.resolve(turn);
    }
    return new Promise<TouchTurn>((resolve, reject) => {
      const onAbort = () => {
        this.#remove(waiter);
        reject(new TouchAbortError(keyPath, signal?.reason));
        this.#notify();
      };
      const waiter: Waiter = {
        keyPath,
        grant: resolve,
        refuse: reject,
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(waiter);
      this.#notify();
    });
  }

  /** The key was unplugged: end its turn (aborting the turn's signal) or take it out of the line. */
  drop(keyPath: string): void {
    if (this.#active?.turn.keyPath === keyPath) {
      const { controller } = this.#active;
      this.#active = undefined;
      this.#serveNext();
      this.#notify();
      // Last, so the holder's abort handlers already see the next key's turn.
      controller.abort(new TouchQueueError('dropped', `Key ${keyPath} was removed during its touch turn.`));
      return;
    }
    const waiter = this.#waiting.find((w) => w.keyPath === keyPath);
    if (waiter === undefined) return;
    this.#remove(waiter);
    waiter.detach();
    waiter.refuse(new TouchQueueError('dropped', `Key ${keyPath} was removed while waiting for its touch turn; plug it in again to start over.`));
    this.#notify();
  }

  /** Calls `listener` after every change with a fresh copy of the state; returns the unsubscribe function. */
  onChange(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  snapshot(): TouchQueueState {
    const active = this.#active?.turn.keyPath;
    return { ...(active !== undefined && { active }), waiting: this.#waiting.map((w) => w.keyPath) };
  }

  #start(keyPath: string): TouchTurn {
    const controller = new AbortController();
    const holder: Holder = {
      controller,
      turn: Object.freeze({ keyPath, signal: controller.signal, release: () => this.#release(holder) }),
    };
    this.#active = holder;
    return holder.turn;
  }

  /** Compares holders, not key paths: a stale turn of a dropped key must not end the turn of its replug. */
  #release(holder: Holder): void {
    if (this.#active !== holder) return;
    this.#active = undefined;
    this.#serveNext();
    this.#notify();
  }

  #serveNext(): void {
    const next = this.#waiting.shift();
    if (next === undefined) return;
    next.detach();
    next.grant(this.#start(next.keyPath));
  }

  #remove(waiter: Waiter): void {
    const index = this.#waiting.indexOf(waiter);
    if (index !== -1) this.#waiting.splice(index, 1);
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(this.snapshot());
      } catch (error) {
        this.#onListenerError(error);
      }
    }
  }
}
